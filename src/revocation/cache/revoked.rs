//! SPEC 7.2 / 7.3: the revoked set — serials kept revoked until their
//! certificate's notAfter, outside any evicting cache, bounded in count and
//! failing closed when full.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::serial::MAX_SERIAL_TEXT_LEN;
use super::{normalize_serial_hex, RevocationSerial};

/// Why a revocation could not be recorded in the [`RevokedSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RevokeError {
    /// The serial text is not hex (see [`normalize_serial_hex`]).
    #[error("invalid serial number text")]
    InvalidSerial,
    /// SPEC 7.3: the set is full of live revocations; nothing was recorded
    /// and, until entries lapse, every lookup that finds no revocation is
    /// [`RevokedLookup::Full`] (fail closed). The sender must retry.
    #[error("the revoked set is full")]
    Full,
    /// SPEC 7.3 with a fleet: recorded locally, but the shared revoked set
    /// could not record it in time; the sender must retry.
    #[error("the shared revoked set is unavailable")]
    SharedStore,
}

impl RevokeError {
    /// The HTTP status an integrator's handler answers with: 400 for a bad
    /// serial (retrying will not help), 503 for a full set (SPEC 7.3: the
    /// sender retries).
    pub fn http_status(&self) -> u16 {
        match self {
            RevokeError::InvalidSerial => 400,
            RevokeError::Full | RevokeError::SharedStore => 503,
        }
    }
}

/// What the [`RevokedSet`] says about a serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokedLookup {
    /// Revoked; marked at `marked_at_ms` by `source`.
    Revoked {
        /// When the revocation was learnt (or the source's answer made), Unix ms.
        marked_at_ms: u64,
        /// Who said so (`push`, `endpoint`, `ocsp`, ...).
        source: &'static str,
    },
    /// Not in the set, but the set is full (SPEC 7.3): a revocation may have
    /// been refused, so nothing can be vouched for — `revocation_unavailable`.
    Full,
    /// Not revoked as far as the set knows.
    NotRevoked,
}

#[derive(Debug, Clone, Copy)]
struct RevokedEntry {
    until_ms: u64,
    marked_at_ms: u64,
    source: &'static str,
}

#[derive(Debug, Default)]
struct RevokedState {
    entries: HashMap<String, RevokedEntry>,
    /// No entry ends before this (a lower bound: entries only ever get
    /// later ends), so a full set is re-examined only once one may have lapsed.
    earliest_end_ms: u64,
}

/// SPEC 7.2 / 7.3: revoked serials, kept until their end time (the
/// certificate's notAfter, or for a push whose notAfter is unknown the
/// longest validity accepted), outside any evicting cache. Revocations
/// learnt from a source are keyed by (issuer, serial) — serials are unique
/// only per issuing CA; pushed revocations (whose events name only the
/// serial) by serial alone, and so apply whatever the issuer.
///
/// Bounded in count, and nothing lapses early: when the set holds
/// `max_entries` live serials, a new revocation is refused
/// ([`RevokeError::Full`], so a webhook answers 503 and its sender retries)
/// and every lookup that finds no revocation is [`RevokedLookup::Full`]
/// (`revocation_unavailable`) until entries lapse.
///
/// With no entry the lookup takes no lock and allocates nothing.
///
/// ```
/// use kakunin_verify::revocation::cache::{RevokeError, RevokedLookup, RevokedSet};
/// let set = RevokedSet::new(1);
/// set.insert("0A:3F", 2_000, "push", 1_000).unwrap();
/// assert!(matches!(set.lookup("0a3f", 1_500), RevokedLookup::Revoked { .. }));
/// assert_eq!(set.insert("77", 9_000, "push", 1_500), Err(RevokeError::Full));
/// assert_eq!(set.lookup("88", 1_500), RevokedLookup::Full); // fail closed
/// assert_eq!(set.lookup("0a3f", 2_000), RevokedLookup::NotRevoked); // lapsed: room again
/// ```
#[derive(Debug)]
pub struct RevokedSet {
    max_entries: usize,
    /// The number of entries (written under the lock, read without it).
    count: AtomicUsize,
    /// Read-mostly: every request of a verifier whose set holds anything
    /// looks its serial up (a shared lock, so lookups on different threads
    /// never wait for each other); only recording a revocation, and purging
    /// lapsed entries once the set is full, take it exclusively.
    state: RwLock<RevokedState>,
}

