//! SPEC 4.5, 5.3 and 5.5 with the stores shared in Redis (feature `redis`):
//! a real `redis-server` on 127.0.0.1, several instances (separate
//! connections) acting as one, fail closed when Redis is down or slow.

mod common;
#[path = "common/daily_pki.rs"]
mod daily_pki;
#[path = "common/redis_server.rs"]
mod redis_server;

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common::{sign, v1_builder, v1_signer, Signed, NOW_MS};
use daily_pki::{DailyPki, Policy};
use kakunin_verify::decimal::Decimal;
use kakunin_verify::ratelimit::RateLimiter;
use kakunin_verify::replay::{NonceRecord, NonceStore, NonceStoreConfig};
use kakunin_verify::signer::AgentSigner;
use kakunin_verify::stores::daily::{DailyLimiter, DailySpend};
use kakunin_verify::stores::redis::{RedisNonceStore, RedisStoreConfig, RedisStores};
use kakunin_verify::Clock as _;
use kakunin_verify::{Code, Error, HttpRequest, ManualClock, Revocation, Verifier};
use redis_server::RedisServer;

const NOW: u64 = 1_782_897_300_000;
const URN: &str = "urn:kakunin:agent:desk_bot_1";
const TRADE: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;
/// Bound on a whole test step, so that a hang fails rather than blocks.
const STEP: Duration = Duration::from_secs(10);

/// A timeout generous enough for a loaded test machine (the slow-Redis
/// test sets its own).
async fn connect(server: &RedisServer) -> RedisStores {
    connect_with(server, Duration::from_secs(1)).await
}

async fn connect_with(server: &RedisServer, timeout: Duration) -> RedisStores {
    let config = RedisStoreConfig::new(server.url(), "api.exchange.example").with_timeout(timeout);
    RedisStores::connect(config)
        .await
        .expect("connect to redis")
}

fn nonce_store(stores: &RedisStores, capacity: usize, share: u8) -> RedisNonceStore {
    stores
        .nonce_store(NonceStoreConfig {
            capacity,
            max_agent_share_percent: share,
        })
        .expect("nonce store")
}

fn record<'a>(urn: &'a str, cert: &'a [u8; 32], nonce: &'a str, ts: u64) -> NonceRecord<'a> {
    NonceRecord {
        agent_urn: urn,
        cert_sha256: cert,
        nonce,
        keep_until_ms: ts + 60_000,
    }
}

fn code(result: &Result<(), Error>) -> Option<Code> {
    result.as_ref().err().map(Error::code)
}

async fn put(
    store: &RedisNonceStore,
    urn: &str,
    cert: &[u8; 32],
    nonce: &str,
    now: u64,
) -> Option<Code> {
    let result = tokio::time::timeout(
        STEP,
        store.check_and_record(record(urn, cert, nonce, now), now),
    )
    .await
    .expect("the store answers within its timeout");
    code(&result)
}

fn d(s: &str) -> Decimal {
    Decimal::parse_json_number(s).unwrap()
}

// SPEC 4.5: insert-if-absent; the pair is refused while live (up to and
// including keep-until, on the injected clock) and accepted after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_4_5_nonce_recorded_once_and_live_until_keep_until() {
    let server = RedisServer::start();
    let store = nonce_store(&connect(&server).await, 1_000, 10);
    let cert = [7u8; 32];
    assert_eq!(
        put(&store, URN, &cert, "nonce-0123456789ab", NOW).await,
        None
    );
    assert_eq!(
        put(&store, URN, &cert, "nonce-0123456789ab", NOW + 1).await,
        Some(Code::ReplayedRequest)
    );
    // Another certificate, same nonce: another pair.
    assert_eq!(
        put(&store, URN, &[8u8; 32], "nonce-0123456789ab", NOW).await,
        None
    );
    // Live at keep-until itself, forgotten one millisecond later.
    assert_eq!(
        put(&store, URN, &cert, "nonce-0123456789ab", NOW + 60_000).await,
        Some(Code::ReplayedRequest)
    );
    assert_eq!(
        put(&store, URN, &cert, "nonce-0123456789ab", NOW + 60_001).await,
        None
    );
    // A backstop expiry is set on every key, past keep-until.
    let mut c = server.sync_connection();
    let ttl: i64 = redis::cmd("PTTL")
        .arg("kakunin:{api.exchange.example}:n:live")
        .query(&mut c)
        .unwrap();
    assert!(ttl > 60_000, "backstop expiry {ttl}");
}

