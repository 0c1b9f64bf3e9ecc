//! SPEC 7.3 / 10: webhook deliveries, both forms.

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
    let cache = RevocationCache::new(CacheConfig::default(), Arc::new(ManualClock::new(NOW_MS)));
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

// ------------------------------------------------ SPEC 10: Kakunin's form

const MS: u64 = NOW_MS + 123;
const KAKUNIN_BODY: &[u8] =
    br#"{"event":"certificate.revoked","data":{"certificate_id":"c","agent_id":"a","serial_number":"FF9C00000000000000000000000000A1","reason":"r","revoked_at":"2026-07-01T09:14:00Z"}}"#;
const KAKUNIN_SERIAL: &str = "ff9c00000000000000000000000000a1";

fn kakunin_signature(body: &[u8]) -> String {
    format!("sha256={}", sign(SECRET, &MS.to_string(), body))
}

fn kakunin(signature: Option<&str>, timestamp: Option<&str>) -> Result<WebhookEvent, WebhookError> {
    let headers = WebhookHeaders {
        signature,
        timestamp,
    };
    verify_webhook_headers(SECRET, headers, KAKUNIN_BODY, NOW_MS)
}

#[test]
fn spec_10_kakunin_form_yields_the_event() {
    let sig = kakunin_signature(KAKUNIN_BODY);
    assert_eq!(
        kakunin(Some(&sig), Some(&MS.to_string())),
        revoked(KAKUNIN_SERIAL)
    );
}

// SPEC 10: the HMAC is keyed by the secret's characters as given
// (`whsec_…` included), over "{ms}.{raw body}".
#[test]
fn spec_10_kakunin_form_checks_secret_body_and_timestamp() {
    let sig = kakunin_signature(KAKUNIN_BODY);
    let ms = MS.to_string();
    let headers = WebhookHeaders {
        signature: Some(&sig),
        timestamp: Some(&ms),
    };
    let without_prefix = SECRET.strip_prefix(b"whsec_").unwrap_or_default();
    assert_eq!(
        verify_webhook_headers(without_prefix, headers, KAKUNIN_BODY, NOW_MS),
        Err(WebhookError::BadSignature)
    );
    let mut tampered = KAKUNIN_BODY.to_vec();
    tampered.push(b' ');
    assert_eq!(
        verify_webhook_headers(SECRET, headers, &tampered, NOW_MS),
        Err(WebhookError::BadSignature)
    );
    // The timestamp is signed: another one fails the HMAC.
    let moved = (MS + 1).to_string();
    assert_eq!(
        kakunin(Some(&sig), Some(&moved)),
        Err(WebhookError::BadSignature)
    );
    // Signed in seconds instead of ms: the HMAC is over the text as sent,
    // and the ms reading is far outside the window.
    let seconds = T.to_string();
    let sig_s = format!("sha256={}", sign(SECRET, &seconds, KAKUNIN_BODY));
    assert_eq!(
        kakunin(Some(&sig_s), Some(&seconds)),
        Err(WebhookError::StaleTimestamp)
    );
}

// SPEC 10: the same 5-minute window, either way.
#[test]
fn spec_10_kakunin_form_five_minutes_either_way() {
    let sig = kakunin_signature(KAKUNIN_BODY);
    let ms = MS.to_string();
    let headers = WebhookHeaders {
        signature: Some(&sig),
        timestamp: Some(&ms),
    };
    let at = |now| verify_webhook_headers(SECRET, headers, KAKUNIN_BODY, now);
    assert!(at(MS + 300_000).is_ok());
    assert!(at(MS - 300_000).is_ok());
    assert_eq!(at(MS + 300_001), Err(WebhookError::StaleTimestamp));
    assert_eq!(at(MS - 300_001), Err(WebhookError::StaleTimestamp));
}

