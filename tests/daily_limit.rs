//! SPEC 3 `dailyLimit`, 5.3 and 5.1 step 9 (revision 1.2) through the whole
//! verifier: certificates with `dailyLimit [7]` from a PKI made at test time,
//! requests signed by the crate's signer, the clock injected.

mod common;
#[path = "common/daily_pki.rs"]
mod daily_pki;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{sign, AUDIENCE, NOW_MS};
use daily_pki::{Amount, DailyPki, Policy};
use kakunin_verify::audit::sink::{AuditSink, AuditSinkError};
use kakunin_verify::audit::AuditRecord;
use kakunin_verify::signer::AgentSigner;
use kakunin_verify::stores::daily::{MemoryDailyLimiter, DAY_MS};
use kakunin_verify::{ManualClock, Revocation, Verifier, VerifierBuilder};

const ROUTES: &str = "POST /v1/trades submit_limit_order trade\n\
                      POST /v1/quotes submit_limit_order\n";
/// 2026-07-01T00:00:00Z; `NOW_MS` is 09:15 that day.
const MIDNIGHT: u64 = NOW_MS - NOW_MS % DAY_MS;
const MINUTE: u64 = 60_000;

fn builder(pki: &DailyPki, clock: &Arc<ManualClock>) -> VerifierBuilder {
    Verifier::builder(pki.trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse().unwrap())
        .clock(Arc::clone(clock) as Arc<dyn kakunin_verify::Clock>)
        .revocation(Revocation::Disabled)
}

struct Desk {
    verifier: Verifier,
    clock: Arc<ManualClock>,
    agent: AgentSigner,
}

fn desk(policy: Policy) -> Desk {
    let pki = DailyPki::new();
    let clock = Arc::new(ManualClock::new(NOW_MS));
    Desk {
        verifier: builder(&pki, &clock).build().unwrap(),
        agent: pki.agent("desk_bot", &policy),
        clock,
    }
}

/// `POST path` with `{"market":…,"size":…}` signed now; the denial code or
/// `None` when allowed.
fn post(
    v: &Verifier,
    clock: &ManualClock,
    agent: &AgentSigner,
    path: &str,
    market: &str,
    size: &str,
) -> Option<&'static str> {
    let body = format!(r#"{{"market":"{market}","size":{size}}}"#);
    sign(agent, "POST", path, &body, clock.now_ms()).code(v)
}

impl Desk {
    fn trade(&self, size: &str) -> Option<&'static str> {
        post(
            &self.verifier,
            &self.clock,
            &self.agent,
            "/v1/trades",
            "EUR_USD",
            size,
        )
    }
}

use kakunin_verify::Clock as _;

// SPEC 5.3 (1.2): allowed trades add up exactly; the one that takes the
// day's total past dailyLimit is amount_exceeds_limit though it is within
// maxTransaction.
#[test]
fn spec_5_3_allowed_trades_add_up_to_the_daily_limit() {
    let d = desk(Policy::default()); // 60 000 a trade, 100 000 a day
    assert_eq!(d.trade("45000"), None);
    assert_eq!(d.trade("45000"), None);
    assert_eq!(d.trade("45000"), Some("amount_exceeds_limit"));
    assert_eq!(d.trade("9999.99"), None);
    assert_eq!(d.trade("0.01"), None); // exactly 100 000
    assert_eq!(d.trade("0.000001"), Some("amount_exceeds_limit"));
    assert_eq!(d.trade("0"), None);
}

// SPEC 5.3: a size is compared exactly as the decimal its own text
// denotes, however the text writes it: zero at any exponent is zero, and
// zeros an exponent cancels are no part of the value (the size parser once
// refused a text exponent past 10 000 even where the value was 0 or 60 000).
#[test]
fn spec_5_3_a_size_is_the_value_its_text_denotes() {
    let d = desk(Policy::default()); // 60 000 a trade, 100 000 a day
    let zeros = "0".repeat(20_000);
    assert_eq!(d.trade("0e-10001"), None);
    assert_eq!(d.trade("0E-99999999999999999999"), None);
    // 6 × 10^-20001 × 10^20005 = 60 000: exactly maxTransaction.
    assert_eq!(d.trade(&format!("0.{zeros}6e20005")), None);
    // 4 × 10^20000 × 10^-19996 = 40 000: the day's total is 100 000 exactly.
    assert_eq!(d.trade(&format!("4{zeros}e-19996")), None);
    assert_eq!(d.trade("0.01"), Some("amount_exceeds_limit"));
}