// SPEC 4.5: the capacity and one agent's share hold across instances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_4_5_capacity_and_agent_share_across_two_instances() {
    let server = RedisServer::start();
    // Capacity 10, share 30 %: 3 live nonces per agent URN.
    let a = nonce_store(&connect(&server).await, 10, 30);
    let b = nonce_store(&connect(&server).await, 10, 30);
    let (c1, c2) = ([1u8; 32], [2u8; 32]);
    // One URN, two certificates, two instances: the share is per URN.
    assert_eq!(put(&a, URN, &c1, "share-nonce-00001", NOW).await, None);
    assert_eq!(put(&b, URN, &c2, "share-nonce-00002", NOW).await, None);
    assert_eq!(put(&a, URN, &c2, "share-nonce-00003", NOW).await, None);
    assert_eq!(
        put(&b, URN, &c1, "share-nonce-00004", NOW).await,
        Some(Code::RateLimited)
    );
    // Other agents fill the store to 10, alternating instances.
    for i in 0..7u8 {
        let urn = format!("urn:kakunin:agent:filler{i}");
        let store = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            put(store, &urn, &[i + 10; 32], "fill-nonce-000001", NOW).await,
            None
        );
    }
    assert_eq!(
        put(
            &b,
            "urn:kakunin:agent:late",
            &[99; 32],
            "late-nonce-000001",
            NOW
        )
        .await,
        Some(Code::Overloaded)
    );
    // Once they expire (injected clock), the room is back, for everyone.
    let later = NOW + 60_001;
    assert_eq!(
        put(
            &a,
            "urn:kakunin:agent:late",
            &[99; 32],
            "late-nonce-000001",
            later
        )
        .await,
        None
    );
    assert_eq!(put(&b, URN, &c1, "share-nonce-00004", later).await, None);
}

// SPEC 4.5: an agent's share is counted on live nonces only, even when its
// expired ones are not among the oldest the store forgets on each call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_4_5_agent_share_counts_live_nonces_only() {
    let server = RedisServer::start();
    // Capacity 100, share 3 %: 3 live nonces per agent URN.
    let store = nonce_store(&connect(&server).await, 100, 3);
    for i in 0..40u8 {
        let urn = format!("urn:kakunin:agent:older{i}");
        assert_eq!(
            put(&store, &urn, &[i; 32], "older-nonce-00001", NOW).await,
            None
        );
    }
    for n in [
        "agent-nonce-00001",
        "agent-nonce-00002",
        "agent-nonce-00003",
    ] {
        assert_eq!(put(&store, URN, &[1; 32], n, NOW + 1_000).await, None);
    }
    assert_eq!(
        put(&store, URN, &[1; 32], "agent-nonce-00004", NOW + 1_000).await,
        Some(Code::RateLimited)
    );
    // All expired; the 40 older ones come first in expiry order.
    assert_eq!(
        put(&store, URN, &[1; 32], "agent-nonce-00004", NOW + 61_001).await,
        None
    );
}

