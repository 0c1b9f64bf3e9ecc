//! Tests of the in-memory daily limiter (SPEC 5.3 `dailyLimit`, revision 1.2).

use super::*;
use crate::error::Code;
use crate::stores::daily::{utc_day, DAY_MS};
use std::sync::Arc;

const URN: &str = "urn:kakunin:agent:alpha";
const OTHER: &str = "urn:kakunin:agent:beta";
/// 2026-07-01T00:00:00Z.
const MIDNIGHT: u64 = 1_782_864_000_000;

fn d(text: &str) -> Decimal {
    Decimal::parse_json_number(text).unwrap()
}

fn code(r: Result<(), Error>) -> Option<Code> {
    r.err().map(|e| e.code())
}

fn add(l: &MemoryDailyLimiter, urn: &str, day: u64, size: &str, limit: &str) -> Option<Code> {
    let (size, limit) = (d(size), d(limit));
    code(l.try_add_now(DailySpend {
        agent_urn: urn,
        day,
        size: &size,
        limit: &limit,
    }))
}

fn limiter(max_agents: usize) -> MemoryDailyLimiter {
    MemoryDailyLimiter::new(DailyLimiterConfig { max_agents }).unwrap()
}

#[test]
fn spec_5_3_sizes_add_up_exactly_to_the_limit() {
    let l = MemoryDailyLimiter::default();
    let day = utc_day(MIDNIGHT);
    assert_eq!(add(&l, URN, day, "0.1", "0.3"), None);
    assert_eq!(add(&l, URN, day, "0.2", "0.3"), None);
    // 0.1 + 0.2 is exactly 0.3: anything more passes the limit.
    assert_eq!(
        add(&l, URN, day, "1e-18", "0.3"),
        Some(Code::AmountExceedsLimit)
    );
    assert_eq!(add(&l, URN, day, "0", "0.3"), None);
}

#[test]
fn spec_5_3_a_denied_trade_adds_nothing() {
    let l = MemoryDailyLimiter::default();
    let day = utc_day(MIDNIGHT);
    assert_eq!(add(&l, URN, day, "45000", "100000"), None);
    assert_eq!(add(&l, URN, day, "45000", "100000"), None);
    for _ in 0..5 {
        assert_eq!(
            add(&l, URN, day, "45000", "100000"),
            Some(Code::AmountExceedsLimit)
        );
    }
    // 90 000 counted, not more: 10 000 still fits, then nothing.
    assert_eq!(add(&l, URN, day, "10000", "100000"), None);
    assert_eq!(
        add(&l, URN, day, "0.000001", "100000"),
        Some(Code::AmountExceedsLimit)
    );
}

#[test]
fn spec_5_3_a_single_trade_above_the_limit_is_denied_and_not_stored() {
    let l = MemoryDailyLimiter::default();
    let day = utc_day(MIDNIGHT);
    assert_eq!(
        add(&l, URN, day, "100000.01", "100000"),
        Some(Code::AmountExceedsLimit)
    );
    assert_eq!(l.tracked_agents(), 0);
    assert_eq!(add(&l, URN, day, "100000", "100000"), None);
}

#[test]
fn spec_5_3_agents_are_independent() {
    let l = MemoryDailyLimiter::default();
    let day = utc_day(MIDNIGHT);
    assert_eq!(add(&l, URN, day, "100", "100"), None);
    assert_eq!(
        add(&l, URN, day, "1", "100"),
        Some(Code::AmountExceedsLimit)
    );
    assert_eq!(add(&l, OTHER, day, "100", "100"), None);
}

#[test]
fn spec_5_3_the_day_rolls_over_at_midnight_utc() {
    let l = MemoryDailyLimiter::default();
    let last_ms = MIDNIGHT + DAY_MS - 1; // 23:59:59.999
    let first_ms = MIDNIGHT + DAY_MS; // 00:00:00.000 the next day
    assert_eq!(add(&l, URN, utc_day(MIDNIGHT), "60", "100"), None);
    assert_eq!(add(&l, URN, utc_day(last_ms), "40", "100"), None);
    assert_eq!(
        add(&l, URN, utc_day(last_ms), "0.01", "100"),
        Some(Code::AmountExceedsLimit)
    );
    assert_eq!(add(&l, URN, utc_day(first_ms), "100", "100"), None);
    assert_eq!(
        add(&l, URN, utc_day(first_ms), "0.01", "100"),
        Some(Code::AmountExceedsLimit)
    );
}

