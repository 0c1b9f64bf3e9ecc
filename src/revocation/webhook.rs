//! SPEC 7.3: push invalidation by Kakunin's signed webhook events.
//!
//! The integrator's HTTP handler passes the `X-Kakunin-Signature` header and
//! the raw body (as received, before any JSON parsing) to [`verify_webhook`],
//! then hands an authentic event to [`apply_webhook`].
//!
//! Header grammar, parsed strictly: comma-separated `key=value` pairs
//! without spaces; exactly one `t` (Unix seconds, 1 to
//! [`MAX_TIMESTAMP_DIGITS`] digits); one to [`MAX_SIGNATURES`] `v1` values,
//! each 64 lowercase hex digits, any one of which may match (so Kakunin can
//! roll its secret); other keys of lowercase letters and digits (future
//! schemes) are ignored; at most [`MAX_HEADER_LEN`] bytes and
//! [`MAX_HEADER_PARTS`] pairs.

use ring::hmac;
use serde::Deserialize;

use super::cache::{normalize_serial_hex, RevocationCache, RevokeError};

/// SPEC 7.3: events are accepted within 5 minutes of `t`, either way.
pub const TOLERANCE_SECONDS: u64 = 5 * 60;
/// Largest accepted raw body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest accepted signature header.
pub const MAX_HEADER_LEN: usize = 1024;
/// Most `key=value` pairs in the header.
pub const MAX_HEADER_PARTS: usize = 8;
/// Most `v1` values in the header.
pub const MAX_SIGNATURES: usize = 4;
/// Most digits of `t`.
pub const MAX_TIMESTAMP_DIGITS: usize = 12;
/// Length of a `v1` value: hex of an HMAC-SHA-256.
const SIGNATURE_HEX_LEN: usize = 64;
/// The revocation event's name.
pub const CERTIFICATE_REVOKED: &str = "certificate.revoked";

/// Why a webhook delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The secret is empty: a configuration error.
    #[error("webhook secret is empty")]
    EmptySecret,
    /// The body is larger than [`MAX_BODY_BYTES`].
    #[error("webhook body too large")]
    BodyTooLarge,
    /// The signature header does not follow the grammar.
    #[error("malformed signature header: {0}")]
    MalformedHeader(&'static str),
    /// `t` is more than [`TOLERANCE_SECONDS`] away from now.
    #[error("webhook timestamp outside the tolerance")]
    StaleTimestamp,
    /// No `v1` value is the HMAC of the body under the secret.
    #[error("webhook signature does not verify")]
    BadSignature,
    /// The authentic body is not a well-formed event.
    #[error("malformed webhook event: {0}")]
    MalformedEvent(&'static str),
    /// SPEC 7.3: the authentic revocation could not be recorded because the
    /// revoked set is full (the verifier fails every request closed until
    /// entries lapse). Answer 503 ([`Self::http_status`]) so that the sender
    /// retries.
    #[error("the revoked set is full: retry later")]
    RevokedSetFull,
    /// SPEC 7.3 with a fleet: the revocation holds on this instance, but the
    /// shared revoked set could not record it; answer 503 so that the
    /// sender retries.
    #[error("the shared revoked set is unavailable: retry later")]
    SharedStoreUnavailable,
}

impl WebhookError {
    /// The HTTP status an integrator's webhook handler answers with:
    /// 503 for [`Self::RevokedSetFull`] (SPEC 7.3: the sender retries),
    /// 500 for [`Self::EmptySecret`] (configuration), 413 for
    /// [`Self::BodyTooLarge`], 401 for a delivery that is not authenticated
    /// ([`Self::BadSignature`], [`Self::StaleTimestamp`], a malformed or
    /// missing signature header), 400 for an authentic but malformed event.
    ///
    /// ```
    /// use kakunin_verify::revocation::webhook::WebhookError;
    /// assert_eq!(WebhookError::RevokedSetFull.http_status(), 503);
    /// assert_eq!(WebhookError::BadSignature.http_status(), 401);
    /// ```
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::RevokedSetFull | WebhookError::SharedStoreUnavailable => 503,
            WebhookError::EmptySecret => 500,
            WebhookError::BodyTooLarge => 413,
            // Not authenticated: no, malformed, stale or wrong signature.
            WebhookError::BadSignature
            | WebhookError::StaleTimestamp
            | WebhookError::MalformedHeader(_) => 401,
            // Authentic, but not an event we can apply.
            WebhookError::MalformedEvent(_) => 400,
        }
    }
}

