//! SPEC 3 `dailyLimit` and 5.3 (revision 1.2): the cumulative daily limit.
//!
//! On a `trade` route, the sizes of an agent URN's allowed trades in the
//! current UTC day (00:00 of `now` to `now`), this one included, added
//! exactly as decimals, must not exceed the policy's `dailyLimit`, else
//! `amount_exceeds_limit`. Only allowed trades count, and a trade is counted
//! at most once. Like the rate limiter, this state MUST be shared by the
//! instances that serve one audience: [`DailyLimiter`] is the trait a shared
//! store implements.

use crate::decimal::Decimal;
use crate::error::Error;
use crate::future::BoxFuture;

/// Milliseconds in one UTC day.
pub const DAY_MS: u64 = 86_400_000;

/// SPEC 5.3: the UTC day (days since 1970-01-01) that contains `now_ms`.
///
/// ```
/// use kakunin_verify::stores::daily::utc_day;
/// assert_eq!(utc_day(0), 0);
/// assert_eq!(utc_day(86_399_999), 0);
/// assert_eq!(utc_day(86_400_000), 1);
/// ```
pub fn utc_day(now_ms: u64) -> u64 {
    now_ms / DAY_MS
}

/// One trade's claim on its agent's daily total (SPEC 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailySpend<'a> {
    /// The agent's URN: the total is kept per URN, across its certificates.
    pub agent_urn: &'a str,
    /// The UTC day the trade falls in ([`utc_day`] of the verifier's `now`).
    pub day: u64,
    /// The trade's size, exact.
    pub size: &'a Decimal,
    /// The policy's `dailyLimit`, exact.
    pub limit: &'a Decimal,
}

/// A per-agent, per-UTC-day running total of allowed trade sizes (SPEC 5.3).
///
/// Implementations add exactly (never through binary floating point),
/// atomically (two concurrent trades cannot both fit into the room for
/// one), keep one total per agent per day and drop past days, and fail
/// closed: a total they cannot track or reach is denied, never allowed.
pub trait DailyLimiter: Send + Sync + 'static {
    /// Adds `spend.size` to the agent's total for `spend.day` if the new
    /// total is at most `spend.limit`.
    ///
    /// * `Ok(())`: added.
    /// * [`Error::AmountExceedsLimit`]: the total would pass the limit;
    ///   nothing is added.
    /// * [`Error::Overloaded`]: the store cannot track more agents (or a
    ///   shared store is unreachable); nothing is added.
    fn try_add<'a>(&'a self, spend: DailySpend<'a>) -> BoxFuture<'a, Result<(), Error>>;

    /// Takes back an amount [`try_add`](Self::try_add) added, when a later
    /// step of SPEC 5.1 (the rate limit) denied the trade: only allowed
    /// trades count. Never takes a total below zero.
    fn refund<'a>(
        &'a self,
        agent_urn: &'a str,
        day: u64,
        size: &'a Decimal,
    ) -> BoxFuture<'a, Result<(), Error>>;
}
