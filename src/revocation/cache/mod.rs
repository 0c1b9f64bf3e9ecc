//! SPEC 7.2: the revocation cache in front of networked sources (OCSP,
//! Kakunin's verify endpoint), plus the revoked set that push invalidation
//! (SPEC 7.3) writes into.
//!
//! Freshness is decided by the request's `now` (read once from the crate's
//! injected [`Clock`] when its verification starts); the cache library has
//! no clock. An entry past its limits is never used again and is replaced
//! by the next lookup's fetch; at most [`CacheConfig::max_entries`] are kept
//! (a bounded quick_cache: a hit is a hash, a shard's read
//! lock and a probe). Two separate limits govern a valid (or unknown)
//! answer:
//!
//! - **reuse** — the TTL ([`CacheConfig::ttl_ms`], default 5 s) counted from
//!   the fetch, capped by the answer's `nextUpdate`; past it the answer is
//!   never used again;
//! - **age** — at every use, `now` minus when the answer was made (OCSP
//!   `thisUpdate`; endpoint: fetch time minus `Age`) must not exceed the
//!   source's [`RevocationSource::max_answer_age_ms`] (OCSP 24 h, endpoint
//!   300 s), or the policy's `revocationTimeout` when that is shorter: the
//!   certificate tightens the limit, never loosens it (SPEC 7.2: "the age
//!   limit is the CA's to tighten").
//!
//! | situation | what happens |
//! |---|---|
//! | serial in the [`RevokedSet`] (from a source or [`RevocationCache::mark_revoked`]) | `Revoked` at once, no I/O, whatever the cache or source says |
//! | revoked set full (see [`RevokedSet`]) and the serial not in it | `Unavailable` (fail closed) until entries lapse |
//! | `Valid` / `Unknown` entry with `now < min(fetched + ttl, nextUpdate)` and `now − made ≤ age limit` | the cached answer, no I/O |
//! | same, within `refresh_ahead_ms` of either limit, tokio runtime present (feature `fetch`) | the cached answer at once; one background refresh per cached answer |
//! | entry past either limit | never used again: a new fetch; if it fails, `Unavailable` |
//! | failure entry younger than `failure_ttl_ms` (at most 1 s) | the same `Unavailable`, no I/O |
//! | miss, many concurrent callers for one key | one fetch (the first caller holds the key's placeholder; the others wait for its answer), all share its result |
//! | fetch says `Revoked` | serial kept in the revoked set until the certificate's notAfter |
//! | fetch says `Valid` / `Unknown` already older than the age limit | stored and returned as a failure |
//! | fetched answer dated in the future (skew) | counts as made at the fetch |
//! | fetch fails | stored as a failure for `failure_ttl_ms`, never as valid |
//! | background refresh fails | the still-usable entry stays until its own limits |
//! | entry past either limit while its background refresh is fetching | the lookup waits for the refresh and is served its answer (one fetch per key); if the refresh failed, a new fetch |
//! | local source (`is_networked() == false`, CRLs) | asked every time, not cached, no age limit (SPEC 7.1: a CRL serves until its nextUpdate); `Revoked` still recorded |

use std::sync::{Arc, OnceLock};

use super::{CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, Unavailable};
use crate::bounded::{bounded, Bounded};
use crate::clock::Clock;
use crate::stores::revoked::{RevocationNotice, SharedRevokedSet};

mod answers;
mod fetch;
mod push;
#[cfg(feature = "fetch")]
mod refresh;
mod revoked;
mod serial;
#[cfg(test)]
mod tests;

use answers::{use_slot, Limits, Slot};
pub use push::RevokedMirror;
pub use revoked::{RevokeError, RevokedLookup, RevokedSet};
pub use serial::normalize_serial_hex;
pub(crate) use serial::RevocationSerial;

/// SPEC 7.2: default reuse time (TTL) of a fetched answer, counted from the fetch (5 s).
pub const DEFAULT_TTL_MS: u64 = 5_000;
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
/// SPEC 7.3: how long a pushed revocation is kept at least when the
/// certificate's notAfter is not known: the longest validity accepted
/// (365 days by default; the verifier raises it to its profile's
/// `max_validity_seconds`).
pub const DEFAULT_PUSHED_RETENTION_MS: u64 = 365 * 24 * 60 * 60 * 1_000;
/// The source name recorded for revocations pushed by [`RevocationCache::mark_revoked`].
pub const PUSH_SOURCE_NAME: &str = "push";

