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

use std::cmp::Reverse;
use std::collections::hash_map::RandomState;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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
/// Number of independently locked shards (by agent URN).
const RATE_SHARDS: usize = 32;
/// Idle-agent checks a call does in its shard before its own work.
const PURGE_BATCH: usize = 8;

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
    shards: [Mutex<Shard>; RATE_SHARDS],
    hasher: RandomState,
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
    windows: HashMap<Arc<str>, Window>,
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
        let shard = self.shard_for(agent_urn);
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
            shards: std::array::from_fn(|_| Mutex::new(Shard::default())),
            hasher: RandomState::new(),
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

    fn shard_for(&self, urn: &str) -> &Mutex<Shard> {
        let index = (self.hasher.hash_one(urn) % RATE_SHARDS as u64) as usize;
        // In bounds: `index < RATE_SHARDS`, the array's length.
        &self.shards[index]
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
                true
            }
            None => false,
        };
        if !self.reserve(&mut shard, known, now) {
            return Attempt::Full;
        }
        shard.record(urn, known, period, now);
        Attempt::Done(Ok(()))
    }

    // Bounded memory: one timestamp (and, for a new agent, one agent) must
    // fit under the caps, after dropping this shard's idle agents if needed.
    fn reserve(&self, shard: &mut Shard, known: bool, now: u64) -> bool {
        if self.try_reserve(known) {
            return true;
        }
        shard.purge(now, usize::MAX, &self.agents, &self.stamps);
        self.try_reserve(known)
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
        for shard in &self.shards {
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
                let at = window.times.back().map_or(now, |&last| last.max(now));
                window.times.push_back(at);
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

// A shard's state is consistent between statements that can panic, so a
// poisoned lock is recovered rather than propagated.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

// Every cap at least one.
fn check_config(config: &RateLimiterConfig) -> Result<(), ConfigError> {
    if config.max_agents == 0 || config.max_timestamps == 0 || config.max_actions_per_agent == 0 {
        return Err(ConfigError::new("rate limiter caps must be at least 1"));
    }
    Ok(())
}

// SPEC 3 (RateLimit: both ≥ 1) and SPEC 1 (URN length); fail closed.
fn check_arguments(urn: &str, max_actions: u64, period_ms: u64) -> Result<(), Error> {
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
mod tests {
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
}
