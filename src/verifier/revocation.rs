//! SPEC 5.1 step 7 and SPEC 7: the verifier's revocation checks — pushed
//! revocations (SPEC 7.3), then the configured source through the SPEC 7.2
//! cache — and push invalidation by webhook.

use std::sync::Arc;

use super::{CachedCertificate, Revocation, Verifier};
use crate::audit::{AuditRecord, RevocationOutcome};
use crate::error::Error;
use crate::revocation::cache::{
    normalize_serial_hex, CachedAnswer, RevocationCache, RevocationSerial, RevokedLookup,
};
use crate::revocation::webhook::{self, WebhookError, WebhookEvent, WebhookHeaders};
use crate::revocation::{
    CertificateRef, RevocationSource, RevocationStatus, RiskBand, Unavailable,
};

impl Verifier {
    /// The SPEC 7.2 revocation cache (and its revoked set).
    pub fn revocation_cache(&self) -> &RevocationCache {
        &self.revocation_cache
    }

    /// SPEC 7.3 push invalidation: verifies a Kakunin webhook in either
    /// form (SPEC 7.3's `X-Kakunin-Signature: t=,v1=`, or SPEC 10's
    /// `X-Kakunin-Timestamp` + `X-Kakunin-Signature: sha256=`; a delivery
    /// mixing them is refused — see [`webhook::verify_webhook_headers`];
    /// HMAC-SHA-256, 5-minute tolerance, constant-time compare) at the
    /// verifier's time and, for an authentic
    /// `certificate.revoked` event, marks the serial revoked at once, cached
    /// or not — kept at least for the longest validity accepted, and at
    /// least until the notAfter of a certificate with that serial that this
    /// verifier has validated.
    ///
    /// # Errors
    /// Every refusal is a [`WebhookError`]; its
    /// [`http_status`](WebhookError::http_status) is what the integrator's
    /// handler answers. In particular [`WebhookError::RevokedSetFull`]
    /// (503): the revocation could not be recorded, the sender must retry
    /// (meanwhile every request is `revocation_unavailable`), and
    /// [`WebhookError::SharedStoreUnavailable`] (503) when a fleet's shared
    /// revoked set could not record it (this instance denies the serial
    /// already; the retry reaches the others).
    ///
    /// `headers` is a [`WebhookHeaders`] (both header values), or just the
    /// `X-Kakunin-Signature` text (`&str`) for a delivery without
    /// `X-Kakunin-Timestamp`.
    pub async fn apply_revocation_webhook<'h>(
        &self,
        secret: &[u8],
        headers: impl Into<WebhookHeaders<'h>>,
        raw_body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        let event =
            webhook::verify_webhook_headers(secret, headers.into(), raw_body, self.clock.now_ms())?;
        let not_after_ms = match &event {
            WebhookEvent::CertificateRevoked { serial_hex } => self.known_not_after_ms(serial_hex),
            WebhookEvent::Other { .. } => None,
        };
        webhook::apply_webhook(&self.revocation_cache, &event, not_after_ms).await?;
        Ok(event)
    }

    // SPEC 7.3: the latest notAfter of the validated certificates (still
    // cached) with this serial, when there is one. Both sides compared as
    // the revoked set keys them (`normalize_serial_hex`), so SPEC 10's
    // 32-digit text with a leading `00` meets its pushed form.
    fn known_not_after_ms(&self, serial_hex: &str) -> Option<u64> {
        self.cert_cache
            .values()
            .filter(|c| normalize_serial_hex(c.cert.serial_hex()).as_deref() == Some(serial_hex))
            .map(|c| c.cert.not_after_ms())
            .max()
    }

    // SPEC 5.1 step 7 and SPEC 7: pushed revocations first (with or without
    // a source), then the leaf (and the path, when configured).
    pub(super) async fn check_revocation(
        &self,
        cached: &CachedCertificate,
        now_ms: u64,
        record: &mut AuditRecord,
    ) -> Result<(), Error> {
        self.check_shared_revoked_set_current()?;
        self.check_pushed_revocations(cached, now_ms, record)?;
        let source = match &self.revocation {
            Revocation::Disabled => return Ok(()),
            Revocation::Source(s) => s,
        };
        record.revocation_source = Some(source.name());
        let issuer = cached
            .chain
            .issuer_of(cached.cert.issuer_name_der())
            .ok_or_else(|| {
                Error::RevocationUnavailable("the leaf's issuer is not in the path".into())
            })?;
        let timeout_ms = match cached.cert.policy() {
            crate::certificate::Decoded::Present(p) => {
                p.revocation_timeout.map(|s| u64::from(s) * 1000)
            }
            _ => None,
        };
        let serial_form = cached.cert.serial_form();
        let root_der = cached
            .chain
            .cas()
            .last()
            .filter(|root| root.is_root())
            .map(|root| root.der());
        let leaf = CertificateRef {
            der: cached.cert.der(),
            issuer_der: issuer.der(),
            serial: cached.cert.serial(),
            serial_hex: cached.cert.serial_hex(),
            not_after_ms: cached.cert.not_after_ms(),
            serial_form,
            root_der,
        };
        let answer = self
            .revocation_answer(
                source,
                leaf,
                issuer.sha256(),
                cached.revocation_serial.as_ref(),
                timeout_ms,
                now_ms,
            )
            .await;
        self.apply_revocation_answer(answer, record)?;
        if self.whole_chain {
            // SPEC 7.1: every certificate of the path but the pinned root.
            let cas = cached.chain.cas();
            let prepared = cached.ca_revocation_serials.iter().map(Option::as_ref);
            let prepared = prepared.chain(std::iter::repeat(None));
            for ((ca, parent), serial) in cas.iter().zip(cas.iter().skip(1)).zip(prepared) {
                let r = CertificateRef {
                    der: ca.der(),
                    issuer_der: parent.der(),
                    serial: ca.serial(),
                    serial_hex: ca.serial_hex(),
                    not_after_ms: ca.not_after_ms(),
                    serial_form,
                    root_der,
                };
                let answer = self
                    .revocation_answer(source, r, parent.sha256(), serial, timeout_ms, now_ms)
                    .await;
                self.apply_revocation_answer(answer, record)?;
            }
        }
        Ok(())
    }

    // SPEC 7.3 / 4.5 with a fleet: a local revoked set that is not known to
    // mirror the shared one (its subscription is down, or not yet
    // resynchronized) decides nothing — `overloaded`, never allowed on
    // local state alone. One atomic load.
    fn check_shared_revoked_set_current(&self) -> Result<(), Error> {
        match self.revocation_cache.shared() {
            Some(shared) if !shared.is_current() => Err(Error::Overloaded(
                "the shared revoked set is not reachable".into(),
            )),
            _ => Ok(()),
        }
    }

    // SPEC 7.2: through the cache at the request's `now` (a usable cached
    // answer costs no I/O), with the serial normalized when the certificate
    // was cached, else normalized now.
    async fn revocation_answer(
        &self,
        source: &Arc<dyn RevocationSource>,
        cert: CertificateRef<'_>,
        issuer_sha256: &[u8; 32],
        prepared: Option<&RevocationSerial>,
        revocation_timeout_ms: Option<u64>,
        now_ms: u64,
    ) -> Result<CachedAnswer, Unavailable> {
        let cache = &self.revocation_cache;
        match prepared {
            Some(serial) => {
                cache
                    .check_serial(
                        source,
                        cert,
                        issuer_sha256,
                        serial.clone(),
                        revocation_timeout_ms,
                        now_ms,
                    )
                    .await
            }
            None => {
                cache
                    .check_with_issuer_hash(
                        source,
                        cert,
                        issuer_sha256,
                        revocation_timeout_ms,
                        now_ms,
                    )
                    .await
            }
        }
    }

    // SPEC 7.3: a pushed revocation denies whatever the source
    // (`Revocation::Disabled` included); a full revoked set denies every
    // request `revocation_unavailable` — never failed open, since a
    // revocation may have been refused. An empty set costs one atomic load.
    fn check_pushed_revocations(
        &self,
        cached: &CachedCertificate,
        now_ms: u64,
        record: &mut AuditRecord,
    ) -> Result<(), Error> {
        let set = self.revocation_cache.revoked_set();
        let lookup = match &cached.revocation_serial {
            Some(serial) => set.lookup_normalized(None, serial, now_ms),
            None => set.lookup(cached.cert.serial_hex(), now_ms),
        };
        match lookup {
            RevokedLookup::NotRevoked => Ok(()),
            RevokedLookup::Revoked { source, .. } => {
                record.revocation = RevocationOutcome::Revoked;
                record.revocation_source = Some(source);
                Err(Error::CertificateRevoked(
                    "the certificate was revoked (push)".into(),
                ))
            }
            RevokedLookup::Full => {
                record.revocation = RevocationOutcome::Unavailable;
                Err(Error::RevocationUnavailable(
                    "the revoked set is full: no revocation can be vouched for".into(),
                ))
            }
        }
    }

    // SPEC 7.1 / 5.7: map one answer onto the decision.
    fn apply_revocation_answer(
        &self,
        answer: Result<CachedAnswer, Unavailable>,
        record: &mut AuditRecord,
    ) -> Result<(), Error> {
        let (answer, age_ms) = match answer {
            Ok(a) => (a.answer, a.age_ms),
            Err(u) => {
                record.revocation = RevocationOutcome::Unavailable;
                if self.fail_open {
                    return Ok(());
                }
                return Err(Error::RevocationUnavailable(u.0));
            }
        };
        record.revocation_source = Some(answer.source);
        record.revocation_age_ms = Some(age_ms);
        match answer.status {
            RevocationStatus::Revoked => {
                record.revocation = RevocationOutcome::Revoked;
                Err(Error::CertificateRevoked(
                    "the certificate is revoked".into(),
                ))
            }
            RevocationStatus::Unknown => {
                record.revocation = RevocationOutcome::Unknown;
                Err(Error::CertificateUnknown(
                    "the revocation source does not know the certificate".into(),
                ))
            }
            RevocationStatus::Valid => {
                if record.revocation == RevocationOutcome::NotChecked {
                    record.revocation = RevocationOutcome::Valid;
                }
                let risky = answer.risk_band == Some(RiskBand::High)
                    || answer.risk_score.is_some_and(|s| s >= self.risk_threshold);
                if risky {
                    return Err(Error::RiskTooHigh(
                        "the revocation source reports high risk".into(),
                    ));
                }
                Ok(())
            }
        }
    }
}
