//! SPEC 7.3 through actix-web: `webhook_resource` on the test application,
//! deliveries signed with HMAC-SHA-256 as Kakunin signs them.

use std::sync::Arc;

use serde_json::json;

use crate::common::{v1_signer, NOW_MS};
use crate::support::{self, client, send, Audit};
use crate::{codes, desk_trade, start, SECRET};

fn webhook_header(secret: &[u8], t: u64, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(body);
    let tag = ring::hmac::sign(&key, &message);
    format!("t={t},v1={}", kakunin_verify::hex::encode(tag.as_ref()))
}

async fn deliver(server: &support::Running, header: Option<&str>, body: &[u8]) -> support::Reply {
    let mut b = client()
        .post(server.url("/webhooks/kakunin"))
        .body(body.to_vec());
    if let Some(h) = header {
        b = b.header("X-Kakunin-Signature", h);
    }
    let resp = b.send().await.unwrap();
    support::Reply {
        status: resp.status().as_u16(),
        headers: resp
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: resp.text().await.unwrap(),
    }
}

// SPEC 7.3: 204 for an authentic revocation (and the agent is denied at
// once), 401 without, with a wrong or a stale signature, 400 for an
// authentic malformed event, 413 over the webhook limit; POST only.
#[actix_rt::test]
async fn spec_7_3_webhook_route_answers() {
    let audit = Audit::new("webhook");
    let (server, _v) = start(&audit);
    let t = NOW_MS / 1000;
    let serial = v1_signer("desk_bot_1")
        .certificate()
        .serial_hex()
        .to_owned();
    let event = json!({"event": "certificate.revoked", "data": {"serial_number": serial}})
        .to_string()
        .into_bytes();
    let status = |r: support::Reply| r.status;
    assert_eq!(status(deliver(&server, None, &event).await), 401);
    let wrong = webhook_header(b"another secret", t, &event);
    assert_eq!(status(deliver(&server, Some(&wrong), &event).await), 401);
    let stale = webhook_header(SECRET, t - 301, &event);
    assert_eq!(status(deliver(&server, Some(&stale), &event).await), 401);
    let junk = br#"{"data":{}}"#;
    let authentic_junk = webhook_header(SECRET, t, junk);
    assert_eq!(
        status(deliver(&server, Some(&authentic_junk), junk).await),
        400
    );
    let big = vec![b' '; kakunin_verify::revocation::webhook::MAX_BODY_BYTES + 1];
    let big_header = webhook_header(SECRET, t, &big);
    assert_eq!(status(deliver(&server, Some(&big_header), &big).await), 413);
    // SPEC 7.3: one signature header; two (even both valid) are refused.
    let twice = client()
        .post(server.url("/webhooks/kakunin"))
        .header("X-Kakunin-Signature", webhook_header(SECRET, t, &event))
        .header("X-Kakunin-Signature", webhook_header(SECRET, t, &event))
        .body(event.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status().as_u16(), 401);
    let get = client()
        .get(server.url("/webhooks/kakunin"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    // Not revoked yet: allowed. Then the authentic delivery, then denied.
    send(&client(), &server, &desk_trade())
        .await
        .assert_allowed("desk_bot_1", "submit_limit_order");
    let good = webhook_header(SECRET, t, &event);
    let applied = deliver(&server, Some(&good), &event).await;
    assert_eq!((applied.status, applied.body.as_str()), (204, ""));
    send(&client(), &server, &desk_trade())
        .await
        .assert_denied(401, "certificate_revoked");
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[None, Some("certificate_revoked")]));
}

// SPEC 7.3: a revocation the verifier cannot record (its revoked set is
// full) is answered 503 with Retry-After: 1, so that Kakunin retries.
#[actix_rt::test]
async fn spec_7_3_unrecordable_revocation_is_503() {
    use kakunin_verify::revocation::cache::CacheConfig;
    let audit = Audit::new("webhook-full");
    let v = crate::verifier_with(&audit, |b| {
        b.revocation_cache(CacheConfig {
            max_revoked: 1,
            ..CacheConfig::default()
        })
    });
    let server = support::serve(crate::routes(
        &v,
        kakunin_verify::http::actix::KakuninMiddleware::new(Arc::clone(&v)),
    ));
    let t = NOW_MS / 1000;
    let revoke = |serial: &str| {
        json!({"event": "certificate.revoked", "data": {"serial_number": serial}})
            .to_string()
            .into_bytes()
    };
    let first = revoke("0a3f");
    let r = deliver(&server, Some(&webhook_header(SECRET, t, &first)), &first).await;
    assert_eq!(r.status, 204, "{r:?}");
    let second = revoke("0b40");
    let r = deliver(&server, Some(&webhook_header(SECRET, t, &second)), &second).await;
    assert_eq!(
        (r.status, r.header("retry-after")),
        (503, Some("1")),
        "{r:?}"
    );
    server.stop().await;
}
