//! Tests of the in-memory rate limiter (SPEC 5.5).

use super::*;
use crate::error::Code;

const T0: u64 = 1_700_000_000_000;
const URN: &str = "urn:kakunin:agent:alpha";
const OTHER: &str = "urn:kakunin:agent:beta";

fn code(r: Result<(), Error>) -> Option<Code> {
    r.err().map(|e| e.code())
}

fn limiter(max_agents: usize, max_timestamps: usize, per_agent: usize) -> MemoryRateLimiter {
    MemoryRateLimiter::new(RateLimiterConfig {
        max_agents,
        max_timestamps,
        max_actions_per_agent: per_agent,
    })
    .unwrap()
}

#[test]
fn three_per_second_then_the_window_slides() {
    let l = MemoryRateLimiter::default();
    for dt in [0, 100, 200] {
        assert_eq!(l.try_acquire_now(URN, 3, 1000, T0 + dt), Ok(()));
    }
    assert_eq!(
        code(l.try_acquire_now(URN, 3, 1000, T0 + 300)),
        Some(Code::RateLimited)
    );
    assert_eq!(
        code(l.try_acquire_now(URN, 3, 1000, T0 + 999)),
        Some(Code::RateLimited)
    );
    // (now − 1000, now]: at T0 + 1000 the action at T0 is out.
    assert_eq!(l.try_acquire_now(URN, 3, 1000, T0 + 1000), Ok(()));
    assert_eq!(
        code(l.try_acquire_now(URN, 3, 1000, T0 + 1000)),
        Some(Code::RateLimited)
    );
    assert_eq!(l.try_acquire_now(URN, 3, 1000, T0 + 1100), Ok(()));
}

#[test]
fn denied_attempts_do_not_count() {
    let l = MemoryRateLimiter::default();
    for dt in [0, 1, 2] {
        assert_eq!(l.try_acquire_now(URN, 3, 1000, T0 + dt), Ok(()));
    }
    for dt in 3..500 {
        assert_eq!(
            code(l.try_acquire_now(URN, 3, 1000, T0 + dt)),
            Some(Code::RateLimited)
        );
    }
    // Only the three allowed actions (at 0, 1, 2) occupy the window.
    assert_eq!(l.try_acquire_now(URN, 3, 1000, T0 + 1000), Ok(()));
    assert_eq!(l.try_acquire_now(URN, 3, 1000, T0 + 1001), Ok(()));
    assert_eq!(l.try_acquire_now(URN, 3, 1000, T0 + 1002), Ok(()));
    assert_eq!(
        code(l.try_acquire_now(URN, 3, 1000, T0 + 1003)),
        Some(Code::RateLimited)
    );
}

#[test]
fn agents_are_independent() {
    let l = MemoryRateLimiter::default();
    assert_eq!(l.try_acquire_now(URN, 1, 1000, T0), Ok(()));
    assert_eq!(
        code(l.try_acquire_now(URN, 1, 1000, T0)),
        Some(Code::RateLimited)
    );
    assert_eq!(l.try_acquire_now(OTHER, 1, 1000, T0), Ok(()));
}

#[test]
fn agent_cap_is_overloaded_until_windows_empty() {
    let l = limiter(2, 100, 10);
    assert_eq!(l.try_acquire_now(URN, 5, 1000, T0), Ok(()));
    assert_eq!(l.try_acquire_now(OTHER, 5, 1000, T0), Ok(()));
    let third = "urn:kakunin:agent:gamma";
    assert_eq!(
        code(l.try_acquire_now(third, 5, 1000, T0 + 1)),
        Some(Code::Overloaded)
    );
    // Known agents still get exact answers.
    assert_eq!(l.try_acquire_now(URN, 5, 1000, T0 + 1), Ok(()));
    // Once the others' windows are empty, they are dropped to make room.
    assert_eq!(l.try_acquire_now(third, 5, 1000, T0 + 1001), Ok(()));
}

#[test]
fn timestamp_cap_is_overloaded_never_allowed() {
    let l = limiter(100, 4, 10);
    for i in 0..4 {
        assert_eq!(l.try_acquire_now(URN, 10, 1000, T0 + i), Ok(()));
    }
    assert_eq!(
        code(l.try_acquire_now(URN, 10, 1000, T0 + 5)),
        Some(Code::Overloaded)
    );
    assert_eq!(
        code(l.try_acquire_now(OTHER, 10, 1000, T0 + 5)),
        Some(Code::Overloaded)
    );
    assert_eq!(l.try_acquire_now(OTHER, 10, 1000, T0 + 1000), Ok(()));
}

#[test]
fn max_actions_above_budget_is_enforced_at_the_budget() {
    let l = limiter(100, 1000, 3);
    for i in 0..3 {
        assert_eq!(l.try_acquire_now(URN, u64::MAX, 1000, T0 + i), Ok(()));
    }
    assert_eq!(
        code(l.try_acquire_now(URN, u64::MAX, 1000, T0 + 3)),
        Some(Code::RateLimited)
    );
}

