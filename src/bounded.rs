//! Bounded in-memory caches, at the ground so each table that the hot path
//! reads builds its cache one way: quick_cache's sharded cache, hashed with
//! the crate's [`FastState`], holding at most the configured number of
//! entries.
//!
//! Why quick_cache: a hit is one hash, one shard's read lock and a probe
//! (≈ 15–25 ns measured here, against ≈ 130–350 ns for moka's
//! `sync::Cache::get`, which also sends every read to a channel for its
//! housekeeping and reads the clock for its expiry). Its eviction
//! (CLOCK-Pro) keeps entries that are used again over entries seen once.
//! Time is not its business: each table keeps its own deadlines by the
//! verifier's injected clock.

use quick_cache::sync::Cache;
use quick_cache::{OptionsBuilder, UnitWeighter};

use crate::keyed::FastState;

/// A cache of at most a configured number of entries.
pub(crate) type Bounded<K, V> = Cache<K, V, UnitWeighter, FastState>;

/// Fewest entries per shard: smaller shards would round the bound per shard
/// away from the configured total (quick_cache's own rule of thumb).
const MIN_ENTRIES_PER_SHARD: u64 = 32;

/// Most shards: one read lock per shard, so lookups of different keys on
/// different cores rarely meet; quick_cache's own default is four per core.
const MAX_SHARDS: u64 = 64;

/// A cache that never holds more than `capacity` entries; `None` for a
/// capacity of zero (nothing is kept).
pub(crate) fn bounded<K, V>(capacity: u64) -> Option<Bounded<K, V>>
where
    K: Eq + std::hash::Hash,
    V: Clone,
{
    if capacity == 0 {
        return None;
    }
    let shards = shard_count(capacity);
    // Each shard holds at most ⌈weight / shards⌉ entries: with a weight
    // that is a multiple of the shard count the shards together hold at
    // most `capacity`.
    let weight = capacity - capacity % shards;
    let options = OptionsBuilder::new()
        .shards(usize::try_from(shards).unwrap_or(1))
        .estimated_items_capacity(usize::try_from(weight).unwrap_or(usize::MAX))
        .weight_capacity(weight)
        .build()
        .ok()?;
    Some(Cache::with_options(
        options,
        UnitWeighter,
        FastState::default(),
        Default::default(),
    ))
}

/// Shards for `capacity` entries: a power of two, four per core, at most
/// [`MAX_SHARDS`], and no fewer than [`MIN_ENTRIES_PER_SHARD`] entries each.
fn shard_count(capacity: u64) -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let mut shards = cores
        .saturating_mul(4)
        .clamp(1, MAX_SHARDS)
        .next_power_of_two();
    while shards > 1 && capacity / shards < MIN_ENTRIES_PER_SHARD {
        shards /= 2;
    }
    shards
}

#[cfg(test)]
mod tests {
    use super::*;

    // However many distinct keys are inserted, the cache never holds more
    // than its capacity — counted after every insert, for capacities below,
    // at and above one shard's minimum and not a multiple of the shards.
    #[test]
    fn a_bounded_cache_never_holds_more_than_its_capacity() {
        for capacity in [1u64, 2, 31, 32, 33, 100, 1_000, 4_097] {
            let cache = bounded::<u64, u32>(capacity).expect("a cache");
            let mut most = 0;
            for key in 0..capacity * 10 {
                cache.insert(key.wrapping_mul(0x9e37_79b9_7f4a_7c15), 7);
                most = most.max(cache.len());
            }
            assert!(
                most as u64 <= capacity,
                "capacity {capacity}: held {most} entries"
            );
            assert!(most > 0, "capacity {capacity}: kept nothing");
        }
        assert!(bounded::<u64, u32>(0).is_none());
    }

    #[test]
    fn shards_are_a_power_of_two_with_enough_entries_each() {
        for capacity in [1u64, 31, 64, 1_000, 10_000, 1 << 40] {
            let shards = shard_count(capacity);
            assert!(shards.is_power_of_two() && shards <= MAX_SHARDS);
            assert!(shards == 1 || capacity / shards >= MIN_ENTRIES_PER_SHARD);
        }
    }
}
