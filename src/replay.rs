//! SPEC section 4.5: the nonce store that refuses replayed requests.
//!
//! The verifier records the pair (leaf SHA-256, nonce) at step 8 of SPEC 5.1,
//! atomically, and keeps it live until `timestamp + 60 000 ms`. A live pair
//! seen again is `replayed_request`. The store is bounded and never forgets a
//! live nonce to make room: a full store is `overloaded`, and an agent that
//! already holds its share of the store is `rate_limited`.
//!
//! [`NonceStore`] is the trait a shared store (for a fleet of verifiers)
//! implements; [`MemoryNonceStore`] is the in-process default.
//!
//! ```
//! use kakunin_verify::replay::MemoryNonceStore;
//! use kakunin_verify::Code;
//!
//! let store = MemoryNonceStore::default();
//! let cert = [7u8; 32];
//! let now = 1_700_000_000_000;
//! store.check_and_record_now(&cert, "nonce-0123456789ab", now + 60_000, now)?;
//! let again = store.check_and_record_now(&cert, "nonce-0123456789ab", now + 60_000, now + 1);
//! assert_eq!(again.unwrap_err().code(), Code::ReplayedRequest);
//! # Ok::<(), kakunin_verify::Error>(())
//! ```

use std::cmp::Reverse;
use std::collections::hash_map::RandomState;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{ConfigError, Error};
use crate::future::BoxFuture;

/// Default capacity: live nonces the store may hold (SPEC 4.5).
pub const DEFAULT_NONCE_CAPACITY: usize = 1_000_000;
/// Default share of the capacity one agent may hold, in percent (SPEC 4.5).
pub const DEFAULT_AGENT_SHARE_PERCENT: u8 = 10;
/// Largest capacity [`MemoryNonceStore::new`] accepts.
pub const MAX_NONCE_CAPACITY: usize = 100_000_000;
/// Longest nonce accepted, in bytes (SPEC 4.1 allows 16 to 64 characters).
pub const MAX_NONCE_LEN: usize = 64;
/// Number of independently locked shards (by certificate).
const NONCE_SHARDS: usize = 32;
/// Expired entries a call purges from its shard before its own work.
const PURGE_BATCH: usize = 8;

/// A leaf certificate's SHA-256.
type CertKey = [u8; 32];
/// The first 128 bits of SHA-256(nonce): fixed size, so memory per entry is
/// fixed whatever the nonce.
type NonceKey = [u8; 16];

/// A store of recently seen (certificate, nonce) pairs (SPEC 4.5).
///
/// Implementations MUST insert-if-absent atomically (two concurrent copies of
/// one request cannot both pass), keep each pair at least until
/// `keep_until_ms`, never evict a live pair to make room, and fail closed.
/// The method is async so that a store shared by a fleet of verifiers (for
/// example on Redis) can implement it.
pub trait NonceStore: Send + Sync + 'static {
    /// Records (`cert_sha256`, `nonce`) unless already recorded and live.
    ///
    /// * `Ok(())`: recorded now; the request may proceed.
    /// * [`Error::ReplayedRequest`]: the pair is already recorded and live.
    /// * [`Error::RateLimited`]: this certificate already holds its maximum
    ///   share of the store.
    /// * [`Error::Overloaded`]: the store is full of live pairs (or a shared
    ///   store is unreachable).
    /// * [`Error::MalformedRequest`]: the nonce is longer than [`MAX_NONCE_LEN`].
    fn check_and_record<'a>(
        &'a self,
        cert_sha256: &'a [u8; 32],
        nonce: &'a str,
        keep_until_ms: u64,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// Limits of a [`MemoryNonceStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceStoreConfig {
    /// Live nonces the store may hold; 1 to [`MAX_NONCE_CAPACITY`].
    pub capacity: usize,
    /// Share of `capacity` one certificate may hold, 1 to 100 percent
    /// (rounded down, but at least one nonce).
    pub max_agent_share_percent: u8,
}

impl Default for NonceStoreConfig {
    fn default() -> Self {
        NonceStoreConfig {
            capacity: DEFAULT_NONCE_CAPACITY,
            max_agent_share_percent: DEFAULT_AGENT_SHARE_PERCENT,
        }
    }
}

