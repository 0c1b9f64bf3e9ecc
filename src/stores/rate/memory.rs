//! [`MemoryRateLimiter`]: the in-process sliding-window rate limiter
//! (SPEC 5.5).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::{check_arguments, check_config, RateLimiter, RateLimiterConfig};
use crate::error::{ConfigError, Error};
use crate::future::BoxFuture;
use crate::keyed::FastMap;
use crate::stores::sharded::{lock, Sharded};

/// Number of independently locked shards (by agent URN).
const RATE_SHARDS: usize = 32;
/// Idle-agent checks a call does in its shard before its own work.
const PURGE_BATCH: usize = 8;

/// The in-memory [`RateLimiter`] (SPEC 5.5), for a single verifier instance.
///
/// * Exact: each agent keeps the timestamps of its allowed actions still in
///   the window, never more than `min(max_actions, max_actions_per_agent)`.
/// * Fail closed beyond its budget: a `max_actions` above
///   `max_actions_per_agent` is enforced as `max_actions_per_agent` (more
///   denials than the policy asks, never more allowances); when
///   `max_agents` agents or `max_timestamps` timestamps are tracked, a new
///   action is `overloaded` rather than allowed untracked.
/// * Idle agents (empty window) are dropped a few per call, and all of them
///   before answering `overloaded`, so the caps count only live windows.
/// * History is kept for the longest period an agent has been seen with. If a
///   later call uses a longer period than any before (the agent's policy
///   changed), actions older than the previous longest period may already
///   have been dropped and are not counted. With one policy per agent the
///   answers are exact.
/// * If the clock steps backwards, an action is recorded at the latest time
///   already recorded for the agent: it then stays in the window longer
///   (stricter), never shorter.
/// * Locks: a shard's state is never left half-updated, so a poisoned lock is
///   simply recovered.
pub struct MemoryRateLimiter {
    shards: Sharded<Shard, RATE_SHARDS>,
    config: RateLimiterConfig,
    /// Agents tracked across shards.
    agents: AtomicUsize,
    /// Timestamps recorded across shards.
    stamps: AtomicUsize,
}

/// One agent's history: allowed actions' times, oldest first (non-decreasing).
struct Window {
    times: VecDeque<u64>,
    /// How long history is kept: the longest period this agent was seen with.
    retain: u64,
}

/// One shard: the agents whose URNs hash to it.
#[derive(Default)]
struct Shard {
    windows: FastMap<Arc<str>, Window>,
    /// Exactly one entry per tracked agent: when to look at it again
    /// (its history empties then, unless it acted since).
    checks: BinaryHeap<Reverse<(u64, Arc<str>)>>,
}

/// The result of one attempt under a shard lock.
enum Attempt {
    /// A final answer.
    Done(Result<(), Error>),
    /// A global cap was reached: drop idle agents everywhere, then retry.
    Full,
}

impl MemoryRateLimiter {
    /// A limiter with the given limits (each at least 1).
    ///
    /// ```
    /// use kakunin_verify::ratelimit::{MemoryRateLimiter, RateLimiterConfig};
    /// let limiter = MemoryRateLimiter::new(RateLimiterConfig {
    ///     max_agents: 1_000,
    ///     ..RateLimiterConfig::default()
    /// })?;
    /// # Ok::<(), kakunin_verify::ConfigError>(())
    /// ```
    pub fn new(config: RateLimiterConfig) -> Result<Self, ConfigError> {
        check_config(&config)?;
        Ok(Self::build(config))
    }

    /// The synchronous form of [`RateLimiter::try_acquire`], for the
    /// verifier's hot path (no boxed future). Same answers.
    pub fn try_acquire_now(
        &self,
        agent_urn: &str,
        max_actions: u64,
        period_ms: u64,
        now_ms: u64,
    ) -> Result<(), Error> {
        check_arguments(agent_urn, max_actions, period_ms)?;
        let limit = self.effective_limit(max_actions);
        let shard = self.shards.shard_for(agent_urn);
        match self.attempt(shard, agent_urn, limit, period_ms, now_ms) {
            Attempt::Done(result) => result,
            Attempt::Full => {
                self.purge_all(now_ms);
                match self.attempt(shard, agent_urn, limit, period_ms, now_ms) {
                    Attempt::Done(result) => result,
                    Attempt::Full => Err(Error::Overloaded("rate limiter is full".into())),
                }
            }
        }
    }

