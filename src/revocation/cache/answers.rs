//! SPEC 7.2: what the cache keeps per (source, issuer, serial) and the two
//! limits that decide whether a kept answer may serve a request.
//!
//! - **Reuse (TTL)**: an answer serves for at most the TTL counted from its
//!   fetch, and never at or past its `nextUpdate`.
//! - **Age**: at each use, `now − produced_at` must not exceed the age limit
//!   (the policy's `revocationTimeout`, else the source's maximum).

use std::sync::atomic::AtomicBool;
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
    #[cfg_attr(not(feature = "fetch"), allow(dead_code))]
    pub(super) refresh_started: Arc<AtomicBool>,
}

impl Slot {
    pub(super) fn new(kind: SlotKind) -> Self {
        Slot {
            kind,
            refresh_started: Arc::new(AtomicBool::new(false)),
        }
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