impl RevokedSet {
    /// An empty set holding at most `max_entries` serials (0: always full).
    pub fn new(max_entries: usize) -> Self {
        RevokedSet {
            max_entries,
            count: AtomicUsize::new(0),
            state: RwLock::new(RevokedState::default()),
        }
    }

    /// The most serials held at once.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Records `serial_hex` as revoked (for any issuer) until `until_ms`,
    /// learnt at `now_ms` from `source`. A serial already present keeps the
    /// later end time and the earlier mark.
    pub fn insert(
        &self,
        serial_hex: &str,
        until_ms: u64,
        source: &'static str,
        now_ms: u64,
    ) -> Result<(), RevokeError> {
        self.insert_scoped(None, serial_hex, until_ms, source, now_ms)
    }

    /// Records a serial revoked by the issuer whose certificate has SHA-256
    /// `issuer` (`None`: any issuer, as for a pushed revocation).
    pub fn insert_scoped(
        &self,
        issuer: Option<&[u8; 32]>,
        serial_hex: &str,
        until_ms: u64,
        source: &'static str,
        now_ms: u64,
    ) -> Result<(), RevokeError> {
        let serial = normalize_serial_hex(serial_hex).ok_or(RevokeError::InvalidSerial)?;
        let key = ScopedKey::new(issuer, &serial).as_str().to_owned();
        let mut state = self.write();
        if let Some(existing) = state.entries.get_mut(&key) {
            existing.until_ms = existing.until_ms.max(until_ms);
            existing.marked_at_ms = existing.marked_at_ms.min(now_ms);
            return Ok(());
        }
        if self.full_locked(&mut state, now_ms) {
            return Err(RevokeError::Full);
        }
        state.earliest_end_ms = if state.entries.is_empty() {
            until_ms
        } else {
            state.earliest_end_ms.min(until_ms)
        };
        let entry = RevokedEntry {
            until_ms,
            marked_at_ms: now_ms,
            source,
        };
        state.entries.insert(key, entry);
        self.count.store(state.entries.len(), Ordering::Release);
        Ok(())
    }

    /// What the set says about `serial_hex` (any issuer) at `now_ms`. A
    /// text that is not a serial cannot be vouched for: [`RevokedLookup::Full`].
    pub fn lookup(&self, serial_hex: &str, now_ms: u64) -> RevokedLookup {
        self.lookup_scoped(None, serial_hex, now_ms)
    }

    /// What the set says about `serial_hex` from the issuer whose
    /// certificate has SHA-256 `issuer`: revoked when that issuer's source
    /// said so, or when a push named the serial; else [`RevokedLookup::Full`]
    /// while the set is full.
    pub fn lookup_scoped(
        &self,
        issuer: Option<&[u8; 32]>,
        serial_hex: &str,
        now_ms: u64,
    ) -> RevokedLookup {
        if self.surely_not_revoked() {
            return RevokedLookup::NotRevoked;
        }
        let Some(serial) = normalize_serial_hex(serial_hex) else {
            return RevokedLookup::Full;
        };
        self.lookup_locked(issuer, &serial, now_ms)
    }

    /// [`Self::lookup_scoped`] for a serial normalized beforehand (the
    /// verifier's, once per cached certificate): no allocation, the keys
    /// are built on the stack.
    pub(crate) fn lookup_normalized(
        &self,
        issuer: Option<&[u8; 32]>,
        serial: &RevocationSerial,
        now_ms: u64,
    ) -> RevokedLookup {
        if self.surely_not_revoked() {
            return RevokedLookup::NotRevoked;
        }
        self.lookup_locked(issuer, serial.as_str(), now_ms)
    }

