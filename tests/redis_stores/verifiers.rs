//! SPEC 4.5, 5.3 and 5.5 through whole verifiers: two `Verifier`s, each on
//! its own connection to one Redis, act as one.

use std::sync::Arc;
use std::time::Duration;

use kakunin_verify::signer::AgentSigner;
use kakunin_verify::Clock as _;
use kakunin_verify::{HttpRequest, ManualClock, Revocation, Verifier};

use super::common::{self, sign, v1_builder, v1_signer, Signed, NOW_MS};
use super::daily_pki::{DailyPki, Policy};
use super::redis_server::RedisServer;
use super::{connect_with, nonce_store, TRADE};

// Verifies a signed request on `v`, async (the Redis stores need the runtime).
async fn verify_code(signed: &Signed, v: &Verifier) -> Option<&'static str> {
    let pairs: Vec<(&str, &[u8])> = signed
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let req = HttpRequest::new(&signed.method, &signed.target, &pairs, &signed.body);
    v.verify(&req).await.err().map(|d| d.error.code().as_str())
}

// A verifier over the v1 vectors with its own connection to `server`.
async fn verifier(server: &RedisServer) -> Verifier {
    let stores = connect_with(server, Duration::from_secs(1)).await;
    v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .nonce_store(Arc::new(nonce_store(&stores, 1_000_000, 10)))
        .rate_limiter(Arc::new(stores.rate_limiter()))
        .build()
        .unwrap()
}

// A verifier over `pki` (policies made at test time) with all three stores
// in Redis, on its own connection and clock.
async fn fleet_verifier(
    server: &RedisServer,
    pki: &DailyPki,
    clock: &Arc<ManualClock>,
) -> Verifier {
    let stores = connect_with(server, Duration::from_secs(1)).await;
    Verifier::builder(pki.trust())
        .audience(common::AUDIENCE)
        .routes("POST /v1/trades submit_limit_order trade".parse().unwrap())
        .clock(Arc::clone(clock) as Arc<dyn kakunin_verify::Clock>)
        .revocation(Revocation::Disabled)
        .nonce_store(Arc::new(nonce_store(&stores, 1_000_000, 10)))
        .rate_limiter(Arc::new(stores.rate_limiter()))
        .daily_limiter(Arc::new(stores.daily_limiter()))
        .build()
        .unwrap()
}

async fn trade(
    v: &Verifier,
    agent: &AgentSigner,
    clock: &ManualClock,
    size: &str,
) -> Option<&'static str> {
    let body = format!(r#"{{"market":"EUR_USD","size":{size}}}"#);
    verify_code(&sign(agent, "POST", "/v1/trades", &body, clock.now_ms()), v).await
}

// SPEC 4.5 with two full verifiers on one Redis: the second refuses the
// first's request as a replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_4_5_two_verifiers_share_the_nonce_store() {
    let server = RedisServer::start();
    let (one, two) = (verifier(&server).await, verifier(&server).await);
    let request = sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
    );
    assert_eq!(verify_code(&request, &one).await, None);
    assert_eq!(verify_code(&request, &two).await, Some("replayed_request"));
    assert_eq!(verify_code(&request, &one).await, Some("replayed_request"));
}

// SPEC 5.5 with two full verifiers: rateLimit 3 per 60 s counted across
// both; the 4th is rate_limited on either, until the first slides out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_5_5_two_verifiers_share_the_rate_window() {
    let server = RedisServer::start();
    let pki = DailyPki::new();
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let one = fleet_verifier(&server, &pki, &clock).await;
    let two = fleet_verifier(&server, &pki, &clock).await;
    let policy = Policy {
        rate_limit: Some((3, 60)),
        ..Policy::default()
    };
    let agent = pki.agent("rate_bot", &policy);
    assert_eq!(trade(&one, &agent, &clock, "1").await, None);
    assert_eq!(trade(&two, &agent, &clock, "1").await, None);
    clock.set_ms(NOW_MS + 1_000);
    assert_eq!(trade(&one, &agent, &clock, "1").await, None);
    assert_eq!(trade(&two, &agent, &clock, "1").await, Some("rate_limited"));
    assert_eq!(trade(&one, &agent, &clock, "1").await, Some("rate_limited"));
    clock.set_ms(NOW_MS + 60_000);
    assert_eq!(trade(&two, &agent, &clock, "1").await, None);
}

// SPEC 5.3 with two full verifiers: one daily total; a trade the rate
// limit denied is refunded in Redis (only allowed trades count).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_5_3_two_verifiers_share_the_daily_total() {
    let server = RedisServer::start();
    let pki = DailyPki::new();
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let one = fleet_verifier(&server, &pki, &clock).await;
    let two = fleet_verifier(&server, &pki, &clock).await;
    // dailyLimit 100 000, maxTransaction 60 000, 2 trades a minute.
    let policy = Policy {
        rate_limit: Some((2, 60)),
        ..Policy::default()
    };
    let agent = pki.agent("daily_bot", &policy);
    assert_eq!(trade(&one, &agent, &clock, "60000").await, None);
    assert_eq!(trade(&two, &agent, &clock, "30000").await, None);
    assert_eq!(
        trade(&one, &agent, &clock, "10000").await,
        Some("rate_limited")
    );
    clock.set_ms(NOW_MS + 60_000);
    assert_eq!(
        trade(&one, &agent, &clock, "10000.01").await,
        Some("amount_exceeds_limit")
    );
    assert_eq!(trade(&two, &agent, &clock, "10000").await, None);
    assert_eq!(
        trade(&one, &agent, &clock, "0.01").await,
        Some("amount_exceeds_limit")
    );
}