/// The in-memory [`NonceStore`] (SPEC 4.5), for a single verifier instance.
///
/// * Sharded by certificate into independently locked shards; within a shard
///   a pair is checked and inserted under one lock, so insert-if-absent is
///   atomic.
/// * Memory is bounded by `capacity`: a pair is kept as the certificate hash
///   and the first 128 bits of SHA-256 of the nonce (a false replay needs a
///   128-bit SHA-256 prefix collision under one certificate), plus an
///   expiry-heap entry: about 80 bytes per live pair, up to about 200 with
///   the growth slack of hash tables and heaps, so 80 to 200 MB at the
///   default capacity of one million. Nothing is allocated per nonce.
/// * A pair is live while `now_ms <= keep_until_ms`. Expired pairs are purged
///   a few at a time on each call, and fully before the store answers
///   `overloaded` or an agent is answered `rate_limited`, so both decisions
///   count live pairs exactly.
/// * Locks: a shard's state is never left half-updated (no code path panics
///   while holding it), so a poisoned lock is simply recovered.
pub struct MemoryNonceStore {
    shards: [Mutex<Shard>; NONCE_SHARDS],
    hasher: RandomState,
    /// Expiry-heap entries across all shards: an upper bound on live pairs,
    /// exact after a full purge.
    slots: AtomicUsize,
    capacity: usize,
    max_per_agent: usize,
}

/// One shard: the pairs of the certificates that hash to it.
#[derive(Default)]
struct Shard {
    /// Per certificate: nonce key → keep-until (ms). An agent's live count is
    /// the size of its map (after purging), so it is kept exactly.
    agents: HashMap<CertKey, HashMap<NonceKey, u64>>,
    /// Min-heap by keep-until. An entry whose pair was since forgotten or
    /// re-recorded with another keep-until is stale and simply dropped.
    expiry: BinaryHeap<Reverse<(u64, CertKey, NonceKey)>>,
}

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
        check_config(&config)?;
        Ok(Self::build(config))
    }

    /// The capacity in live nonces.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most live nonces one certificate may hold.
    pub fn max_per_agent(&self) -> usize {
        self.max_per_agent
    }

    /// The synchronous form of [`NonceStore::check_and_record`], for the
    /// verifier's hot path (no boxed future). Same answers.
    pub fn check_and_record_now(
        &self,
        cert_sha256: &[u8; 32],
        nonce: &str,
        keep_until_ms: u64,
        now_ms: u64,
    ) -> Result<(), Error> {
        check_nonce_len(nonce)?;
        let key = nonce_key(nonce);
        // SPEC 4.5: a recorded pair is live at least at the moment it is recorded.
        let keep_until = keep_until_ms.max(now_ms);
        let shard = self.shard_for(cert_sha256);
        match self.attempt(shard, cert_sha256, &key, keep_until, now_ms) {
            Attempt::Done(result) => result,
            Attempt::Full => {
                self.purge_all(now_ms);
                match self.attempt(shard, cert_sha256, &key, keep_until, now_ms) {
                    Attempt::Done(result) => result,
                    Attempt::Full => Err(store_full()),
                }
            }
        }
    }

    fn build(config: NonceStoreConfig) -> Self {
        let shards = std::array::from_fn(|_| Mutex::new(Shard::default()));
        MemoryNonceStore {
            shards,
            hasher: RandomState::new(),
            slots: AtomicUsize::new(0),
            capacity: config.capacity,
            max_per_agent: agent_quota(config.capacity, config.max_agent_share_percent),
        }
    }

    fn shard_for(&self, cert: &CertKey) -> &Mutex<Shard> {
        let index = (self.hasher.hash_one(cert) % NONCE_SHARDS as u64) as usize;
        // In bounds: `index < NONCE_SHARDS`, the array's length.
        &self.shards[index]
    }

    // SPEC 4.5: check, then record if absent, all under the shard's lock.
    fn attempt(
        &self,
        shard: &Mutex<Shard>,
        cert: &CertKey,
        key: &NonceKey,
        keep_until: u64,
        now: u64,
    ) -> Attempt {
        let mut shard = lock(shard);
        shard.purge(now, PURGE_BATCH, &self.slots);
        if let Err(e) = shard.check_replay(cert, key, now) {
            return Attempt::Done(Err(e));
        }
        if let Err(e) = self.check_agent_share(&mut shard, cert, now) {
            return Attempt::Done(Err(e));
        }
        if !self.reserve_slot() {
            shard.purge(now, usize::MAX, &self.slots);
            if !self.reserve_slot() {
                return Attempt::Full;
            }
        }
        shard.record(cert, key, keep_until);
        Attempt::Done(Ok(()))
    }

    // SPEC 4.5: one agent may hold at most its share of the store; counted
    // exactly (expired pairs purged) before denying.
    fn check_agent_share(&self, shard: &mut Shard, cert: &CertKey, now: u64) -> Result<(), Error> {
        if shard.agent_len(cert) < self.max_per_agent {
            return Ok(());
        }
        shard.purge(now, usize::MAX, &self.slots);
        if shard.agent_len(cert) < self.max_per_agent {
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
        for shard in self.shards.iter() {
            lock(shard).purge(now, usize::MAX, &self.slots);
        }
    }
}