impl From<RevokeError> for WebhookError {
    fn from(e: RevokeError) -> Self {
        match e {
            RevokeError::Full => WebhookError::RevokedSetFull,
            RevokeError::SharedStore => WebhookError::SharedStoreUnavailable,
            RevokeError::InvalidSerial => {
                WebhookError::MalformedEvent("the serial number is not hex")
            }
        }
    }
}

/// An authentic webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    /// `certificate.revoked`: the serial, normalized (see
    /// [`normalize_serial_hex`]).
    CertificateRevoked {
        /// The revoked certificate's serial (lowercase hex).
        serial_hex: String,
    },
    /// Any other event, by name: nothing to do for revocation.
    Other {
        /// The event's name.
        event: String,
    },
}

/// The parsed signature header.
#[derive(Debug)]
struct SignatureHeader<'a> {
    timestamp: &'a str,
    seconds: u64,
    signatures: Vec<[u8; 32]>,
}

/// SPEC 7.3: checks a delivery and returns its event.
///
/// ```
/// use kakunin_verify::revocation::webhook::{verify_webhook, WebhookEvent};
/// use ring::hmac;
/// let secret = b"whsec_test";
/// let body = br#"{"event":"certificate.revoked","data":{"serial_number":"0A3F"}}"#;
/// let t = 1_782_897_300u64;
/// let mut message = format!("{t}.").into_bytes();
/// message.extend_from_slice(body);
/// let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), &message);
/// let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
/// let header = format!("t={t},v1={hex}");
/// let event = verify_webhook(secret, &header, body, t * 1000 + 10_000).unwrap();
/// assert_eq!(event, WebhookEvent::CertificateRevoked { serial_hex: "0a3f".into() });
/// ```
pub fn verify_webhook(
    secret: &[u8],
    signature_header: &str,
    raw_body: &[u8],
    now_ms: u64,
) -> Result<WebhookEvent, WebhookError> {
    if secret.is_empty() {
        return Err(WebhookError::EmptySecret);
    }
    if raw_body.len() > MAX_BODY_BYTES {
        return Err(WebhookError::BodyTooLarge);
    }
    let header = parse_header(signature_header)?;
    check_timestamp(header.seconds, now_ms)?;
    check_signature(secret, &header, raw_body)?;
    parse_event(raw_body)
}

/// SPEC 7.3: an authentic `certificate.revoked` event marks its serial
/// revoked at once, cached or not, kept at least until `not_after_ms` (the
/// certificate's notAfter, when the caller knows it) and at least the
/// cache's pushed retention. Other events change nothing.
///
/// With a fleet's shared revoked set attached to the cache, the revocation
/// is recorded there too before this returns.
///
/// # Errors
/// [`WebhookError::RevokedSetFull`] (HTTP 503: the sender retries) when the
/// revoked set is full — nothing was recorded;
/// [`WebhookError::SharedStoreUnavailable`] (503) when the shared set could
/// not record it.
pub async fn apply_webhook(
    cache: &RevocationCache,
    event: &WebhookEvent,
    not_after_ms: Option<u64>,
) -> Result<(), WebhookError> {
    match event {
        WebhookEvent::CertificateRevoked { serial_hex } => {
            Ok(cache.mark_revoked_shared(serial_hex, not_after_ms).await?)
        }
        WebhookEvent::Other { .. } => Ok(()),
    }
}

