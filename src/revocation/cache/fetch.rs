//! SPEC 7.2's miss path: one fetch per key however many lookups miss it
//! together, an answer the request fetched, and an answer found past its
//! limits (waiting for its refresh when one is running).

use std::sync::Arc;

use super::answers::{slot_from_fetch, use_slot, Limits, Slot};
#[cfg(feature = "fetch")]
use super::refresh::wait_for_refresh;
use super::{CacheKey, CachedAnswer, RevocationCache};
use crate::revocation::{CertificateRef, RevocationSource, Unavailable};

/// SPEC 7.2: how many times one lookup may find, at its `now`, an answer
/// already unusable (waiting once for its running refresh, else taking it
/// out) before it gives up (fail closed). Each round either fetches, finds
/// another caller's fetch or waits for the refresh, so a third round is
/// already rare.
const MAX_SHARED_FETCH_ROUNDS: usize = 4;

impl RevocationCache {
    // SPEC 7.2: concurrent lookups of one key share one fetch. The first
    // caller to miss holds the key's placeholder and fetches; the others
    // wait for what it inserts (or, if it is dropped unfinished, one of them
    // takes the placeholder over). An answer found unusable at this
    // request's `now` is taken out — unless another caller has replaced it —
    // and the lookup tried again. The fetch counts as made at `now`.
    pub(super) async fn fetch_shared(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        issuer: &[u8; 32],
        key: CacheKey,
        limits: Limits,
        now: u64,
    ) -> Result<CachedAnswer, Unavailable> {
        let Some(entries) = &self.inner.entries else {
            let slot = self.fetch_slot(source, cert, issuer, limits, now).await;
            return use_fetched(&slot, now, limits);
        };
        #[cfg(feature = "fetch")]
        let mut waited_for_refresh = false;
        for _ in 0..MAX_SHARED_FETCH_ROUNDS {
            match entries.get_value_or_guard_async(&key).await {
                Ok(slot) => {
                    if let Some(result) = use_slot(&slot, now, limits, true) {
                        return result;
                    }
                    #[cfg(feature = "fetch")]
                    if !waited_for_refresh && wait_for_refresh(&slot).await {
                        waited_for_refresh = true;
                        continue;
                    }
                    entries.remove_if(&key, |s| use_slot(s, now, limits, true).is_none());
                }
                Err(placeholder) => {
                    let slot = self.fetch_slot(source, cert, issuer, limits, now).await;
                    // Refused only when the key's entry was replaced
                    // meanwhile; this request still uses its own fetch.
                    let _ = placeholder.insert(slot.clone());
                    return use_fetched(&slot, now, limits);
                }
            }
        }
        Err(Unavailable::new("revocation answer expired"))
    }

    // SPEC 7.2: one fetch, as a cache entry (a failure is a failure entry);
    // a revoked answer is remembered in the revoked set.
    async fn fetch_slot(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        issuer: &[u8; 32],
        limits: Limits,
        now: u64,
    ) -> Slot {
        let outcome = source.check(cert, now).await;
        if let Ok(answer) = &outcome {
            self.remember_revoked(answer, cert, issuer, now);
        }
        slot_from_fetch(outcome, now, limits)
    }
}

// SPEC 7.2: a fetch this request made serves it (not from the cache),
// unless it is unusable even now (a failure, or an answer already older
// than the age limit): then fail closed.
fn use_fetched(slot: &Slot, now: u64, limits: Limits) -> Result<CachedAnswer, Unavailable> {
    use_slot(slot, now, limits, false)
        .unwrap_or_else(|| Err(Unavailable::new("revocation answer expired")))
}
