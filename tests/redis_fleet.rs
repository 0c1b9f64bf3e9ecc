//! SPEC 7.3 and 4.5 with a fleet: the revoked set shared on a real
//! `redis-server` (started and stopped by the test on 127.0.0.1; the test
//! fails, never skips, when it cannot start).

mod common;
#[path = "common/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::Duration;

use common::{sign, sign_with, v1_builder, v1_dir, v1_signer, Signed, NOW_MS};
use kakunin_verify::certificate::AgentCertificate;
use kakunin_verify::revocation::webhook::WebhookError;
use kakunin_verify::stores::redis::{RedisRevokedSet, RedisStoreConfig, RedisStores};
use kakunin_verify::stores::revoked::{RevocationNotice, SharedRevokedSet};
use kakunin_verify::{HttpRequest, ManualClock, Verifier};
use redis_server::RedisServer;

const EUR_TRADE: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;
const ETH_TRADE: &str = r#"{"market":"ETH_USD","size":1.5,"direction":"BUY"}"#;
const SECRET: &[u8] = b"whsec_fleet_test_secret";
/// Bound on waiting for a subscription to come up or go down (a condition
/// polled, not a timed assertion).
const SETTLE: Duration = Duration::from_secs(10);

async fn stores(server: &RedisServer) -> RedisStores {
    let config = RedisStoreConfig::new(server.url(), common::AUDIENCE)
        .with_timeout(Duration::from_millis(500));
    RedisStores::connect(config)
        .await
        .expect("connect to the test redis-server")
}

// A verifier over the v1 vectors whose revoked set is the fleet's; nonces
// stay in memory, so only the shared revoked set is under test.
async fn instance(server: &RedisServer) -> (Verifier, RedisRevokedSet) {
    let shared = RedisRevokedSet::new(&stores(server).await).expect("revoked set");
    let verifier = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .shared_revoked_set(Arc::new(shared.clone()))
        .build()
        .expect("verifier");
    assert!(
        shared.wait_current(SETTLE).await,
        "the subscription came up"
    );
    (verifier, shared)
}

async fn code(v: &Verifier, signed: &Signed) -> Option<&'static str> {
    let pairs: Vec<(&str, &[u8])> = signed
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let req = HttpRequest::new(&signed.method, &signed.target, &pairs, &signed.body);
    v.verify(&req).await.err().map(|d| d.error.code().as_str())
}

// A fresh trade (its own nonce) within the agent's policy.
fn trade(agent: &str) -> Signed {
    if agent != "eth_exec_01" {
        return sign(&v1_signer(agent), "POST", "/v1/trades", EUR_TRADE, NOW_MS);
    }
    // eth_exec_01 certifies its model and prompt (SPEC 5.6): send them.
    let pem = common::read(v1_dir().join("eth_exec_01.pem"));
    let cert = AgentCertificate::from_pem_or_der(&pem, &Default::default()).expect("cert");
    let provenance = match cert.provenance() {
        kakunin_verify::certificate::Decoded::Present(p) => p.clone(),
        _ => panic!("eth_exec_01 certifies its model"),
    };
    let hex =
        |h: Option<[u8; 32]>| h.map(|h| h.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let (model, prompt) = (
        hex(provenance.weights_sha256),
        hex(provenance.system_prompt_sha256),
    );
    sign_with(
        &v1_signer(agent),
        "POST",
        "/v1/trades",
        ETH_TRADE,
        NOW_MS,
        model.as_deref(),
        prompt.as_deref(),
    )
}

fn serial_of(agent: &str) -> String {
    let pem = common::read(v1_dir().join(format!("{agent}.pem")));
    let cert = AgentCertificate::from_pem_or_der(&pem, &Default::default()).expect("cert");
    cert.serial_hex().to_owned()
}

// SPEC 7.3: `t={s},v1={hex HMAC of "{t}.{body}"}`.
fn webhook(serial: &str) -> (String, Vec<u8>) {
    let body =
        format!(r#"{{"event":"certificate.revoked","data":{{"serial_number":"{serial}"}}}}"#)
            .into_bytes();
    let t = NOW_MS / 1000;
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(&body);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET);
    let tag = ring::hmac::sign(&key, &message);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    (format!("t={t},v1={hex}"), body)
}

async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !condition() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

// SPEC 7.3: a webhook applied on one instance denies on the other at once,
// with no revocation source configured (so no fetch could have told it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_7_3_a_webhook_on_one_instance_revokes_on_the_other() {
    let server = RedisServer::start();
    let (one, _) = instance(&server).await;
    let (two, _) = instance(&server).await;
    assert_eq!(code(&two, &trade("desk_bot_1")).await, None);

    let (header, body) = webhook(&serial_of("desk_bot_1"));
    one.apply_revocation_webhook(SECRET, &header, &body)
        .await
        .expect("webhook accepted");
    // The announcement travels over pub/sub: wait for it to land.
    assert!(
        wait_until(SETTLE, || two
            .revocation_cache()
            .is_marked_revoked(&serial_of("desk_bot_1")))
        .await
    );
    assert_eq!(
        code(&two, &trade("desk_bot_1")).await,
        Some("certificate_revoked")
    );
    assert_eq!(
        code(&one, &trade("desk_bot_1")).await,
        Some("certificate_revoked")
    );
    // Another agent is untouched.
    assert_eq!(code(&two, &trade("eth_exec_01")).await, None);
}

