//! SPEC 7.2: the revocation cache in front of networked sources (OCSP,
//! Kakunin's verify endpoint), plus the revoked set that push invalidation
//! (SPEC 7.3) writes into.
//!
//! Freshness is decided by the crate's injected [`Clock`], never by the
//! cache library's own clock: each entry records when its answer was made
//! and is judged at every use. moka's time-to-live only reclaims memory.
//!
//! | situation | what happens |
//! |---|---|
//! | serial in the [`RevokedSet`] (from a source or [`RevocationCache::mark_revoked`]) | `Revoked` at once, no I/O, whatever the cache or source says |
//! | revoked set overflowed (see [`RevokedSet`]) and the serial not in it | `Unavailable` (fail closed) until every dropped serial's certificate expired |
//! | fresh `Valid` / `Unknown` entry: `now < min(produced + bound, produced + revocationTimeout, nextUpdate)` | the cached answer, no I/O |
//! | same, within `refresh_ahead_ms` of expiring, tokio runtime present (feature `fetch`) | the cached answer at once; one background refresh per cached answer |
//! | entry past that limit | never used again: a new fetch; if it fails, `Unavailable` |
//! | failure entry younger than `failure_ttl_ms` | the same `Unavailable`, no I/O |
//! | miss, many concurrent callers for one key | one fetch (moka's per-key `and_compute_with`), all share its result |
//! | fetch says `Revoked` | serial kept in the revoked set until the certificate's notAfter |
//! | fetch says `Valid` / `Unknown` already older than the limit | stored and returned as a failure |
//! | fetched answer dated in the future (skew) | its age counts from the fetch instead |
//! | fetch fails | stored as a failure for `failure_ttl_ms`, never as valid |
//! | background refresh fails | the still-fresh entry stays until its own expiry |
//! | local source (`is_networked() == false`, CRLs) | asked every time, not cached; `Revoked` still recorded |

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use moka::future::Cache;
use moka::ops::compute::Op;

use super::{CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, Unavailable};
use crate::clock::Clock;

/// SPEC 7.2: default bound on a valid answer's age (5 s).
pub const DEFAULT_BOUND_MS: u64 = 5_000;
/// SPEC 7.2: failures are kept at most 1 s.
pub const DEFAULT_FAILURE_TTL_MS: u64 = 1_000;
/// SPEC 7.2 (refresh MAY start before expiry): default refresh-ahead window.
pub const DEFAULT_REFRESH_AHEAD_MS: u64 = 1_000;
/// SPEC 7.2: the longest a failure may be remembered, whatever the config.
pub const MAX_FAILURE_TTL_MS: u64 = 1_000;
/// Default bound on cached answers (memory).
pub const DEFAULT_MAX_ENTRIES: u64 = 100_000;
/// Default bound on the revoked set (memory).
pub const DEFAULT_MAX_REVOKED: usize = 1_000_000;
/// How long a pushed revocation without a known notAfter is kept (400 days,
/// longer than any agent certificate's validity).
pub const DEFAULT_REVOKED_RETENTION_MS: u64 = 400 * 24 * 60 * 60 * 1_000;
/// Longest serial text accepted (64 octets with `:` separators).
const MAX_SERIAL_TEXT_LEN: usize = 64 * 3;
/// Slack added to moka's memory backstop beyond the longest freshness.
const BACKSTOP_SLACK_MS: u64 = 60_000;
/// The source name recorded for revocations pushed by [`RevocationCache::mark_revoked`].
pub const PUSH_SOURCE_NAME: &str = "push";

/// SPEC 7.1: the serial's text form for comparisons: lowercase hex without
/// `:` separators and without a leading `00` sign octet. `None` when the
/// text is not an even number of hex digits (after removing `:`), or too long.
///
/// ```
/// use kakunin_verify::revocation::cache::normalize_serial_hex;
/// assert_eq!(normalize_serial_hex("0A:3F").as_deref(), Some("0a3f"));
/// assert_eq!(normalize_serial_hex("0080ff").as_deref(), Some("80ff"));
/// assert_eq!(normalize_serial_hex("a3f"), None);
/// assert_eq!(normalize_serial_hex("zz"), None);
/// ```
pub fn normalize_serial_hex(text: &str) -> Option<String> {
    if text.len() > MAX_SERIAL_TEXT_LEN {
        return None;
    }
    let hex: String = text
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let well_formed = !hex.is_empty()
        && hex.len().is_multiple_of(2)
        && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return None;
    }
    match hex.strip_prefix("00") {
        Some(rest) if !rest.is_empty() => Some(rest.to_owned()),
        _ => Some(hex),
    }
}

/// Settings of a [`RevocationCache`].
///
/// ```
/// use kakunin_verify::revocation::cache::CacheConfig;
/// let config = CacheConfig { bound_ms: 3_000, ..CacheConfig::default() };
/// assert_eq!(config.failure_ttl_ms, 1_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// SPEC 7.2 bound on a valid or unknown answer's age, counted from when
    /// the answer was made. Default 5 s.
    pub bound_ms: u64,
    /// How long a failure is remembered (as a failure). Default 1 s; values
    /// above [`MAX_FAILURE_TTL_MS`] (SPEC 7.2: at most 1 s) are capped.
    pub failure_ttl_ms: u64,
    /// When a fresh entry has less than this left, one background refresh
    /// starts (feature `fetch`, inside a tokio runtime). 0 disables it.
    pub refresh_ahead_ms: u64,
    /// Bound on cached answers (moka may evict any of them: a miss only
    /// means a fetch).
    pub max_entries: u64,
    /// Bound on the [`RevokedSet`].
    pub max_revoked: usize,
    /// How long a revocation pushed without a notAfter is kept.
    pub revoked_retention_ms: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            bound_ms: DEFAULT_BOUND_MS,
            failure_ttl_ms: DEFAULT_FAILURE_TTL_MS,
            refresh_ahead_ms: DEFAULT_REFRESH_AHEAD_MS,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_revoked: DEFAULT_MAX_REVOKED,
            revoked_retention_ms: DEFAULT_REVOKED_RETENTION_MS,
        }
    }
}

