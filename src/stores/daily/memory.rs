//! [`MemoryDailyLimiter`]: the in-process cumulative daily limit
//! (SPEC 5.3, revision 1.2).

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{check_config, check_urn, DailyLimiter, DailyLimiterConfig, DailySpend};
use crate::decimal::Decimal;
use crate::error::{ConfigError, Error};
use crate::future::BoxFuture;
use crate::keyed::FastMap;
use crate::stores::sharded::{lock, Sharded};

/// Number of independently locked shards (by agent URN).
const DAILY_SHARDS: usize = 32;

/// The in-memory [`DailyLimiter`] (SPEC 5.3), for a single verifier instance.
///
/// * Exact: totals are [`Decimal`]s added with
///   [`Decimal::checked_add`]; a total that would need more digits than a
///   decimal holds is denied, never rounded.
/// * One total per agent URN, for one UTC day: each shard keeps the totals
///   of the newest day it has seen, and drops the older day's totals the
///   first time a newer day reaches it (so old days never pile up).
/// * Bounded: at most `max_agents` totals. When that many are tracked, past
///   days' totals are dropped everywhere; if the store is still full, a
///   trade of a new agent is `overloaded`. Today's totals are never
///   forgotten to make room (that would let an agent trade its limit again).
/// * A zero total is not stored: a zero-size trade of an untracked agent
///   needs no room, and a total refunded down to zero frees its slot.
/// * If the clock steps back to an earlier day, the trade is counted in the
///   newer day's total the shard already keeps: stricter, never looser.
/// * Locks: one short critical section per call, never held across an
///   await; a shard's state is consistent between statements that can
///   panic, so a poisoned lock is recovered.
pub struct MemoryDailyLimiter {
    shards: Sharded<Shard, DAILY_SHARDS>,
    config: DailyLimiterConfig,
    /// Totals stored across shards.
    agents: AtomicUsize,
}

/// One shard: today's totals of the agents whose URNs hash to it.
#[derive(Default)]
struct Shard {
    /// The UTC day every total in `totals` belongs to (the newest seen).
    day: u64,
    /// Non-zero totals, by agent URN.
    totals: FastMap<Box<str>, Decimal>,
}

/// The result of one attempt under a shard lock.
enum Attempt {
    /// A final answer.
    Done(Result<(), Error>),
    /// The agent cap was reached: drop past days everywhere, then retry.
    Full,
}

impl MemoryDailyLimiter {
    /// A limiter with the given limits (each at least 1).
    ///
    /// ```
    /// use kakunin_verify::stores::daily::{DailyLimiterConfig, MemoryDailyLimiter};
    /// let limiter = MemoryDailyLimiter::new(DailyLimiterConfig { max_agents: 1_000 })?;
    /// # Ok::<(), kakunin_verify::ConfigError>(())
    /// ```
    pub fn new(config: DailyLimiterConfig) -> Result<Self, ConfigError> {
        check_config(&config)?;
        Ok(Self::build(config))
    }

    /// The synchronous form of [`DailyLimiter::try_add`], for the verifier's
    /// hot path (no boxed future). Same answers.
    pub fn try_add_now(&self, spend: DailySpend<'_>) -> Result<(), Error> {
        check_urn(spend.agent_urn)?;
        let shard = self.shards.shard_for(spend.agent_urn);
        match self.attempt(shard, spend) {
            Attempt::Done(result) => result,
            Attempt::Full => {
                self.drop_days_before(spend.day);
                match self.attempt(shard, spend) {
                    Attempt::Done(result) => result,
                    Attempt::Full => Err(Error::Overloaded("daily limiter is full".into())),
                }
            }
        }
    }

