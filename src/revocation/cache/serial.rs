//! SPEC 7.1: a certificate serial's text form for comparisons, shared by
//! the cache's keys, the revoked set, the webhooks and the shared stores.

use std::sync::Arc;

/// Longest serial text accepted (64 octets with `:` separators); a
/// normalized serial is never longer.
pub(super) const MAX_SERIAL_TEXT_LEN: usize = 64 * 3;

/// SPEC 7.1: the serial's text form for comparisons: lowercase hex without
/// `:` separators and without a leading `00` sign octet. `None` when the
/// text is not an even number of hex digits (after removing `:`), or too long.
///
/// ```
/// use kakunin_verify::revocation::cache::normalize_serial_hex;
/// assert_eq!(normalize_serial_hex("0A:3F").as_deref(), Some("0a3f"));
/// assert_eq!(normalize_serial_hex("0080ff").as_deref(), Some("80ff"));
/// assert_eq!(normalize_serial_hex("a3f"), None);
/// assert_eq!(normalize_serial_hex("zz"), None);
/// ```
pub fn normalize_serial_hex(text: &str) -> Option<String> {
    if text.len() > MAX_SERIAL_TEXT_LEN {
        return None;
    }
    // One pass over the bytes into one allocation, never grown: the cache
    // runs this on every request whose answer it holds (it was ≈ 2 000
    // instructions and three allocations per request by `chars()`).
    let mut hex = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b == b':' {
            continue;
        }
        if !b.is_ascii_hexdigit() {
            return None;
        }
        hex.push(char::from(b.to_ascii_lowercase()));
    }
    if hex.is_empty() || !hex.len().is_multiple_of(2) {
        return None;
    }
    if hex.len() > 2 && hex.starts_with("00") {
        hex.drain(..2);
    }
    Some(hex)
}

/// A serial in the SPEC 7.1 form of [`normalize_serial_hex`], the only way
/// to make one: the revocation cache's key part. Shared, so the verifier
/// normalizes a cached certificate's serial once and each request's lookup
/// takes a reference count instead of a new string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RevocationSerial(Arc<str>);

impl RevocationSerial {
    /// `serial_hex` normalized; `None` where [`normalize_serial_hex`] is.
    pub(crate) fn of(serial_hex: &str) -> Option<Self> {
        normalize_serial_hex(serial_hex).map(|hex| RevocationSerial(Arc::from(hex)))
    }

    /// The normalized text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_normalize() {
        assert_eq!(normalize_serial_hex("00:8A").as_deref(), Some("8a"));
        assert_eq!(normalize_serial_hex("00").as_deref(), Some("00"));
        assert_eq!(normalize_serial_hex(""), None);
        assert_eq!(normalize_serial_hex(&"a".repeat(400)), None);
    }

    // The one-pass form gives the same answers as the rule written out (strip
    // `:`, lower-case, even number of hex digits, one leading `00` dropped when
    // more follows), on every text of up to 5 characters over an alphabet of
    // the cases that matter.
    #[test]
    fn spec_7_1_normalize_serial_hex_agrees_with_the_rule() {
        fn by_the_rule(text: &str) -> Option<String> {
            if text.len() > MAX_SERIAL_TEXT_LEN {
                return None;
            }
            let hex: String = text
                .chars()
                .filter(|c| *c != ':')
                .map(|c| c.to_ascii_lowercase())
                .collect();
            let well_formed = !hex.is_empty()
                && hex.len().is_multiple_of(2)
                && hex.bytes().all(|b| b.is_ascii_hexdigit());
            if !well_formed {
                return None;
            }
            match hex.strip_prefix("00") {
                Some(rest) if !rest.is_empty() => Some(rest.to_owned()),
                _ => Some(hex),
            }
        }
        let alphabet = ['0', 'a', 'F', ':', 'g', '\u{e9}', ' '];
        let mut accepted = 0;
        for len in 0..=5u32 {
            for n in 0..alphabet.len().pow(len) {
                let mut k = n;
                let text: String = (0..len)
                    .map(|_| {
                        let c = alphabet[k % alphabet.len()];
                        k /= alphabet.len();
                        c
                    })
                    .collect();
                let got = normalize_serial_hex(&text);
                accepted += usize::from(got.is_some());
                assert_eq!(got, by_the_rule(&text), "{text:?}");
            }
        }
        assert!(accepted > 100, "{accepted}");
        for text in ["00:8A", "0a3f", "zz", ""] {
            assert_eq!(
                RevocationSerial::of(text).map(|s| s.as_str().to_owned()),
                normalize_serial_hex(text)
            );
        }
        let long = "0".repeat(MAX_SERIAL_TEXT_LEN + 2);
        assert_eq!(normalize_serial_hex(&long), None);
        assert_eq!(
            normalize_serial_hex(&"0".repeat(MAX_SERIAL_TEXT_LEN)).map(|h| h.len()),
            Some(MAX_SERIAL_TEXT_LEN - 2)
        );
    }
}
