//! [`RedisRateLimiter`]: the sliding-window rate limiter shared by a fleet
//! (SPEC 5.5).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use redis::Script;
use ring::rand::{SecureRandom, SystemRandom};

use super::{agent_id, backstop, unexpected, RedisStores, MAX_EXACT};
use crate::error::Error;
use crate::future::BoxFuture;
use crate::hex;
use crate::stores::rate::{check_arguments, RateLimiter, DEFAULT_MAX_ACTIONS_PER_AGENT};

/// The script's answers (scripts/rate.lua).
const ALLOWED: i64 = 0;
const LIMITED: i64 = 1;

/// The [`RateLimiter`] in Redis (SPEC 5.5), for a fleet of verifiers.
///
/// Each agent URN's allowed actions are a sorted set scored by time; one Lua
/// script per check drops what slid out of `(now − period, now]`, counts and
/// records, atomically for every instance on the same Redis and prefix.
/// Exact; a `max_actions` above [`DEFAULT_MAX_ACTIONS_PER_AGENT`] is enforced
/// as that many (bounded memory per agent; stricter, never looser). Actions
/// recorded at a time after `now` (a clock that stepped back, on any
/// instance) count as in the window. Redis unreachable or slow:
/// [`Error::Overloaded`].
pub struct RedisRateLimiter {
    stores: RedisStores,
    script: Script,
    key_prefix: String,
    /// Random per limiter, so members from different instances differ.
    tag: [u8; 8],
    /// Members from this limiter differ by this counter.
    counter: AtomicU64,
}

impl RedisRateLimiter {
    pub(super) fn new(stores: RedisStores) -> Self {
        let key_prefix = format!("{}r:", stores.key_prefix());
        RedisRateLimiter {
            stores,
            script: Script::new(include_str!("scripts/rate.lua")),
            key_prefix,
            tag: instance_tag(),
            counter: AtomicU64::new(0),
        }
    }

    // SPEC 5.5: count the window and record, in one script.
    async fn try_acquire_async(
        &self,
        agent_urn: &str,
        max_actions: u64,
        period_ms: u64,
        now_ms: u64,
    ) -> Result<(), Error> {
        check_arguments(agent_urn, max_actions, period_ms)?;
        // Scores are doubles: times past 2^53 ms fail closed.
        if now_ms > MAX_EXACT {
            return Err(Error::Overloaded("rate limiter: clock out of range".into()));
        }
        let limit = max_actions.min(DEFAULT_MAX_ACTIONS_PER_AGENT as u64);
        // SPEC 5.5: `(now − period, now]`; a window reaching back before
        // 0 drops nothing.
        let slid_out = now_ms
            .checked_sub(period_ms)
            .map(|start| start.to_string())
            .unwrap_or_default();
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(format!(
                "{}{}",
                self.key_prefix,
                hex::encode(&agent_id(agent_urn))
            ))
            .arg(now_ms)
            .arg(slid_out)
            .arg(limit)
            .arg(&self.member()[..])
            .arg(backstop(now_ms.saturating_add(period_ms), now_ms));
        let mut connection = self.stores.connection();
        let answer: i64 = self
            .stores
            .call("rate limiter", invocation.invoke_async(&mut connection))
            .await?;
        match answer {
            ALLOWED => Ok(()),
            LIMITED => Err(Error::RateLimited(
                "rate limit reached for this agent".into(),
            )),
            _ => Err(unexpected("rate limiter")),
        }
    }

    // A member unique across the fleet, even for equal timestamps: this
    // limiter's random tag and its counter.
    fn member(&self) -> [u8; 16] {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut member = [0u8; 16];
        for (m, b) in member
            .iter_mut()
            .zip(self.tag.iter().chain(n.to_be_bytes().iter()))
        {
            *m = *b;
        }
        member
    }
}

// 64 random bits; if the system RNG fails, the time and the process id
// (still distinct between instances in practice).
fn instance_tag() -> [u8; 8] {
    let mut tag = [0u8; 8];
    if SystemRandom::new().fill(&mut tag).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        tag = (nanos ^ (u64::from(std::process::id()) << 32)).to_be_bytes();
    }
    tag
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("key_prefix", &self.key_prefix)
            .finish_non_exhaustive()
    }
}

impl RateLimiter for RedisRateLimiter {
    fn try_acquire<'a>(
        &'a self,
        agent_urn: &'a str,
        max_actions: u64,
        period_ms: u64,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.try_acquire_async(agent_urn, max_actions, period_ms, now_ms))
    }
}