// SPEC 7.3: `t={unix seconds},v1={lowercase hex}`, parsed strictly.
fn parse_header(header: &str) -> Result<SignatureHeader<'_>, WebhookError> {
    if header.is_empty() || header.len() > MAX_HEADER_LEN {
        return Err(WebhookError::MalformedHeader("empty or too long"));
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for (index, part) in header.split(',').enumerate() {
        if index >= MAX_HEADER_PARTS {
            return Err(WebhookError::MalformedHeader("too many parts"));
        }
        let (key, value) = part
            .split_once('=')
            .ok_or(WebhookError::MalformedHeader("part without '='"))?;
        match key {
            "t" if timestamp.is_some() => {
                return Err(WebhookError::MalformedHeader("repeated t"));
            }
            "t" => timestamp = Some(value),
            "v1" if signatures.len() >= MAX_SIGNATURES => {
                return Err(WebhookError::MalformedHeader("too many v1"));
            }
            "v1" => signatures.push(parse_signature(value)?),
            other => check_unknown_key(other, value)?,
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::MalformedHeader("missing t"))?;
    if signatures.is_empty() {
        return Err(WebhookError::MalformedHeader("missing v1"));
    }
    Ok(SignatureHeader {
        timestamp,
        seconds: parse_timestamp(timestamp)?,
        signatures,
    })
}

// Unknown schemes are ignored, but must still look like `key=value`.
fn check_unknown_key(key: &str, value: &str) -> Result<(), WebhookError> {
    let key_ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let value_ok = !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic());
    if key_ok && value_ok {
        Ok(())
    } else {
        Err(WebhookError::MalformedHeader("bad part"))
    }
}

// SPEC 7.3: `t` is Unix seconds, decimal digits only.
fn parse_timestamp(text: &str) -> Result<u64, WebhookError> {
    let well_formed = !text.is_empty()
        && text.len() <= MAX_TIMESTAMP_DIGITS
        && text.bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(WebhookError::MalformedHeader("bad t"));
    }
    text.parse()
        .map_err(|_| WebhookError::MalformedHeader("bad t"))
}

// SPEC 7.3: `v1` is the lowercase hex of an HMAC-SHA-256 (32 octets).
fn parse_signature(text: &str) -> Result<[u8; 32], WebhookError> {
    let bad = WebhookError::MalformedHeader("bad v1");
    if text.len() != SIGNATURE_HEX_LEN {
        return Err(bad);
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let (Some(high), Some(low)) = (
            pair.first().copied().and_then(lower_hex_value),
            pair.get(1).copied().and_then(lower_hex_value),
        ) else {
            return Err(bad);
        };
        *slot = (high << 4) | low;
    }
    Ok(out)
}

// Lowercase hex digits only (SPEC 7.3 "lowercase hex").
fn lower_hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

// SPEC 7.3: accepted within 5 minutes, either way.
fn check_timestamp(seconds: u64, now_ms: u64) -> Result<(), WebhookError> {
    let now_seconds = now_ms / 1_000;
    if now_seconds.abs_diff(seconds) > TOLERANCE_SECONDS {
        return Err(WebhookError::StaleTimestamp);
    }
    Ok(())
}