#[test]
fn spec_5_3_clock_stepping_back_a_day_is_not_looser() {
    let l = MemoryDailyLimiter::default();
    let today = utc_day(MIDNIGHT);
    assert_eq!(add(&l, URN, today, "100", "100"), None);
    // The clock steps back to yesterday: the trade counts in today's total.
    assert_eq!(
        add(&l, URN, today - 1, "1", "100"),
        Some(Code::AmountExceedsLimit)
    );
}

#[test]
fn spec_5_3_refund_takes_back_and_never_goes_below_zero() {
    let l = MemoryDailyLimiter::default();
    let day = utc_day(MIDNIGHT);
    assert_eq!(add(&l, URN, day, "70", "100"), None);
    assert_eq!(
        add(&l, URN, day, "40", "100"),
        Some(Code::AmountExceedsLimit)
    );
    l.refund_now(URN, day, &d("30")).unwrap();
    assert_eq!(add(&l, URN, day, "60", "100"), None); // 40 + 60
    assert_eq!(
        add(&l, URN, day, "0.1", "100"),
        Some(Code::AmountExceedsLimit)
    );
    // A refund larger than the total leaves zero, not a credit.
    l.refund_now(URN, day, &d("1000")).unwrap();
    assert_eq!(l.tracked_agents(), 0);
    assert_eq!(add(&l, URN, day, "100", "100"), None);
    assert_eq!(
        add(&l, URN, day, "0.1", "100"),
        Some(Code::AmountExceedsLimit)
    );
    // Refunding an agent with no total is a no-op.
    l.refund_now(OTHER, day, &d("5")).unwrap();
    assert_eq!(add(&l, OTHER, day, "100", "100"), None);
}

#[test]
fn spec_5_3_a_refund_for_another_day_changes_nothing() {
    let l = MemoryDailyLimiter::default();
    let day = utc_day(MIDNIGHT);
    assert_eq!(add(&l, URN, day, "100", "100"), None);
    l.refund_now(URN, day - 1, &d("100")).unwrap();
    l.refund_now(URN, day + 1, &d("100")).unwrap();
    assert_eq!(
        add(&l, URN, day, "1", "100"),
        Some(Code::AmountExceedsLimit)
    );
}

#[test]
fn zero_totals_take_no_room() {
    let l = limiter(1);
    let day = utc_day(MIDNIGHT);
    assert_eq!(add(&l, URN, day, "0", "100"), None);
    assert_eq!(l.tracked_agents(), 0);
    assert_eq!(add(&l, OTHER, day, "1", "100"), None);
    assert_eq!(l.tracked_agents(), 1);
    // The store is full, but a zero trade of another agent needs no room.
    assert_eq!(add(&l, URN, day, "0", "100"), None);
}

#[test]
fn full_store_is_overloaded_and_never_forgets_today() {
    let l = limiter(3);
    let day = utc_day(MIDNIGHT);
    for i in 0..3 {
        assert_eq!(add(&l, &format!("{URN}{i}"), day, "100", "100"), None);
    }
    assert_eq!(l.tracked_agents(), 3);
    for i in 3..50 {
        assert_eq!(
            add(&l, &format!("{URN}{i}"), day, "1", "100"),
            Some(Code::Overloaded)
        );
    }
    assert_eq!(l.tracked_agents(), 3);
    // Today's totals survived the pressure: still at their limit.
    for i in 0..3 {
        assert_eq!(
            add(&l, &format!("{URN}{i}"), day, "0.01", "100"),
            Some(Code::AmountExceedsLimit)
        );
    }
}

