//! SPEC 4.2: the request-target, checked strictly (refused, never
//! normalized) before any certificate or signature work.

use super::{bad, MAX_TARGET_BYTES};
use crate::ascii;
use crate::error::Error;

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

// SPEC 4.2: every byte of the target is visible ASCII (no controls, no
// spaces, no fragment).
fn check_target_bytes(target: &str) -> Result<(), Error> {
    if target.len() > MAX_TARGET_BYTES {
        return Err(bad("request-target too long"));
    }
    if target
        .bytes()
        .any(|c| !(0x21..=0x7e).contains(&c) || c == b'#')
    {
        return Err(bad(
            "request-target has control, space, non-ASCII or '#' characters",
        ));
    }
    Ok(())
}

// SPEC 4.2: percent escapes are well-formed and never encode '.', '/', '\',
// NUL or an unreserved character.
fn check_percent_escapes(path: &str) -> Result<(), Error> {
    let b = path.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hi = b.get(i + 1).copied().and_then(crate::hex::nibble);
            let lo = b.get(i + 2).copied().and_then(crate::hex::nibble);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(bad("broken percent escape in path"));
            };
            let decoded = (hi << 4) | lo;
            if decoded == 0 || decoded == b'/' || decoded == b'\\' || is_unreserved(decoded) {
                return Err(bad(
                    "percent-encoded '.', '/', '\\', NUL or unreserved character in path",
                ));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

// SPEC 4.2: no '.', '..' or empty segments, no ';' or '\', no trailing '/'
// (except the path "/").
fn check_segments(path: &str) -> Result<(), Error> {
    if path.bytes().any(|c| c == b';' || c == b'\\') {
        return Err(bad("';' or '\\' in path"));
    }
    if path == "/" {
        return Ok(());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| bad("path is not absolute"))?;
    for seg in ascii::split(rest, b'/') {
        match seg {
            "" => return Err(bad("empty path segment or trailing '/'")),
            "." | ".." => return Err(bad("dot segment in path")),
            _ => {}
        }
    }
    Ok(())
}

/// SPEC 4.2: checks the request-target (origin form) and returns its path
/// (before any `?`). Refused, never normalized.
///
/// ```
/// use kakunin_verify::request::check_target;
/// assert_eq!(check_target("/v1/orders/42?x=1").unwrap(), "/v1/orders/42");
/// assert!(check_target("/data/../raw").is_err());
/// assert!(check_target("/data/%2e%2e/raw").is_err());
/// assert!(check_target("/v1/trades;x").is_err());
/// ```
pub fn check_target(target: &str) -> Result<&str, Error> {
    match plain_target_path(target) {
        Some(path) => Ok(path),
        None => check_target_rules(target),
    }
}

// SPEC 4.2, the usual target in one pass: a path of segments of ASCII
// letters, digits, `-`, `_` and `~` (no escape, no dot, no `;` or `\`, so
// no rule to apply beyond no empty segment), then any query of visible
// ASCII without `#`. `None` for any other target, which the rules then
// check one by one ([`check_target_rules`]); so this only ever accepts
// what those accept, with the same path.
fn plain_target_path(target: &str) -> Option<&str> {
    let b = target.as_bytes();
    if b.first() != Some(&b'/') || b.len() > MAX_TARGET_BYTES {
        return None;
    }
    let mut after_slash = true;
    let mut end = b.len();
    for (i, &c) in b.iter().enumerate().skip(1) {
        match c {
            b'/' if after_slash => return None,
            b'/' => after_slash = true,
            b'?' => {
                end = i;
                break;
            }
            c if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'~' => {
                after_slash = false;
            }
            _ => return None,
        }
    }
    // A trailing `/` ends an empty segment, except in the path `/`.
    if after_slash && end > 1 {
        return None;
    }
    let query = b.get(end..)?;
    if query
        .iter()
        .any(|&c| !(0x21..=0x7e).contains(&c) || c == b'#')
    {
        return None;
    }
    target.get(..end)
}

// SPEC 4.2, rule by rule (see [`check_target`]).
fn check_target_rules(target: &str) -> Result<&str, Error> {
    check_target_bytes(target)?;
    let path = ascii::split_once(target, b'?').map_or(target, |(p, _)| p);
    if !path.starts_with('/') {
        return Err(bad("request-target is not in origin form"));
    }
    check_segments(path)?;
    check_percent_escapes(path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The one-pass form accepts only targets the rules accept, with the
    // same path: every target of up to 5 bytes over an alphabet of the
    // characters the rules care about.
    #[test]
    fn spec_4_2_plain_target_path_agrees_with_the_rules() {
        const ALPHABET: &[u8] = b"/a.%2e?#;-\\ Z~\x01";
        let mut accepted = 0;
        let mut target = Vec::new();
        for len in 0..=5u32 {
            for n in 0..ALPHABET.len().pow(len) {
                target.clear();
                let mut k = n;
                for _ in 0..len {
                    target.push(ALPHABET[k % ALPHABET.len()]);
                    k /= ALPHABET.len();
                }
                let Ok(t) = std::str::from_utf8(&target) else {
                    continue;
                };
                if let Some(path) = plain_target_path(t) {
                    accepted += 1;
                    assert_eq!(check_target_rules(t).ok(), Some(path), "{t:?}");
                }
                assert_eq!(check_target(t).ok(), check_target_rules(t).ok(), "{t:?}");
            }
        }
        // It takes the common shapes, so the comparison is not vacuous.
        assert!(accepted > 1_000, "{accepted}");
        for t in ["/", "/v1/trades", "/v1/orders/42?x=../y#", "/a-b_c~d"] {
            assert_eq!(plain_target_path(t).is_some(), !t.ends_with('#'), "{t}");
        }
        let long = format!("/{}", "a".repeat(MAX_TARGET_BYTES));
        assert_eq!(plain_target_path(&long), None);
        assert!(check_target(&long).is_err());
    }

    #[test]
    fn target_rules() {
        let ok = [
            "/",
            "/v1/trades",
            "/v1/orders/42?x=../y",
            "/data/a%20b",
            "/a/%3Bb",
            "/a-b_c~d.e",
        ];
        for t in ok {
            assert!(check_target(t).is_ok(), "{t}");
        }
        let bad = [
            "",
            "v1/trades",
            "http://x/v1",
            "/v1//trades",
            "/v1/trades/",
            "/./x",
            "/x/..",
            "/x/./y",
            "/x;y",
            "/x\\y",
            "/x/%2e%2e",
            "/x/%2E",
            "/x%2fy",
            "/x%2Fy",
            "/x%5cy",
            "/x%00",
            "/x%41",
            "/x%7e",
            "/x%",
            "/x%4",
            "/x%zz",
            "/x\u{1}y",
            "/x y",
            "/x\u{7f}",
            "/x#frag",
            "/é",
            "//",
        ];
        for t in bad {
            assert_eq!(
                check_target(t).map_err(|e| e.code()),
                Err(crate::Code::MalformedRequest),
                "{t:?}"
            );
        }
    }
}
