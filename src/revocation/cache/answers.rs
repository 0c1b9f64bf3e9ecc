//! SPEC 7.2: what the cache keeps per (source, issuer, serial) and the two
//! limits that decide whether a kept answer may serve a request.
//!
//! - **Reuse (TTL)**: an answer serves for at most the TTL counted from its
//!   fetch, and never at or past its `nextUpdate`.
//! - **Age**: at each use, `now − produced_at` must not exceed the age limit
//!   (the source's maximum, or the policy's shorter `revocationTimeout`).

#[cfg(feature = "fetch")]
use std::sync::atomic::AtomicBool;
#[cfg(feature = "fetch")]
use std::sync::Arc;

use super::CachedAnswer;
use crate::revocation::{RevocationAnswer, RevocationStatus, Unavailable};

/// The two limits of SPEC 7.2 (and the failure TTL) for one lookup.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Reuse: at most this long after the fetch.
    pub(super) ttl_ms: u64,
    /// Age: at most this old at each use.
    pub(super) max_age_ms: u64,
    /// Failures are remembered this long (at most 1 s).
    pub(super) failure_ms: u64,
}

#[derive(Debug, Clone)]
pub(super) enum SlotKind {
    /// A definite answer, fetched at `fetched_at_ms` (the fetching request's `now`).
    Answer {
        answer: RevocationAnswer,
        fetched_at_ms: u64,
    },
    /// A failed (or unusable) fetch.
    Failure { at_ms: u64, reason: Unavailable },
}

/// One cache entry.
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) kind: SlotKind,
    /// Its background refresh (SPEC 7.2 refresh-ahead), shared by every
    /// copy of the entry.
    #[cfg(feature = "fetch")]
    pub(super) refresh: Arc<Refresh>,
}

impl Slot {
    pub(super) fn new(kind: SlotKind) -> Self {
        Slot {
            kind,
            #[cfg(feature = "fetch")]
            refresh: Arc::default(),
        }
    }
}

/// SPEC 7.2 refresh-ahead, per cached answer: at most one background
/// refresh, and a lookup that finds the answer past its limits while that
/// refresh runs waits for it instead of fetching the same answer again.
#[cfg(feature = "fetch")]
#[derive(Debug)]
pub(super) struct Refresh {
    /// Set by the lookup that starts the refresh.
    pub(super) started: AtomicBool,
    /// One permit, held by the refresh ([`Running`]) from before it is
    /// spawned until its answer is in the cache (or it failed).
    running: tokio::sync::Semaphore,
}

#[cfg(feature = "fetch")]
impl Default for Refresh {
    fn default() -> Self {
        Refresh {
            started: AtomicBool::new(false),
            running: tokio::sync::Semaphore::new(1),
        }
    }
}

#[cfg(feature = "fetch")]
impl Refresh {
    /// Waits until no refresh of this answer is running.
    pub(super) async fn finished(&self) {
        // The semaphore is never closed; if it were, there is nothing to
        // wait for either.
        drop(self.running.acquire().await);
    }
}

/// A running refresh: gives its permit back when it ends, however it ends
/// (done, failed, or its task dropped with the runtime). Written here rather
/// than tokio's `OwnedSemaphorePermit`, which needs the semaphore in an
/// `Arc` of its own: a second allocation for every cached answer, where this
/// shares the one [`Refresh`] allocation.
#[cfg(feature = "fetch")]
pub(super) struct Running(Arc<Refresh>);

#[cfg(feature = "fetch")]
impl Running {
    /// The refresh's permit, unless a refresh of this answer is running.
    pub(super) fn start(refresh: &Arc<Refresh>) -> Option<Running> {
        refresh.running.try_acquire().ok()?.forget();
        Some(Running(Arc::clone(refresh)))
    }
}

#[cfg(feature = "fetch")]
impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.add_permits(1);
    }
}

