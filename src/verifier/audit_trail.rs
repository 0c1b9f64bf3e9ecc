//! SPEC 8: the audit record of every decision — begun blank, filled by each
//! step with what it establishes, concluded with the decision — and its way
//! to the audit sink (fail closed: an allowed decision the trail cannot show
//! is denied).

use std::time::Instant;

use super::{Denial, HttpRequest, Verifier};
use crate::audit::{AuditRecord, AuditText, AuditTime};
use crate::error::{Code, Error};

impl Verifier {
    /// Refuses a request before it reaches [`verify`](Self::verify) — e.g. an
    /// HTTP layer answering `body_too_large` on its `Content-Length` without
    /// reading the body — with the audit record every decision has (method
    /// and target only), which goes to the audit sink like any other.
    pub fn refuse(&self, req: &HttpRequest<'_>, error: Error) -> Denial {
        let started = Instant::now();
        let now_ms = self.clock.now_ms();
        let mut audit = AuditRecord::default();
        self.conclude_record(&mut audit, req, Some(error.code()), now_ms, started);
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

    // SPEC 8: the decision, written into the record the steps filled. The
    // record begins as `AuditRecord::default()`, nothing established, and
    // each step writes what it establishes straight into it (every field is
    // a fixed-size value, so that allocates nothing, and the record, nearly
    // 1 KiB, is never copied from a separate trace).
    pub(super) fn conclude_record(
        &self,
        record: &mut AuditRecord,
        req: &HttpRequest<'_>,
        code: Option<Code>,
        now_ms: u64,
        started: Instant,
    ) {
        let allowed = code.is_none();
        record.event_type = if allowed {
            "action.allowed"
        } else {
            "action.denied"
        };
        record.decision = if allowed { "allow" } else { "deny" };
        record.code = code;
        record.http_status = code.map_or(200, Code::http_status);
        record.method = Some(AuditText::from(req.method));
        record.target = Some(AuditText::from(req.target));
        record.verified_at = AuditTime(now_ms);
        record.duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
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
