//! [`MemoryNonceStore`]: the in-process nonce store (SPEC 4.5).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::agent_pairs::AgentPairs;
use super::{check_record, NonceRecord, NonceStore, NonceStoreConfig};
use crate::error::{ConfigError, Error};
use crate::future::BoxFuture;
use crate::keyed::{FastMap, Keyed128};
use crate::stores::sharded::{lock, Sharded};

/// Number of independently locked shards (by agent).
const NONCE_SHARDS: usize = 32;
/// Expired entries a call purges from its shard before its own work.
const PURGE_BATCH: usize = 8;

/// An agent URN, as a 128-bit keyed hash (SipHash-1-3 under a secret
/// per-process key): fixed size, so nothing is allocated per agent. Two URNs
/// that collided would only share one quota; the key is secret, so the
/// URNs (chosen by the CA anyway) cannot be made to collide.
type AgentKey = (u64, u64);
/// A 128-bit keyed hash (SipHash-1-3, another secret key) of
/// (cert SHA-256 ‖ nonce): fixed size, so the memory per entry is fixed
/// whatever the nonce. A collision could only deny a fresh nonce of the same
/// agent (never admit a replay), and without the key it has probability
/// 2^-128. (Keyed SipHash rather than SHA-256: about 2 000 fewer
/// instructions per request, and the key makes it no weaker here.)
pub(super) type PairKey = [u8; 16];

/// The in-memory [`NonceStore`] (SPEC 4.5), for a single verifier instance.
///
/// * Sharded by agent URN into independently locked shards; within a shard a
///   pair is checked and inserted under one lock, so insert-if-absent is
///   atomic, and an agent's share is counted under the same lock across all
///   of its certificates.
/// * Memory is bounded by `capacity`: a live pair costs one map entry
///   (16-byte key, 8-byte expiry) and one expiry-heap entry (40 bytes),
///   about 80 bytes with hash-table slack. Nothing is allocated per nonce
///   beyond the tables' amortized growth.
/// * An agent's pairs are spread over 64 tables once it holds 2 048, so a
///   table's growth, which moves that table's pairs under the shard's lock,
///   moves about 1/64 of a heavy agent's pairs rather than all of them
///   (`examples/nonce_growth.rs`: the largest call for 100 000 pairs of one
///   agent fell from 2.16 ms to 0.10 ms).
/// * A pair is live while `now_ms <= keep_until_ms`. Expired pairs are purged
///   a few at a time on each call, and fully before the store answers
///   `overloaded` or an agent is answered `rate_limited`, so both decisions
///   count live pairs exactly.
/// * Locks: a shard's state is never left half-updated (no code path panics
///   while holding it), so a poisoned lock is simply recovered.
pub struct MemoryNonceStore {
    shards: Sharded<Shard, NONCE_SHARDS>,
    agent_keys: Keyed128,
    pair_keys: Keyed128,
    /// Expiry-heap entries across all shards: an upper bound on live pairs,
    /// exact after a full purge.
    slots: AtomicUsize,
    capacity: usize,
    max_per_agent: usize,
}

/// One shard: the pairs of the agents that hash to it.
#[derive(Default)]
struct Shard {
    /// Per agent: pair key → keep-until (ms). An agent's live count is the
    /// number of its pairs (after purging), so it is kept exactly. A heavy
    /// agent's pairs are spread over several tables ([`AgentPairs`]), so
    /// that no request moves all of them when a table grows.
    agents: FastMap<AgentKey, AgentPairs>,
    /// Min-heap by keep-until. An entry whose pair was since forgotten or
    /// re-recorded with another keep-until is stale and simply dropped.
    expiry: BinaryHeap<Reverse<(u64, AgentKey, PairKey)>>,
}

/// An agent's [`AgentKey`] in one store, computed once per cached
/// certificate (the URN is hashed once, not on every request). Crate-only:
/// the verifier prepares it with its own store, at the moment it caches the
/// certificate, and hands it back to that store alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PreparedAgent(AgentKey);

/// The result of one attempt under a shard lock.
enum Attempt {
    /// A final answer.
    Done(Result<(), Error>),
    /// The whole store looked full: purge every shard, then try again.
    Full,
}