// SPEC 7.2: failures are cached as failures, never as valid.
pub(super) fn failure_slot(now: u64, reason: Unavailable) -> Slot {
    Slot::new(SlotKind::Failure { at_ms: now, reason })
}

// SPEC 7.2 (reuse): at most the TTL from the fetch, never past nextUpdate.
pub(super) fn reuse_until_ms(answer: &RevocationAnswer, fetched_at_ms: u64, ttl_ms: u64) -> u64 {
    let by_ttl = fetched_at_ms.saturating_add(ttl_ms);
    answer
        .next_update_ms
        .map_or(by_ttl, |next| next.min(by_ttl))
}

// SPEC 7.2 (age): the answer's age at `now`, from when it was made.
pub(super) fn age_ms(answer: &RevocationAnswer, now: u64) -> u64 {
    now.saturating_sub(answer.produced_at_ms)
}

// SPEC 7.2 (age): not older than the age limit.
pub(super) fn within_age_limit(answer: &RevocationAnswer, now: u64, max_age_ms: u64) -> bool {
    age_ms(answer, now) <= max_age_ms
}

// SPEC 7.2: the first instant at which a valid / unknown answer may no
// longer serve (either limit).
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
pub(super) fn usable_until_ms(
    answer: &RevocationAnswer,
    fetched_at_ms: u64,
    limits: Limits,
) -> u64 {
    let by_age = answer
        .produced_at_ms
        .saturating_add(limits.max_age_ms)
        .saturating_add(1);
    reuse_until_ms(answer, fetched_at_ms, limits.ttl_ms).min(by_age)
}

// SPEC 7.2: whether an answer may serve at `now`. Revoked always may
// (revoked never turns back into valid).
pub(super) fn answer_usable(
    answer: &RevocationAnswer,
    fetched_at_ms: u64,
    now: u64,
    limits: Limits,
) -> bool {
    answer.status == RevocationStatus::Revoked
        || (now < reuse_until_ms(answer, fetched_at_ms, limits.ttl_ms)
            && within_age_limit(answer, now, limits.max_age_ms))
}

// SPEC 7.2: what a cached slot says at `now`; `None` when it must not be used.
pub(super) fn use_slot(
    slot: &Slot,
    now: u64,
    limits: Limits,
    from_cache: bool,
) -> Option<Result<CachedAnswer, Unavailable>> {
    match &slot.kind {
        SlotKind::Answer {
            answer,
            fetched_at_ms,
        } => answer_usable(answer, *fetched_at_ms, now, limits).then(|| {
            Ok(CachedAnswer {
                answer: answer.clone(),
                age_ms: age_ms(answer, now),
                fetched_at_ms: *fetched_at_ms,
                from_cache,
            })
        }),
        SlotKind::Failure { at_ms, reason } => {
            (now < at_ms.saturating_add(limits.failure_ms)).then(|| Err(reason.clone()))
        }
    }
}

// SPEC 7.2: what a fetch at `now` leaves in the cache: failures as
// failures; a valid / unknown answer already too old (or past its
// nextUpdate) as a failure — *unavailable* — so a responder serving stale
// answers is not asked again for every request. An answer dated after
// `now` (clock skew) counts as made at `now`, so skew never lengthens its use.
pub(super) fn slot_from_fetch(
    outcome: Result<RevocationAnswer, Unavailable>,
    now: u64,
    limits: Limits,
) -> Slot {
    match outcome {
        Ok(mut answer) => {
            answer.produced_at_ms = answer.produced_at_ms.min(now);
            if !within_age_limit(&answer, now, limits.max_age_ms) {
                return failure_slot(
                    now,
                    Unavailable::new("revocation answer older than its age limit"),
                );
            }
            if !answer_usable(&answer, now, now, limits) {
                return failure_slot(
                    now,
                    Unavailable::new("revocation answer past its nextUpdate"),
                );
            }
            Slot::new(SlotKind::Answer {
                answer,
                fetched_at_ms: now,
            })
        }
        Err(reason) => failure_slot(now, reason),
    }
}
