//! `revocation::webhook::verify_webhook` (SPEC 7.3): the
//! `X-Kakunin-Signature` header and the event body.
//!
//! Input: the header's text, a line feed, then the raw body. Every `{sig}`
//! in the header is replaced by the real HMAC-SHA-256 (lowercase hex) of
//! `"{t}.{body}"` under the test secret, `t` being the value of the first
//! `t=` part, so the fuzzer reaches the event parser and the timestamp rule
//! and not only the header grammar. Checked at 2026-07-01T09:15:00Z.
//!
//! Invariants: an accepted delivery is authentic (our own reading of the
//! header finds a `v1` equal to the HMAC over its `t`, within 5 minutes of
//! now) and not accepted under another secret or 601 s later or earlier;
//! the body is at most 64 KiB; a `certificate.revoked` event carries a
//! normalized serial (even-length lowercase hex, no `:`) and any other
//! event's name is not `certificate.revoked`; verification is
//! deterministic.

use kakunin_verify::revocation::webhook::{
    verify_webhook, WebhookError, WebhookEvent, CERTIFICATE_REVOKED, MAX_BODY_BYTES,
    TOLERANCE_SECONDS,
};
use ring::hmac;

const SECRET: &[u8] = b"whsec_fuzz_0123456789";
/// 2026-07-01T09:15:00Z in Unix seconds.
const NOW_S: u64 = 1_782_897_300;
const NOW_MS: u64 = NOW_S * 1_000;
const PLACEHOLDER: &str = "{sig}";

fn hmac_hex(secret: &[u8], t: &str, body: &[u8]) -> String {
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(body);
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), &message);
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of the first `t=` part, as a naive reader sees it.
fn first_t(header: &str) -> &str {
    header
        .split(',')
        .find_map(|part| part.strip_prefix("t="))
        .unwrap_or("")
}

/// Our own reading: some `v1` is the HMAC over the first `t`, and `t` is
/// within the tolerance.
fn authentic(header: &str, body: &[u8]) -> bool {
    let t = first_t(header);
    let Ok(seconds) = t.parse::<u64>() else {
        return false;
    };
    let expected = hmac_hex(SECRET, t, body);
    let signed = header
        .split(',')
        .any(|part| part.strip_prefix("v1=") == Some(expected.as_str()));
    signed && seconds.abs_diff(NOW_S) <= TOLERANCE_SECONDS
}

/// The fuzz target's body (see the module documentation).
pub fn webhook(data: &[u8]) {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (header, body) = data.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let Ok(header) = std::str::from_utf8(header) else {
        return;
    };
    let header = if header.contains(PLACEHOLDER) {
        header.replace(PLACEHOLDER, &hmac_hex(SECRET, first_t(header), body))
    } else {
        header.to_owned()
    };

    let result = verify_webhook(SECRET, &header, body, NOW_MS);
    assert_eq!(result, verify_webhook(SECRET, &header, body, NOW_MS));
    assert_ne!(result, Err(WebhookError::EmptySecret));
    let Ok(event) = result else {
        return;
    };
    assert!(
        authentic(&header, body),
        "inauthentic delivery accepted: {header:?}"
    );
    assert!(body.len() <= MAX_BODY_BYTES);
    for other in [&b"whsec_other"[..], &SECRET[1..]] {
        assert!(
            verify_webhook(other, &header, body, NOW_MS).is_err(),
            "another secret verified"
        );
    }
    for now in [NOW_MS + 601_000, NOW_MS - 601_000] {
        assert_eq!(
            verify_webhook(SECRET, &header, body, now),
            Err(WebhookError::StaleTimestamp)
        );
    }
    match event {
        WebhookEvent::CertificateRevoked { serial_hex } => {
            assert!(
                !serial_hex.is_empty() && serial_hex.len() % 2 == 0,
                "{serial_hex:?}"
            );
            assert!(
                serial_hex
                    .bytes()
                    .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
                "{serial_hex:?}"
            );
        }
        WebhookEvent::Other { event } => assert_ne!(event, CERTIFICATE_REVOKED),
    }
}