// SPEC 8: the denial's record is the usual shape, with the code and action.
#[test]
fn spec_5_3_daily_denial_is_audited_like_any_other() {
    let d = desk(Policy::default());
    assert_eq!(d.trade("60000"), None);
    let denial = sign(
        &d.agent,
        "POST",
        "/v1/trades",
        r#"{"market":"EUR_USD","size":40000.5}"#,
        NOW_MS,
    )
    .verify(&d.verifier)
    .unwrap_err();
    let audit = &denial.audit;
    assert_eq!(audit.decision, "deny");
    assert_eq!(audit.code.map(|c| c.as_str()), Some("amount_exceeds_limit"));
    assert_eq!(audit.scope_check_passed, Some(false));
    let action = audit.action.as_ref().unwrap();
    assert_eq!(action.size.as_deref(), Some("40000.5"));
    assert_eq!(action.market.as_deref(), Some("EUR_USD"));
}

// SPEC 5.3 (1.2): only allowed trades count — a trade denied for its
// market or its size adds nothing.
#[test]
fn spec_5_3_trades_denied_for_market_or_size_do_not_count() {
    let d = desk(Policy::default());
    for _ in 0..3 {
        let code = post(
            &d.verifier,
            &d.clock,
            &d.agent,
            "/v1/trades",
            "GBP_USD",
            "40000",
        );
        assert_eq!(code, Some("market_not_allowed"));
        assert_eq!(d.trade("60000.01"), Some("amount_exceeds_limit")); // maxTransaction
    }
    assert_eq!(d.trade("60000"), None);
    assert_eq!(d.trade("40000"), None);
    assert_eq!(d.trade("0.01"), Some("amount_exceeds_limit"));
}

// SPEC 5.1 step 9: hours come before the daily limit; a trade outside the
// hours adds nothing, and one failing both is outside_allowed_hours.
#[test]
fn spec_5_1_hours_before_the_daily_limit() {
    let d = desk(Policy {
        allowed_hours: Some((9 * 60, 17 * 60)),
        ..Policy::default()
    });
    d.clock.set_ms(MIDNIGHT + 8 * 60 * MINUTE); // 08:00
    assert_eq!(d.trade("40000"), Some("outside_allowed_hours"));
    assert_eq!(d.trade("40000"), Some("outside_allowed_hours"));
    d.clock.set_ms(NOW_MS); // 09:15
    assert_eq!(d.trade("60000"), None);
    assert_eq!(d.trade("40000"), None);
    assert_eq!(d.trade("0.01"), Some("amount_exceeds_limit"));
    d.clock.set_ms(MIDNIGHT + 17 * 60 * MINUTE); // 17:00, end exclusive
    assert_eq!(d.trade("0.01"), Some("outside_allowed_hours"));
}

// SPEC 5.1 step 9 / 5.3: the rate comes after the daily limit, and a trade
// the rate limit denies is taken back out of the daily total.
#[test]
fn spec_5_3_a_rate_limited_trade_is_refunded() {
    let d = desk(Policy {
        rate_limit: Some((2, 3600)),
        ..Policy::default()
    });
    assert_eq!(d.trade("60000"), None);
    assert_eq!(d.trade("30000"), None); // 90 000; the rate window is full
    for _ in 0..3 {
        assert_eq!(d.trade("10000"), Some("rate_limited"));
    }
    d.clock.advance_ms(3600 * 1000); // 10:15, the window has slid
                                     // Were a rate-limited 10 000 counted, this would pass 100 000.
    assert_eq!(d.trade("10000"), None);
    assert_eq!(d.trade("0.01"), Some("amount_exceeds_limit"));
}

// SPEC 5.1 step 9: a trade failing both the daily limit and the rate is
// amount_exceeds_limit (the daily limit comes first).
#[test]
fn spec_5_1_daily_limit_before_rate() {
    let d = desk(Policy {
        rate_limit: Some((1, 3600)),
        ..Policy::default()
    });
    assert_eq!(d.trade("60000"), None);
    assert_eq!(d.trade("40000"), Some("rate_limited")); // refunded
    assert_eq!(d.trade("40000.01"), Some("amount_exceeds_limit"));
}

// SPEC 5.3 (1.2): the current UTC day runs from 00:00 of `now`: at 00:00 UTC
// the total starts again from zero.
#[test]
fn spec_5_3_the_day_rolls_over_at_midnight_utc() {
    let d = desk(Policy::default());
    d.clock.set_ms(MIDNIGHT + DAY_MS - 1); // 23:59:59.999
    assert_eq!(d.trade("60000"), None);
    assert_eq!(d.trade("40000"), None);
    assert_eq!(d.trade("0.01"), Some("amount_exceeds_limit"));
    d.clock.set_ms(MIDNIGHT + DAY_MS); // 00:00:00.000 the next day
    assert_eq!(d.trade("60000"), None);
    assert_eq!(d.trade("40000"), None);
    assert_eq!(d.trade("0.01"), Some("amount_exceeds_limit"));
}