/// Settings of a [`RevocationCache`].
///
/// ```
/// use kakunin_verify::revocation::cache::CacheConfig;
/// let config = CacheConfig { ttl_ms: 3_000, ..CacheConfig::default() };
/// assert_eq!(config.failure_ttl_ms, 1_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// SPEC 7.2 reuse: a fetched valid or unknown answer serves for at most
    /// this long after its fetch (and never past its `nextUpdate`).
    /// Default 5 s. (The answer's age is limited separately:
    /// [`RevocationSource::max_answer_age_ms`], or the policy's shorter
    /// `revocationTimeout`.)
    pub ttl_ms: u64,
    /// How long a failure is remembered (as a failure). Default 1 s; values
    /// above [`MAX_FAILURE_TTL_MS`] (SPEC 7.2: at most 1 s) are capped.
    pub failure_ttl_ms: u64,
    /// When a cached answer has less than this left under either limit,
    /// one background refresh starts (feature `fetch`, inside a tokio
    /// runtime). 0 disables it.
    pub refresh_ahead_ms: u64,
    /// Bound on cached answers (any of them may be evicted: a miss only
    /// means a fetch). 0 caches nothing: every lookup fetches.
    pub max_entries: u64,
    /// Bound on the [`RevokedSet`] (SPEC 7.3: when it is full, every request
    /// is `revocation_unavailable` until entries lapse).
    pub max_revoked: usize,
    /// SPEC 7.3: a pushed revocation is kept at least this long (and at
    /// least until the certificate's notAfter when known).
    pub pushed_retention_ms: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl_ms: DEFAULT_TTL_MS,
            failure_ttl_ms: DEFAULT_FAILURE_TTL_MS,
            refresh_ahead_ms: DEFAULT_REFRESH_AHEAD_MS,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_revoked: DEFAULT_MAX_REVOKED,
            pushed_retention_ms: DEFAULT_PUSHED_RETENTION_MS,
        }
    }
}

/// A definite answer as used by one verification.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedAnswer {
    /// The source's answer (for a revoked-set hit: status `Revoked`, made
    /// when the serial was marked).
    pub answer: RevocationAnswer,
    /// SPEC 7.2 / 8: the answer's age at this use, ms (`now − produced_at_ms`);
    /// never above the age limit it was judged by. The audit record's
    /// `revocation_age_ms`.
    pub age_ms: u64,
    /// When the answer was fetched (the fetching request's `now`), Unix ms;
    /// its reuse (TTL) counts from here.
    pub fetched_at_ms: u64,
    /// `true` when no fetch was made for this verification.
    pub from_cache: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    source: &'static str,
    issuer_sha256: [u8; 32],
    serial: RevocationSerial,
}

struct Inner {
    config: CacheConfig,
    clock: Arc<dyn Clock>,
    /// `None` when `max_entries` is 0.
    entries: Option<Bounded<CacheKey, Slot>>,
    revoked: RevokedSet,
    /// SPEC 7.3: the fleet's shared revoked set, when configured.
    shared: OnceLock<Arc<dyn SharedRevokedSet>>,
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
            .field("entries", &self.cached_answers())
            .field("revoked", &self.inner.revoked.len())
            .finish()
    }
}

