//! Where the SPEC 8 audit records go: an [`AuditSink`] receives every
//! decision's record, allowed and denied alike, as the verifier makes it.
//!
//! Two sinks come with the crate: [`JsonLinesSink`], an append-only file of
//! one JSON record per line written and flushed per record (the compliance
//! trail), and `TracingSink` (feature `tracing`), one `tracing` event per
//! decision. Several sinks combine with [`FanOut`].
//!
//! Failing closed: a sink that cannot record an *allowed* decision makes the
//! verifier deny that request with `overloaded` (503, `Retry-After: 1`) —
//! no action is taken that the trail does not show — and the denial is
//! offered to the sink in turn.
//!
//! ```
//! use std::sync::Arc;
//! use kakunin_verify::audit::sink::{AuditSink, JsonLinesSink};
//! let path = std::env::temp_dir().join(format!("kakunin-audit-doc-{}.jsonl", std::process::id()));
//! let sink: Arc<dyn AuditSink> = Arc::new(JsonLinesSink::open(&path)?);
//! // Verifier::builder(trust).audit_sink(sink) ... every decision is one line in `path`.
//! # let _ = sink; std::fs::remove_file(&path).ok();
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::AuditRecord;

/// A record could not be recorded (the sink's own words; never echoed to
/// clients).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit sink failed: {0}")]
pub struct AuditSinkError(pub String);

/// Receives every decision's SPEC 8 audit record.
///
/// `record` runs on the request path, once per decision, after the decision
/// is made: keep it short (append, enqueue). It must not panic.
pub trait AuditSink: Send + Sync + 'static {
    /// Records one decision. An error for an allowed decision turns it into
    /// an `overloaded` denial (see the module documentation).
    fn record(&self, record: &AuditRecord) -> Result<(), AuditSinkError>;
}

/// An append-only file of JSON lines: one SPEC 8 record per line, each
/// written with one `write` call and flushed before `record` returns.
///
/// The file is opened in append mode (never truncated); records from
/// several threads never interleave (one lock around the write).
#[derive(Debug)]
pub struct JsonLinesSink {
    file: Mutex<File>,
    written: AtomicU64,
}

impl JsonLinesSink {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(JsonLinesSink {
            file: Mutex::new(file),
            written: AtomicU64::new(0),
        })
    }

    /// Records written so far by this sink.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

impl AuditSink for JsonLinesSink {
    fn record(&self, record: &AuditRecord) -> Result<(), AuditSinkError> {
        let mut line = record.to_json();
        line.push('\n');
        // A poisoned lock only means another thread panicked mid-write; the
        // file itself is still an append-only stream of whole writes.
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| AuditSinkError(e.to_string()))?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Every record to several sinks, in order; the first error is returned
/// after all sinks were offered the record.
#[derive(Clone, Default)]
pub struct FanOut(pub Vec<Arc<dyn AuditSink>>);

impl std::fmt::Debug for FanOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FanOut({} sinks)", self.0.len())
    }
}

impl AuditSink for FanOut {
    fn record(&self, record: &AuditRecord) -> Result<(), AuditSinkError> {
        let mut first = Ok(());
        for sink in &self.0 {
            if let Err(e) = sink.record(record) {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }
}

/// One `tracing` event per decision (target `kakunin_verify::audit`, level
/// INFO for allowed and WARN for denied), with the decision, code, agent,
/// claimed agent, method, target, scope and duration as fields. Feature
/// `tracing`.
#[cfg(feature = "tracing")]
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

#[cfg(feature = "tracing")]
impl AuditSink for TracingSink {
    fn record(&self, r: &AuditRecord) -> Result<(), AuditSinkError> {
        let code = r.code.map(|c| c.as_str());
        if r.decision == "allow" {
            tracing::info!(
                target: "kakunin_verify::audit",
                decision = r.decision,
                code,
                agent_id = r.agent_id.as_deref(),
                method = r.method.as_deref(),
                target_path = r.target.as_deref(),
                scope = r.scope.as_deref(),
                duration_us = r.duration_us,
                "agent request allowed"
            );
        } else {
            tracing::warn!(
                target: "kakunin_verify::audit",
                decision = r.decision,
                code,
                agent_id = r.agent_id.as_deref(),
                claimed_agent_id = r.claimed_agent_id.as_deref(),
                method = r.method.as_deref(),
                target_path = r.target.as_deref(),
                http_status = r.http_status,
                duration_us = r.duration_us,
                "agent request denied"
            );
        }
        Ok(())
    }
}