impl MemoryNonceStore {
    /// A store with the given limits.
    ///
    /// ```
    /// use kakunin_verify::replay::{MemoryNonceStore, NonceStoreConfig};
    /// let store = MemoryNonceStore::new(NonceStoreConfig {
    ///     capacity: 10_000,
    ///     max_agent_share_percent: 5,
    /// })?;
    /// assert_eq!(store.max_per_agent(), 500);
    /// assert!(MemoryNonceStore::new(NonceStoreConfig { capacity: 0, max_agent_share_percent: 5 }).is_err());
    /// # Ok::<(), kakunin_verify::ConfigError>(())
    /// ```
    pub fn new(config: NonceStoreConfig) -> Result<Self, ConfigError> {
        config.check()?;
        Ok(Self::build(config))
    }

    /// The capacity in live nonces.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most live nonces one agent (URN) may hold.
    pub fn max_per_agent(&self) -> usize {
        self.max_per_agent
    }

    /// The synchronous form of [`NonceStore::check_and_record`], for the
    /// verifier's hot path (no boxed future). Same answers.
    pub fn check_and_record_now(&self, record: &NonceRecord<'_>, now_ms: u64) -> Result<(), Error> {
        check_record(record)?;
        self.record_checked(self.agent_key(record.agent_urn), record, now_ms)
    }

    /// `record.agent_urn`'s key in this store, for
    /// [`check_and_record_prepared`](Self::check_and_record_prepared).
    pub(crate) fn prepare_agent(&self, agent_urn: &str) -> PreparedAgent {
        PreparedAgent(self.agent_key(agent_urn))
    }

    /// [`check_and_record_now`](Self::check_and_record_now) with the agent's
    /// key prepared by this store from `record.agent_urn`. Same answers.
    pub(crate) fn check_and_record_prepared(
        &self,
        PreparedAgent(agent): PreparedAgent,
        record: &NonceRecord<'_>,
        now_ms: u64,
    ) -> Result<(), Error> {
        check_record(record)?;
        self.record_checked(agent, record, now_ms)
    }

    // SPEC 4.5, for a record `check_record` accepted.
    fn record_checked(
        &self,
        agent: AgentKey,
        record: &NonceRecord<'_>,
        now_ms: u64,
    ) -> Result<(), Error> {
        let key = self
            .pair_keys
            .hash(&[record.cert_sha256, record.nonce.as_bytes()]);
        // SPEC 4.5: a recorded pair is live at least at the moment it is recorded.
        let keep_until = record.keep_until_ms.max(now_ms);
        let shard = self.shards.shard_for(&agent);
        match self.attempt(shard, agent, &key, keep_until, now_ms) {
            Attempt::Done(result) => result,
            Attempt::Full => {
                self.purge_all(now_ms);
                match self.attempt(shard, agent, &key, keep_until, now_ms) {
                    Attempt::Done(result) => result,
                    Attempt::Full => Err(store_full()),
                }
            }
        }
    }

    fn build(config: NonceStoreConfig) -> Self {
        MemoryNonceStore {
            shards: Sharded::default(),
            agent_keys: Keyed128::random(),
            pair_keys: Keyed128::random(),
            slots: AtomicUsize::new(0),
            capacity: config.capacity,
            max_per_agent: config.agent_quota(),
        }
    }

    fn agent_key(&self, urn: &str) -> AgentKey {
        let [a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7] =
            self.agent_keys.hash(&[urn.as_bytes()]);
        (
            u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
            u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
        )
    }

    // SPEC 4.5: check, then record if absent, all under the shard's lock.
    fn attempt(
        &self,
        shard: &Mutex<Shard>,
        agent: AgentKey,
        key: &PairKey,
        keep_until: u64,
        now: u64,
    ) -> Attempt {
        let mut shard = lock(shard);
        shard.purge(now, PURGE_BATCH, &self.slots);
        if let Err(e) = shard.check_replay(agent, key, now) {
            return Attempt::Done(Err(e));
        }
        if let Err(e) = self.check_agent_share(&mut shard, agent, now) {
            return Attempt::Done(Err(e));
        }
        if !self.reserve_slot() {
            shard.purge(now, usize::MAX, &self.slots);
            if !self.reserve_slot() {
                return Attempt::Full;
            }
        }
        shard.record(agent, key, keep_until);
        Attempt::Done(Ok(()))
    }

