//! SPEC section 8: the audit record every decision yields, allow and deny alike.
//!
//! Fields that could not be established are `null`, never guessed;
//! `agent_id` is set only once the chain validated — before that, what the
//! certificate claims is in `claimed_agent_id`, so a forged certificate
//! cannot put a real agent's name on an attack.

mod fields;
pub mod sink;

use serde::Serialize;

pub use fields::{AuditDigest, AuditText, AuditTime, AUDIT_TEXT_INLINE_BYTES};

use crate::error::Code;

/// The revocation outcome recorded in the audit record (SPEC 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RevocationOutcome {
    /// A source answered valid.
    Valid,
    /// A source answered revoked.
    Revoked,
    /// A source answered unknown.
    Unknown,
    /// No source could answer (and the verifier failed closed, or failed
    /// open by explicit configuration).
    Unavailable,
    /// Revocation was not checked (not reached, or explicitly disabled).
    #[default]
    NotChecked,
}

/// The `action` of an audit record: the trade fields the request carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct AuditAction {
    /// The body's `market`, when it is a string.
    pub market: Option<AuditText>,
    /// The body's `size`, as the number's own text.
    pub size: Option<AuditText>,
}

/// One SPEC 8 audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct AuditRecord {
    /// `action.allowed` or `action.denied`.
    pub event_type: &'static str,
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// The SPEC 6 code of a denial; `null` when allowed.
    pub code: Option<Code>,
    /// The HTTP status of the decision.
    pub http_status: u16,
    /// The agent id, only once the chain validated and the URN is well-formed.
    pub agent_id: Option<AuditText>,
    /// The agent id the certificate claims (whether or not it validated).
    pub claimed_agent_id: Option<AuditText>,
    /// The leaf's serial (SPEC 7.1 text form), once it parsed.
    pub cert_serial: Option<AuditText>,
    /// The leaf's SHA-256, once it decoded.
    pub cert_sha256: Option<AuditDigest>,
    /// The `X-Agent-Audience` value.
    pub audience: Option<AuditText>,
    /// The request method.
    pub method: Option<AuditText>,
    /// The request-target.
    pub target: Option<AuditText>,
    /// The route's scope, once a route matched.
    pub scope: Option<AuditText>,
    /// Trade fields the body carried.
    pub action: Option<AuditAction>,
    /// The nonce.
    pub nonce: Option<AuditText>,
    /// SHA-256 of the canonical body.
    pub body_sha256: Option<AuditDigest>,
    /// Whether the signature verified (`null` when not reached).
    pub signature_valid: Option<bool>,
    /// Whether authorization passed (`null` when not reached).
    pub scope_check_passed: Option<bool>,
    /// The revocation outcome.
    pub revocation: RevocationOutcome,
    /// The revocation source's name.
    pub revocation_source: Option<&'static str>,
    /// Age of the revocation answer used, in ms.
    pub revocation_age_ms: Option<u64>,
    /// The request's `X-Agent-Timestamp`, once it parsed.
    pub request_timestamp_ms: Option<u64>,
    /// The verifier's time of the decision (RFC 3339, ms).
    pub verified_at: AuditTime,
    /// How long the verification took, in microseconds.
    pub duration_us: u64,
}

impl AuditRecord {
    /// The record as one JSON line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}
