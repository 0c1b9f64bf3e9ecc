//! SPEC section 5.5: the per-agent rate limit.
//!
//! At most `maxActions` allowed actions per agent URN in the sliding window
//! `(now − period, now]`. Only allowed actions count: a denied attempt is not
//! recorded. [`RateLimiter`] is the trait a limiter shared by a fleet of
//! verifiers implements; [`MemoryRateLimiter`] is the in-process default.
//!
//! ```
//! use kakunin_verify::ratelimit::MemoryRateLimiter;
//! use kakunin_verify::Code;
//!
//! let limiter = MemoryRateLimiter::default();
//! let urn = "urn:kakunin:agent:alpha";
//! for t in [0, 10, 20] {
//!     limiter.try_acquire_now(urn, 3, 1_000, t)?;
//! }
//! let denied = limiter.try_acquire_now(urn, 3, 1_000, 30).unwrap_err();
//! assert_eq!(denied.code(), Code::RateLimited);
//! limiter.try_acquire_now(urn, 3, 1_000, 1_000)?; // the action at 0 slid out
//! # Ok::<(), kakunin_verify::Error>(())
//! ```

mod memory;

pub use memory::MemoryRateLimiter;

use crate::error::{ConfigError, Error};
use crate::future::BoxFuture;

/// Default cap on agents tracked at once.
pub const DEFAULT_MAX_AGENTS: usize = 100_000;
/// Default cap on recorded action timestamps across all agents (8 bytes each).
pub const DEFAULT_MAX_TIMESTAMPS: usize = 4_000_000;
/// Default cap on timestamps kept for one agent: a policy's `maxActions`
/// above it is enforced as this cap (stricter, never looser).
pub const DEFAULT_MAX_ACTIONS_PER_AGENT: usize = 100_000;
/// Longest agent URN accepted, in bytes: `urn:kakunin:agent:` and a 128
/// character agent-id (SPEC 1).
pub const MAX_AGENT_URN_LEN: usize = 146;

/// A per-agent sliding-window rate limiter (SPEC 5.5).
///
/// Implementations must be exact for the windows they accept and fail
/// closed: anything they cannot track is denied, never allowed. The method is
/// async so that a limiter shared by a fleet of verifiers can implement it.
pub trait RateLimiter: Send + Sync + 'static {
    /// Allows and records one action of `agent_urn` at `now_ms` if fewer
    /// than `max_actions` allowed actions fall in `(now_ms − period_ms, now_ms]`.
    ///
    /// * `Ok(())`: allowed and recorded.
    /// * [`Error::RateLimited`]: the window is full; nothing is recorded.
    /// * [`Error::Overloaded`]: the limiter cannot track more agents or actions.
    /// * [`Error::PolicyInvalid`]: `max_actions` or `period_ms` is 0 (the
    ///   policy requires both ≥ 1).
    /// * [`Error::MalformedCertificate`]: the URN is longer than
    ///   [`MAX_AGENT_URN_LEN`].
    fn try_acquire<'a>(
        &'a self,
        agent_urn: &'a str,
        max_actions: u64,
        period_ms: u64,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// Limits of a [`MemoryRateLimiter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimiterConfig {
    /// Agents tracked at once (an agent is tracked until its window empties).
    pub max_agents: usize,
    /// Recorded action timestamps across all agents.
    pub max_timestamps: usize,
    /// Timestamps kept for one agent; a larger `max_actions` is enforced as
    /// this many (fail closed).
    pub max_actions_per_agent: usize,
}

impl Default for RateLimiterConfig {
    fn default() -> Self {
        RateLimiterConfig {
            max_agents: DEFAULT_MAX_AGENTS,
            max_timestamps: DEFAULT_MAX_TIMESTAMPS,
            max_actions_per_agent: DEFAULT_MAX_ACTIONS_PER_AGENT,
        }
    }
}

// Every cap at least one.
pub(super) fn check_config(config: &RateLimiterConfig) -> Result<(), ConfigError> {
    if config.max_agents == 0 || config.max_timestamps == 0 || config.max_actions_per_agent == 0 {
        return Err(ConfigError::new("rate limiter caps must be at least 1"));
    }
    Ok(())
}

// SPEC 3 (RateLimit: both ≥ 1) and SPEC 1 (URN length); fail closed.
pub(crate) fn check_arguments(urn: &str, max_actions: u64, period_ms: u64) -> Result<(), Error> {
    if max_actions == 0 || period_ms == 0 {
        return Err(Error::PolicyInvalid(
            "rateLimit maxActions and period must be at least 1".into(),
        ));
    }
    if urn.len() > MAX_AGENT_URN_LEN {
        return Err(Error::MalformedCertificate("agent URN too long".into()));
    }
    Ok(())
}