#[test]
fn smaller_limit_later_is_exact() {
    let l = MemoryRateLimiter::default();
    for i in 0..5 {
        assert_eq!(l.try_acquire_now(URN, 5, 1000, T0 + i * 100), Ok(()));
    }
    // Now the policy says 2: actions at 300 and 400 remain in the window
    // until T0 + 1300, so the next allowed action is at T0 + 1300.
    assert_eq!(
        code(l.try_acquire_now(URN, 2, 1000, T0 + 1200)),
        Some(Code::RateLimited)
    );
    assert_eq!(l.try_acquire_now(URN, 2, 1000, T0 + 1300), Ok(()));
    assert_eq!(
        code(l.try_acquire_now(URN, 2, 1000, T0 + 1350)),
        Some(Code::RateLimited)
    );
}

#[test]
fn shorter_period_later_counts_only_its_window_and_keeps_history() {
    let l = MemoryRateLimiter::default();
    assert_eq!(l.try_acquire_now(URN, 2, 10_000, T0), Ok(()));
    assert_eq!(l.try_acquire_now(URN, 2, 10_000, T0 + 1), Ok(()));
    // A 1 s window at T0 + 2000 holds neither action.
    assert_eq!(l.try_acquire_now(URN, 2, 1000, T0 + 2000), Ok(()));
    // Back to 10 s: history was kept, so the window is full.
    assert_eq!(
        code(l.try_acquire_now(URN, 2, 10_000, T0 + 3000)),
        Some(Code::RateLimited)
    );
}

#[test]
fn per_agent_storage_never_exceeds_the_limit() {
    let l = MemoryRateLimiter::default();
    for i in 0..50 {
        let _ = l.try_acquire_now(URN, 3, 10_000, T0 + i * 100);
        assert!(l.stamps.load(Ordering::Relaxed) <= 3);
    }
    // A short window with the long history retained: still at most 3.
    for i in 0..50 {
        let r = l.try_acquire_now(URN, 3, 100, T0 + 10_000 + i * 200);
        assert_eq!(r, Ok(()));
        assert!(l.stamps.load(Ordering::Relaxed) <= 3);
    }
}

#[test]
fn clock_stepping_back_is_not_looser() {
    let l = MemoryRateLimiter::default();
    assert_eq!(l.try_acquire_now(URN, 2, 1000, T0 + 500), Ok(()));
    assert_eq!(l.try_acquire_now(URN, 2, 1000, T0), Ok(()));
    assert_eq!(
        code(l.try_acquire_now(URN, 2, 1000, T0 + 1000)),
        Some(Code::RateLimited)
    );
    assert_eq!(l.try_acquire_now(URN, 2, 1000, T0 + 1500), Ok(()));
}

#[test]
fn window_starting_near_zero_does_not_underflow() {
    let l = MemoryRateLimiter::default();
    assert_eq!(l.try_acquire_now(URN, 1, 1000, 0), Ok(()));
    assert_eq!(
        code(l.try_acquire_now(URN, 1, 1000, 999)),
        Some(Code::RateLimited)
    );
    assert_eq!(l.try_acquire_now(URN, 1, 1000, 1000), Ok(()));
    // (0, MAX] holds the action at 5; saturated check times terminate.
    assert_eq!(l.try_acquire_now(OTHER, 1, u64::MAX, 5), Ok(()));
    assert_eq!(
        code(l.try_acquire_now(OTHER, 1, u64::MAX, u64::MAX)),
        Some(Code::RateLimited)
    );
    l.purge_all(u64::MAX);
    assert_eq!(
        code(l.try_acquire_now(OTHER, 1, u64::MAX, u64::MAX)),
        Some(Code::RateLimited)
    );
}

#[test]
fn invalid_arguments_fail_closed() {
    let l = MemoryRateLimiter::default();
    assert_eq!(
        code(l.try_acquire_now(URN, 0, 1000, T0)),
        Some(Code::PolicyInvalid)
    );
    assert_eq!(
        code(l.try_acquire_now(URN, 3, 0, T0)),
        Some(Code::PolicyInvalid)
    );
    let long = format!("urn:kakunin:agent:{}", "a".repeat(129));
    assert_eq!(
        code(l.try_acquire_now(&long, 3, 1000, T0)),
        Some(Code::MalformedCertificate)
    );
    let max = format!("urn:kakunin:agent:{}", "a".repeat(128));
    assert_eq!(l.try_acquire_now(&max, 3, 1000, T0), Ok(()));
}

#[test]
fn idle_agents_are_dropped() {
    let l = limiter(1000, 1000, 10);
    for i in 0..100 {
        let urn = format!("urn:kakunin:agent:a{i}");
        assert_eq!(l.try_acquire_now(&urn, 3, 1000, T0), Ok(()));
    }
    assert_eq!(l.agents.load(Ordering::Relaxed), 100);
    l.purge_all(T0 + 1000);
    assert_eq!(l.agents.load(Ordering::Relaxed), 0);
    assert_eq!(l.stamps.load(Ordering::Relaxed), 0);
}

#[test]
fn config_is_validated_and_trait_delegates() {
    assert!(MemoryRateLimiter::new(RateLimiterConfig {
        max_agents: 0,
        ..RateLimiterConfig::default()
    })
    .is_err());
    let l = MemoryRateLimiter::default();
    let dynamic: &dyn RateLimiter = &l;
    assert_eq!(
        pollster::block_on(dynamic.try_acquire(URN, 1, 1000, T0)),
        Ok(())
    );
    let again = pollster::block_on(dynamic.try_acquire(URN, 1, 1000, T0));
    assert_eq!(code(again), Some(Code::RateLimited));
}