/// A definite answer as used by one verification.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedAnswer {
    /// The source's answer (for a revoked-set hit: status `Revoked`, made
    /// when the serial was marked).
    pub answer: RevocationAnswer,
    /// The answer's age at use, ms (`now − produced_at_ms`, 0 if in the future).
    pub age_ms: u64,
    /// `true` when no fetch was made for this verification.
    pub from_cache: bool,
}

/// A serial text that is not hex (see [`normalize_serial_hex`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid serial number text")]
pub struct InvalidSerial;

/// How a revocation was recorded in the [`RevokedSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokedInsert {
    /// Kept by serial: that serial alone is denied.
    Recorded,
    /// The set was full of live entries: the set now fails closed (every
    /// serial not in it is unavailable) until this revocation's end time.
    Overflowed,
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
    /// Not in the set, but the set overflowed and may have dropped it: fail closed.
    Overflowed,
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
    overflow_until_ms: Option<u64>,
}

/// SPEC 7.2: revoked serials, kept until their certificate's notAfter,
/// outside any evicting cache. Revocations learnt from a source are keyed
/// by (issuer, serial) — serials are unique only per issuing CA; pushed
/// revocations (SPEC 7.3, whose events name only the serial) by serial
/// alone and so apply whatever the issuer.
///
/// Bounded in count. When full, entries whose end time passed are dropped;
/// if it is still full, the new serial is *not* forgotten: the set enters an
/// overflow state in which every serial it does not hold is
/// [`RevokedLookup::Overflowed`] (fail closed, `revocation_unavailable`)
/// until the latest end time of the serials it could not hold has passed.
/// So a live revoked serial is never reported as not revoked.
///
/// ```
/// use kakunin_verify::revocation::cache::{RevokedLookup, RevokedSet};
/// let set = RevokedSet::new(10);
/// set.insert("0A:3F", 2_000, "push", 1_000).unwrap();
/// assert!(matches!(set.lookup("0a3f", 1_500), RevokedLookup::Revoked { .. }));
/// assert_eq!(set.lookup("0a3f", 2_000), RevokedLookup::NotRevoked); // past notAfter
/// ```
#[derive(Debug)]
pub struct RevokedSet {
    max_entries: usize,
    state: Mutex<RevokedState>,
}

impl RevokedSet {
    /// An empty set holding at most `max_entries` serials.
    pub fn new(max_entries: usize) -> Self {
        RevokedSet {
            max_entries,
            state: Mutex::new(RevokedState::default()),
        }
    }

    /// Records `serial_hex` as revoked until `until_ms` (the certificate's
    /// notAfter), learnt at `now_ms` from `source`. A serial already present
    /// keeps the later end time and the earlier mark.
    pub fn insert(
        &self,
        serial_hex: &str,
        until_ms: u64,
        source: &'static str,
        now_ms: u64,
    ) -> Result<RevokedInsert, InvalidSerial> {
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
    ) -> Result<RevokedInsert, InvalidSerial> {
        let serial = scoped_key(
            issuer,
            &normalize_serial_hex(serial_hex).ok_or(InvalidSerial)?,
        );
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = state.entries.get_mut(&serial) {
            existing.until_ms = existing.until_ms.max(until_ms);
            existing.marked_at_ms = existing.marked_at_ms.min(now_ms);
            return Ok(RevokedInsert::Recorded);
        }
        if state.entries.len() >= self.max_entries {
            purge_ended(&mut state, now_ms);
        }
        if state.entries.len() >= self.max_entries {
            return Ok(record_overflow(&mut state, until_ms));
        }
        let entry = RevokedEntry {
            until_ms,
            marked_at_ms: now_ms,
            source,
        };
        state.entries.insert(serial, entry);
        Ok(RevokedInsert::Recorded)
    }

    /// What the set says about `serial_hex` at `now_ms`. A text that is not
    /// a serial (see [`normalize_serial_hex`]) cannot be vouched for and is
    /// reported as [`RevokedLookup::Overflowed`] (fail closed).
    pub fn lookup(&self, serial_hex: &str, now_ms: u64) -> RevokedLookup {
        self.lookup_scoped(None, serial_hex, now_ms)
    }

    /// What the set says about `serial_hex` from the issuer whose
    /// certificate has SHA-256 `issuer`: revoked when that issuer's source
    /// said so, or when a push named the serial.
    pub fn lookup_scoped(
        &self,
        issuer: Option<&[u8; 32]>,
        serial_hex: &str,
        now_ms: u64,
    ) -> RevokedLookup {
        let Some(serial) = normalize_serial_hex(serial_hex) else {
            return RevokedLookup::Overflowed;
        };
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.entries.is_empty() && state.overflow_until_ms.is_none() {
            return RevokedLookup::NotRevoked;
        }
        if let Some(issuer) = issuer {
            if let Some(hit) = lookup_entry(&mut state, &scoped_key(Some(issuer), &serial), now_ms)
            {
                return hit;
            }
        }
        lookup_locked(&mut state, &scoped_key(None, &serial), now_ms)
    }