    // SPEC 4.5: one agent URN may hold at most its share of the store,
    // whatever the number of its certificates; counted exactly (expired
    // pairs purged) before denying.
    fn check_agent_share(&self, shard: &mut Shard, agent: AgentKey, now: u64) -> Result<(), Error> {
        if shard.agent_len(agent) < self.max_per_agent {
            return Ok(());
        }
        shard.purge(now, usize::MAX, &self.slots);
        if shard.agent_len(agent) < self.max_per_agent {
            return Ok(());
        }
        Err(Error::RateLimited(
            "agent holds its maximum share of the nonce store".into(),
        ))
    }

    // SPEC 4.5: a full store denies; it never evicts a live nonce.
    fn reserve_slot(&self) -> bool {
        self.slots
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            })
            .is_ok()
    }

    // SPEC 4.5: before saying `overloaded`, every expired pair is purged.
    fn purge_all(&self, now: u64) {
        for shard in self.shards.all() {
            lock(shard).purge(now, usize::MAX, &self.slots);
        }
    }
}

impl Shard {
    // SPEC 4.5: a live recorded pair is a replay; an expired one is forgotten.
    fn check_replay(&mut self, agent: AgentKey, key: &PairKey, now: u64) -> Result<(), Error> {
        let Some(pairs) = self.agents.get_mut(&agent) else {
            return Ok(());
        };
        match pairs.get(key) {
            Some(until) if now <= until => Err(Error::ReplayedRequest(
                "nonce already used by this certificate".into(),
            )),
            Some(_) => {
                // Expired but not yet purged: its heap entry becomes stale
                // and is dropped (releasing its slot) when it comes due.
                pairs.remove(key);
                if pairs.is_empty() {
                    self.agents.remove(&agent);
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn agent_len(&self, agent: AgentKey) -> usize {
        self.agents.get(&agent).map_or(0, |pairs| pairs.len())
    }

    // The caller has reserved one slot for the heap entry.
    fn record(&mut self, agent: AgentKey, key: &PairKey, keep_until: u64) {
        self.agents
            .entry(agent)
            .or_default()
            .insert(*key, keep_until);
        self.expiry.push(Reverse((keep_until, agent, *key)));
    }

    // SPEC 4.5: drops up to `limit` heap entries that expired before `now`,
    // forgetting their pairs unless re-recorded since.
    fn purge(&mut self, now: u64, limit: usize, slots: &AtomicUsize) {
        let mut purged = 0;
        while purged < limit {
            match self.expiry.peek() {
                Some(Reverse((until, _, _))) if *until < now => {}
                _ => break,
            }
            let Some(Reverse((until, agent, key))) = self.expiry.pop() else {
                break;
            };
            purged += 1;
            slots.fetch_sub(1, Ordering::AcqRel);
            self.forget_if(agent, &key, until);
        }
    }

    fn forget_if(&mut self, agent: AgentKey, key: &PairKey, until: u64) {
        let Some(pairs) = self.agents.get_mut(&agent) else {
            return;
        };
        if pairs.get(key) == Some(until) {
            pairs.remove(key);
            if pairs.is_empty() {
                self.agents.remove(&agent);
            }
        }
    }
}

fn store_full() -> Error {
    Error::Overloaded("nonce store is full".into())
}

impl Default for MemoryNonceStore {
    /// The SPEC 4.5 defaults: 1 000 000 live nonces, 10 % per agent.
    fn default() -> Self {
        Self::build(NonceStoreConfig::default())
    }
}

impl fmt::Debug for MemoryNonceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryNonceStore")
            .field("capacity", &self.capacity)
            .field("max_per_agent", &self.max_per_agent)
            .field("slots", &self.slots.load(Ordering::Relaxed))
            .finish()
    }
}

impl NonceStore for MemoryNonceStore {
    fn check_and_record<'a>(
        &'a self,
        record: NonceRecord<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let result = self.check_and_record_now(&record, now_ms);
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