// SPEC 4.5: 64 concurrent copies of one request on two instances: one passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_4_5_sixty_four_concurrent_copies_pass_exactly_once() {
    let server = RedisServer::start();
    let timeout = Duration::from_secs(2);
    let a = Arc::new(nonce_store(
        &connect_with(&server, timeout).await,
        1_000,
        10,
    ));
    let b = Arc::new(nonce_store(
        &connect_with(&server, timeout).await,
        1_000,
        10,
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let store = Arc::clone(if i % 2 == 0 { &a } else { &b });
        tasks.spawn(async move {
            let result = store
                .check_and_record(record(URN, &[5; 32], "the-same-nonce-0001", NOW), NOW)
                .await;
            code(&result)
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.unwrap());
    }
    assert_eq!(answers.iter().filter(|c| c.is_none()).count(), 1);
    assert_eq!(
        answers
            .iter()
            .filter(|c| **c == Some(Code::ReplayedRequest))
            .count(),
        63
    );
}

// SPEC 5.5: 3 per 60 s, split across two limiters, sliding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_5_5_window_shared_by_two_limiters() {
    let server = RedisServer::start();
    let a = connect(&server).await.rate_limiter();
    let b = connect(&server).await.rate_limiter();
    let period = 60_000;
    let acquire = |l: &'static str, t: u64| {
        let limiter = if l == "a" { &a } else { &b };
        limiter.try_acquire(URN, 3, period, t)
    };
    // Two at the same millisecond still count twice (unique members).
    assert_eq!(code(&acquire("a", NOW).await), None);
    assert_eq!(code(&acquire("b", NOW).await), None);
    assert_eq!(code(&acquire("a", NOW + 10).await), None);
    assert_eq!(code(&acquire("b", NOW + 20).await), Some(Code::RateLimited));
    // A denied attempt is not recorded; another agent has its own window.
    assert_eq!(
        code(
            &a.try_acquire("urn:kakunin:agent:other", 3, period, NOW)
                .await
        ),
        None
    );
    // (now − period, now]: at NOW + 60 000 the two actions at NOW slid out.
    assert_eq!(
        code(&acquire("b", NOW + period - 1).await),
        Some(Code::RateLimited)
    );
    assert_eq!(code(&acquire("b", NOW + period).await), None);
    assert_eq!(code(&acquire("a", NOW + period).await), None);
    assert_eq!(
        code(&acquire("a", NOW + period).await),
        Some(Code::RateLimited)
    );
    // Arguments are checked as in memory.
    assert_eq!(
        code(&a.try_acquire(URN, 0, period, NOW).await),
        Some(Code::PolicyInvalid)
    );
}

// SPEC 5.3: one exact daily total per agent and UTC day, across instances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_5_3_daily_total_shared_by_two_instances() {
    let server = RedisServer::start();
    let a = connect(&server).await.daily_limiter();
    let b = connect(&server).await.daily_limiter();
    let day = NOW / 86_400_000;
    let limit = d("100.3");
    let add = |l: &'static str, size: &'static str| {
        let limiter = if l == "a" { &a } else { &b };
        let size = Box::leak(Box::new(d(size)));
        let limit = &limit;
        async move {
            code(
                &limiter
                    .try_add(DailySpend {
                        agent_urn: URN,
                        day,
                        size,
                        limit,
                    })
                    .await,
            )
        }
    };
    assert_eq!(add("a", "60.1").await, None);
    assert_eq!(add("b", "30.1").await, None); // b had not seen a's total
                                              // a's last-seen total (60.1) is stale: 60.1 + 20 fits, 90.2 + 20 does not.
    assert_eq!(add("a", "20").await, Some(Code::AmountExceedsLimit));
    assert_eq!(add("b", "10.1").await, None); // exactly the limit, exactly
    assert_eq!(add("a", "0.0000001").await, Some(Code::AmountExceedsLimit));
    // A refund (on the other instance) makes room again.
    b.refund(URN, day, &d("0.1")).await.unwrap();
    assert_eq!(add("a", "0.1").await, None);
    assert_eq!(add("b", "0.1").await, Some(Code::AmountExceedsLimit));
    let mut c = server.sync_connection();
    let key = format!(
        "kakunin:{{api.exchange.example}}:d:{}:{day}",
        kakunin_verify::hex::encode(&kakunin_verify::digest::sha256(URN.as_bytes())[..16])
    );
    let total: String = redis::cmd("GET").arg(&key).query(&mut c).unwrap();
    assert_eq!(total, "100.3");
    // The next UTC day starts from zero.
    let next = DailySpend {
        agent_urn: URN,
        day: day + 1,
        size: &limit,
        limit: &limit,
    };
    assert_eq!(code(&a.try_add(next).await), None);
    // a's last-seen total for that day (100.3) is too high once b refunded
    // it all: a denial is only decided on a total Redis confirmed.
    b.refund(URN, day + 1, &limit).await.unwrap();
    let (fifty, rest, tenth) = (d("50"), d("50.3"), d("0.1"));
    let spend = |size| DailySpend {
        agent_urn: URN,
        day: day + 1,
        size,
        limit: &limit,
    };
    assert_eq!(code(&a.try_add(spend(&fifty)).await), None);
    assert_eq!(code(&b.try_add(spend(&rest)).await), None);
    assert_eq!(
        code(&a.try_add(spend(&tenth)).await),
        Some(Code::AmountExceedsLimit)
    );
}