    /// Number of serials held (ended ones included until purged).
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len()
    }

    /// `true` when the set holds no serial.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The set's key: `*:{serial}` for any issuer, `{issuer sha256 hex}:{serial}`.
fn scoped_key(issuer: Option<&[u8; 32]>, serial: &str) -> String {
    match issuer {
        Some(i) => format!("{}:{serial}", crate::hex::encode(i)),
        None => format!("*:{serial}"),
    }
}

// SPEC 7.2: a revoked serial counts until its certificate's notAfter.
fn lookup_entry(state: &mut RevokedState, key: &str, now_ms: u64) -> Option<RevokedLookup> {
    let entry = state.entries.get(key).copied()?;
    if now_ms < entry.until_ms {
        return Some(RevokedLookup::Revoked {
            marked_at_ms: entry.marked_at_ms,
            source: entry.source,
        });
    }
    state.entries.remove(key);
    None
}

// SPEC 7.2: the entry for `key`, else the overflow state.
fn lookup_locked(state: &mut RevokedState, key: &str, now_ms: u64) -> RevokedLookup {
    if let Some(hit) = lookup_entry(state, key, now_ms) {
        return hit;
    }
    match state.overflow_until_ms {
        Some(until) if now_ms < until => RevokedLookup::Overflowed,
        Some(_) => {
            state.overflow_until_ms = None;
            RevokedLookup::NotRevoked
        }
        None => RevokedLookup::NotRevoked,
    }
}

// Bound on the revoked set: entries past their notAfter may go.
fn purge_ended(state: &mut RevokedState, now_ms: u64) {
    state.entries.retain(|_, entry| now_ms < entry.until_ms);
}

// Bound on the revoked set: full of live entries, fail closed instead of
// forgetting the new serial.
fn record_overflow(state: &mut RevokedState, until_ms: u64) -> RevokedInsert {
    let until = state.overflow_until_ms.unwrap_or(0).max(until_ms);
    state.overflow_until_ms = Some(until);
    RevokedInsert::Overflowed
}

/// How long cached slots may be used for one verification (SPEC 7.2).
#[derive(Debug, Clone, Copy)]
struct Limits {
    answer_ms: u64,
    failure_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    source: &'static str,
    issuer_sha256: Box<[u8]>,
    serial: String,
}

#[derive(Debug, Clone)]
enum SlotKind {
    Answer(RevocationAnswer),
    Failure { at_ms: u64, reason: Unavailable },
}

#[derive(Debug, Clone)]
struct Slot {
    kind: SlotKind,
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    refresh_started: Arc<AtomicBool>,
}

impl Slot {
    fn new(kind: SlotKind) -> Self {
        Slot {
            kind,
            refresh_started: Arc::new(AtomicBool::new(false)),
        }
    }
}

struct Inner {
    config: CacheConfig,
    clock: Arc<dyn Clock>,
    entries: Cache<CacheKey, Slot>,
    revoked: RevokedSet,
}

/// The SPEC 7.2 cache in front of networked revocation sources.
///
/// Cheap to clone (clones share everything).
///
/// ```
/// use std::sync::Arc;
/// use kakunin_verify::ManualClock;
/// use kakunin_verify::revocation::cache::{CacheConfig, RevocationCache};
/// let cache = RevocationCache::new(CacheConfig::default(), Arc::new(ManualClock::new(0)));
/// cache.mark_revoked("0a3f", None).unwrap();
/// assert!(cache.is_marked_revoked("0A:3F"));
/// ```
#[derive(Clone)]
pub struct RevocationCache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RevocationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationCache")
            .field("config", &self.inner.config)
            .field("entries", &self.inner.entries.entry_count())
            .field("revoked", &self.inner.revoked.len())
            .finish()
    }
}

