//! SPEC 5.1 steps 3–5, remembered: the validated certificates, keyed by
//! the certificate as presented, bounded in number and in age.
//!
//! Every request of a known agent looks its certificate up here, so the
//! lookup is on the hot path: a [`bounded`](crate::bounded) cache (see there why
//! quick_cache), which keeps agents that come back over agents seen once.
//!
//! Age is kept here rather than by the cache: each entry carries the
//! verifier-clock time after which it is not used, so the one clock the
//! verifier is given decides (tests inject it), and an entry found stale is
//! removed at once. The path's own validity is checked on every use by the
//! caller as before.

use std::sync::Arc;

use crate::bounded::{bounded, Bounded};

/// A bounded cache of `V` by a 64-bit key, each entry usable until a time
/// of the verifier's clock.
pub(crate) struct ExpiringCache<V: Clone> {
    /// `None` when the capacity is zero: nothing is kept.
    entries: Option<Bounded<u64, Entry<V>>>,
}

#[derive(Clone)]
struct Entry<V> {
    value: V,
    /// Verifier-clock milliseconds from which the entry is stale.
    until_ms: u64,
}

impl<V: Clone> ExpiringCache<V> {
    /// A cache holding at most `capacity` entries.
    pub(crate) fn new(capacity: u64) -> Self {
        ExpiringCache {
            entries: bounded(capacity),
        }
    }

    /// The entry for `key` if it is not stale at `now_ms`; a stale one is
    /// removed.
    pub(crate) fn get(&self, key: u64, now_ms: u64) -> Option<V> {
        let entries = self.entries.as_ref()?;
        let entry = entries.get(&key)?;
        if now_ms < entry.until_ms {
            return Some(entry.value);
        }
        entries.remove_if(&key, |e| now_ms >= e.until_ms);
        None
    }

    /// Keeps `value` for `key` until `until_ms` (replacing any entry for
    /// `key`), evicting another entry when the cache is full.
    pub(crate) fn insert(&self, key: u64, value: V, until_ms: u64) {
        if let Some(entries) = &self.entries {
            entries.insert(key, Entry { value, until_ms });
        }
    }

    /// Drops every entry before it returns.
    pub(crate) fn clear(&self) {
        if let Some(entries) = &self.entries {
            entries.clear();
        }
    }

    /// How many entries are held (stale ones included until found or
    /// evicted).
    pub(crate) fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, Bounded::len)
    }

    /// Every value held, stale or not (a copy of each, taken shard by shard).
    pub(crate) fn values(&self) -> impl Iterator<Item = V> + '_ {
        self.entries
            .iter()
            .flat_map(|entries| entries.iter().map(|(_, e)| e.value))
    }
}

/// The certificate cache's value.
pub(crate) type CertificateCache = ExpiringCache<Arc<super::CachedCertificate>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_capacity_keeps_nothing() {
        let cache = ExpiringCache::<u32>::new(0);
        cache.insert(1, 7, u64::MAX);
        assert_eq!(cache.get(1, 0), None);
        assert_eq!(cache.len(), 0);
    }

    // MAX_CERTIFICATE_CACHE_TTL and the path's notAfter are enforced by the
    // verifier's clock: usable strictly before `until_ms`, and a stale entry
    // found is removed (so it no longer counts against the bound).
    #[test]
    fn an_entry_is_used_until_its_time_by_the_given_clock_then_removed() {
        let cache = ExpiringCache::<u32>::new(100);
        cache.insert(5, 7, 1_000);
        assert_eq!(cache.get(5, 0), Some(7));
        assert_eq!(cache.get(5, 999), Some(7));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(5, 1_000), None);
        assert_eq!(cache.len(), 0);
        // Re-inserted (re-validated), it is usable again.
        cache.insert(5, 8, 2_000);
        assert_eq!(cache.get(5, 1_500), Some(8));
    }

    #[test]
    fn clear_drops_every_entry_and_values_lists_them() {
        let cache = ExpiringCache::<u64>::new(1_000);
        for key in 0..100 {
            cache.insert(key, key, u64::MAX);
        }
        let mut values: Vec<u64> = cache.values().collect();
        values.sort_unstable();
        assert_eq!(values, (0..100).collect::<Vec<_>>());
        cache.clear();
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.values().count(), 0);
        assert_eq!(cache.get(3, 0), None);
    }
}
