//! Push invalidation (SPEC 7.3): signed `certificate.revoked` webhooks
//! deny the next request without waiting for the TTL, with an endpoint,
//! with OCSP and with revocation disabled; forged, tampered and stale
//! ones change nothing.

use std::time::Duration;

use kakunin_verify::audit::RevocationOutcome;
use kakunin_verify::revocation::webhook::{WebhookError, WebhookEvent};
use kakunin_verify::{Clock, Revocation};

use crate::live::*;
use crate::{allowed, denied, endpoint_verifier, ocsp_verifier, real_now_clock, verifier, verify};

const WEBHOOK_SECRET: &[u8] = b"whsec_live_test_secret";

fn hmac_hex(secret: &[u8], message: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::sign(&key, message)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn revoked_event(serial: &str) -> String {
    format!(r#"{{"event":"certificate.revoked","data":{{"serial_number":"{serial}"}}}}"#)
}

/// `X-Kakunin-Signature` for `body` at `t` (Unix seconds).
fn signature_header(secret: &[u8], t: u64, body: &str) -> String {
    let v1 = hmac_hex(secret, format!("{t}.{body}").as_bytes());
    format!("t={t},v1={v1}")
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_revocation_denies_the_next_request_without_waiting_for_the_ttl() {
    let p = pki();
    let server = EndpointServer::start().await;
    server.set(p.good.serial, Answer::Active);
    let clock = real_now_clock();
    let v = endpoint_verifier(&clock, &server.base(), Duration::from_millis(300));
    allowed(verify(&v, &p.good).await, "endpoint");
    assert_eq!(server.hits(), 1);

    let body = revoked_event(p.good.serial);
    let t = clock.now_ms() / 1000;

    // A wrong signature is refused and changes nothing.
    let forged = signature_header(b"not the secret", t, &body);
    assert_eq!(
        v.apply_revocation_webhook(WEBHOOK_SECRET, &forged, body.as_bytes())
            .await,
        Err(WebhookError::BadSignature)
    );
    let tampered = signature_header(WEBHOOK_SECRET, t, &revoked_event(p.revoked.serial));
    assert_eq!(
        v.apply_revocation_webhook(WEBHOOK_SECRET, &tampered, body.as_bytes())
            .await,
        Err(WebhookError::BadSignature)
    );
    let stale = signature_header(WEBHOOK_SECRET, t - 301, &body);
    assert_eq!(
        v.apply_revocation_webhook(WEBHOOK_SECRET, &stale, body.as_bytes())
            .await,
        Err(WebhookError::StaleTimestamp)
    );
    allowed(verify(&v, &p.good).await, "endpoint");
    assert_eq!(server.hits(), 1, "still the cached answer");

    // The authentic event: the very next request is denied, within the TTL,
    // without a fetch.
    let header = signature_header(WEBHOOK_SECRET, t, &body);
    let event = v
        .apply_revocation_webhook(WEBHOOK_SECRET, &header, body.as_bytes())
        .await
        .expect("authentic webhook");
    assert_eq!(
        event,
        WebhookEvent::CertificateRevoked {
            serial_hex: p.good.serial.to_ascii_lowercase()
        }
    );
    let d = denied(verify(&v, &p.good).await, "certificate_revoked");
    assert_eq!(d.audit.revocation, RevocationOutcome::Revoked);
    assert_eq!(server.hits(), 1, "no fetch for a pushed revocation");
    // Another agent is not affected.
    server.set(p.unknown.serial, Answer::Active);
    allowed(verify(&v, &p.unknown).await, "endpoint");
    let hits = server.hits();
    // A serial never seen (not cached) is revoked at once as well, and the
    // endpoint is never asked about it.
    server.set(p.short.serial, Answer::Active);
    let body = revoked_event(p.short.serial);
    let header = signature_header(WEBHOOK_SECRET, t, &body);
    v.apply_revocation_webhook(WEBHOOK_SECRET, &header, body.as_bytes())
        .await
        .expect("authentic webhook");
    denied(verify(&v, &p.short).await, "certificate_revoked");
    assert_eq!(server.hits(), hits);
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_revocation_applies_with_revocation_disabled() {
    let p = pki();
    let clock = real_now_clock();
    let v = verifier(&clock, Revocation::Disabled);
    let ok = verify(&v, &p.good).await.expect("allowed");
    assert_eq!(ok.audit().revocation, RevocationOutcome::NotChecked);

    let body = revoked_event(p.good.serial);
    let t = clock.now_ms() / 1000;
    let forged = signature_header(b"wrong", t, &body);
    assert!(v
        .apply_revocation_webhook(WEBHOOK_SECRET, &forged, body.as_bytes())
        .await
        .is_err());
    verify(&v, &p.good)
        .await
        .expect("a refused webhook changes nothing");

    let header = signature_header(WEBHOOK_SECRET, t, &body);
    v.apply_revocation_webhook(WEBHOOK_SECRET, &header, body.as_bytes())
        .await
        .expect("authentic webhook");
    let d = denied(verify(&v, &p.good).await, "certificate_revoked");
    assert_eq!(d.audit.revocation, RevocationOutcome::Revoked);
    verify(&v, &p.unknown)
        .await
        .expect("another agent is not affected");
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_for_an_ocsp_verifier_overrides_a_good_cached_answer() {
    let p = pki();
    let responder = OcspResponder::start(p);
    let proxy = CountingProxy::start(responder.port).await;
    let clock = real_now_clock();
    let v = ocsp_verifier(&clock, &proxy.url());
    allowed(verify(&v, &p.good).await, "ocsp");
    let body = revoked_event(&format!("{}:{}", &p.good.serial[..2], &p.good.serial[2..]));
    let header = signature_header(WEBHOOK_SECRET, clock.now_ms() / 1000, &body);
    v.apply_revocation_webhook(WEBHOOK_SECRET, &header, body.as_bytes())
        .await
        .expect("authentic webhook");
    denied(verify(&v, &p.good).await, "certificate_revoked");
    assert_eq!(proxy.hits(), 1);
}