// SPEC 7.3: an instance that starts after a revocation resynchronizes the
// whole set before it serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_7_3_a_new_instance_resynchronizes_the_whole_set() {
    let server = RedisServer::start();
    let (one, _) = instance(&server).await;
    let (header, body) = webhook(&serial_of("desk_bot_1"));
    one.apply_revocation_webhook(SECRET, &header, &body)
        .await
        .expect("webhook accepted");
    let (late, _) = instance(&server).await;
    // Current means resynchronized: no waiting for an announcement.
    assert_eq!(
        code(&late, &trade("desk_bot_1")).await,
        Some("certificate_revoked")
    );
}

// SPEC 7.3: the shared set keeps a revocation until the certificate's end;
// one already over is not mirrored (nothing to hold).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_7_3_published_notices_reach_every_instance_until_their_end() {
    let server = RedisServer::start();
    let (one, shared) = instance(&server).await;
    let (two, _) = instance(&server).await;
    let live = RevocationNotice {
        issuer_sha256: None,
        serial_hex: "0badc0de".into(),
        until_ms: NOW_MS + 60_000,
        marked_at_ms: NOW_MS,
        source: "push",
    };
    let over = RevocationNotice {
        serial_hex: "0badf00d".into(),
        until_ms: NOW_MS - 1,
        ..live.clone()
    };
    shared.publish(&live).await.expect("published");
    shared.publish(&over).await.expect("published");
    for v in [&one, &two] {
        assert!(
            wait_until(SETTLE, || v
                .revocation_cache()
                .is_marked_revoked("0badc0de"))
            .await
        );
        assert!(!v.revocation_cache().is_marked_revoked("0badf00d"));
    }
}

// SPEC 4.5 / 7.3, fail closed: with the subscription down an instance
// decides nothing on local state — `overloaded` — and a webhook it cannot
// record in the fleet's set is answered 503 (the serial is revoked locally
// all the same). Redis back: it resubscribes, resynchronizes, and what was
// recorded before the outage still holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_overloaded_then_recovers_with_the_set_intact() {
    let mut server = RedisServer::start_persistent();
    let (one, shared) = instance(&server).await;
    let (header, body) = webhook(&serial_of("desk_bot_1"));
    one.apply_revocation_webhook(SECRET, &header, &body)
        .await
        .expect("webhook accepted");

    server.kill();
    assert!(
        wait_until(SETTLE, || !shared.is_current()).await,
        "the loss was noticed"
    );
    assert_eq!(code(&one, &trade("eth_exec_01")).await, Some("overloaded"));
    let (header, body) = webhook(&serial_of("eth_exec_01"));
    let pushed = one.apply_revocation_webhook(SECRET, &header, &body).await;
    assert_eq!(
        pushed.map(|_| ()),
        Err(WebhookError::SharedStoreUnavailable)
    );
    assert_eq!(WebhookError::SharedStoreUnavailable.http_status(), 503);

    server.restart();
    assert!(shared.wait_current(SETTLE).await, "resubscribed by itself");
    // A fresh instance learns the revocation recorded before the outage.
    let (late, _) = instance(&server).await;
    assert_eq!(
        code(&late, &trade("desk_bot_1")).await,
        Some("certificate_revoked")
    );
    // The revocation refused with 503 holds where it was received; the
    // sender's retry is what takes it to the fleet.
    assert_eq!(code(&late, &trade("eth_exec_01")).await, None);
    assert_eq!(
        code(&one, &trade("eth_exec_01")).await,
        Some("certificate_revoked")
    );
}
