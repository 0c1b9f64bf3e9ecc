//! One agent's live pairs in the in-memory nonce store (SPEC 4.5), kept so
//! that no single request pays for moving many of them.
//!
//! A hash table grows by doubling: the insert that crosses its load limit
//! moves every entry to a table twice the size, under the shard's lock. In
//! one table per agent, that insert took time proportional to the agent's
//! live count (2.2 ms at 57 345 pairs, `examples/nonce_growth.rs`), while
//! the shard's other agents waited. So an agent's pairs start in one table
//! and, once they reach [`SPLIT_AT`], are spread over [`SPLIT_TABLES`]
//! tables by their key's first byte (the key is a keyed hash, so the
//! tables fill evenly): the split moves [`SPLIT_AT`] pairs once, and each
//! later growth moves one table's pairs, about 1/64 of the agent's. An
//! agent below [`SPLIT_AT`] (every agent that keeps to a usual rate) keeps
//! its one table and its memory; a split agent stays split until its last
//! pair goes (the store then drops its pairs).

use super::memory::PairKey;
use crate::keyed::FastMap;

/// Pairs an agent holds before its table is split.
pub(super) const SPLIT_AT: usize = 2_048;
/// Tables a split agent's pairs are spread over (a power of two: a table is
/// chosen by the low bits of the key's first byte).
pub(super) const SPLIT_TABLES: usize = 64;

/// One agent's pairs: key → keep-until (ms), and how many there are.
#[derive(Default)]
pub(super) struct AgentPairs {
    tables: Tables,
    len: usize,
}

enum Tables {
    One(FastMap<PairKey, u64>),
    Split(Box<[FastMap<PairKey, u64>; SPLIT_TABLES]>),
}

impl Default for Tables {
    fn default() -> Self {
        Tables::One(FastMap::default())
    }
}

/// Which of a split agent's tables holds `key`: below [`SPLIT_TABLES`].
#[inline]
fn table_of(key: &PairKey) -> usize {
    let [first, ..] = *key;
    usize::from(first) % SPLIT_TABLES
}

/// The table of `tables` that holds `key`.
// In bounds: `table_of` is a remainder by SPLIT_TABLES, the array's length.
#[allow(clippy::indexing_slicing)]
#[inline]
fn slot<'t, T>(tables: &'t [T; SPLIT_TABLES], key: &PairKey) -> &'t T {
    &tables[table_of(key)]
}

/// [`slot`], for writing.
// In bounds: as `slot`.
#[allow(clippy::indexing_slicing)]
#[inline]
fn slot_mut<'t, T>(tables: &'t mut [T; SPLIT_TABLES], key: &PairKey) -> &'t mut T {
    &mut tables[table_of(key)]
}

impl AgentPairs {
    /// How many pairs the agent holds (live or not yet purged).
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Whether the agent holds no pair.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn table(&self, key: &PairKey) -> &FastMap<PairKey, u64> {
        match &self.tables {
            Tables::One(table) => table,
            Tables::Split(tables) => slot(tables, key),
        }
    }

    #[inline]
    fn table_mut(&mut self, key: &PairKey) -> &mut FastMap<PairKey, u64> {
        match &mut self.tables {
            Tables::One(table) => table,
            Tables::Split(tables) => slot_mut(tables, key),
        }
    }

    /// The keep-until of `key`, if held.
    #[inline]
    pub(super) fn get(&self, key: &PairKey) -> Option<u64> {
        self.table(key).get(key).copied()
    }