impl Shard {
    // SPEC 4.5: a live recorded pair is a replay; an expired one is forgotten.
    fn check_replay(&mut self, cert: &CertKey, key: &NonceKey, now: u64) -> Result<(), Error> {
        let Some(nonces) = self.agents.get_mut(cert) else {
            return Ok(());
        };
        match nonces.get(key) {
            Some(&until) if now <= until => Err(Error::ReplayedRequest(
                "nonce already used by this certificate".into(),
            )),
            Some(_) => {
                // Expired but not yet purged: its heap entry becomes stale
                // and is dropped (releasing its slot) when it comes due.
                nonces.remove(key);
                if nonces.is_empty() {
                    self.agents.remove(cert);
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn agent_len(&self, cert: &CertKey) -> usize {
        self.agents.get(cert).map_or(0, HashMap::len)
    }

    // The caller has reserved one slot for the heap entry.
    fn record(&mut self, cert: &CertKey, key: &NonceKey, keep_until: u64) {
        self.agents
            .entry(*cert)
            .or_default()
            .insert(*key, keep_until);
        self.expiry.push(Reverse((keep_until, *cert, *key)));
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
            let Some(Reverse((until, cert, key))) = self.expiry.pop() else {
                break;
            };
            purged += 1;
            slots.fetch_sub(1, Ordering::AcqRel);
            self.forget_if(&cert, &key, until);
        }
    }

    fn forget_if(&mut self, cert: &CertKey, key: &NonceKey, until: u64) {
        let Some(nonces) = self.agents.get_mut(cert) else {
            return;
        };
        if nonces.get(key) == Some(&until) {
            nonces.remove(key);
            if nonces.is_empty() {
                self.agents.remove(cert);
            }
        }
    }
}

// A shard's state is consistent between statements that can panic, so a
// poisoned lock is recovered rather than propagated.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

// SPEC 4.5: a capacity and a share in range.
fn check_config(config: &NonceStoreConfig) -> Result<(), ConfigError> {
    if config.capacity == 0 || config.capacity > MAX_NONCE_CAPACITY {
        return Err(ConfigError::new(format!(
            "nonce store capacity must be 1 to {MAX_NONCE_CAPACITY}"
        )));
    }
    if !(1..=100).contains(&config.max_agent_share_percent) {
        return Err(ConfigError::new(
            "nonce store agent share must be 1 to 100 percent",
        ));
    }
    Ok(())
}

// SPEC 4.5: the share in nonces, rounded down, at least one.
fn agent_quota(capacity: usize, percent: u8) -> usize {
    let quota = (capacity as u128 * u128::from(percent)) / 100;
    usize::try_from(quota)
        .unwrap_or(capacity)
        .clamp(1, capacity.max(1))
}

// SPEC 4.1: nonces are at most 64 characters (checked earlier too, but the
// store does not rely on it).
fn check_nonce_len(nonce: &str) -> Result<(), Error> {
    if nonce.len() > MAX_NONCE_LEN {
        return Err(Error::MalformedRequest("nonce longer than 64 bytes".into()));
    }
    Ok(())
}

// A fixed-size key for a nonce: the first 128 bits of its SHA-256.
fn nonce_key(nonce: &str) -> NonceKey {
    let digest = ring::digest::digest(&ring::digest::SHA256, nonce.as_bytes());
    let mut key = [0u8; 16];
    for (k, d) in key.iter_mut().zip(digest.as_ref()) {
        *k = *d;
    }
    key
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
        cert_sha256: &'a [u8; 32],
        nonce: &'a str,
        keep_until_ms: u64,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let result = self.check_and_record_now(cert_sha256, nonce, keep_until_ms, now_ms);
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    const NOW: u64 = 1_700_000_000_000;
    const KEEP: u64 = 60_000;
    const A: [u8; 32] = [1; 32];
    const B: [u8; 32] = [2; 32];

    fn store(capacity: usize, percent: u8) -> MemoryNonceStore {
        MemoryNonceStore::new(NonceStoreConfig {
            capacity,
            max_agent_share_percent: percent,
        })
        .unwrap()
    }

    fn code(r: Result<(), Error>) -> Option<Code> {
        r.err().map(|e| e.code())
    }

    fn nonce(i: usize) -> String {
        format!("nonce-{i:016}")
    }

    #[test]
    fn replay_is_refused_while_live() {
        let s = MemoryNonceStore::default();
        assert_eq!(
            s.check_and_record_now(&A, "n-0123456789abcdef", NOW + KEEP, NOW),
            Ok(())
        );
        for later in [NOW, NOW + 1, NOW + KEEP] {
            let r = s.check_and_record_now(&A, "n-0123456789abcdef", later + KEEP, later);
            assert_eq!(code(r), Some(Code::ReplayedRequest), "at {later}");
        }
    }

    #[test]
    fn same_nonce_for_another_certificate_is_fine() {
        let s = MemoryNonceStore::default();
        assert_eq!(
            s.check_and_record_now(&A, "same-nonce-123456", NOW + KEEP, NOW),
            Ok(())
        );
        assert_eq!(
            s.check_and_record_now(&B, "same-nonce-123456", NOW + KEEP, NOW),
            Ok(())
        );
        let r = s.check_and_record_now(&B, "same-nonce-123456", NOW + KEEP, NOW);
        assert_eq!(code(r), Some(Code::ReplayedRequest));
    }

    #[test]
    fn nonce_can_be_recorded_again_after_keep_until() {
        let s = MemoryNonceStore::default();
        assert_eq!(
            s.check_and_record_now(&A, "n-expiring-000000", NOW + KEEP, NOW),
            Ok(())
        );
        let after = NOW + KEEP + 1;
        assert_eq!(
            s.check_and_record_now(&A, "n-expiring-000000", after + KEEP, after),
            Ok(())
        );
        let r = s.check_and_record_now(&A, "n-expiring-000000", after + KEEP, after + 5);
        assert_eq!(code(r), Some(Code::ReplayedRequest));
    }

    #[test]
    fn stale_heap_entry_does_not_forget_a_rerecorded_nonce() {
        let s = MemoryNonceStore::default();
        assert_eq!(
            s.check_and_record_now(&A, "n-stale-00000000", NOW + 10, NOW),
            Ok(())
        );
        // Re-recorded after expiry, before any purge of the old heap entry.
        let t1 = NOW + 11;
        assert_eq!(
            s.check_and_record_now(&A, "n-stale-00000000", t1 + KEEP, t1),
            Ok(())
        );
        // Later calls purge the stale entry; the new record must survive it.
        let t2 = NOW + 1000;
        assert_eq!(
            s.check_and_record_now(&A, "n-other-00000000", t2 + KEEP, t2),
            Ok(())
        );
        let r = s.check_and_record_now(&A, "n-stale-00000000", t2 + KEEP, t2);
        assert_eq!(code(r), Some(Code::ReplayedRequest));
    }

    #[test]
    fn keep_until_in_the_past_is_still_live_now() {
        let s = MemoryNonceStore::default();
        assert_eq!(
            s.check_and_record_now(&A, "n-past-000000000", NOW - 5, NOW),
            Ok(())
        );
        let r = s.check_and_record_now(&A, "n-past-000000000", NOW - 5, NOW);
        assert_eq!(code(r), Some(Code::ReplayedRequest));
    }

    #[test]
    fn full_store_is_overloaded_until_nonces_expire() {
        let capacity = 50;
        let s = store(capacity, 100);
        let certs: Vec<[u8; 32]> = (0..capacity).map(|i| [i as u8; 32]).collect();
        for (i, cert) in certs.iter().enumerate() {
            assert_eq!(
                s.check_and_record_now(cert, &nonce(i), NOW + KEEP, NOW),
                Ok(())
            );
        }
        let r = s.check_and_record_now(&[200; 32], &nonce(999), NOW + KEEP, NOW + 1);
        assert_eq!(code(r), Some(Code::Overloaded));
        // Nothing live was forgotten to make room.
        for (i, cert) in certs.iter().enumerate() {
            let r = s.check_and_record_now(cert, &nonce(i), NOW + KEEP, NOW + 2);
            assert_eq!(code(r), Some(Code::ReplayedRequest));
        }
        let later = NOW + KEEP + 1;
        for i in 0..capacity {
            let r = s.check_and_record_now(&[200; 32], &nonce(1000 + i), later + KEEP, later);
            assert_eq!(r, Ok(()), "{i}");
        }
        let r = s.check_and_record_now(&[201; 32], &nonce(0), later + KEEP, later);
        assert_eq!(code(r), Some(Code::Overloaded));
    }

    #[test]
    fn agent_share_is_rate_limited_while_others_pass() {
        let s = store(100, 10);
        assert_eq!(s.max_per_agent(), 10);
        for i in 0..10 {
            assert_eq!(
                s.check_and_record_now(&A, &nonce(i), NOW + KEEP, NOW),
                Ok(())
            );
        }
        let r = s.check_and_record_now(&A, &nonce(10), NOW + KEEP, NOW);
        assert_eq!(code(r), Some(Code::RateLimited));
        // A replay is still reported as a replay.
        let r = s.check_and_record_now(&A, &nonce(3), NOW + KEEP, NOW);
        assert_eq!(code(r), Some(Code::ReplayedRequest));
        assert_eq!(
            s.check_and_record_now(&B, &nonce(10), NOW + KEEP, NOW),
            Ok(())
        );
        // Once A's nonces expire, A may record again.
        let later = NOW + KEEP + 1;
        assert_eq!(
            s.check_and_record_now(&A, &nonce(10), later + KEEP, later),
            Ok(())
        );
    }

    #[test]
    fn overlong_nonce_is_malformed() {
        let s = MemoryNonceStore::default();
        let long = "a".repeat(MAX_NONCE_LEN + 1);
        assert_eq!(
            code(s.check_and_record_now(&A, &long, NOW + KEEP, NOW)),
            Some(Code::MalformedRequest)
        );
        let max = "a".repeat(MAX_NONCE_LEN);
        assert_eq!(s.check_and_record_now(&A, &max, NOW + KEEP, NOW), Ok(()));
    }

    #[test]
    fn config_is_validated() {
        let bad = [(0, 10), (MAX_NONCE_CAPACITY + 1, 10), (10, 0), (10, 101)];
        for (capacity, percent) in bad {
            let c = NonceStoreConfig {
                capacity,
                max_agent_share_percent: percent,
            };
            assert!(MemoryNonceStore::new(c).is_err(), "{capacity} {percent}");
        }
        assert_eq!(store(5, 10).max_per_agent(), 1);
        assert_eq!(MemoryNonceStore::default().max_per_agent(), 100_000);
        assert_eq!(
            MemoryNonceStore::default().capacity(),
            DEFAULT_NONCE_CAPACITY
        );
    }

    #[test]
    fn trait_method_delegates() {
        let s = MemoryNonceStore::default();
        let dynamic: &dyn NonceStore = &s;
        let first =
            pollster::block_on(dynamic.check_and_record(&A, "n-trait-00000000", NOW + KEEP, NOW));
        assert_eq!(first, Ok(()));
        let again =
            pollster::block_on(dynamic.check_and_record(&A, "n-trait-00000000", NOW + KEEP, NOW));
        assert_eq!(code(again), Some(Code::ReplayedRequest));
    }
}