    // The hot path: an empty set (that can hold something) is not full.
    fn surely_not_revoked(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0 && self.max_entries > 0
    }

    // SPEC 7.2 / 7.3: the issuer's revocation, else a pushed one, else full
    // or not revoked; `serial` is normalized. Under the shared lock; the
    // exclusive one only when the set holds `max_entries` entries, to purge
    // lapsed ones before answering `Full`.
    fn lookup_locked(&self, issuer: Option<&[u8; 32]>, serial: &str, now_ms: u64) -> RevokedLookup {
        {
            let state = self.read();
            if let Some(hit) = revoked_entry(&state, issuer, serial, now_ms) {
                return hit;
            }
            if state.entries.len() < self.max_entries {
                return RevokedLookup::NotRevoked;
            }
        }
        // Maybe full. Whatever was recorded or purged meanwhile, the answer
        // is the set's state now: a serial found revoked still denies.
        let mut state = self.write();
        if let Some(hit) = revoked_entry(&state, issuer, serial, now_ms) {
            return hit;
        }
        if self.full_locked(&mut state, now_ms) {
            return RevokedLookup::Full;
        }
        RevokedLookup::NotRevoked
    }

    /// `true` while the set holds `max_entries` live serials (SPEC 7.3:
    /// every request is then `revocation_unavailable`).
    pub fn is_full(&self, now_ms: u64) -> bool {
        let mut state = self.write();
        self.full_locked(&mut state, now_ms)
    }

    /// Number of serials held (lapsed ones included until purged).
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// `true` when the set holds no serial.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> RwLockReadGuard<'_, RevokedState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, RevokedState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    // SPEC 7.3: full means `max_entries` live entries. Lapsed entries are
    // purged only when one may have lapsed (`earliest_end_ms`), so a full
    // set costs O(1) per lookup until then.
    fn full_locked(&self, state: &mut RevokedState, now_ms: u64) -> bool {
        if state.entries.len() < self.max_entries {
            return false;
        }
        if now_ms < state.earliest_end_ms {
            return true;
        }
        state.entries.retain(|_, e| now_ms < e.until_ms);
        state.earliest_end_ms = state
            .entries
            .values()
            .map(|e| e.until_ms)
            .min()
            .unwrap_or(0);
        self.count.store(state.entries.len(), Ordering::Release);
        state.entries.len() >= self.max_entries
    }
}

/// The longest key: an issuer's SHA-256 in hex, `:`, a normalized serial.
const MAX_KEY_LEN: usize = 64 + 1 + MAX_SERIAL_TEXT_LEN;

/// The set's key, `*:{serial}` for any issuer, `{issuer sha256 hex}:{serial}`,
/// built on the stack (a lookup allocates nothing).
struct ScopedKey {
    bytes: [u8; MAX_KEY_LEN],
    len: usize,
}

impl ScopedKey {
    /// `serial` is normalized, so at most `MAX_SERIAL_TEXT_LEN` hex digits:
    /// the key always fits (were it ever cut, insertions and lookups would
    /// cut alike, and a collision could only deny).
    fn new(issuer: Option<&[u8; 32]>, serial: &str) -> Self {
        let mut key = ScopedKey {
            bytes: [0; MAX_KEY_LEN],
            len: 0,
        };
        match issuer {
            Some(i) => key.push(&crate::hex::sha256_hex(i)),
            None => key.push(b"*"),
        }
        key.push(b":");
        key.push(serial.as_bytes());
        key
    }

    fn push(&mut self, part: &[u8]) {
        let end = self.len.saturating_add(part.len()).min(MAX_KEY_LEN);
        if let (Some(to), Some(from)) = (
            self.bytes.get_mut(self.len..end),
            part.get(..end - self.len),
        ) {
            to.copy_from_slice(from);
        }
        self.len = end;
    }

