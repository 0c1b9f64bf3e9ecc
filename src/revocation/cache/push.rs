//! SPEC 7.3: push invalidation — revocations marked at once (a webhook),
//! and, with a fleet, the shared revoked set they are published to and
//! mirrored from ([`RevokedMirror`]).

use std::sync::{Arc, Weak};

use super::{
    normalize_serial_hex, Inner, RevocationCache, RevokeError, RevokedLookup, PUSH_SOURCE_NAME,
};
use crate::error::ConfigError;
use crate::stores::revoked::{RevocationNotice, SharedRevokedSet};

/// The handle a [`SharedRevokedSet`] adds the fleet's revocations to this
/// cache's local revoked set with. It does not keep the cache alive: once
/// every clone of the cache is dropped, [`apply`](Self::apply) says so and
/// the shared set's background work may stop.
#[derive(Clone)]
pub struct RevokedMirror {
    inner: Weak<Inner>,
}

impl std::fmt::Debug for RevokedMirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevokedMirror")
            .field("alive", &(self.inner.strong_count() > 0))
            .finish()
    }
}

impl RevokedMirror {
    /// Adds a revocation the fleet announced to the local set (without
    /// announcing it again).
    ///
    /// * `Ok(true)`: recorded (or already there);
    /// * `Ok(false)`: the cache is gone — stop mirroring;
    /// * `Err`: not recorded ([`RevokeError::Full`]: the local set then
    ///   fails every lookup closed).
    pub fn apply(&self, notice: &RevocationNotice) -> Result<bool, RevokeError> {
        let Some(inner) = self.inner.upgrade() else {
            return Ok(false);
        };
        let now = inner.clock.now_ms();
        if notice.until_ms <= now {
            return Ok(true); // lapsed already: nothing to hold
        }
        inner.revoked.insert_scoped(
            notice.issuer_sha256.as_ref(),
            &notice.serial_hex,
            notice.until_ms,
            notice.source,
            notice.marked_at_ms.min(now),
        )?;
        Ok(true)
    }

    /// The local clock's `now` (Unix ms), `None` once the cache is gone.
    pub fn now_ms(&self) -> Option<u64> {
        self.inner.upgrade().map(|i| i.clock.now_ms())
    }
}

impl RevocationCache {
    /// SPEC 7.3: marks `serial_hex` revoked at once, for any issuer, cached
    /// or not. Kept at least [`CacheConfig::pushed_retention_ms`](super::CacheConfig::pushed_retention_ms) (the
    /// longest validity accepted) and at least until `not_after_ms` when the
    /// certificate's notAfter is known — nothing makes it lapse early.
    ///
    /// # Errors
    /// [`RevokeError::Full`] when the revoked set is full (nothing recorded;
    /// SPEC 7.3: answer 503 so that the sender retries),
    /// [`RevokeError::InvalidSerial`] for a text that is not a serial.
    pub fn mark_revoked(
        &self,
        serial_hex: &str,
        not_after_ms: Option<u64>,
    ) -> Result<(), RevokeError> {
        self.record_pushed(serial_hex, not_after_ms).map(|_| ())
    }

    // SPEC 7.3: a pushed revocation in the local set, kept until the later
    // of the retention and the notAfter; returns (now, until).
    fn record_pushed(
        &self,
        serial_hex: &str,
        not_after_ms: Option<u64>,
    ) -> Result<(u64, u64), RevokeError> {
        let now = self.now();
        let until = pushed_until_ms(now, self.inner.config.pushed_retention_ms, not_after_ms);
        self.inner
            .revoked
            .insert(serial_hex, until, PUSH_SOURCE_NAME, now)?;
        Ok((now, until))
    }

    /// SPEC 7.3 with a fleet: [`Self::mark_revoked`], then the revocation
    /// recorded in the shared revoked set (when one is attached) so that
    /// every instance denies the serial at once.
    ///
    /// # Errors
    /// Those of [`Self::mark_revoked`], and [`RevokeError::SharedStore`]
    /// when the shared set could not record it (the local set holds it;
    /// answer 503 so that the sender retries and the fleet learns it).
    pub async fn mark_revoked_shared(
        &self,
        serial_hex: &str,
        not_after_ms: Option<u64>,
    ) -> Result<(), RevokeError> {
        let serial = normalize_serial_hex(serial_hex).ok_or(RevokeError::InvalidSerial)?;
        let (now, until) = self.record_pushed(&serial, not_after_ms)?;
        let Some(shared) = self.inner.shared.get() else {
            return Ok(());
        };
        let notice = RevocationNotice {
            issuer_sha256: None,
            serial_hex: serial,
            until_ms: until,
            marked_at_ms: now,
            source: PUSH_SOURCE_NAME,
        };
        shared
            .publish(&notice)
            .await
            .map_err(|_| RevokeError::SharedStore)
    }

    /// SPEC 7.3: attaches the fleet's shared revoked set (once; a second
    /// call is refused). Its announcements reach this cache's local set.
    pub fn attach_shared(&self, shared: Arc<dyn SharedRevokedSet>) -> Result<(), ConfigError> {
        self.inner
            .shared
            .set(Arc::clone(&shared))
            .map_err(|_| ConfigError::new("a shared revoked set is already attached"))?;
        shared.attach(RevokedMirror {
            inner: Arc::downgrade(&self.inner),
        });
        Ok(())
    }

    /// The attached shared revoked set, if any.
    pub fn shared(&self) -> Option<&Arc<dyn SharedRevokedSet>> {
        self.inner.shared.get()
    }

    /// `true` when `serial_hex` was pushed as revoked (SPEC 7.3; any issuer)
    /// and still counts now.
    pub fn is_marked_revoked(&self, serial_hex: &str) -> bool {
        matches!(
            self.inner.revoked.lookup(serial_hex, self.now()),
            RevokedLookup::Revoked { .. }
        )
    }
}

// SPEC 7.3: a pushed revocation is kept at least the longest validity
// accepted, and at least until the certificate's notAfter when known.
pub(super) fn pushed_until_ms(now: u64, retention_ms: u64, not_after_ms: Option<u64>) -> u64 {
    now.saturating_add(retention_ms)
        .max(not_after_ms.unwrap_or(0))
}