// SPEC 7.3: HMAC-SHA-256 of "{t}.{raw body}", compared in constant time
// (`ring::hmac::verify`); any one `v1` may match.
fn check_signature(
    secret: &[u8],
    header: &SignatureHeader<'_>,
    raw_body: &[u8],
) -> Result<(), WebhookError> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut message = Vec::with_capacity(header.timestamp.len() + 1 + raw_body.len());
    message.extend_from_slice(header.timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(raw_body);
    let matched = header.signatures.iter().fold(false, |found, tag| {
        hmac::verify(&key, &message, tag).is_ok() | found
    });
    if matched {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

#[derive(Deserialize)]
struct EventBody {
    event: String,
    data: Option<EventData>,
}

#[derive(Deserialize)]
struct EventData {
    serial_number: Option<String>,
}

// SPEC 7.3: `{"event": "certificate.revoked", "data": {"serial_number": S, ...}}`.
fn parse_event(raw_body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    // Well-formed JSON is UTF-8 throughout (RFC 8259 8.1); serde_json's
    // struct decoding would skip an unknown member's bytes unchecked.
    let text = std::str::from_utf8(raw_body)
        .map_err(|_| WebhookError::MalformedEvent("the event is not UTF-8"))?;
    let body: EventBody = serde_json::from_str(text)
        .map_err(|_| WebhookError::MalformedEvent("not an event object"))?;
    if body.event != CERTIFICATE_REVOKED {
        return Ok(WebhookEvent::Other { event: body.event });
    }
    let serial = body
        .data
        .and_then(|d| d.serial_number)
        .ok_or(WebhookError::MalformedEvent("missing data.serial_number"))?;
    let serial_hex =
        normalize_serial_hex(&serial).ok_or(WebhookError::MalformedEvent("bad serial_number"))?;
    Ok(WebhookEvent::CertificateRevoked { serial_hex })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::revocation::cache::CacheConfig;
    use std::sync::Arc;

    const SECRET: &[u8] = b"whsec_0123456789";
    const T: u64 = 1_782_897_300;
    const NOW_MS: u64 = T * 1_000;
    const BODY: &[u8] =
        br#"{"event":"certificate.revoked","data":{"serial_number":"0A:3F","revoked_at":"2026-07-01T00:00:00Z"}}"#;

    fn sign(secret: &[u8], t: &str, body: &[u8]) -> String {
        let mut message = format!("{t}.").into_bytes();
        message.extend_from_slice(body);
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), &message);
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn header(t: u64, body: &[u8]) -> String {
        format!("t={t},v1={}", sign(SECRET, &t.to_string(), body))
    }

    fn revoked(serial: &str) -> Result<WebhookEvent, WebhookError> {
        Ok(WebhookEvent::CertificateRevoked {
            serial_hex: serial.into(),
        })
    }

    #[test]
    fn good_signature_yields_the_event() {
        assert_eq!(
            verify_webhook(SECRET, &header(T, BODY), BODY, NOW_MS),
            revoked("0a3f")
        );
    }

    #[test]
    fn five_minutes_either_way() {
        let h = header(T, BODY);
        assert!(verify_webhook(SECRET, &h, BODY, NOW_MS + 300_999).is_ok());
        assert!(verify_webhook(SECRET, &h, BODY, NOW_MS - 300_000).is_ok());
        assert_eq!(
            verify_webhook(SECRET, &h, BODY, NOW_MS + 301_000),
            Err(WebhookError::StaleTimestamp)
        );
        assert_eq!(
            verify_webhook(SECRET, &h, BODY, NOW_MS - 301_000),
            Err(WebhookError::StaleTimestamp)
        );
    }

    #[test]
    fn wrong_secret_or_tampered_body_or_t_is_refused() {
        let h = header(T, BODY);
        assert_eq!(
            verify_webhook(b"other", &h, BODY, NOW_MS),
            Err(WebhookError::BadSignature)
        );
        let tampered = BODY
            .to_vec()
            .into_iter()
            .map(|b| if b == b'3' { b'4' } else { b })
            .collect::<Vec<_>>();
        assert_eq!(
            verify_webhook(SECRET, &h, &tampered, NOW_MS),
            Err(WebhookError::BadSignature)
        );
        let moved_t = h.replacen(&format!("t={T}"), &format!("t={}", T + 1), 1);
        assert_eq!(
            verify_webhook(SECRET, &moved_t, BODY, NOW_MS),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_webhook(b"", &h, BODY, NOW_MS),
            Err(WebhookError::EmptySecret)
        );
    }

    #[test]
    fn any_of_several_v1_may_match() {
        let good = sign(SECRET, &T.to_string(), BODY);
        let other = sign(b"old secret", &T.to_string(), BODY);
        let h = format!("t={T},v1={other},v1={good}");
        assert_eq!(verify_webhook(SECRET, &h, BODY, NOW_MS), revoked("0a3f"));
        let too_many = format!("t={T},v1={other},v1={other},v1={other},v1={other},v1={good}");
        assert!(matches!(
            verify_webhook(SECRET, &too_many, BODY, NOW_MS),
            Err(WebhookError::MalformedHeader(_))
        ));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let sig = sign(SECRET, &T.to_string(), BODY);
        let upper = sig.to_uppercase();
        let cases = [
            String::new(),
            format!("v1={sig}"),                 // missing t
            format!("t={T}"),                    // missing v1
            format!("t={T},t={T},v1={sig}"),     // repeated t
            format!("t=abc,v1={sig}"),           // t not digits
            format!("t=-{T},v1={sig}"),          // signed t
            format!("t={T},v1={upper}"),         // uppercase hex
            format!("t={T},v1=zz{}", &sig[2..]), // non-hex
            format!("t={T},v1={}", &sig[..62]),  // short
            format!("t={T}, v1={sig}"),          // space
            format!("t={T};v1={sig}"),           // wrong separator
            format!("t={T},v1={sig},"),          // trailing comma
            format!("t=1{T}00000,v1={sig}"),     // too many digits
            format!("t={T},v1={sig},x={}", "a".repeat(1100)),
        ];
        for case in cases {
            assert!(
                matches!(
                    verify_webhook(SECRET, &case, BODY, NOW_MS),
                    Err(WebhookError::MalformedHeader(_))
                ),
                "{case}"
            );
        }
        // Unknown well-formed schemes are ignored.
        let h = format!("t={T},v0=legacy,v1={sig}");
        assert_eq!(verify_webhook(SECRET, &h, BODY, NOW_MS), revoked("0a3f"));
    }

    #[test]
    fn events_are_parsed_after_authentication() {
        let other = br#"{"event":"certificate.issued","data":{"serial_number":"01"}}"#;
        assert_eq!(
            verify_webhook(SECRET, &header(T, other), other, NOW_MS),
            Ok(WebhookEvent::Other {
                event: "certificate.issued".into()
            })
        );
        for body in [
            &br#"{"event":"certificate.revoked","data":{}}"#[..],
            br#"{"event":"certificate.revoked","data":{"serial_number":"xyz"}}"#,
            br#"{"event":"certificate.revoked"}"#,
            br#"[1,2]"#,
            b"not json",
            // Invalid UTF-8 in a member the event does not read.
            b"{\"event\":\"certificate.revoked\",\"data\":{\"serial_number\":\"0a3f\"},\"x\":\"\xff\"}",
        ] {
            assert!(matches!(
                verify_webhook(SECRET, &header(T, body), body, NOW_MS),
                Err(WebhookError::MalformedEvent(_))
            ));
        }
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            verify_webhook(SECRET, &header(T, &big), &big, NOW_MS),
            Err(WebhookError::BodyTooLarge)
        );
    }

    #[test]
    fn apply_marks_the_serial_revoked() {
        let cache =
            RevocationCache::new(CacheConfig::default(), Arc::new(ManualClock::new(NOW_MS)));
        let event = verify_webhook(SECRET, &header(T, BODY), BODY, NOW_MS).unwrap();
        assert_eq!(
            pollster::block_on(apply_webhook(&cache, &event, None)),
            Ok(())
        );
        assert!(cache.is_marked_revoked("0A3F"));
        let other = WebhookEvent::Other { event: "x".into() };
        assert_eq!(
            pollster::block_on(apply_webhook(&cache, &other, None)),
            Ok(())
        );
    }
}
