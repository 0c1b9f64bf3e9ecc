//! SPEC 8: what each step establishes about a request ([`Trace`]), the
//! audit record made from it for every decision, and its way to the audit
//! sink (fail closed: an allowed decision the trail cannot show is denied).

use std::time::Instant;

use super::{Denial, HttpRequest, Verifier};
use crate::audit::{
    AuditAction, AuditDigest, AuditRecord, AuditText, AuditTime, RevocationOutcome,
};
use crate::error::{Code, Error};

/// What is known so far about a request, for the audit record. Every field
/// is a fixed-size value (short text inline, digests as bytes), so filling
/// it on the hot path allocates nothing.
#[derive(Default)]
pub(super) struct Trace {
    pub(super) claimed_agent_id: Option<AuditText>,
    pub(super) agent_id: Option<AuditText>,
    pub(super) cert_serial: Option<AuditText>,
    pub(super) cert_sha256: Option<[u8; 32]>,
    pub(super) audience: Option<AuditText>,
    pub(super) scope: Option<AuditText>,
    pub(super) action: Option<AuditAction>,
    pub(super) nonce: Option<AuditText>,
    pub(super) body_sha256: Option<[u8; 32]>,
    pub(super) signature_valid: Option<bool>,
    pub(super) scope_check_passed: Option<bool>,
    pub(super) revocation: RevocationOutcome,
    pub(super) revocation_source: Option<&'static str>,
    pub(super) revocation_age_ms: Option<u64>,
    pub(super) request_timestamp_ms: Option<u64>,
}

impl Verifier {
    /// Refuses a request before it reaches [`verify`](Self::verify) — e.g. an
    /// HTTP layer answering `body_too_large` on its `Content-Length` without
    /// reading the body — with the audit record every decision has (method
    /// and target only), which goes to the audit sink like any other.
    pub fn refuse(&self, req: &HttpRequest<'_>, error: Error) -> Denial {
        let started = Instant::now();
        let now_ms = self.clock.now_ms();
        let mut audit =
            self.audit_record(req, Trace::default(), Some(error.code()), now_ms, started);
        let result = self.record_audit::<()>(Err(error), &mut audit);
        let error = match result {
            Err(e) => e,
            Ok(()) => Error::Overloaded("unreachable: a refusal is never allowed".into()),
        };
        Denial {
            error,
            audit: Box::new(audit),
        }
    }

    // SPEC 8: the record of one decision, from what the steps established.
    pub(super) fn audit_record(
        &self,
        req: &HttpRequest<'_>,
        trace: Trace,
        code: Option<Code>,
        now_ms: u64,
        started: Instant,
    ) -> AuditRecord {
        let allowed = code.is_none();
        AuditRecord {
            event_type: if allowed {
                "action.allowed"
            } else {
                "action.denied"
            },
            decision: if allowed { "allow" } else { "deny" },
            code,
            http_status: code.map_or(200, Code::http_status),
            agent_id: trace.agent_id,
            claimed_agent_id: trace.claimed_agent_id,
            cert_serial: trace.cert_serial,
            cert_sha256: trace.cert_sha256.map(AuditDigest),
            audience: trace.audience,
            method: Some(AuditText::from(req.method)),
            target: Some(AuditText::from(req.target)),
            scope: trace.scope,
            action: trace.action,
            nonce: trace.nonce,
            body_sha256: trace.body_sha256.map(AuditDigest),
            signature_valid: trace.signature_valid,
            scope_check_passed: trace.scope_check_passed,
            revocation: trace.revocation,
            revocation_source: trace.revocation_source,
            revocation_age_ms: trace.revocation_age_ms,
            request_timestamp_ms: trace.request_timestamp_ms,
            verified_at: AuditTime(now_ms),
            duration_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        }
    }

    // SPEC 8: every decision's record to the sink; an allowed decision the
    // trail cannot show is denied instead (fail closed), and that denial is
    // offered to the sink in turn. The record is amended in place (it is
    // nearly 1 KiB; moving it in and out cost two copies per request).
    pub(super) fn record_audit<T>(
        &self,
        result: Result<T, Error>,
        audit: &mut AuditRecord,
    ) -> Result<T, Error> {
        let Some(sink) = &self.audit_sink else {
            return result;
        };
        match sink.record(audit) {
            Ok(()) => result,
            Err(_) if result.is_err() => result,
            Err(_) => {
                let error = Error::Overloaded("the audit trail could not be written".into());
                audit.event_type = "action.denied";
                audit.decision = "deny";
                audit.code = Some(error.code());
                audit.http_status = error.http_status();
                // Best effort: the sink just failed once.
                let _ = sink.record(audit);
                Err(error)
            }
        }
    }
}
