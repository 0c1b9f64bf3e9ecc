//! SPEC 7.3 and SPEC 10: push invalidation by Kakunin's signed webhook events.
//!
//! The integrator's HTTP handler passes the `X-Kakunin-Signature` and
//! `X-Kakunin-Timestamp` headers ([`WebhookHeaders`]) and the raw body (as
//! received, before any JSON parsing) to [`verify_webhook_headers`], then
//! hands an authentic event to [`apply_webhook`]. Two forms are accepted,
//! whatever the certificate profile:
//!
//! | form | `X-Kakunin-Signature` | `X-Kakunin-Timestamp` | HMAC-SHA-256 of |
//! |---|---|---|---|
//! | SPEC 7.3 | `t={unix s},v1={hex}[,v1=…]` | absent | `"{t}.{raw body}"` |
//! | SPEC 10 (Kakunin's service) | `sha256={hex}` | `{unix ms}` | `"{ms}.{raw body}"` |
//!
//! A delivery mixing them — a timestamp header beside a `t=,v1=` signature,
//! a `sha256` part inside one, a `sha256=` signature without a timestamp —
//! is refused (SPEC 10). Both forms: 5-minute window, constant-time compare.
//!
//! SPEC 7.3 header grammar, parsed strictly: comma-separated `key=value`
//! pairs without spaces; exactly one `t` (Unix seconds, 1 to
//! [`MAX_TIMESTAMP_DIGITS`] digits); one to [`MAX_SIGNATURES`] `v1` values,
//! each 64 lowercase hex digits, any one of which may match (so Kakunin can
//! roll its secret); other keys of lowercase letters and digits (future
//! schemes) are ignored, except `sha256` (SPEC 10's form: a mixed
//! delivery); at most [`MAX_HEADER_LEN`] bytes and [`MAX_HEADER_PARTS`]
//! pairs. SPEC 10's form: see [`crate::profile::kakunin::webhook`].

use ring::hmac;
use serde::Deserialize;

use super::cache::{normalize_serial_hex, RevocationCache, RevokeError};
use crate::profile::kakunin::webhook as kakunin;

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

/// The webhook headers of one delivery, as received (each at most once;
/// the HTTP layer refuses a repeated one).
///
/// ```
/// use kakunin_verify::revocation::webhook::WebhookHeaders;
/// let h: WebhookHeaders<'_> = "t=1,v1=00".into();
/// assert_eq!(h, WebhookHeaders { signature: Some("t=1,v1=00"), timestamp: None });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WebhookHeaders<'a> {
    /// `X-Kakunin-Signature`.
    pub signature: Option<&'a str>,
    /// `X-Kakunin-Timestamp` (SPEC 10's form only).
    pub timestamp: Option<&'a str>,
}

impl<'a> From<&'a str> for WebhookHeaders<'a> {
    /// A delivery carrying only `X-Kakunin-Signature` (SPEC 7.3's form).
    fn from(signature: &'a str) -> Self {
        WebhookHeaders {
            signature: Some(signature),
            timestamp: None,
        }
    }
}

impl<'a> From<&'a String> for WebhookHeaders<'a> {
    /// A delivery carrying only `X-Kakunin-Signature` (SPEC 7.3's form).
    fn from(signature: &'a String) -> Self {
        Self::from(signature.as_str())
    }
}

/// The parsed signature header.
#[derive(Debug)]
struct SignatureHeader<'a> {
    timestamp: &'a str,
    seconds: u64,
    signatures: Vec<[u8; 32]>,
}

/// SPEC 7.3: checks a delivery that carries only `X-Kakunin-Signature`
/// and returns its event ([`verify_webhook_headers`] with no timestamp
/// header, so SPEC 10's `sha256=` form is refused here: it needs one).
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
    verify_webhook_headers(secret, signature_header.into(), raw_body, now_ms)
}