impl RevocationCache {
    /// A cache judging freshness by `clock`.
    pub fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Self {
        let backstop_ms = config
            .bound_ms
            .max(config.failure_ttl_ms)
            .saturating_add(BACKSTOP_SLACK_MS);
        let entries = Cache::builder()
            .max_capacity(config.max_entries)
            .time_to_live(Duration::from_millis(backstop_ms))
            .build();
        let revoked = RevokedSet::new(config.max_revoked);
        RevocationCache {
            inner: Arc::new(Inner {
                config,
                clock,
                entries,
                revoked,
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &CacheConfig {
        &self.inner.config
    }

    /// The revoked set (shared by all clones of this cache).
    pub fn revoked_set(&self) -> &RevokedSet {
        &self.inner.revoked
    }

    /// SPEC 7.2: the revocation status of `cert` from `source`, through the
    /// cache. `revocation_timeout_ms` is the policy's revocationTimeout, when
    /// it has one. `Err` is `revocation_unavailable` (fail closed).
    pub async fn check(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        revocation_timeout_ms: Option<u64>,
    ) -> Result<CachedAnswer, Unavailable> {
        let issuer = crate::signature::sha256(cert.issuer_der);
        self.check_with_issuer_hash(source, cert, &issuer, revocation_timeout_ms)
            .await
    }

    /// [`Self::check`] for callers that already hold the SHA-256 of
    /// `cert.issuer_der` (the verifier computes it once per validated
    /// chain), sparing a hash of the issuer certificate per request.
    pub async fn check_with_issuer_hash(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        issuer_sha256: &[u8; 32],
        revocation_timeout_ms: Option<u64>,
    ) -> Result<CachedAnswer, Unavailable> {
        let issuer = *issuer_sha256;
        let now = self.now();
        let serial = normalize_serial_hex(cert.serial_hex)
            .ok_or_else(|| Unavailable::new("unusable serial"))?;
        if let Some(hit) = self.revoked_hit(&issuer, &serial, now)? {
            return Ok(hit);
        }
        if !source.is_networked() {
            return self.check_local(source, cert, now).await;
        }
        let limit = self.limits(revocation_timeout_ms);
        let key = CacheKey {
            source: source.name(),
            issuer_sha256: issuer.into(),
            serial,
        };
        if let Some(slot) = self.inner.entries.get(&key).await {
            if let Some(result) = use_slot(&slot, now, limit, true) {
                self.maybe_refresh_ahead(&slot, source, cert, &key, now, limit);
                return result;
            }
        }
        self.fetch_shared(source, cert, key, limit).await
    }

    /// SPEC 7.3: marks `serial_hex` revoked at once, cached or not, until
    /// `until_ms` (the certificate's notAfter) or, when `None`, for
    /// [`CacheConfig::revoked_retention_ms`].
    pub fn mark_revoked(
        &self,
        serial_hex: &str,
        until_ms: Option<u64>,
    ) -> Result<RevokedInsert, InvalidSerial> {
        let now = self.now();
        let until =
            until_ms.unwrap_or_else(|| now.saturating_add(self.inner.config.revoked_retention_ms));
        self.inner
            .revoked
            .insert(serial_hex, until, PUSH_SOURCE_NAME, now)
    }

    /// `true` when `serial_hex` was pushed as revoked (SPEC 7.3; any issuer)
    /// and still counts now.
    pub fn is_marked_revoked(&self, serial_hex: &str) -> bool {
        matches!(
            self.inner.revoked.lookup(serial_hex, self.now()),
            RevokedLookup::Revoked { .. }
        )
    }

    fn now(&self) -> u64 {
        self.inner.clock.now_ms()
    }

    // SPEC 7.2: min(bound, revocationTimeout) for answers (nextUpdate is
    // per answer); failures at most 1 s.
    fn limits(&self, revocation_timeout_ms: Option<u64>) -> Limits {
        let bound = self.inner.config.bound_ms;
        Limits {
            answer_ms: revocation_timeout_ms.map_or(bound, |t| t.min(bound)),
            failure_ms: self.inner.config.failure_ttl_ms.min(MAX_FAILURE_TTL_MS),
        }
    }

    // SPEC 7.2 / 7.3: revoked never turns valid; the revoked set is first.
    fn revoked_hit(
        &self,
        issuer: &[u8; 32],
        serial: &str,
        now: u64,
    ) -> Result<Option<CachedAnswer>, Unavailable> {
        match self.inner.revoked.lookup_scoped(Some(issuer), serial, now) {
            RevokedLookup::Revoked {
                marked_at_ms,
                source,
            } => Ok(Some(revoked_answer(marked_at_ms, source, now))),
            RevokedLookup::Overflowed => Err(Unavailable::new("revoked set overflowed")),
            RevokedLookup::NotRevoked => Ok(None),
        }
    }

    // SPEC 7.1: local sources (CRLs) are consulted directly, not cached.
    async fn check_local(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        now: u64,
    ) -> Result<CachedAnswer, Unavailable> {
        let answer = source.check(cert, now).await?;
        self.remember_revoked(&answer, cert, now);
        Ok(CachedAnswer {
            age_ms: now.saturating_sub(answer.produced_at_ms),
            answer,
            from_cache: false,
        })
    }

    // SPEC 7.2: concurrent lookups of one key share one fetch. moka runs
    // `and_compute_with` calls on one key one after the other: the first
    // fetches, the others find its fresh result.
    async fn fetch_shared(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        key: CacheKey,
        limit: Limits,
    ) -> Result<CachedAnswer, Unavailable> {
        let fetched = AtomicBool::new(false);
        let result = self
            .inner
            .entries
            .entry(key)
            .and_compute_with(|existing| async {
                let now = self.now();
                let fresh =
                    existing.is_some_and(|e| use_slot(e.value(), now, limit, true).is_some());
                if fresh {
                    return Op::Nop;
                }
                fetched.store(true, Ordering::Relaxed);
                let outcome = source.check(cert, now).await;
                Op::Put(self.slot_from_fetch(outcome, cert, self.now(), limit))
            })
            .await;
        let slot = result
            .into_entry()
            .map(|e| e.into_value())
            .ok_or_else(|| Unavailable::new("no answer"))?;
        let from_cache = !fetched.load(Ordering::Relaxed);
        use_slot(&slot, self.now(), limit, from_cache)
            .unwrap_or_else(|| Err(Unavailable::new("answer expired")))
    }

    // SPEC 7.2: what a fetch leaves in the cache: failures as failures,
    // answers too old for the limit as failures, revoked into the revoked set.
    // An answer dated after `now` (clock skew) counts from `now`, so skew
    // never lengthens its use.
    fn slot_from_fetch(
        &self,
        outcome: Result<RevocationAnswer, Unavailable>,
        cert: CertificateRef<'_>,
        now: u64,
        limit: Limits,
    ) -> Slot {
        match outcome {
            Ok(mut answer) => {
                answer.produced_at_ms = answer.produced_at_ms.min(now);
                self.remember_revoked(&answer, cert, now);
                if answer.status != RevocationStatus::Revoked
                    && now >= expiry_ms(&answer, limit.answer_ms)
                {
                    return failure_slot(
                        now,
                        Unavailable::new("answer older than the cache bound"),
                    );
                }
                Slot::new(SlotKind::Answer(answer))
            }
            Err(reason) => failure_slot(now, reason),
        }
    }

    // SPEC 7.2: revoked serials are kept until their certificate's notAfter.
    fn remember_revoked(&self, answer: &RevocationAnswer, cert: CertificateRef<'_>, now: u64) {
        if answer.status == RevocationStatus::Revoked {
            // An unusable serial text was rejected before any fetch.
            let _ = self.inner.revoked.insert_scoped(
                Some(&crate::signature::sha256(cert.issuer_der)),
                cert.serial_hex,
                cert.not_after_ms,
                answer.source,
                answer.produced_at_ms.min(now),
            );
        }
    }

    // SPEC 7.2: a refresh MAY start before expiry so active agents never
    // wait; at most one per cached answer, only inside a tokio runtime.
    #[cfg(feature = "fetch")]
    fn maybe_refresh_ahead(
        &self,
        slot: &Slot,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        key: &CacheKey,
        now: u64,
        limit: Limits,
    ) {
        let SlotKind::Answer(answer) = &slot.kind else {
            return;
        };
        let window = self.inner.config.refresh_ahead_ms;
        let near_expiry = expiry_ms(answer, limit.answer_ms).saturating_sub(now) <= window;
        if window == 0 || answer.status == RevocationStatus::Revoked || !near_expiry {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if slot.refresh_started.swap(true, Ordering::SeqCst) {
            return;
        }
        let cache = self.clone();
        let source = Arc::clone(source);
        let owned = OwnedCert::from_ref(cert);
        let key = key.clone();
        handle.spawn(async move { cache.refresh(source, owned, key, limit).await });
    }

    #[cfg(not(feature = "fetch"))]
    fn maybe_refresh_ahead(
        &self,
        _slot: &Slot,
        _source: &Arc<dyn RevocationSource>,
        _cert: CertificateRef<'_>,
        _key: &CacheKey,
        _now: u64,
        _limit: Limits,
    ) {
    }

    // SPEC 7.2 refresh-ahead: a usable answer replaces the entry; a failure
    // leaves the still-fresh entry to expire on its own.
    #[cfg(feature = "fetch")]
    async fn refresh(
        &self,
        source: Arc<dyn RevocationSource>,
        owned: OwnedCert,
        key: CacheKey,
        limit: Limits,
    ) {
        let cert = owned.as_ref();
        self.inner
            .entries
            .entry(key)
            .and_compute_with(|_| async {
                let outcome = source.check(cert, self.now()).await;
                match outcome {
                    Ok(answer) => match self.slot_from_fetch(Ok(answer), cert, self.now(), limit) {
                        slot @ Slot {
                            kind: SlotKind::Answer(_),
                            ..
                        } => Op::Put(slot),
                        _ => Op::Nop,
                    },
                    Err(_) => Op::Nop,
                }
            })
            .await;
    }
}

/// An owned copy of a [`CertificateRef`] for a background refresh.
#[cfg(feature = "fetch")]
struct OwnedCert {
    der: Vec<u8>,
    issuer_der: Vec<u8>,
    serial: Vec<u8>,
    serial_hex: String,
    not_after_ms: u64,
}

#[cfg(feature = "fetch")]
impl OwnedCert {
    fn from_ref(cert: CertificateRef<'_>) -> Self {
        OwnedCert {
            der: cert.der.to_vec(),
            issuer_der: cert.issuer_der.to_vec(),
            serial: cert.serial.to_vec(),
            serial_hex: cert.serial_hex.to_owned(),
            not_after_ms: cert.not_after_ms,
        }
    }

    fn as_ref(&self) -> CertificateRef<'_> {
        CertificateRef {
            der: &self.der,
            issuer_der: &self.issuer_der,
            serial: &self.serial,
            serial_hex: &self.serial_hex,
            not_after_ms: self.not_after_ms,
        }
    }
}

// SPEC 7.2: keyed by (issuer, serial); the source's name keeps two
// sources' answers apart.

// SPEC 7.2: an answer is used until min(produced + limit, nextUpdate).
fn expiry_ms(answer: &RevocationAnswer, limit: u64) -> u64 {
    let by_age = answer.produced_at_ms.saturating_add(limit);
    answer
        .next_update_ms
        .map_or(by_age, |next| next.min(by_age))
}

// SPEC 7.2: failures are cached as failures, never as valid.
fn failure_slot(now: u64, reason: Unavailable) -> Slot {
    Slot::new(SlotKind::Failure { at_ms: now, reason })
}

// SPEC 7.2: what a cached slot says at `now`; `None` when it must not be used.
fn use_slot(
    slot: &Slot,
    now: u64,
    limit: Limits,
    from_cache: bool,
) -> Option<Result<CachedAnswer, Unavailable>> {
    match &slot.kind {
        SlotKind::Answer(answer) => {
            let usable = answer.status == RevocationStatus::Revoked
                || now < expiry_ms(answer, limit.answer_ms);
            usable.then(|| {
                Ok(CachedAnswer {
                    answer: answer.clone(),
                    age_ms: now.saturating_sub(answer.produced_at_ms),
                    from_cache,
                })
            })
        }
        SlotKind::Failure { at_ms, reason } => {
            (now < at_ms.saturating_add(limit.failure_ms)).then(|| Err(reason.clone()))
        }
    }
}

// SPEC 7.3: a revoked-set hit is a revoked answer.
fn revoked_answer(marked_at_ms: u64, source: &'static str, now: u64) -> CachedAnswer {
    CachedAnswer {
        answer: RevocationAnswer {
            status: RevocationStatus::Revoked,
            produced_at_ms: marked_at_ms,
            next_update_ms: None,
            risk_score: None,
            risk_band: None,
            source,
        },
        age_ms: now.saturating_sub(marked_at_ms),
        from_cache: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::revocation::BoxFuture;
    use std::sync::atomic::AtomicUsize;

    const T0: u64 = 1_782_897_300_000;
    const NOT_AFTER: u64 = T0 + 86_400_000;

    /// What the fake source answers.
    #[derive(Clone)]
    enum Reply {
        Status(RevocationStatus),
        /// Valid, made `age` ms before the asked time, with a nextUpdate.
        Aged {
            age: u64,
            next_update_in: Option<u64>,
        },
        /// Valid, dated `ahead` ms after the asked time (skew).
        Ahead(u64),
        Fail,
    }

    struct FakeSource {
        calls: AtomicUsize,
        reply: Mutex<Reply>,
        networked: bool,
        delay_ms: u64,
    }

    impl FakeSource {
        fn new(reply: Reply) -> Arc<Self> {
            Arc::new(FakeSource {
                calls: AtomicUsize::new(0),
                reply: Mutex::new(reply),
                networked: true,
                delay_ms: 0,
            })
        }
        fn set(&self, reply: Reply) {
            *self.reply.lock().unwrap() = reply;
        }
        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl RevocationSource for FakeSource {
        fn name(&self) -> &'static str {
            "fake"
        }
        fn is_networked(&self) -> bool {
            self.networked
        }
        fn check<'a>(
            &'a self,
            _cert: CertificateRef<'a>,
            now_ms: u64,
        ) -> BoxFuture<'a, Result<RevocationAnswer, Unavailable>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let reply = self.reply.lock().unwrap().clone();
            let delay = self.delay_ms;
            Box::pin(async move {
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                let answer = |status, produced_at_ms, next_update_ms| RevocationAnswer {
                    status,
                    produced_at_ms,
                    next_update_ms,
                    risk_score: None,
                    risk_band: None,
                    source: "fake",
                };
                match reply {
                    Reply::Status(s) => Ok(answer(s, now_ms, None)),
                    Reply::Aged {
                        age,
                        next_update_in,
                    } => Ok(answer(
                        RevocationStatus::Valid,
                        now_ms - age,
                        next_update_in.map(|n| now_ms + n),
                    )),
                    Reply::Ahead(ahead) => {
                        Ok(answer(RevocationStatus::Valid, now_ms + ahead, None))
                    }
                    Reply::Fail => Err(Unavailable::new("responder down")),
                }
            })
        }
    }

    fn cert(serial_hex: &'static str) -> CertificateRef<'static> {
        CertificateRef {
            der: b"leaf",
            issuer_der: b"issuer",
            serial: b"\x0a\x3f",
            serial_hex,
            not_after_ms: NOT_AFTER,
        }
    }

    fn setup(
        config: CacheConfig,
        reply: Reply,
    ) -> (
        RevocationCache,
        Arc<ManualClock>,
        Arc<FakeSource>,
        Arc<dyn RevocationSource>,
    ) {
        let clock = Arc::new(ManualClock::new(T0));
        let cache = RevocationCache::new(config, clock.clone());
        let fake = FakeSource::new(reply);
        let source: Arc<dyn RevocationSource> = fake.clone();
        (cache, clock, fake, source)
    }

    fn no_refresh() -> CacheConfig {
        CacheConfig {
            refresh_ahead_ms: 0,
            ..CacheConfig::default()
        }
    }

    async fn status(
        cache: &RevocationCache,
        source: &Arc<dyn RevocationSource>,
        timeout: Option<u64>,
    ) -> Result<RevocationStatus, Unavailable> {
        cache
            .check(source, cert("0a3f"), timeout)
            .await
            .map(|a| a.answer.status)
    }

    #[tokio::test]
    async fn valid_answer_is_used_up_to_the_bound_then_refetched() {
        let (cache, clock, fake, source) =
            setup(no_refresh(), Reply::Status(RevocationStatus::Valid));
        let first = cache.check(&source, cert("0a3f"), None).await.unwrap();
        assert!(!first.from_cache);
        clock.advance_ms(4_999);
        let cached = cache.check(&source, cert("0A:3F"), None).await.unwrap();
        assert!(cached.from_cache);
        assert_eq!(cached.age_ms, 4_999);
        assert_eq!(fake.calls(), 1);
        clock.advance_ms(1);
        let again = cache.check(&source, cert("0a3f"), None).await.unwrap();
        assert!(!again.from_cache);
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test]
    async fn revocation_timeout_shortens_the_ttl() {
        let (cache, clock, fake, source) =
            setup(no_refresh(), Reply::Status(RevocationStatus::Valid));
        status(&cache, &source, Some(2_000)).await.unwrap();
        clock.advance_ms(1_999);
        status(&cache, &source, Some(2_000)).await.unwrap();
        assert_eq!(fake.calls(), 1);
        clock.advance_ms(1);
        status(&cache, &source, Some(2_000)).await.unwrap();
        assert_eq!(fake.calls(), 2);
        // A longer revocationTimeout does not extend past the bound.
        clock.advance_ms(5_000);
        status(&cache, &source, Some(60_000)).await.unwrap();
        assert_eq!(fake.calls(), 3);
    }

    #[tokio::test]
    async fn next_update_shortens_the_ttl() {
        let reply = Reply::Aged {
            age: 0,
            next_update_in: Some(1_000),
        };
        let (cache, clock, fake, source) = setup(no_refresh(), reply);
        status(&cache, &source, None).await.unwrap();
        clock.advance_ms(999);
        status(&cache, &source, None).await.unwrap();
        assert_eq!(fake.calls(), 1);
        clock.advance_ms(1);
        status(&cache, &source, None).await.unwrap();
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test]
    async fn age_counts_from_when_the_answer_was_made() {
        let reply = Reply::Aged {
            age: 4_000,
            next_update_in: None,
        };
        let (cache, clock, fake, source) = setup(no_refresh(), reply);
        let answer = cache.check(&source, cert("0a3f"), None).await.unwrap();
        assert_eq!(answer.age_ms, 4_000);
        clock.advance_ms(1_000);
        status(&cache, &source, None).await.unwrap();
        assert_eq!(fake.calls(), 2, "made 5 s ago: not used");
        // An answer already older than the bound is unavailable, cached as a failure.
        fake.set(Reply::Aged {
            age: 5_000,
            next_update_in: None,
        });
        clock.advance_ms(5_000);
        assert!(status(&cache, &source, None).await.is_err());
        assert!(status(&cache, &source, None).await.is_err());
        assert_eq!(fake.calls(), 3);
    }

    #[tokio::test]
    async fn an_answer_dated_in_the_future_counts_from_the_fetch() {
        let (cache, clock, fake, source) = setup(no_refresh(), Reply::Ahead(3_000));
        let first = cache.check(&source, cert("0a3f"), None).await.unwrap();
        assert_eq!(first.answer.produced_at_ms, T0);
        clock.advance_ms(5_000);
        status(&cache, &source, None).await.unwrap();
        assert_eq!(fake.calls(), 2, "not kept until T0 + 8 s");
    }

    #[tokio::test]
    async fn unknown_is_cached_like_valid() {
        let (cache, clock, fake, source) =
            setup(no_refresh(), Reply::Status(RevocationStatus::Unknown));
        assert_eq!(
            status(&cache, &source, None).await,
            Ok(RevocationStatus::Unknown)
        );
        clock.advance_ms(4_000);
        assert_eq!(
            status(&cache, &source, None).await,
            Ok(RevocationStatus::Unknown)
        );
        assert_eq!(fake.calls(), 1);
        clock.advance_ms(1_000);
        status(&cache, &source, None).await.unwrap();
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test]
    async fn revoked_never_turns_valid() {
        let (cache, clock, fake, source) =
            setup(no_refresh(), Reply::Status(RevocationStatus::Revoked));
        assert_eq!(
            status(&cache, &source, None).await,
            Ok(RevocationStatus::Revoked)
        );
        fake.set(Reply::Status(RevocationStatus::Valid));
        for _ in 0..5 {
            clock.advance_ms(3_600_000);
            assert_eq!(
                status(&cache, &source, None).await,
                Ok(RevocationStatus::Revoked)
            );
        }
        assert_eq!(fake.calls(), 1);
        // Learnt from a source: kept for (issuer, serial), not as a push for any issuer.
        assert_eq!(cache.revoked_set().len(), 1);
        assert!(!cache.is_marked_revoked("0a3f"));
    }

    #[tokio::test]
    async fn failures_are_cached_at_most_one_second_and_never_as_valid() {
        let config = CacheConfig {
            failure_ttl_ms: 60_000,
            ..no_refresh()
        }; // capped to 1 s
        let (cache, clock, fake, source) = setup(config, Reply::Fail);
        assert!(status(&cache, &source, None).await.is_err());
        fake.set(Reply::Status(RevocationStatus::Valid));
        clock.advance_ms(999);
        assert_eq!(
            status(&cache, &source, None).await,
            Err(Unavailable::new("responder down"))
        );
        assert_eq!(fake.calls(), 1);
        clock.advance_ms(1);
        assert_eq!(
            status(&cache, &source, None).await,
            Ok(RevocationStatus::Valid)
        );
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test]
    async fn failed_refetch_after_expiry_denies() {
        let (cache, clock, fake, source) =
            setup(no_refresh(), Reply::Status(RevocationStatus::Valid));
        status(&cache, &source, None).await.unwrap();
        fake.set(Reply::Fail);
        clock.advance_ms(5_000);
        assert!(status(&cache, &source, None).await.is_err());
    }

    #[tokio::test]
    async fn mark_revoked_takes_effect_at_once() {
        let (cache, _clock, fake, source) =
            setup(no_refresh(), Reply::Status(RevocationStatus::Valid));
        // Cached serial.
        status(&cache, &source, None).await.unwrap();
        assert_eq!(
            cache.mark_revoked("0A:3F", None),
            Ok(RevokedInsert::Recorded)
        );
        let hit = cache.check(&source, cert("0a3f"), None).await.unwrap();
        assert_eq!(hit.answer.status, RevocationStatus::Revoked);
        assert_eq!(hit.answer.source, PUSH_SOURCE_NAME);
        // Never-cached serial.
        cache.mark_revoked("77", Some(NOT_AFTER)).unwrap();
        let other = cache.check(&source, cert("77"), None).await.unwrap();
        assert_eq!(other.answer.status, RevocationStatus::Revoked);
        assert_eq!(fake.calls(), 1);
        assert_eq!(cache.mark_revoked("xyz", None), Err(InvalidSerial));
    }

    #[tokio::test]
    async fn local_sources_are_not_cached() {
        let clock = Arc::new(ManualClock::new(T0));
        let cache = RevocationCache::new(no_refresh(), clock);
        let fake = Arc::new(FakeSource {
            calls: AtomicUsize::new(0),
            reply: Mutex::new(Reply::Status(RevocationStatus::Valid)),
            networked: false,
            delay_ms: 0,
        });
        let source: Arc<dyn RevocationSource> = fake.clone();
        status(&cache, &source, None).await.unwrap();
        status(&cache, &source, None).await.unwrap();
        assert_eq!(fake.calls(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_share_one_fetch() {
        let clock = Arc::new(ManualClock::new(T0));
        let cache = RevocationCache::new(no_refresh(), clock);
        let fake = Arc::new(FakeSource {
            calls: AtomicUsize::new(0),
            reply: Mutex::new(Reply::Status(RevocationStatus::Valid)),
            networked: true,
            delay_ms: 50,
        });
        let source: Arc<dyn RevocationSource> = fake.clone();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let cache = cache.clone();
                let source = source.clone();
                tokio::spawn(async move { status(&cache, &source, None).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(RevocationStatus::Valid));
        }
        assert_eq!(fake.calls(), 1);
    }

    #[cfg(feature = "fetch")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refresh_ahead_refreshes_once_in_the_background() {
        let config = CacheConfig {
            refresh_ahead_ms: 1_000,
            ..CacheConfig::default()
        };
        let (cache, clock, fake, source) = setup(config, Reply::Status(RevocationStatus::Valid));
        status(&cache, &source, None).await.unwrap();
        clock.advance_ms(4_500);
        let first = cache.check(&source, cert("0a3f"), None).await.unwrap();
        assert_eq!(
            first.answer.produced_at_ms, T0,
            "the cached answer, at once"
        );
        for _ in 0..10 {
            // The old answer, or the refreshed one once it landed: never a wait.
            let served = cache.check(&source, cert("0a3f"), None).await.unwrap();
            assert!(served.from_cache);
            assert!([T0, T0 + 4_500].contains(&served.answer.produced_at_ms));
        }
        for _ in 0..200 {
            if fake.calls() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(fake.calls(), 2, "exactly one background refresh");
        clock.advance_ms(1_000); // past the first answer's expiry
        let refreshed = cache.check(&source, cert("0a3f"), None).await.unwrap();
        assert_eq!(refreshed.answer.produced_at_ms, T0 + 4_500);
        assert!(refreshed.from_cache);
        assert_eq!(fake.calls(), 2);
    }

    #[test]
    fn no_refresh_ahead_without_a_tokio_runtime() {
        let config = CacheConfig {
            refresh_ahead_ms: 1_000,
            ..CacheConfig::default()
        };
        let (cache, clock, fake, source) = setup(config, Reply::Status(RevocationStatus::Valid));
        pollster::block_on(async {
            status(&cache, &source, None).await.unwrap();
            clock.advance_ms(4_500);
            let served = cache.check(&source, cert("0a3f"), None).await.unwrap();
            assert!(served.from_cache);
        });
        assert_eq!(fake.calls(), 1);
    }

    #[test]
    fn revoked_set_overflow_fails_closed_and_forgets_nothing_live() {
        let set = RevokedSet::new(2);
        let now = 1_000;
        assert_eq!(
            set.insert("01", 2_000, "push", now),
            Ok(RevokedInsert::Recorded)
        );
        assert_eq!(
            set.insert("02", 9_000, "push", now),
            Ok(RevokedInsert::Recorded)
        );
        // Full of live serials: the third is not held, the set fails closed.
        assert_eq!(
            set.insert("03", 5_000, "push", now),
            Ok(RevokedInsert::Overflowed)
        );
        assert_eq!(set.lookup("03", now), RevokedLookup::Overflowed);
        assert_eq!(set.lookup("04", now), RevokedLookup::Overflowed);
        assert!(matches!(
            set.lookup("01", now),
            RevokedLookup::Revoked { .. }
        ));
        // "01" ended: room again for a new serial, still fail closed for "03"'s lifetime.
        assert_eq!(
            set.insert("05", 9_000, "push", 2_000),
            Ok(RevokedInsert::Recorded)
        );
        assert!(matches!(
            set.lookup("05", 2_000),
            RevokedLookup::Revoked { .. }
        ));
        assert_eq!(set.lookup("04", 4_999), RevokedLookup::Overflowed);
        // Once every dropped serial's certificate expired, normal again.
        assert_eq!(set.lookup("04", 5_000), RevokedLookup::NotRevoked);
        assert!(matches!(
            set.lookup("02", 5_000),
            RevokedLookup::Revoked { .. }
        ));
        assert_eq!(set.len(), 2);
    }

    #[tokio::test]
    async fn overflowed_revoked_set_makes_checks_unavailable() {
        let config = CacheConfig {
            max_revoked: 1,
            ..no_refresh()
        };
        let (cache, _clock, fake, source) = setup(config, Reply::Status(RevocationStatus::Valid));
        cache.mark_revoked("01", None).unwrap();
        assert_eq!(
            cache.mark_revoked("02", None),
            Ok(RevokedInsert::Overflowed)
        );
        assert!(status(&cache, &source, None).await.is_err());
        assert_eq!(fake.calls(), 0);
    }

    #[test]
    fn serials_normalize() {
        assert_eq!(normalize_serial_hex("00:8A").as_deref(), Some("8a"));
        assert_eq!(normalize_serial_hex("00").as_deref(), Some("00"));
        assert_eq!(normalize_serial_hex(""), None);
        assert_eq!(normalize_serial_hex(&"a".repeat(400)), None);
    }
}
