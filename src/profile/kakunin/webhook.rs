//! SPEC 10 "Webhooks": Kakunin's delivery form as its service sends it —
//! `X-Kakunin-Timestamp: {Unix ms}` and `X-Kakunin-Signature:
//! sha256={lowercase hex}`, the HMAC-SHA-256 of `"{ms}.{raw body}"` keyed by
//! the secret's characters as given (`whsec_…` included).
//!
//! Read strictly: the signature header is exactly `sha256=` and 64
//! lowercase hex digits (no other part, no space); the timestamp header is
//! 1 to [`MAX_TIMESTAMP_MS_DIGITS`] decimal digits. Which form a delivery
//! uses, and the refusal of a delivery mixing the two, is decided by
//! [`crate::revocation::webhook::verify_webhook_headers`].

use crate::revocation::webhook::{WebhookError, TOLERANCE_SECONDS};

/// The signature header's prefix in Kakunin's form.
pub const SIGNATURE_PREFIX: &str = "sha256=";
/// The key of Kakunin's form: a `sha256` part inside a SPEC 7.3
/// `t=,v1=` header mixes the two forms (refused).
pub const FORM_KEY: &str = "sha256";
/// Most digits of `X-Kakunin-Timestamp` (Unix ms has 13 today).
pub const MAX_TIMESTAMP_MS_DIGITS: usize = 15;
/// SPEC 10: the same 5-minute window as SPEC 7.3, in ms.
pub const TOLERANCE_MS: u64 = TOLERANCE_SECONDS * 1_000;

/// A delivery's headers in Kakunin's form, read strictly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KakuninSignature<'a> {
    /// The timestamp text as sent (it is signed as text).
    pub timestamp: &'a str,
    /// The timestamp, Unix ms.
    pub timestamp_ms: u64,
    /// The HMAC-SHA-256 the signature header carries.
    pub tag: [u8; 32],
}

/// `true` when a signature header is in Kakunin's form (`sha256=…`), so
/// that the delivery is read by [`parse`] and must carry
/// `X-Kakunin-Timestamp`.
pub fn is_kakunin_form(signature_header: &str) -> bool {
    signature_header.starts_with(SIGNATURE_PREFIX)
}

/// SPEC 10: both headers of Kakunin's form, strictly.
///
/// ```
/// use kakunin_verify::profile::kakunin::webhook::parse;
/// let sig = format!("sha256={}", "ab".repeat(32));
/// let parsed = parse(&sig, "1782897300123").unwrap();
/// assert_eq!(parsed.timestamp_ms, 1_782_897_300_123);
/// assert!(parse(&sig, "1782897300.5").is_err());
/// assert!(parse(&sig[..70], "1782897300123").is_err());
/// ```
pub fn parse<'a>(
    signature_header: &str,
    timestamp_header: &'a str,
) -> Result<KakuninSignature<'a>, WebhookError> {
    let hex =
        signature_header
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(WebhookError::MalformedHeader(
                "X-Kakunin-Signature is not sha256=…",
            ))?;
    let tag = crate::hex::decode_sha256_lower(hex).ok_or(WebhookError::MalformedHeader(
        "X-Kakunin-Signature sha256= is not 64 lowercase hex digits",
    ))?;
    Ok(KakuninSignature {
        timestamp: timestamp_header,
        timestamp_ms: parse_timestamp_ms(timestamp_header)?,
        tag,
    })
}

// SPEC 10: `X-Kakunin-Timestamp` is Unix ms, decimal digits only.
fn parse_timestamp_ms(text: &str) -> Result<u64, WebhookError> {
    let bad = WebhookError::MalformedHeader("X-Kakunin-Timestamp is not Unix ms");
    let well_formed = !text.is_empty()
        && text.len() <= MAX_TIMESTAMP_MS_DIGITS
        && text.bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(bad);
    }
    text.parse().map_err(|_| bad)
}

/// SPEC 10: accepted within 5 minutes of the timestamp, either way.
pub fn check_timestamp(timestamp_ms: u64, now_ms: u64) -> Result<(), WebhookError> {
    if now_ms.abs_diff(timestamp_ms) > TOLERANCE_MS {
        return Err(WebhookError::StaleTimestamp);
    }
    Ok(())
}

/// SPEC 10: the HMAC-SHA-256 of `"{ms}.{raw body}"` under the secret,
/// compared in constant time (`ring::hmac::verify`).
pub fn check_signature(
    secret: &[u8],
    signature: &KakuninSignature<'_>,
    raw_body: &[u8],
) -> Result<(), WebhookError> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let mut message = Vec::with_capacity(signature.timestamp.len() + 1 + raw_body.len());
    message.extend_from_slice(signature.timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(raw_body);
    ring::hmac::verify(&key, &message, &signature.tag).map_err(|_| WebhookError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig() -> String {
        format!("sha256={}", "0f".repeat(32))
    }

    // SPEC 10: every truncated or padded signature header is malformed.
    #[test]
    fn spec_10_signature_header_is_exactly_sha256_and_64_lowercase_hex() {
        let good = sig();
        assert!(parse(&good, "1").is_ok());
        let bad = [
            String::new(),
            "sha256=".into(),
            "sha256".into(),
            format!("sha256={}", "0f".repeat(31)),
            format!("sha256={}0", "0f".repeat(32)),
            format!("sha256={}", "0F".repeat(32)),
            format!("SHA256={}", "0f".repeat(32)),
            format!("sha256= {}", "0f".repeat(32)),
            format!("{good} "),
            format!("{good},t=1"),
            format!("{good},v1={}", "0f".repeat(32)),
            format!("sha256={}", "zz".repeat(32)),
        ];
        for case in bad {
            assert!(
                matches!(parse(&case, "1"), Err(WebhookError::MalformedHeader(_))),
                "{case}"
            );
        }
    }

    // SPEC 10: the timestamp is Unix ms, digits only, bounded.
    #[test]
    fn spec_10_timestamp_header_is_digits_only() {
        let good = sig();
        assert_eq!(
            parse(&good, "1782897300123").map(|p| p.timestamp_ms),
            Ok(1_782_897_300_123)
        );
        for ts in [
            "",
            " 1",
            "1 ",
            "-1",
            "+1",
            "1.5",
            "1e3",
            "0x10",
            "１",
            &"9".repeat(16),
        ] {
            assert!(
                matches!(parse(&good, ts), Err(WebhookError::MalformedHeader(_))),
                "{ts:?}"
            );
        }
    }

    #[test]
    fn spec_10_five_minutes_either_way_in_ms() {
        let t = 1_782_897_300_123;
        assert!(check_timestamp(t, t + TOLERANCE_MS).is_ok());
        assert!(check_timestamp(t, t - TOLERANCE_MS).is_ok());
        assert_eq!(
            check_timestamp(t, t + TOLERANCE_MS + 1),
            Err(WebhookError::StaleTimestamp)
        );
        assert_eq!(
            check_timestamp(t, t - TOLERANCE_MS - 1),
            Err(WebhookError::StaleTimestamp)
        );
    }
}