/// SPEC 7.3 and SPEC 10: checks a delivery in either form (see the module
/// table) and returns its event; a delivery mixing the forms, or missing
/// a header its form needs, is [`WebhookError::MalformedHeader`].
///
/// ```
/// use kakunin_verify::revocation::webhook::{verify_webhook_headers, WebhookEvent, WebhookHeaders};
/// use ring::hmac;
/// let secret = b"whsec_test";
/// let body = br#"{"event":"certificate.revoked","data":{"serial_number":"FF9C00000000000000000000000000A1"}}"#;
/// let ms = "1782897300123";
/// let mut message = format!("{ms}.").into_bytes();
/// message.extend_from_slice(body);
/// let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), &message);
/// let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
/// let signature = format!("sha256={hex}");
/// let headers = WebhookHeaders { signature: Some(&signature), timestamp: Some(ms) };
/// let event = verify_webhook_headers(secret, headers, body, 1_782_897_301_000).unwrap();
/// assert_eq!(
///     event,
///     WebhookEvent::CertificateRevoked { serial_hex: "ff9c00000000000000000000000000a1".into() }
/// );
/// // The same signature without its timestamp header: refused.
/// let truncated = WebhookHeaders { signature: Some(&signature), timestamp: None };
/// assert!(verify_webhook_headers(secret, truncated, body, 1_782_897_301_000).is_err());
/// ```
pub fn verify_webhook_headers(
    secret: &[u8],
    headers: WebhookHeaders<'_>,
    raw_body: &[u8],
    now_ms: u64,
) -> Result<WebhookEvent, WebhookError> {
    if secret.is_empty() {
        return Err(WebhookError::EmptySecret);
    }
    if raw_body.len() > MAX_BODY_BYTES {
        return Err(WebhookError::BodyTooLarge);
    }
    let signature = headers
        .signature
        .ok_or(WebhookError::MalformedHeader("missing X-Kakunin-Signature"))?;
    if kakunin::is_kakunin_form(signature) {
        verify_kakunin_form(secret, signature, headers.timestamp, raw_body, now_ms)?;
    } else {
        verify_spec_7_3_form(secret, signature, headers.timestamp, raw_body, now_ms)?;
    }
    parse_event(raw_body)
}

// SPEC 10: `sha256={hex}` with `X-Kakunin-Timestamp: {ms}`; a `sha256=`
// signature without its timestamp header is a truncated delivery.
fn verify_kakunin_form(
    secret: &[u8],
    signature: &str,
    timestamp: Option<&str>,
    raw_body: &[u8],
    now_ms: u64,
) -> Result<(), WebhookError> {
    let timestamp = timestamp.ok_or(WebhookError::MalformedHeader(
        "X-Kakunin-Signature sha256= without X-Kakunin-Timestamp",
    ))?;
    let parsed = kakunin::parse(signature, timestamp)?;
    kakunin::check_timestamp(parsed.timestamp_ms, now_ms)?;
    kakunin::check_signature(secret, &parsed, raw_body)
}

// SPEC 7.3: `t=,v1=` alone; beside an `X-Kakunin-Timestamp` (part of SPEC
// 10's form) the delivery mixes the forms and is refused (SPEC 10).
fn verify_spec_7_3_form(
    secret: &[u8],
    signature: &str,
    timestamp: Option<&str>,
    raw_body: &[u8],
    now_ms: u64,
) -> Result<(), WebhookError> {
    if timestamp.is_some() {
        return Err(WebhookError::MalformedHeader(
            "X-Kakunin-Timestamp beside a t=,v1= signature",
        ));
    }
    let header = parse_header(signature)?;
    check_timestamp(header.seconds, now_ms)?;
    check_signature(secret, &header, raw_body)
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
            // SPEC 10: a part of the other form makes a mixed delivery.
            kakunin::FORM_KEY => {
                return Err(WebhookError::MalformedHeader(
                    "a sha256 part inside a t=,v1= signature",
                ));
            }
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
mod tests;
