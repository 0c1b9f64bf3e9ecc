//! [`Sharded`]: the lock striping the in-memory stores share (nonce, rate,
//! daily): a fixed array of independently locked shards, one chosen per
//! agent, so agents contend only when they share a shard.

use std::hash::{BuildHasher, Hash};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::keyed::FastState;

/// `N` independently locked shards of `T`, chosen by a seeded hash of a key.
///
/// Each store keeps its shard state consistent between statements that can
/// panic, so a poisoned lock is recovered rather than propagated: one
/// panicking caller never turns every later request into a denial.
pub(crate) struct Sharded<T, const N: usize> {
    shards: [Mutex<T>; N],
    hasher: FastState,
}

impl<T: Default, const N: usize> Default for Sharded<T, N> {
    fn default() -> Self {
        Self {
            shards: std::array::from_fn(|_| Mutex::new(T::default())),
            hasher: FastState::default(),
        }
    }
}

impl<T, const N: usize> Sharded<T, N> {
    /// Refuses, at compile time, a store with no shard.
    const AT_LEAST_ONE: () = assert!(N > 0, "a sharded store needs at least one shard");

    /// The shard `key` belongs to (not yet locked).
    pub(crate) fn shard_for<K: Hash + ?Sized>(&self, key: &K) -> &Mutex<T> {
        let () = Self::AT_LEAST_ONE;
        let index = (self.hasher.hash_one(key) % N as u64) as usize;
        // In bounds: `index < N`, the array's length (N > 0, checked above).
        #[allow(clippy::indexing_slicing)]
        &self.shards[index]
    }

    /// Every shard, in order (for whole-store sweeps).
    pub(crate) fn all(&self) -> impl Iterator<Item = &Mutex<T>> {
        self.shards.iter()
    }
}

/// Locks a shard, recovering a poisoned lock (see [`Sharded`]).
pub(crate) fn lock<T>(shard: &Mutex<T>) -> MutexGuard<'_, T> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_always_maps_to_one_shard_and_keys_spread() {
        let s: Sharded<u32, 8> = Sharded::default();
        let first = s.shard_for("urn:kakunin:agent:a") as *const _;
        assert_eq!(first, s.shard_for("urn:kakunin:agent:a") as *const _);
        let used: std::collections::HashSet<_> = (0..200)
            .map(|i| s.shard_for(&format!("urn:kakunin:agent:{i}")) as *const _)
            .collect();
        assert!(
            used.len() > 4,
            "200 keys landed on {} of 8 shards",
            used.len()
        );
        assert_eq!(s.all().count(), 8);
    }

    #[test]
    fn a_poisoned_shard_is_recovered() {
        let s: std::sync::Arc<Sharded<u32, 2>> = std::sync::Arc::default();
        let t = std::sync::Arc::clone(&s);
        let _ = std::thread::spawn(move || {
            let _guard = lock(t.shard_for("k"));
            panic!("poison the shard");
        })
        .join();
        *lock(s.shard_for("k")) += 1;
        assert_eq!(*lock(s.shard_for("k")), 1);
    }
}
