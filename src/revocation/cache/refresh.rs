//! SPEC 7.2 refresh-ahead (MAY): an answer within `refresh_ahead_ms` of
//! either limit is served at once while one background refresh (feature
//! `fetch`, inside a tokio runtime) fetches its successor; a lookup that
//! finds the answer past its limits meanwhile waits for that refresh.
//! Without feature `fetch` there is no refresh and this module is absent.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::answers::{slot_from_fetch, usable_until_ms, Limits, Running, Slot, SlotKind};
use super::{CacheKey, RevocationCache};
use crate::revocation::{CertificateRef, RevocationSource, RevocationStatus};

impl RevocationCache {
    // SPEC 7.2: a refresh MAY start before expiry so active agents never
    // wait; at most one per cached answer, only inside a tokio runtime.
    pub(super) fn maybe_refresh_ahead(
        &self,
        slot: &Slot,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        key: &CacheKey,
        now: u64,
        limits: Limits,
    ) {
        let SlotKind::Answer {
            answer,
            fetched_at_ms,
        } = &slot.kind
        else {
            return;
        };
        let window = self.inner.config.refresh_ahead_ms;
        let left = usable_until_ms(answer, *fetched_at_ms, limits).saturating_sub(now);
        if window == 0 || answer.status == RevocationStatus::Revoked || left > window {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if slot.refresh.started.swap(true, Ordering::SeqCst) {
            return;
        }
        // Taken here, before the task runs, so that a lookup finding this
        // answer expired from now on waits for the refresh (`fetch_shared`).
        let Some(running) = Running::start(&slot.refresh) else {
            return;
        };
        let cache = self.clone();
        let source = Arc::clone(source);
        let owned = OwnedCert::from_ref(cert);
        let key = key.clone();
        handle.spawn(async move {
            cache.refresh(source, owned, key, limits).await;
            drop(running);
        });
    }

    // SPEC 7.2 refresh-ahead: a usable answer replaces the entry (fetched
    // now, by the clock); a failure leaves the still-usable entry to expire
    // on its own.
    async fn refresh(
        &self,
        source: Arc<dyn RevocationSource>,
        owned: OwnedCert,
        key: CacheKey,
        limits: Limits,
    ) {
        let cert = owned.as_ref();
        // The key holds the SHA-256 of `cert.issuer_der` already.
        let issuer = key.issuer_sha256;
        let now = self.now();
        let Ok(answer) = source.check(cert, now).await else {
            return;
        };
        self.remember_revoked(&answer, cert, &issuer, now);
        let slot = slot_from_fetch(Ok(answer), now, limits);
        if let (SlotKind::Answer { .. }, Some(entries)) = (&slot.kind, &self.inner.entries) {
            entries.insert(key, slot);
        }
    }
}

// SPEC 7.2 (one fetch per key): when a background refresh of this answer
// is running, its answer serves this lookup too — wait until it is in the
// cache (`true`), or say there is none (`false`).
pub(super) async fn wait_for_refresh(slot: &Slot) -> bool {
    if !slot.refresh.started.load(Ordering::SeqCst) {
        return false;
    }
    slot.refresh.finished().await;
    true
}

/// An owned copy of a [`CertificateRef`] for a background refresh.
struct OwnedCert {
    der: Vec<u8>,
    issuer_der: Vec<u8>,
    serial: Vec<u8>,
    serial_hex: String,
    not_after_ms: u64,
    serial_form: crate::revocation::SerialForm,
    root_der: Option<Vec<u8>>,
}

impl OwnedCert {
    fn from_ref(cert: CertificateRef<'_>) -> Self {
        OwnedCert {
            der: cert.der.to_vec(),
            issuer_der: cert.issuer_der.to_vec(),
            serial: cert.serial.to_vec(),
            serial_hex: cert.serial_hex.to_owned(),
            not_after_ms: cert.not_after_ms,
            serial_form: cert.serial_form,
            root_der: cert.root_der.map(<[u8]>::to_vec),
        }
    }

    fn as_ref(&self) -> CertificateRef<'_> {
        CertificateRef {
            der: &self.der,
            issuer_der: &self.issuer_der,
            serial: &self.serial,
            serial_hex: &self.serial_hex,
            not_after_ms: self.not_after_ms,
            serial_form: self.serial_form,
            root_der: self.root_der.as_deref(),
        }
    }
}
