//! SPEC 3 `dailyLimit` and 5.3 (revision 1.2): the cumulative daily limit.
//!
//! On a `trade` route, the sizes of an agent URN's allowed trades in the
//! current UTC day (00:00 of `now` to `now`), this one included, added
//! exactly as decimals, must not exceed the policy's `dailyLimit`, else
//! `amount_exceeds_limit`. Only allowed trades count, and a trade is counted
//! at most once. Like the rate limiter, this state MUST be shared by the
//! instances that serve one audience: [`DailyLimiter`] is the trait a shared
//! store implements; [`MemoryDailyLimiter`] is the in-process default.
//!
//! ```
//! use kakunin_verify::decimal::Decimal;
//! use kakunin_verify::stores::daily::{utc_day, DailySpend, MemoryDailyLimiter};
//! use kakunin_verify::Code;
//!
//! let limiter = MemoryDailyLimiter::default();
//! let limit = Decimal::from_parts(100_000, 0);
//! let size = Decimal::from_parts(45_000, 0);
//! let spend = DailySpend {
//!     agent_urn: "urn:kakunin:agent:alpha",
//!     day: utc_day(1_782_897_300_000),
//!     size: &size,
//!     limit: &limit,
//! };
//! limiter.try_add_now(spend)?; // 45 000
//! limiter.try_add_now(spend)?; // 90 000
//! let denied = limiter.try_add_now(spend).unwrap_err(); // 135 000 > 100 000
//! assert_eq!(denied.code(), Code::AmountExceedsLimit);
//! // The next UTC day starts from zero.
//! limiter.try_add_now(DailySpend { day: spend.day + 1, ..spend })?;
//! # Ok::<(), kakunin_verify::Error>(())
//! ```

mod memory;

pub use memory::MemoryDailyLimiter;

use crate::decimal::Decimal;
use crate::error::{ConfigError, Error};
use crate::future::BoxFuture;
use crate::stores::rate::MAX_AGENT_URN_LEN;

/// Default cap on agents whose daily total is tracked at once.
pub const DEFAULT_MAX_AGENTS: usize = 100_000;

/// Limits of a [`MemoryDailyLimiter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyLimiterConfig {
    /// Agents with a non-zero total today tracked at once; when that many
    /// are tracked, a trade of a new agent is `overloaded` (fail closed).
    pub max_agents: usize,
}

impl Default for DailyLimiterConfig {
    fn default() -> Self {
        DailyLimiterConfig {
            max_agents: DEFAULT_MAX_AGENTS,
        }
    }
}

// Every cap at least one.
pub(super) fn check_config(config: &DailyLimiterConfig) -> Result<(), ConfigError> {
    if config.max_agents == 0 {
        return Err(ConfigError::new(
            "daily limiter max_agents must be at least 1",
        ));
    }
    Ok(())
}

// SPEC 1: an agent URN is at most `urn:kakunin:agent:` and 128 characters;
// a longer key is refused rather than stored (fail closed).
pub(super) fn check_urn(urn: &str) -> Result<(), Error> {
    if urn.len() > MAX_AGENT_URN_LEN {
        return Err(Error::MalformedCertificate("agent URN too long".into()));
    }
    Ok(())
}

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
    /// * [`Error::MalformedCertificate`]: the URN is longer than
    ///   [`MAX_AGENT_URN_LEN`]; nothing is added.
    ///
    /// A total that cannot be held exactly (more than
    /// [`MAX_DECIMAL_DIGITS`](crate::decimal::MAX_DECIMAL_DIGITS)
    /// significant digits) is [`Error::AmountExceedsLimit`]: never rounded.
    fn try_add<'a>(&'a self, spend: DailySpend<'a>) -> BoxFuture<'a, Result<(), Error>>;

    /// Takes back an amount [`try_add`](Self::try_add) added, when a later
    /// step of SPEC 5.1 (the rate limit) denied the trade: only allowed
    /// trades count. Never takes a total below zero; a refund for a day
    /// whose total is no longer kept changes nothing.
    fn refund<'a>(
        &'a self,
        agent_urn: &'a str,
        day: u64,
        size: &'a Decimal,
    ) -> BoxFuture<'a, Result<(), Error>>;
}