    /// Forgets `key`; its keep-until, if it was held.
    #[inline]
    pub(super) fn remove(&mut self, key: &PairKey) -> Option<u64> {
        let removed = self.table_mut(key).remove(key);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// Holds `key` until `keep_until` (replacing an earlier keep-until),
    /// splitting the agent's table when it reaches [`SPLIT_AT`].
    #[inline]
    pub(super) fn insert(&mut self, key: PairKey, keep_until: u64) {
        if let Tables::One(table) = &mut self.tables {
            if table.len() >= SPLIT_AT && !table.contains_key(&key) {
                self.tables = Tables::Split(split(std::mem::take(table)));
            }
        }
        if self.table_mut(&key).insert(key, keep_until).is_none() {
            self.len += 1;
        }
    }

    /// The size of the agent's largest table: what one growth can move.
    #[cfg(test)]
    pub(super) fn largest_table(&self) -> usize {
        match &self.tables {
            Tables::One(table) => table.len(),
            Tables::Split(tables) => tables.iter().map(FastMap::len).max().unwrap_or(0),
        }
    }
}

/// Spreads one table's pairs over [`SPLIT_TABLES`] tables, each sized for
/// its share of them (together about the one table's size).
fn split(one: FastMap<PairKey, u64>) -> Box<[FastMap<PairKey, u64>; SPLIT_TABLES]> {
    let share = one.len() / SPLIT_TABLES;
    let mut tables: Box<[FastMap<PairKey, u64>; SPLIT_TABLES]> =
        Box::new(std::array::from_fn(|_| {
            FastMap::with_capacity_and_hasher(share, Default::default())
        }));
    for (key, keep_until) in one {
        slot_mut(&mut tables, &key).insert(key, keep_until);
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A key from a counter, its bytes spread as a keyed hash's are.
    fn key(i: u64) -> PairKey {
        let a = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
        let b = a.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ i;
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&a.to_le_bytes());
        k[8..].copy_from_slice(&b.to_le_bytes());
        k
    }

    // SPEC 4.5: the split keeps every answer of the store. Against a plain
    // map, through a sequence of inserts (new and repeated keys), removes
    // and lookups that takes an agent past SPLIT_AT, down below it and up
    // again.
    #[test]
    fn pairs_answer_as_one_map_before_and_after_the_split() {
        let mut pairs = AgentPairs::default();
        let mut model: HashMap<PairKey, u64> = HashMap::new();
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            state >> 33
        };
        let mut split_seen = false;
        for step in 0..60_000u64 {
            // Keys from a range that grows, so the count climbs past the
            // split, with repeats and removals along the way.
            let k = key(next() % (step / 4 + 16));
            match next() % 10 {
                0..=5 => {
                    pairs.insert(k, step);
                    model.insert(k, step);
                }
                6 | 7 => assert_eq!(pairs.remove(&k), model.remove(&k), "remove at {step}"),
                _ => assert_eq!(pairs.get(&k), model.get(&k).copied(), "get at {step}"),
            }
            assert_eq!(pairs.len(), model.len(), "len at {step}");
            assert_eq!(pairs.is_empty(), model.is_empty());
            split_seen |= matches!(pairs.tables, Tables::Split(_));
        }
        assert!(split_seen && model.len() > SPLIT_AT, "{}", model.len());
        for (k, v) in &model {
            assert_eq!(pairs.get(k), Some(*v));
        }
    }

    // SPEC 4.5, its cost bounded per request: what one growth can move.
    // Below the split, the agent's one table; after it, one of
    // SPLIT_TABLES tables, each holding about its share (counted, not
    // timed: 100 000 pairs, the default share of the store).
    #[test]
    fn after_the_split_no_table_holds_more_than_twice_its_share() {
        let mut pairs = AgentPairs::default();
        for i in 0..SPLIT_AT as u64 {
            pairs.insert(key(i), i);
        }
        assert_eq!(pairs.largest_table(), SPLIT_AT);
        assert!(matches!(pairs.tables, Tables::One(_)));
        pairs.insert(key(SPLIT_AT as u64), 0);
        assert!(matches!(pairs.tables, Tables::Split(_)));
        for i in SPLIT_AT as u64 + 1..100_000 {
            pairs.insert(key(i), i);
        }
        assert_eq!(pairs.len(), 100_000);
        let share = 100_000 / SPLIT_TABLES;
        assert!(
            pairs.largest_table() <= 2 * share,
            "{}",
            pairs.largest_table()
        );
        assert!(pairs.largest_table() >= share);
    }
}