    fn build(config: RateLimiterConfig) -> Self {
        MemoryRateLimiter {
            shards: Sharded::default(),
            config,
            agents: AtomicUsize::new(0),
            stamps: AtomicUsize::new(0),
        }
    }

    // Fail closed: a window larger than the per-agent budget is enforced at
    // the budget.
    fn effective_limit(&self, max_actions: u64) -> usize {
        usize::try_from(max_actions)
            .unwrap_or(usize::MAX)
            .min(self.config.max_actions_per_agent)
    }

    // SPEC 5.5: count the window, then record if below the limit, all under
    // the shard's lock.
    fn attempt(
        &self,
        shard: &Mutex<Shard>,
        urn: &str,
        limit: usize,
        period: u64,
        now: u64,
    ) -> Attempt {
        let mut shard = lock(shard);
        shard.purge(now, PURGE_BATCH, &self.agents, &self.stamps);
        let known = match shard.windows.get_mut(urn) {
            Some(window) => {
                window.retain = window.retain.max(period);
                window.slide(now, limit, &self.stamps);
                if window.count_in(period, now) >= limit {
                    return Attempt::Done(Err(Error::RateLimited(
                        "rate limit reached for this agent".into(),
                    )));
                }
                window.make_room(limit, &self.stamps);
                // The usual case: a known agent under the cap is recorded
                // in place (its URN is not looked up again).
                if self.try_reserve(true) {
                    window.push(now);
                    return Attempt::Done(Ok(()));
                }
                true
            }
            None => false,
        };
        // A known agent tried above; a new one tries now.
        let known = if !known && self.try_reserve(false) {
            false
        } else {
            match self.reserve_after_purge(&mut shard, urn, known, now) {
                Some(known) => known,
                None => return Attempt::Full,
            }
        };
        shard.record(urn, known, period, now);
        Attempt::Done(Ok(()))
    }

    // Bounded memory: one timestamp (and, for a new agent, one agent) must
    // fit under the caps; they did not, so this shard's idle agents are
    // dropped first. Answers whether the agent is still known then: the
    // purge may have dropped its window, when that was empty, and it is
    // then recorded as new (its timestamp is never reserved for a window
    // that is gone).
    fn reserve_after_purge(
        &self,
        shard: &mut Shard,
        urn: &str,
        known: bool,
        now: u64,
    ) -> Option<bool> {
        shard.purge(now, usize::MAX, &self.agents, &self.stamps);
        let known = known && shard.windows.contains_key(urn);
        self.try_reserve(known).then_some(known)
    }

    fn try_reserve(&self, known: bool) -> bool {
        if !reserve_one(&self.stamps, self.config.max_timestamps) {
            return false;
        }
        if !known && !reserve_one(&self.agents, self.config.max_agents) {
            self.stamps.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        true
    }

    // Before answering `overloaded`, every idle agent is dropped.
    fn purge_all(&self, now: u64) {
        for shard in self.shards.all() {
            lock(shard).purge(now, usize::MAX, &self.agents, &self.stamps);
        }
    }
}

impl Window {
    // Drops history older than the retention period; also trims to `limit`
    // (dropping the oldest, which would slide out first anyway, so the
    // decision is unchanged) when a smaller limit applies than before.
    fn slide(&mut self, now: u64, limit: usize, stamps: &AtomicUsize) {
        let before = self.times.len();
        while let Some(&t) = self.times.front() {
            if in_window(t, self.retain, now) && self.times.len() <= limit {
                break;
            }
            self.times.pop_front();
        }
        stamps.fetch_sub(before - self.times.len(), Ordering::AcqRel);
    }

