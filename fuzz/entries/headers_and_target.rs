//! `request::{AgentHeaders::parse, check_target, decode_chain}` (SPEC 4.1, 4.2).
//!
//! Input: the first line is a request-target; every further line is a
//! header `name: value` (blanks around the value are trimmed; a line without
//! ':' is a name with an empty value).
//!
//! Invariants: every refusal is `malformed_request` (400); an accepted
//! target yields its path (a prefix of the target, in origin form, without
//! a query) that is itself accepted unchanged; accepted headers obey the
//! SPEC 4.1 syntax (nonce 16..64 of [A-Za-z0-9_-], timestamp 1..15
//! digits, hashes 64 lowercase hex); a decoded chain has 1..4 elements;
//! SPEC 4.1's strict base64 (base64-simd) accepts exactly the values the
//! `base64` crate's strict engine accepts, with the same bytes.

use kakunin_verify::request::{check_target, decode_chain, AgentHeaders};
use kakunin_verify::Code;

fn check_err(e: &kakunin_verify::Error) {
    assert_eq!(e.code(), Code::MalformedRequest, "{e:?}");
    assert_eq!(e.http_status(), 400);
}

/// Differential: the crate's strict base64 against an independent one.
fn check_base64(v: &[u8]) {
    use base64::Engine as _;
    let ours = kakunin_verify::request::decode_base64(v).ok();
    let reference = base64::engine::general_purpose::STANDARD.decode(v).ok();
    assert_eq!(
        ours,
        reference,
        "base64 of {:?}",
        String::from_utf8_lossy(v)
    );
}

fn check_chain(v: &str) {
    match decode_chain(v) {
        Ok(chain) => assert!((1..=4).contains(&chain.len()), "chain of {}", chain.len()),
        Err(e) => check_err(&e),
    }
}

/// The fuzz target's body (see the module documentation).
pub fn headers_and_target(data: &[u8]) {
    let mut lines = data.split(|&b| b == b'\n');
    let target = lines.next().unwrap_or_default();
    if let Ok(target) = std::str::from_utf8(target) {
        match check_target(target) {
            Ok(path) => {
                assert!(
                    target.starts_with(path),
                    "path {path:?} not a prefix of {target:?}"
                );
                assert!(path.starts_with('/') && !path.contains('?'), "{path:?}");
                assert_eq!(
                    check_target(path).expect("an accepted path is a valid target"),
                    path
                );
            }
            Err(e) => check_err(&e),
        }
        check_chain(target);
    }

    let mut headers: Vec<(&str, &[u8])> = Vec::new();
    for line in lines {
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &b""[..]),
        };
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        // Values as an HTTP parser hands them over: without surrounding blanks.
        let start = value
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(value.len());
        let end = value
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(start, |i| i + 1);
        check_base64(&value[start..end]);
        headers.push((name, &value[start..end]));
    }
    match AgentHeaders::parse(headers.iter().copied()) {
        Ok(h) => {
            if let Some(n) = h.nonce {
                assert!((16..=64).contains(&n.len()), "nonce {n:?}");
                assert!(n
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'));
            }
            match h.timestamp {
                Some(t) => {
                    assert!((1..=15).contains(&t.len()) && t.bytes().all(|c| c.is_ascii_digit()));
                    assert_eq!(
                        h.timestamp_ms().expect("checked timestamp"),
                        t.parse::<u64>().unwrap()
                    );
                }
                None => check_err(&h.timestamp_ms().unwrap_err()),
            }
            for hash in [h.model_sha256, h.prompt_sha256].into_iter().flatten() {
                assert!(
                    hash.len() == 64
                        && hash.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
                );
            }
            if let Some(c) = h.chain {
                check_chain(c);
            }
            if let Some(c) = h.certificate {
                if let Err(e) = kakunin_verify::request::header_text(c)
                    .and_then(kakunin_verify::request::decode_base64)
                {
                    check_err(&e);
                }
            }
        }
        Err(e) => check_err(&e),
    }
}
