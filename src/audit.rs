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

#[cfg(test)]
mod tests {
    use super::*;

    /// The record as it was serialized when its fields were `String`s.
    #[derive(Serialize)]
    struct StringRecord {
        event_type: &'static str,
        decision: &'static str,
        code: Option<Code>,
        http_status: u16,
        agent_id: Option<String>,
        claimed_agent_id: Option<String>,
        cert_serial: Option<String>,
        cert_sha256: Option<String>,
        audience: Option<String>,
        method: Option<String>,
        target: Option<String>,
        scope: Option<String>,
        action: Option<StringAction>,
        nonce: Option<String>,
        body_sha256: Option<String>,
        signature_valid: Option<bool>,
        scope_check_passed: Option<bool>,
        revocation: RevocationOutcome,
        revocation_source: Option<&'static str>,
        revocation_age_ms: Option<u64>,
        request_timestamp_ms: Option<u64>,
        verified_at: String,
        duration_us: u64,
    }

    #[derive(Serialize)]
    struct StringAction {
        market: Option<String>,
        size: Option<String>,
    }

    // SPEC 8: the fixed-size field types serialize to the very bytes the
    // plain strings did (short text inline, long text on the heap, digests
    // as lowercase hex, the time as RFC 3339 with milliseconds).
    #[test]
    fn spec_8_audit_json_is_byte_identical_to_string_fields() {
        let long_target = format!("/v1/trades?{}", "q".repeat(200));
        let nonce = "n0nce-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRST";
        assert_eq!(nonce.len(), AUDIT_TEXT_INLINE_BYTES);
        let body_digest: [u8; 32] = std::array::from_fn(|i| i as u8);
        let record = AuditRecord {
            event_type: "action.allowed",
            decision: "allow",
            code: None,
            http_status: 200,
            agent_id: Some("desk_bot_1".into()),
            claimed_agent_id: Some("desk_bot_\"1\"\n".into()),
            cert_serial: Some("01:ab".into()),
            cert_sha256: Some(AuditDigest([0xa5; 32])),
            audience: Some("api.exchange.example".into()),
            method: Some("POST".into()),
            target: Some(long_target.as_str().into()),
            scope: Some("trade".into()),
            action: Some(AuditAction {
                market: Some("EUR_USD".into()),
                size: Some("45000.50".into()),
            }),
            nonce: Some(nonce.into()),
            body_sha256: Some(AuditDigest(body_digest)),
            signature_valid: Some(true),
            scope_check_passed: Some(true),
            revocation: RevocationOutcome::Valid,
            revocation_source: Some("crl"),
            revocation_age_ms: Some(1500),
            request_timestamp_ms: Some(1_782_897_300_000),
            verified_at: AuditTime(1_782_897_300_123),
            duration_us: 42,
        };
        let strings = StringRecord {
            event_type: "action.allowed",
            decision: "allow",
            code: None,
            http_status: 200,
            agent_id: Some("desk_bot_1".into()),
            claimed_agent_id: Some("desk_bot_\"1\"\n".into()),
            cert_serial: Some("01:ab".into()),
            cert_sha256: Some("a5".repeat(32)),
            audience: Some("api.exchange.example".into()),
            method: Some("POST".into()),
            target: Some(long_target.clone()),
            scope: Some("trade".into()),
            action: Some(StringAction {
                market: Some("EUR_USD".into()),
                size: Some("45000.50".into()),
            }),
            nonce: Some(nonce.into()),
            body_sha256: Some(crate::hex::encode(&body_digest)),
            signature_valid: Some(true),
            scope_check_passed: Some(true),
            revocation: RevocationOutcome::Valid,
            revocation_source: Some("crl"),
            revocation_age_ms: Some(1500),
            request_timestamp_ms: Some(1_782_897_300_000),
            verified_at: "2026-07-01T09:15:00.123Z".into(),
            duration_us: 42,
        };
        assert_eq!(record.to_json(), serde_json::to_string(&strings).unwrap());
        let empty = AuditRecord {
            verified_at: AuditTime(1_782_897_300_000),
            ..AuditRecord::default()
        };
        let empty_strings = StringRecord {
            event_type: "",
            decision: "",
            code: None,
            http_status: 0,
            agent_id: None,
            claimed_agent_id: None,
            cert_serial: None,
            cert_sha256: None,
            audience: None,
            method: None,
            target: None,
            scope: None,
            action: None,
            nonce: None,
            body_sha256: None,
            signature_valid: None,
            scope_check_passed: None,
            revocation: RevocationOutcome::NotChecked,
            revocation_source: None,
            revocation_age_ms: None,
            request_timestamp_ms: None,
            verified_at: "2026-07-01T09:15:00.000Z".into(),
            duration_us: 0,
        };
        assert_eq!(
            empty.to_json(),
            serde_json::to_string(&empty_strings).unwrap()
        );
    }
}