// SPEC 10: a delivery that carries both headers of one form and part of
// the other, or only part of a form, is refused — and never panics.
#[test]
fn spec_10_mixed_and_truncated_deliveries_are_refused() {
    let k_sig = kakunin_signature(KAKUNIN_BODY);
    let ms = MS.to_string();
    let v1 = sign(SECRET, &T.to_string(), KAKUNIN_BODY);
    let s_sig = format!("t={T},v1={v1}");
    // Sanity: each form alone is accepted.
    assert!(kakunin(Some(&k_sig), Some(&ms)).is_ok());
    assert!(kakunin(Some(&s_sig), None).is_ok());
    let cases: Vec<(Option<String>, Option<String>)> = vec![
        // SPEC 7.3's header with Kakunin's timestamp header beside it.
        (Some(s_sig.clone()), Some(ms.clone())),
        (Some(s_sig.clone()), Some(T.to_string())),
        (Some(s_sig.clone()), Some(String::new())),
        // A sha256 part inside SPEC 7.3's header (with or without timestamp).
        (Some(format!("{s_sig},{k_sig}")), None),
        (Some(format!("{k_sig},{s_sig}")), Some(ms.clone())),
        (Some(format!("t={T},{k_sig}")), None),
        (Some(format!("t={T},{k_sig}")), Some(ms.clone())),
        (Some(format!("{k_sig},t={T}")), Some(ms.clone())),
        (Some(format!("{k_sig},v1={v1}")), Some(ms.clone())),
        (Some(format!("t={T},v1={v1},sha256=x")), None),
        // Kakunin's signature without its timestamp, or the reverse.
        (Some(k_sig.clone()), None),
        (None, Some(ms.clone())),
        (None, None),
        // Truncated Kakunin form.
        (Some("sha256=".into()), Some(ms.clone())),
        (Some("sha256".into()), Some(ms.clone())),
        (Some(k_sig[..k_sig.len() - 1].to_owned()), Some(ms.clone())),
        (Some(k_sig.clone()), Some(String::new())),
        (
            Some(k_sig.clone()),
            Some(ms[..ms.len() - 1].to_owned() + "x"),
        ),
        (Some(String::new()), Some(ms.clone())),
        // Truncated SPEC 7.3 form.
        (Some(format!("t={T}")), None),
        (Some(format!("v1={v1}")), None),
        (Some(format!("t={T},v1=")), None),
        (Some(format!("t=,v1={v1}")), None),
    ];
    for (signature, timestamp) in cases {
        let outcome = kakunin(signature.as_deref(), timestamp.as_deref());
        assert!(
            matches!(outcome, Err(WebhookError::MalformedHeader(_))),
            "{signature:?} / {timestamp:?}: {outcome:?}"
        );
    }
    // A truncated timestamp that is still digits is a different signed
    // text: not authentic.
    assert_eq!(
        kakunin(Some(&k_sig), Some(&ms[..ms.len() - 1])),
        Err(WebhookError::StaleTimestamp)
    );
}

// The SPEC 7.3 entry point has no timestamp header: Kakunin's form is
// refused there (it needs one), never read as a 7.3 header.
#[test]
fn spec_10_single_header_entry_point_refuses_kakunin_form() {
    let k_sig = kakunin_signature(KAKUNIN_BODY);
    assert!(matches!(
        verify_webhook(SECRET, &k_sig, KAKUNIN_BODY, NOW_MS),
        Err(WebhookError::MalformedHeader(_))
    ));
}

// SPEC 10 / 7.3: a pushed 32-digit serial (as Kakunin's database writes
// it, uppercase) and the profile certificate's text meet under one key of
// the revoked set — negative, 15-octet and positive serials alike.
#[test]
fn spec_10_pushed_serial_meets_the_profile_certificate_text() {
    use crate::profile::kakunin::serial::serial_text;
    let mut negative = vec![0x9c_u8; 16];
    negative[15] = 0x01;
    let mut fifteen = vec![0x12_u8; 15]; // database octets 00 12 … (first 00 dropped)
    fifteen[14] = 0x02;
    let mut negative_fifteen = vec![0x9c_u8; 15]; // database ff 9c … (FF dropped)
    negative_fifteen[14] = 0x03;
    let mut positive = vec![0x7f_u8; 16];
    positive[15] = 0x04;
    for content in [negative, fifteen, negative_fifteen, positive] {
        let cert_text = serial_text(&content).unwrap_or_default();
        assert_eq!(cert_text.len(), 32);
        let pushed = cert_text.to_ascii_uppercase();
        let cache =
            RevocationCache::new(CacheConfig::default(), Arc::new(ManualClock::new(NOW_MS)));
        let body =
            format!(r#"{{"event":"certificate.revoked","data":{{"serial_number":"{pushed}"}}}}"#);
        let sig = format!("sha256={}", sign(SECRET, &MS.to_string(), body.as_bytes()));
        let ms = MS.to_string();
        let headers = WebhookHeaders {
            signature: Some(&sig),
            timestamp: Some(&ms),
        };
        let event = verify_webhook_headers(SECRET, headers, body.as_bytes(), NOW_MS).unwrap();
        assert_eq!(
            pollster::block_on(apply_webhook(&cache, &event, None)),
            Ok(())
        );
        assert!(cache.is_marked_revoked(&cert_text), "{cert_text}");
        // Another serial is not revoked by it.
        let other = serial_text(&[0x55; 16]).unwrap_or_default();
        assert!(!cache.is_marked_revoked(&other));
    }
}

// SPEC 10: every truncation of either header of Kakunin's form (and the
// headers swapped) is refused, never a panic; only the whole delivery is
// accepted.
#[test]
fn spec_10_every_truncation_of_kakunin_form_is_refused() {
    let sig = kakunin_signature(KAKUNIN_BODY);
    let ms = MS.to_string();
    for s_end in 0..=sig.len() {
        for t_end in 0..=ms.len() {
            let (s, t) = (sig.get(..s_end), ms.get(..t_end));
            let whole = s_end == sig.len() && t_end == ms.len();
            assert_eq!(kakunin(s, t).is_ok(), whole, "{s:?} / {t:?}");
            assert!(kakunin(t, s).is_err(), "swapped {s:?} / {t:?}");
        }
        assert!(kakunin(sig.get(..s_end), None).is_err());
    }
}