    /// The synchronous form of [`DailyLimiter::refund`]. Same answers.
    pub fn refund_now(&self, agent_urn: &str, day: u64, size: &Decimal) -> Result<(), Error> {
        check_urn(agent_urn)?;
        let mut shard = lock(self.shards.shard_for(agent_urn));
        if shard.day != day {
            // That day's totals are gone (or were never kept here): nothing
            // to take back.
            return Ok(());
        }
        let Some(total) = shard.totals.get_mut(agent_urn) else {
            return Ok(());
        };
        if *size >= *total {
            // Never below zero; a zero total is not stored.
            shard.totals.remove(agent_urn);
            self.agents.fetch_sub(1, Ordering::AcqRel);
            return Ok(());
        }
        // A difference that cannot be held exactly leaves the total higher
        // (stricter) rather than rounding it down.
        if let Some(rest) = total.checked_sub(size) {
            *total = rest;
        }
        Ok(())
    }

    /// Agents whose total is tracked now.
    pub fn tracked_agents(&self) -> usize {
        self.agents.load(Ordering::Acquire)
    }

    fn build(config: DailyLimiterConfig) -> Self {
        MemoryDailyLimiter {
            shards: Sharded::default(),
            config,
            agents: AtomicUsize::new(0),
        }
    }

    // SPEC 5.3 (1.2): this trade fits if the agent's total today, this trade
    // included, is at most the limit; then it is added, all under the
    // shard's lock (two concurrent trades cannot share the same room).
    fn attempt(&self, shard: &Mutex<Shard>, spend: DailySpend<'_>) -> Attempt {
        let mut shard = lock(shard);
        shard.roll_to(spend.day, &self.agents);
        let current = shard.totals.get(spend.agent_urn);
        let Some(total) = current.unwrap_or(&Decimal::zero()).checked_add(spend.size) else {
            return Attempt::Done(Err(Error::AmountExceedsLimit(
                "the daily total cannot be held exactly".into(),
            )));
        };
        if total > *spend.limit {
            return Attempt::Done(Err(Error::AmountExceedsLimit(
                "the trade would take the day's total past dailyLimit".into(),
            )));
        }
        if let Some(slot) = shard.totals.get_mut(spend.agent_urn) {
            *slot = total;
            return Attempt::Done(Ok(()));
        }
        if total.is_zero() {
            return Attempt::Done(Ok(()));
        }
        if !reserve_one(&self.agents, self.config.max_agents) {
            return Attempt::Full;
        }
        shard.totals.insert(spend.agent_urn.into(), total);
        Attempt::Done(Ok(()))
    }

    // Bounded memory: before answering `overloaded`, every shard still
    // holding a day before `day` drops it. Today's totals stay.
    fn drop_days_before(&self, day: u64) {
        for shard in self.shards.all() {
            lock(shard).roll_to(day, &self.agents);
        }
    }
}

impl Shard {
    // SPEC 5.3: a new UTC day starts every total from zero; the past day's
    // totals are dropped. An older `day` (clock stepped back) keeps the
    // newer totals.
    fn roll_to(&mut self, day: u64, agents: &AtomicUsize) {
        if day <= self.day {
            return;
        }
        agents.fetch_sub(self.totals.len(), Ordering::AcqRel);
        self.totals = FastMap::default();
        self.day = day;
    }
}

// Takes one unit of a capped counter, if any is left.
fn reserve_one(counter: &AtomicUsize, cap: usize) -> bool {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < cap).then_some(n + 1)
        })
        .is_ok()
}

impl Default for MemoryDailyLimiter {
    /// [`DailyLimiterConfig::default`] limits.
    fn default() -> Self {
        Self::build(DailyLimiterConfig::default())
    }
}

impl fmt::Debug for MemoryDailyLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryDailyLimiter")
            .field("config", &self.config)
            .field("agents", &self.agents.load(Ordering::Relaxed))
            .finish()
    }
}

impl DailyLimiter for MemoryDailyLimiter {
    fn try_add<'a>(&'a self, spend: DailySpend<'a>) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(std::future::ready(self.try_add_now(spend)))
    }

    fn refund<'a>(
        &'a self,
        agent_urn: &'a str,
        day: u64,
        size: &'a Decimal,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(std::future::ready(self.refund_now(agent_urn, day, size)))
    }
}

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