// Fail closed: Redis killed → overloaded; restarted on the same port → the
// stores recover by themselves, and a nonce recorded before is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_overloaded_and_recovery_keeps_recorded_nonces() {
    let mut server = RedisServer::start_persistent();
    let stores = connect(&server).await;
    let store = nonce_store(&stores, 1_000, 10);
    let rate = stores.rate_limiter();
    let cert = [3u8; 32];
    assert_eq!(
        put(&store, URN, &cert, "before-outage-0001", NOW).await,
        None
    );
    server.kill();
    assert_eq!(
        put(&store, URN, &cert, "during-outage-0001", NOW).await,
        Some(Code::Overloaded)
    );
    assert_eq!(
        code(&rate.try_acquire(URN, 3, 60_000, NOW).await),
        Some(Code::Overloaded)
    );
    server.restart();
    wait_until_answering(&store).await;
    assert_eq!(
        put(&store, URN, &cert, "before-outage-0001", NOW + 1).await,
        Some(Code::ReplayedRequest)
    );
    assert_eq!(code(&rate.try_acquire(URN, 3, 60_000, NOW).await), None);
}

// Fail closed: a Redis slower than the timeout (DEBUG SLEEP 1 s against a
// 100 ms timeout) → overloaded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_redis_is_overloaded() {
    let server = RedisServer::start();
    let stores = connect_with(&server, Duration::from_millis(100)).await;
    let store = nonce_store(&stores, 1_000, 10);
    // DEBUG SLEEP goes first on the store's own (multiplexed, ordered)
    // connection, so Redis is asleep when the script arrives.
    let mut connection = stores.connection();
    let mut sleep = Box::pin(async move {
        redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg("1")
            .query_async::<()>(&mut connection)
            .await
    });
    std::future::poll_fn(|cx| {
        let _ = sleep.as_mut().poll(cx);
        Poll::Ready(())
    })
    .await;
    assert_eq!(
        put(&store, URN, &[4; 32], "slow-nonce-000001", NOW).await,
        Some(Code::Overloaded)
    );
    drop(sleep);
    wait_until_answering(&store).await;
}

// Recovery: the store answers again (polled with fresh nonces).
async fn wait_until_answering(store: &RedisNonceStore) {
    for i in 0..200u32 {
        let nonce = format!("probe-nonce-{i:08}");
        if put(store, "urn:kakunin:agent:probe", &[0; 32], &nonce, NOW)
            .await
            .is_none()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the store did not recover");
}

// Memory per live nonce (printed; run with --nocapture to see it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_memory_per_live_nonce() {
    const NONCES: usize = 100_000;
    const AGENTS: usize = 1_000;
    let server = RedisServer::start();
    let store = Arc::new(nonce_store(
        &connect_with(&server, Duration::from_secs(5)).await,
        1_000_000,
        10,
    ));
    let mut c = server.sync_connection();
    let before = used_memory(&mut c);
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            for i in (worker..NONCES).step_by(16) {
                let urn = format!("urn:kakunin:agent:memory{}", i % AGENTS);
                let cert = [(i % 251) as u8; 32];
                let nonce = format!("memory-nonce-{i:010}");
                let result = store
                    .check_and_record(record(&urn, &cert, &nonce, NOW), NOW)
                    .await;
                assert!(result.is_ok(), "nonce {i}: {result:?}");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let after = used_memory(&mut c);
    let per_nonce = (after - before) / NONCES as f64;
    println!("redis used_memory: {before} -> {after} bytes; {per_nonce:.0} bytes per live nonce");
    let live: usize = redis::cmd("ZCARD")
        .arg("kakunin:{api.exchange.example}:n:live")
        .query(&mut c)
        .unwrap();
    assert_eq!(live, NONCES);
    assert!(per_nonce < 400.0, "{per_nonce} bytes per live nonce");
}

fn used_memory(c: &mut redis::Connection) -> f64 {
    let info: String = redis::cmd("INFO").arg("memory").query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory in INFO")
}

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
