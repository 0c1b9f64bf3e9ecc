//! SPEC 5.1 steps 3–5, cached: the verifier's cache of validated
//! certificates is bounded in number (counted after every request) and in
//! age (by the verifier's injected clock), and an agent it no longer holds
//! is validated again rather than refused.

mod common;
#[path = "common/daily_pki.rs"]
mod daily_pki;

use std::sync::Arc;

use common::{sign, AUDIENCE, NOW_MS};
use daily_pki::{DailyPki, Policy};
use kakunin_verify::signer::AgentSigner;
use kakunin_verify::verifier::MAX_CERTIFICATE_CACHE_TTL;
use kakunin_verify::{Denial, ManualClock, Revocation, VerifiedRequest, Verifier};

const BODY: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;

fn verifier(pki: &DailyPki, clock: Arc<ManualClock>, capacity: u64) -> Verifier {
    Verifier::builder(pki.trust())
        .audience(AUDIENCE)
        .routes("POST /v1/trades submit_limit_order trade".parse().unwrap())
        .clock(clock)
        .revocation(Revocation::Disabled)
        .certificate_cache_capacity(capacity)
        .build()
        .unwrap()
}

/// One order signed at `ts` with a fresh nonce, verified by `v`.
fn verify(v: &Verifier, agent: &AgentSigner, ts: u64) -> Result<VerifiedRequest, Denial> {
    sign(agent, "POST", "/v1/trades", BODY, ts).verify(v)
}

fn policy() -> Policy {
    Policy {
        daily_limit: None,
        ..Policy::default()
    }
}

// Three times as many agents as the cache holds, one request each, then
// each again: the count never exceeds the capacity, and an agent evicted
// meanwhile is validated again and allowed.
#[test]
fn spec_5_1_the_certificate_cache_never_holds_more_than_its_capacity() {
    const CAPACITY: u64 = 40;
    let pki = DailyPki::new();
    let agents: Vec<AgentSigner> = (0..3 * CAPACITY)
        .map(|i| pki.agent(&format!("cache_agent_{i:03}"), &policy()))
        .collect();
    let v = verifier(&pki, Arc::new(ManualClock::new(NOW_MS)), CAPACITY);
    let mut most = 0;
    for round in 0..2 {
        for (i, agent) in agents.iter().enumerate() {
            let allowed = verify(&v, agent, NOW_MS);
            assert!(
                allowed.is_ok(),
                "round {round}, agent {i}: {:?}",
                allowed.err()
            );
            most = most.max(v.cached_certificates());
            assert!(
                v.cached_certificates() as u64 <= CAPACITY,
                "round {round}, agent {i}: {} cached, capacity {CAPACITY}",
                v.cached_certificates()
            );
        }
    }
    assert!(most > 0, "the cache kept nothing");
    v.clear_certificate_cache();
    assert_eq!(v.cached_certificates(), 0);
}

// MAX_CERTIFICATE_CACHE_TTL by the verifier's clock: the same cached
// validation serves the agent up to one millisecond before the TTL; at the
// TTL the path is validated again (a new cache entry, still one).
#[test]
fn spec_5_1_a_cached_path_is_validated_again_after_the_ttl_of_the_verifiers_clock() {
    let pki = DailyPki::new();
    let agent = pki.agent("cache_ttl_agent", &policy());
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let v = verifier(&pki, Arc::clone(&clock), 100);
    let ttl_ms = MAX_CERTIFICATE_CACHE_TTL.as_millis() as u64;

    let first = verify(&v, &agent, NOW_MS).expect("allowed");
    clock.set_ms(NOW_MS + ttl_ms - 1);
    let within = verify(&v, &agent, NOW_MS + ttl_ms - 1).expect("allowed");
    assert!(
        std::ptr::eq(first.certificate(), within.certificate()),
        "within the TTL the cached validation is used"
    );
    clock.set_ms(NOW_MS + ttl_ms);
    let after = verify(&v, &agent, NOW_MS + ttl_ms).expect("allowed");
    assert!(
        !std::ptr::eq(first.certificate(), after.certificate()),
        "at the TTL the path is validated again"
    );
    assert_eq!(v.cached_certificates(), 1);
}

// With no room at all every request validates its path, and is allowed.
#[test]
fn a_zero_capacity_caches_nothing_and_still_verifies() {
    let pki = DailyPki::new();
    let agent = pki.agent("cache_zero_agent", &policy());
    let v = verifier(&pki, Arc::new(ManualClock::new(NOW_MS)), 0);
    let first = verify(&v, &agent, NOW_MS).expect("allowed");
    let second = verify(&v, &agent, NOW_MS).expect("allowed");
    assert!(!std::ptr::eq(first.certificate(), second.certificate()));
    assert_eq!(v.cached_certificates(), 0);
}