#[test]
fn past_days_are_dropped_to_make_room() {
    let l = limiter(100);
    let day = utc_day(MIDNIGHT);
    for i in 0..100 {
        assert_eq!(add(&l, &format!("{URN}{i}"), day, "5", "100"), None);
    }
    assert_eq!(l.tracked_agents(), 100);
    assert_eq!(add(&l, OTHER, day, "5", "100"), Some(Code::Overloaded));
    // The next day, yesterday's 100 totals are dropped to make room: 100
    // new agents fit again, and the 101st does not.
    assert_eq!(add(&l, OTHER, day + 1, "5", "100"), None);
    for i in 1..100 {
        assert_eq!(add(&l, &format!("{OTHER}{i}"), day + 1, "5", "100"), None);
    }
    assert_eq!(l.tracked_agents(), 100);
    assert_eq!(add(&l, URN, day + 1, "5", "100"), Some(Code::Overloaded));
    // The dropped agents start from zero once there is room.
    l.refund_now(OTHER, day + 1, &d("5")).unwrap();
    assert_eq!(add(&l, &format!("{URN}0"), day + 1, "100", "100"), None);
}

#[test]
fn a_new_day_drops_the_old_days_totals_of_its_shard() {
    let l = MemoryDailyLimiter::default();
    let day = utc_day(MIDNIGHT);
    assert_eq!(add(&l, URN, day, "5", "100"), None);
    assert_eq!(l.tracked_agents(), 1);
    assert_eq!(add(&l, URN, day + 1, "5", "100"), None);
    // One entry per agent: the old day's total was replaced, not kept beside.
    assert_eq!(l.tracked_agents(), 1);
}

#[test]
fn a_total_that_cannot_be_held_exactly_is_denied() {
    let l = MemoryDailyLimiter::default();
    let day = utc_day(MIDNIGHT);
    assert_eq!(add(&l, URN, day, "1", "1e20"), None);
    // 1 + 1e-70 needs 71 digits: denied rather than rounded to 1.
    assert_eq!(
        add(&l, URN, day, "1e-70", "1e20"),
        Some(Code::AmountExceedsLimit)
    );
}

#[test]
fn long_urn_and_bad_config_fail_closed() {
    let l = MemoryDailyLimiter::default();
    let long = format!("urn:kakunin:agent:{}", "a".repeat(129));
    assert_eq!(
        add(&l, &long, 1, "1", "100"),
        Some(Code::MalformedCertificate)
    );
    assert_eq!(
        code(l.refund_now(&long, 1, &d("1"))),
        Some(Code::MalformedCertificate)
    );
    assert!(MemoryDailyLimiter::new(DailyLimiterConfig { max_agents: 0 }).is_err());
}

#[test]
fn trait_methods_give_the_same_answers() {
    let l = MemoryDailyLimiter::default();
    let dyn_l: &dyn DailyLimiter = &l;
    let (size, limit) = (d("60"), d("100"));
    let spend = DailySpend {
        agent_urn: URN,
        day: 7,
        size: &size,
        limit: &limit,
    };
    assert_eq!(pollster::block_on(dyn_l.try_add(spend)), Ok(()));
    assert_eq!(
        code(pollster::block_on(dyn_l.try_add(spend))),
        Some(Code::AmountExceedsLimit)
    );
    pollster::block_on(dyn_l.refund(URN, 7, &size)).unwrap();
    assert_eq!(pollster::block_on(dyn_l.try_add(spend)), Ok(()));
}

#[test]
fn concurrent_adds_are_exact() {
    // 8 threads × 250 trades of 0.01, limit 15: exactly 1 500 fit.
    let l = Arc::new(MemoryDailyLimiter::default());
    let day = utc_day(MIDNIGHT);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let l = Arc::clone(&l);
            std::thread::spawn(move || {
                (0..250)
                    .filter(|_| add(&l, URN, day, "0.01", "15").is_none())
                    .count()
            })
        })
        .collect();
    let allowed: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(allowed, 1_500);
    assert_eq!(
        add(&l, URN, day, "1e-18", "15"),
        Some(Code::AmountExceedsLimit)
    );
    // Concurrent refunds are exact too: all back, then the full limit fits.
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let l = Arc::clone(&l);
            std::thread::spawn(move || {
                for _ in 0..150 {
                    l.refund_now(URN, day, &d("0.01")).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(add(&l, URN, day, "12", "15"), None); // 15 − 12 + 12
    assert_eq!(
        add(&l, URN, day, "0.01", "15"),
        Some(Code::AmountExceedsLimit)
    );
}