    // Bounded memory: at most `limit` times per agent. Called once fewer
    // than `limit` are in the current window, so what is dropped (the
    // oldest) is outside it.
    fn make_room(&mut self, limit: usize, stamps: &AtomicUsize) {
        while self.times.len() >= limit && self.times.pop_front().is_some() {
            stamps.fetch_sub(1, Ordering::AcqRel);
        }
    }

    // Records an allowed action; times stay sorted (a clock that stepped
    // back records at the newest time so far).
    fn push(&mut self, now: u64) {
        let at = self.times.back().map_or(now, |&last| last.max(now));
        self.times.push_back(at);
    }

    // SPEC 5.5: allowed actions in `(now − period, now]` (times are sorted,
    // so those out of the window are a prefix).
    fn count_in(&self, period: u64, now: u64) -> usize {
        let out = self.times.partition_point(|&t| !in_window(t, period, now));
        self.times.len() - out
    }

    // When this history is next worth looking at: when its newest action
    // leaves the retention period.
    fn next_check(&self) -> Option<u64> {
        self.times.back().map(|t| t.saturating_add(self.retain))
    }
}

impl Shard {
    // The caller has reserved the timestamp (and the agent when new).
    fn record(&mut self, urn: &str, known: bool, period: u64, now: u64) {
        if known {
            if let Some(window) = self.windows.get_mut(urn) {
                window.push(now);
            }
            return;
        }
        let key: Arc<str> = Arc::from(urn);
        let window = Window {
            times: VecDeque::from([now]),
            retain: period,
        };
        self.checks
            .push(Reverse((now.saturating_add(period), Arc::clone(&key))));
        self.windows.insert(key, window);
    }

    // Drops up to `limit` due agents whose windows are empty; a due agent
    // still active is rescheduled.
    fn purge(&mut self, now: u64, limit: usize, agents: &AtomicUsize, stamps: &AtomicUsize) {
        // Each agent has one entry; bounding by the heap's length keeps this
        // finite even if a rescheduled entry is due again (saturated times).
        let limit = limit.min(self.checks.len());
        let mut looked = 0;
        while looked < limit {
            match self.checks.peek() {
                Some(Reverse((at, _))) if *at <= now => {}
                _ => break,
            }
            let Some(Reverse((_, urn))) = self.checks.pop() else {
                break;
            };
            looked += 1;
            self.revisit(urn, now, agents, stamps);
        }
    }

    fn revisit(&mut self, urn: Arc<str>, now: u64, agents: &AtomicUsize, stamps: &AtomicUsize) {
        let Some(window) = self.windows.get_mut(&urn) else {
            return;
        };
        window.slide(now, usize::MAX, stamps);
        match window.next_check() {
            // After sliding, the newest action is still in the window, so
            // `at > now` unless `at` saturated at `u64::MAX`.
            Some(at) => self.checks.push(Reverse((at, urn))),
            None => {
                self.windows.remove(&urn);
                agents.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }
}

// SPEC 5.5: `t` is in `(now − period, now]` (times after `now`, from a clock
// that stepped back, count as in: fail closed). No overflow at the extremes.
fn in_window(t: u64, period: u64, now: u64) -> bool {
    now.checked_sub(period).is_none_or(|start| t > start)
}

// Takes one unit of a capped counter, if any is left.
fn reserve_one(counter: &AtomicUsize, cap: usize) -> bool {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < cap).then_some(n + 1)
        })
        .is_ok()
}

impl Default for MemoryRateLimiter {
    /// [`RateLimiterConfig::default`] limits.
    fn default() -> Self {
        Self::build(RateLimiterConfig::default())
    }
}

impl fmt::Debug for MemoryRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRateLimiter")
            .field("config", &self.config)
            .field("agents", &self.agents.load(Ordering::Relaxed))
            .field("stamps", &self.stamps.load(Ordering::Relaxed))
            .finish()
    }
}

impl RateLimiter for MemoryRateLimiter {
    fn try_acquire<'a>(
        &'a self,
        agent_urn: &'a str,
        max_actions: u64,
        period_ms: u64,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let result = self.try_acquire_now(agent_urn, max_actions, period_ms, now_ms);
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