// SPEC 5.3: without dailyLimit a trade route is limited per trade only.
#[test]
fn spec_5_3_no_daily_limit_no_daily_total() {
    let d = desk(Policy {
        daily_limit: None,
        ..Policy::default()
    });
    for _ in 0..5 {
        assert_eq!(d.trade("60000"), None);
    }
}

// SPEC 5.3 (1.2): the daily limit is for `trade` routes; sizes on other
// routes neither count nor are refused by it.
#[test]
fn spec_5_3_only_trade_routes_count() {
    let d = desk(Policy::default());
    let quote = |size| {
        post(
            &d.verifier,
            &d.clock,
            &d.agent,
            "/v1/quotes",
            "EUR_USD",
            size,
        )
    };
    for _ in 0..3 {
        assert_eq!(quote("60000"), None);
    }
    assert_eq!(d.trade("60000"), None);
    assert_eq!(d.trade("40000"), None);
    assert_eq!(quote("60000"), None); // the day's trades are spent, quotes are not trades
    assert_eq!(d.trade("0.01"), Some("amount_exceeds_limit"));
}

// SPEC 5.3 (1.2): the total is the agent URN's, across its certificates.
#[test]
fn spec_5_3_the_total_is_per_agent_urn() {
    let pki = DailyPki::new();
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let v = builder(&pki, &clock).build().unwrap();
    let first = pki.agent("desk_bot", &Policy::default());
    let renewed = pki.agent("desk_bot", &Policy::default());
    let other = pki.agent("other_bot", &Policy::default());
    let trade = |a: &AgentSigner, size| post(&v, &clock, a, "/v1/trades", "EUR_USD", size);
    assert_eq!(trade(&first, "60000"), None);
    assert_eq!(trade(&renewed, "40000"), None);
    assert_eq!(trade(&renewed, "0.01"), Some("amount_exceeds_limit"));
    assert_eq!(trade(&first, "0.01"), Some("amount_exceeds_limit"));
    assert_eq!(trade(&other, "60000"), None);
}

// SPEC 5.3 (1.2): instances serving one audience share the total through
// the configured limiter.
#[test]
fn spec_5_3_instances_share_the_configured_limiter() {
    let pki = DailyPki::new();
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let shared = Arc::new(MemoryDailyLimiter::default());
    let a = builder(&pki, &clock)
        .daily_limiter(shared.clone())
        .build()
        .unwrap();
    let b = builder(&pki, &clock)
        .daily_limiter(shared.clone())
        .build()
        .unwrap();
    let agent = pki.agent("desk_bot", &Policy::default());
    assert_eq!(
        post(&a, &clock, &agent, "/v1/trades", "EUR_USD", "60000"),
        None
    );
    assert_eq!(
        post(&b, &clock, &agent, "/v1/trades", "EUR_USD", "40000"),
        None
    );
    assert_eq!(
        post(&a, &clock, &agent, "/v1/trades", "EUR_USD", "0.01"),
        Some("amount_exceeds_limit")
    );
    assert_eq!(shared.tracked_agents(), 1);
}

/// An audit sink that refuses to record while `broken` is set.
#[derive(Default)]
struct Flaky {
    broken: AtomicBool,
}

impl AuditSink for Flaky {
    fn record(&self, _: &AuditRecord) -> Result<(), AuditSinkError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(AuditSinkError("disk full".into()));
        }
        Ok(())
    }
}

// SPEC 5.3 (1.2) with SPEC 8 fail-closed: a trade that ends denied because
// its record could not be written was not allowed, so it does not count.
#[test]
fn spec_5_3_a_trade_denied_by_the_audit_sink_is_refunded() {
    let pki = DailyPki::new();
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let sink = Arc::new(Flaky::default());
    let v = builder(&pki, &clock)
        .audit_sink(sink.clone())
        .build()
        .unwrap();
    let agent = pki.agent("desk_bot", &Policy::default());
    let trade = |size| post(&v, &clock, &agent, "/v1/trades", "EUR_USD", size);
    assert_eq!(trade("60000"), None);
    sink.broken.store(true, Ordering::SeqCst);
    assert_eq!(trade("40000"), Some("overloaded"));
    sink.broken.store(false, Ordering::SeqCst);
    assert_eq!(trade("40000"), None);
    assert_eq!(trade("0.01"), Some("amount_exceeds_limit"));
}

// SPEC 3: a dailyLimit with a negative exponent is exact too.
#[test]
fn spec_3_fractional_daily_limit_is_exact() {
    let d = desk(Policy {
        max_transaction: Some(Amount(1, 0)),
        daily_limit: Some(Amount(3, -1)), // 0.3
        ..Policy::default()
    });
    assert_eq!(d.trade("0.1"), None);
    assert_eq!(d.trade("0.2"), None);
    assert_eq!(d.trade("1e-18"), Some("amount_exceeds_limit"));
}