    /// The key (ASCII: hex digits, `*` and `:`).
    fn as_str(&self) -> &str {
        self.bytes
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

// SPEC 7.2 / 7.3: the issuer's revocation, else a pushed one (any issuer).
fn revoked_entry(
    state: &RevokedState,
    issuer: Option<&[u8; 32]>,
    serial: &str,
    now_ms: u64,
) -> Option<RevokedLookup> {
    issuer
        .and_then(|i| live_entry(state, ScopedKey::new(Some(i), serial).as_str(), now_ms))
        .or_else(|| live_entry(state, ScopedKey::new(None, serial).as_str(), now_ms))
}

// SPEC 7.2: a revoked serial counts until its end time (lapsed entries are
// purged with the others, see `full_locked`).
fn live_entry(state: &RevokedState, key: &str, now_ms: u64) -> Option<RevokedLookup> {
    let entry = state.entries.get(key)?;
    (now_ms < entry.until_ms).then_some(RevokedLookup::Revoked {
        marked_at_ms: entry.marked_at_ms,
        source: entry.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 11 (no lock on the hot path beyond a short shared section):
    // every request of a verifier whose set holds anything looks its serial
    // up, and lookups on different threads do not exclude each other — one
    // completes while another holds the set. (Were lookups exclusive, the
    // second would wait for the first: the bounded wait below fails then;
    // it is a guard against hanging, not a measure of time.)
    #[test]
    fn spec_7_3_lookups_share_the_set() {
        let set = RevokedSet::new(10);
        set.insert("0a3f", 5_000, "push", 0).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            let held = set.read();
            s.spawn(|| {
                let _ = tx.send(set.lookup("0A:3F", 1));
            });
            let answer = rx.recv_timeout(std::time::Duration::from_secs(60));
            drop(held);
            assert!(
                matches!(answer, Ok(RevokedLookup::Revoked { source: "push", .. })),
                "a lookup completes while another holds the set: {answer:?}"
            );
        });
        // A full set still purges what lapsed, under the exclusive lock.
        let full = RevokedSet::new(1);
        full.insert("01", 100, "push", 0).unwrap();
        assert_eq!(full.lookup("02", 99), RevokedLookup::Full);
        assert_eq!(full.lookup("02", 100), RevokedLookup::NotRevoked);
        assert!(full.is_empty(), "the lapsed entry was purged");
    }

    // SPEC 7.2 / 7.3: the key names the issuer (its SHA-256 in hex) or any
    // issuer (`*`), then the normalized serial; the longest serial fits.
    #[test]
    fn spec_7_3_scoped_keys_name_the_issuer_and_the_serial() {
        assert_eq!(ScopedKey::new(None, "0a3f").as_str(), "*:0a3f");
        let issuer = [0xab; 32];
        assert_eq!(
            ScopedKey::new(Some(&issuer), "0a3f").as_str(),
            format!("{}:0a3f", "ab".repeat(32))
        );
        let longest = "f".repeat(MAX_SERIAL_TEXT_LEN);
        let key = ScopedKey::new(Some(&issuer), &longest);
        assert_eq!(key.as_str().len(), MAX_KEY_LEN);
        assert!(key.as_str().ends_with(&longest));
        // The same serial from another issuer, or pushed, is another key.
        let set = RevokedSet::new(10);
        set.insert_scoped(Some(&issuer), "0A:3F", 5_000, "ocsp", 0)
            .unwrap();
        assert!(matches!(
            set.lookup_scoped(Some(&issuer), "0a3f", 1),
            RevokedLookup::Revoked { .. }
        ));
        assert_eq!(
            set.lookup_scoped(Some(&[0xcd; 32]), "0a3f", 1),
            RevokedLookup::NotRevoked
        );
        assert_eq!(set.lookup("0a3f", 1), RevokedLookup::NotRevoked);
        let normalized = RevocationSerial::of("00:0A:3F").unwrap();
        assert!(matches!(
            set.lookup_normalized(Some(&issuer), &normalized, 1),
            RevokedLookup::Revoked { .. }
        ));
    }
}