impl RevocationCache {
    /// A cache reading `clock` where no request's `now` is given
    /// ([`Self::check`], [`Self::mark_revoked`], background refreshes).
    pub fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Self {
        let entries = bounded(config.max_entries);
        let revoked = RevokedSet::new(config.max_revoked);
        RevocationCache {
            inner: Arc::new(Inner {
                config,
                clock,
                entries,
                revoked,
                shared: OnceLock::new(),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &CacheConfig {
        &self.inner.config
    }

    /// How many answers (and remembered failures) are cached now: at most
    /// [`CacheConfig::max_entries`].
    pub fn cached_answers(&self) -> usize {
        self.inner.entries.as_ref().map_or(0, Bounded::len)
    }

    /// The revoked set (shared by all clones of this cache).
    pub fn revoked_set(&self) -> &RevokedSet {
        &self.inner.revoked
    }

    /// SPEC 7.2: the revocation status of `cert` from `source`, through the
    /// cache, at the clock's now. `revocation_timeout_ms` is the policy's
    /// revocationTimeout, when it has one. `Err` is `revocation_unavailable`
    /// (fail closed).
    pub async fn check(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        revocation_timeout_ms: Option<u64>,
    ) -> Result<CachedAnswer, Unavailable> {
        let issuer = crate::digest::sha256(cert.issuer_der);
        let now = self.now();
        self.check_with_issuer_hash(source, cert, &issuer, revocation_timeout_ms, now)
            .await
    }

    /// [`Self::check`] at the request's `now_ms` (SPEC 7.2: read once when
    /// its verification starts; an answer fetched for it counts as fetched
    /// then), for callers that already hold the SHA-256 of
    /// `cert.issuer_der` (the verifier computes it once per validated chain).
    pub async fn check_with_issuer_hash(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        issuer_sha256: &[u8; 32],
        revocation_timeout_ms: Option<u64>,
        now_ms: u64,
    ) -> Result<CachedAnswer, Unavailable> {
        let serial = RevocationSerial::of(cert.serial_hex)
            .ok_or_else(|| Unavailable::new("unusable serial"))?;
        self.check_serial(
            source,
            cert,
            issuer_sha256,
            serial,
            revocation_timeout_ms,
            now_ms,
        )
        .await
    }

    /// [`Self::check_with_issuer_hash`] with `cert`'s serial normalized
    /// beforehand: the verifier does it once per cached certificate, so a
    /// request whose answer is cached allocates nothing here.
    pub(crate) async fn check_serial(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        issuer_sha256: &[u8; 32],
        serial: RevocationSerial,
        revocation_timeout_ms: Option<u64>,
        now_ms: u64,
    ) -> Result<CachedAnswer, Unavailable> {
        let issuer = *issuer_sha256;
        let now = now_ms;
        if let Some(hit) = self.revoked_hit(&issuer, &serial, now)? {
            return Ok(hit);
        }
        if !source.is_networked() {
            return self.check_local(source, cert, &issuer, now).await;
        }
        let limits = self.limits(source.as_ref(), revocation_timeout_ms);
        let key = CacheKey {
            source: source.name(),
            issuer_sha256: issuer,
            serial,
        };
        if let Some(slot) = self.inner.entries.as_ref().and_then(|e| e.get(&key)) {
            if let Some(result) = use_slot(&slot, now, limits, true) {
                #[cfg(feature = "fetch")]
                self.maybe_refresh_ahead(&slot, source, cert, &key, now, limits);
                return result;
            }
        }
        // Boxed: the miss path (a fetch over the network) is rare and its
        // state is ~2.3 KB; unboxed it would size every verification's
        // future, which is moved on every request, hit or miss.
        Box::pin(self.fetch_shared(source, cert, &issuer, key, limits, now)).await
    }

    fn now(&self) -> u64 {
        self.inner.clock.now_ms()
    }

    // SPEC 7.2: the TTL (at least 1 ms: the fetching request itself is
    // served); the age limit — the source's maximum, or the policy's
    // revocationTimeout when shorter ("the CA's to tighten": the SPEC's
    // "else" could be read as letting a long timeout loosen the source's
    // limit; the built-in sources never did, and the cache now agrees);
    // failures at most 1 s.
    fn limits(&self, source: &dyn RevocationSource, revocation_timeout_ms: Option<u64>) -> Limits {
        let source_max = source.max_answer_age_ms();
        Limits {
            ttl_ms: self.inner.config.ttl_ms.max(1),
            max_age_ms: revocation_timeout_ms.map_or(source_max, |t| t.min(source_max)),
            failure_ms: self.inner.config.failure_ttl_ms.min(MAX_FAILURE_TTL_MS),
        }
    }

    // SPEC 7.2 / 7.3: revoked never turns valid; the revoked set is first,
    // and a full set fails closed.
    fn revoked_hit(
        &self,
        issuer: &[u8; 32],
        serial: &RevocationSerial,
        now: u64,
    ) -> Result<Option<CachedAnswer>, Unavailable> {
        match self
            .inner
            .revoked
            .lookup_normalized(Some(issuer), serial, now)
        {
            RevokedLookup::Revoked {
                marked_at_ms,
                source,
            } => Ok(Some(revoked_answer(marked_at_ms, source, now))),
            RevokedLookup::Full => Err(Unavailable::new("the revoked set is full")),
            RevokedLookup::NotRevoked => Ok(None),
        }
    }

    // SPEC 7.1: local sources (CRLs) are consulted directly, not cached.
    async fn check_local(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        issuer: &[u8; 32],
        now: u64,
    ) -> Result<CachedAnswer, Unavailable> {
        let answer = source.check(cert, now).await?;
        self.remember_revoked(&answer, cert, issuer, now);
        Ok(CachedAnswer {
            age_ms: now.saturating_sub(answer.produced_at_ms),
            answer,
            fetched_at_ms: now,
            from_cache: false,
        })
    }

    // SPEC 7.2: revoked serials are kept until their certificate's notAfter.
    // A full set records nothing; it then fails every other lookup closed.
    fn remember_revoked(
        &self,
        answer: &RevocationAnswer,
        cert: CertificateRef<'_>,
        issuer: &[u8; 32],
        now: u64,
    ) {
        if answer.status == RevocationStatus::Revoked {
            let marked_at_ms = answer.produced_at_ms.min(now);
            let recorded = self.inner.revoked.insert_scoped(
                Some(issuer),
                cert.serial_hex,
                cert.not_after_ms,
                answer.source,
                marked_at_ms,
            );
            // SPEC 7.3 with a fleet: the others learn it too (best effort:
            // each would otherwise fetch it itself).
            if let (Ok(()), Some(shared)) = (recorded, self.inner.shared.get()) {
                if let Some(serial_hex) = normalize_serial_hex(cert.serial_hex) {
                    shared.announce(RevocationNotice {
                        issuer_sha256: Some(*issuer),
                        serial_hex,
                        until_ms: cert.not_after_ms,
                        marked_at_ms,
                        source: answer.source,
                    });
                }
            }
        }
    }
}

// SPEC 7.3: a revoked-set hit is a revoked answer.
fn revoked_answer(marked_at_ms: u64, source: &'static str, now: u64) -> CachedAnswer {
    CachedAnswer {
        answer: RevocationAnswer::new(RevocationStatus::Revoked, marked_at_ms, source),
        age_ms: now.saturating_sub(marked_at_ms),
        fetched_at_ms: marked_at_ms,
        from_cache: true,
    }
}
