//! SPEC section 6: the one error type every decision path denies with.
//!
//! Every variant maps to exactly one stable machine-readable code
//! ([`Error::code`]) and one HTTP status ([`Error::http_status`]). The detail
//! carried by a variant is a short human explanation: it never contains key
//! material, signatures or whole certificates.

use std::borrow::Cow;
use std::fmt;

/// A short, human-readable explanation attached to a denial.
///
/// Always a fixed sentence or a bounded, sanitized fragment: never secrets,
/// never whole certificates or bodies.
pub type Detail = Cow<'static, str>;

/// The stable machine-readable codes of SPEC section 6.
///
/// ```
/// use kakunin_verify::Code;
/// assert_eq!(Code::AmountExceedsLimit.as_str(), "amount_exceeds_limit");
/// assert_eq!(Code::RevocationUnavailable.http_status(), 503);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// `malformed_request` (400).
    MalformedRequest,
    /// `malformed_body` (400).
    MalformedBody,
    /// `body_too_large` (413).
    BodyTooLarge,
    /// `malformed_certificate` (401).
    MalformedCertificate,
    /// `untrusted_chain` (401).
    UntrustedChain,
    /// `certificate_expired` (401).
    CertificateExpired,
    /// `certificate_not_yet_valid` (401).
    CertificateNotYetValid,
    /// `certificate_revoked` (401).
    CertificateRevoked,
    /// `certificate_unknown` (401).
    CertificateUnknown,
    /// `revocation_unavailable` (503).
    RevocationUnavailable,
    /// `timestamp_expired` (400).
    TimestampExpired,
    /// `timestamp_in_future` (400).
    TimestampInFuture,
    /// `overloaded` (503).
    Overloaded,
    /// `replayed_request` (401).
    ReplayedRequest,
    /// `policy_missing` (403).
    PolicyMissing,
    /// `policy_invalid` (403).
    PolicyInvalid,
    /// `action_not_allowed` (403).
    ActionNotAllowed,
    /// `market_not_allowed` (403).
    MarketNotAllowed,
    /// `amount_exceeds_limit` (403).
    AmountExceedsLimit,
    /// `path_denied` (403).
    PathDenied,
    /// `outside_allowed_hours` (403).
    OutsideAllowedHours,
    /// `rate_limited` (429).
    RateLimited,
    /// `model_mismatch` (403).
    ModelMismatch,
    /// `risk_too_high` (403).
    RiskTooHigh,
    /// `signature_invalid` (401).
    SignatureInvalid,
    /// `audience_mismatch` (401).
    AudienceMismatch,
}

impl Code {
    /// Every code, in SPEC section 6 order.
    pub const ALL: [Code; 26] = [
        Code::MalformedRequest,
        Code::MalformedBody,
        Code::BodyTooLarge,
        Code::MalformedCertificate,
        Code::UntrustedChain,
        Code::CertificateExpired,
        Code::CertificateNotYetValid,
        Code::CertificateRevoked,
        Code::CertificateUnknown,
        Code::RevocationUnavailable,
        Code::TimestampExpired,
        Code::TimestampInFuture,
        Code::Overloaded,
        Code::ReplayedRequest,
        Code::PolicyMissing,
        Code::PolicyInvalid,
        Code::ActionNotAllowed,
        Code::MarketNotAllowed,
        Code::AmountExceedsLimit,
        Code::PathDenied,
        Code::OutsideAllowedHours,
        Code::RateLimited,
        Code::ModelMismatch,
        Code::RiskTooHigh,
        Code::SignatureInvalid,
        Code::AudienceMismatch,
    ];

    /// The stable code string of SPEC section 6.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::MalformedRequest => "malformed_request",
            Code::MalformedBody => "malformed_body",
            Code::BodyTooLarge => "body_too_large",
            Code::MalformedCertificate => "malformed_certificate",
            Code::UntrustedChain => "untrusted_chain",
            Code::CertificateExpired => "certificate_expired",
            Code::CertificateNotYetValid => "certificate_not_yet_valid",
            Code::CertificateRevoked => "certificate_revoked",
            Code::CertificateUnknown => "certificate_unknown",
            Code::RevocationUnavailable => "revocation_unavailable",
            Code::TimestampExpired => "timestamp_expired",
            Code::TimestampInFuture => "timestamp_in_future",
            Code::Overloaded => "overloaded",
            Code::ReplayedRequest => "replayed_request",
            Code::PolicyMissing => "policy_missing",
            Code::PolicyInvalid => "policy_invalid",
            Code::ActionNotAllowed => "action_not_allowed",
            Code::MarketNotAllowed => "market_not_allowed",
            Code::AmountExceedsLimit => "amount_exceeds_limit",
            Code::PathDenied => "path_denied",
            Code::OutsideAllowedHours => "outside_allowed_hours",
            Code::RateLimited => "rate_limited",
            Code::ModelMismatch => "model_mismatch",
            Code::RiskTooHigh => "risk_too_high",
            Code::SignatureInvalid => "signature_invalid",
            Code::AudienceMismatch => "audience_mismatch",
        }
    }

    /// The HTTP status of SPEC section 6.
    pub const fn http_status(self) -> u16 {
        match self {
            Code::MalformedRequest
            | Code::MalformedBody
            | Code::TimestampExpired
            | Code::TimestampInFuture => 400,
            Code::BodyTooLarge => 413,
            Code::MalformedCertificate
            | Code::UntrustedChain
            | Code::CertificateExpired
            | Code::CertificateNotYetValid
            | Code::CertificateRevoked
            | Code::CertificateUnknown
            | Code::ReplayedRequest
            | Code::SignatureInvalid
            | Code::AudienceMismatch => 401,
            Code::PolicyMissing
            | Code::PolicyInvalid
            | Code::ActionNotAllowed
            | Code::MarketNotAllowed
            | Code::AmountExceedsLimit
            | Code::PathDenied
            | Code::OutsideAllowedHours
            | Code::ModelMismatch
            | Code::RiskTooHigh => 403,
            Code::RateLimited => 429,
            Code::RevocationUnavailable | Code::Overloaded => 503,
        }
    }

    /// Parses a code string of SPEC section 6.
    pub fn from_str_code(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A denial: why a certificate, request or action was refused.
///
/// Each variant is one SPEC section 6 code; the field is a short explanation
/// for logs and for the `message` of the HTTP error body.
///
/// ```
/// use kakunin_verify::Error;
/// let e = Error::SignatureInvalid("signature does not verify".into());
/// assert_eq!(e.code().as_str(), "signature_invalid");
/// assert_eq!(e.http_status(), 401);
/// assert_eq!(e.to_string(), "signature_invalid: signature does not verify");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `malformed_request`: headers or target violate SPEC 4.1 / 4.2.
    #[error("malformed_request: {0}")]
    MalformedRequest(Detail),
    /// `malformed_body`: the body violates SPEC 4.3 or 5.3.
    #[error("malformed_body: {0}")]
    MalformedBody(Detail),
    /// `body_too_large`: the body exceeds the configured limit.
    #[error("body_too_large: {0}")]
    BodyTooLarge(Detail),
    /// `malformed_certificate`: a certificate does not parse or breaks the profile.
    #[error("malformed_certificate: {0}")]
    MalformedCertificate(Detail),
    /// `untrusted_chain`: no valid path to a pinned root.
    #[error("untrusted_chain: {0}")]
    UntrustedChain(Detail),
    /// `certificate_expired`.
    #[error("certificate_expired: {0}")]
    CertificateExpired(Detail),
    /// `certificate_not_yet_valid`.
    #[error("certificate_not_yet_valid: {0}")]
    CertificateNotYetValid(Detail),
    /// `certificate_revoked`.
    #[error("certificate_revoked: {0}")]
    CertificateRevoked(Detail),
    /// `certificate_unknown`: the revocation source does not know the certificate.
    #[error("certificate_unknown: {0}")]
    CertificateUnknown(Detail),
    /// `revocation_unavailable`: no trustworthy revocation answer (fail closed).
    #[error("revocation_unavailable: {0}")]
    RevocationUnavailable(Detail),
    /// `timestamp_expired`.
    #[error("timestamp_expired: {0}")]
    TimestampExpired(Detail),
    /// `timestamp_in_future`.
    #[error("timestamp_in_future: {0}")]
    TimestampInFuture(Detail),
    /// `overloaded`: a bounded store is full (or a shared store unreachable).
    #[error("overloaded: {0}")]
    Overloaded(Detail),
    /// `replayed_request`.
    #[error("replayed_request: {0}")]
    ReplayedRequest(Detail),
    /// `policy_missing`: the leaf has no `agentPolicy`.
    #[error("policy_missing: {0}")]
    PolicyMissing(Detail),
    /// `policy_invalid`: a Kakunin extension does not decode or is out of range.
    #[error("policy_invalid: {0}")]
    PolicyInvalid(Detail),
    /// `action_not_allowed`: no route, or the route's scope is not granted.
    #[error("action_not_allowed: {0}")]
    ActionNotAllowed(Detail),
    /// `market_not_allowed`.
    #[error("market_not_allowed: {0}")]
    MarketNotAllowed(Detail),
    /// `amount_exceeds_limit`.
    #[error("amount_exceeds_limit: {0}")]
    AmountExceedsLimit(Detail),
    /// `path_denied`.
    #[error("path_denied: {0}")]
    PathDenied(Detail),
    /// `outside_allowed_hours`.
    #[error("outside_allowed_hours: {0}")]
    OutsideAllowedHours(Detail),
    /// `rate_limited`.
    #[error("rate_limited: {0}")]
    RateLimited(Detail),
    /// `model_mismatch`.
    #[error("model_mismatch: {0}")]
    ModelMismatch(Detail),
    /// `risk_too_high`.
    #[error("risk_too_high: {0}")]
    RiskTooHigh(Detail),
    /// `signature_invalid`.
    #[error("signature_invalid: {0}")]
    SignatureInvalid(Detail),
    /// `audience_mismatch`.
    #[error("audience_mismatch: {0}")]
    AudienceMismatch(Detail),
}

impl Error {
    /// The SPEC section 6 code of this denial.
    pub fn code(&self) -> Code {
        match self {
            Error::MalformedRequest(_) => Code::MalformedRequest,
            Error::MalformedBody(_) => Code::MalformedBody,
            Error::BodyTooLarge(_) => Code::BodyTooLarge,
            Error::MalformedCertificate(_) => Code::MalformedCertificate,
            Error::UntrustedChain(_) => Code::UntrustedChain,
            Error::CertificateExpired(_) => Code::CertificateExpired,
            Error::CertificateNotYetValid(_) => Code::CertificateNotYetValid,
            Error::CertificateRevoked(_) => Code::CertificateRevoked,
            Error::CertificateUnknown(_) => Code::CertificateUnknown,
            Error::RevocationUnavailable(_) => Code::RevocationUnavailable,
            Error::TimestampExpired(_) => Code::TimestampExpired,
            Error::TimestampInFuture(_) => Code::TimestampInFuture,
            Error::Overloaded(_) => Code::Overloaded,
            Error::ReplayedRequest(_) => Code::ReplayedRequest,
            Error::PolicyMissing(_) => Code::PolicyMissing,
            Error::PolicyInvalid(_) => Code::PolicyInvalid,
            Error::ActionNotAllowed(_) => Code::ActionNotAllowed,
            Error::MarketNotAllowed(_) => Code::MarketNotAllowed,
            Error::AmountExceedsLimit(_) => Code::AmountExceedsLimit,
            Error::PathDenied(_) => Code::PathDenied,
            Error::OutsideAllowedHours(_) => Code::OutsideAllowedHours,
            Error::RateLimited(_) => Code::RateLimited,
            Error::ModelMismatch(_) => Code::ModelMismatch,
            Error::RiskTooHigh(_) => Code::RiskTooHigh,
            Error::SignatureInvalid(_) => Code::SignatureInvalid,
            Error::AudienceMismatch(_) => Code::AudienceMismatch,
        }
    }

    /// The HTTP status of SPEC section 6.
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }

    /// The human explanation, without the code prefix.
    pub fn message(&self) -> &str {
        match self {
            Error::MalformedRequest(d)
            | Error::MalformedBody(d)
            | Error::BodyTooLarge(d)
            | Error::MalformedCertificate(d)
            | Error::UntrustedChain(d)
            | Error::CertificateExpired(d)
            | Error::CertificateNotYetValid(d)
            | Error::CertificateRevoked(d)
            | Error::CertificateUnknown(d)
            | Error::RevocationUnavailable(d)
            | Error::TimestampExpired(d)
            | Error::TimestampInFuture(d)
            | Error::Overloaded(d)
            | Error::ReplayedRequest(d)
            | Error::PolicyMissing(d)
            | Error::PolicyInvalid(d)
            | Error::ActionNotAllowed(d)
            | Error::MarketNotAllowed(d)
            | Error::AmountExceedsLimit(d)
            | Error::PathDenied(d)
            | Error::OutsideAllowedHours(d)
            | Error::RateLimited(d)
            | Error::ModelMismatch(d)
            | Error::RiskTooHigh(d)
            | Error::SignatureInvalid(d)
            | Error::AudienceMismatch(d) => d,
        }
    }

    /// The SPEC section 6 HTTP error body: `{"error": CODE, "message": TEXT}`.
    pub fn to_json_body(&self) -> String {
        serde_json::json!({ "error": self.code().as_str(), "message": self.message() }).to_string()
    }

    /// `Some(1)` for 503 denials, which carry `Retry-After: 1` (SPEC section 6).
    pub fn retry_after_seconds(&self) -> Option<u32> {
        (self.http_status() == 503).then_some(1)
    }
}

/// A configuration error: the integrator's setup is wrong (an unparsable
/// route table, no trust anchor, an unreadable bundle). Never a request
/// decision; the CLI exits 2 on these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    /// Builds a configuration error from any message.
    pub fn new(msg: impl Into<String>) -> Self {
        ConfigError(msg.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_has_the_spec_status() {
        let table: &[(&str, u16)] = &[
            ("malformed_request", 400),
            ("malformed_body", 400),
            ("body_too_large", 413),
            ("malformed_certificate", 401),
            ("untrusted_chain", 401),
            ("certificate_expired", 401),
            ("certificate_not_yet_valid", 401),
            ("certificate_revoked", 401),
            ("certificate_unknown", 401),
            ("revocation_unavailable", 503),
            ("timestamp_expired", 400),
            ("timestamp_in_future", 400),
            ("overloaded", 503),
            ("replayed_request", 401),
            ("policy_missing", 403),
            ("policy_invalid", 403),
            ("action_not_allowed", 403),
            ("market_not_allowed", 403),
            ("amount_exceeds_limit", 403),
            ("path_denied", 403),
            ("outside_allowed_hours", 403),
            ("rate_limited", 429),
            ("model_mismatch", 403),
            ("risk_too_high", 403),
            ("signature_invalid", 401),
            ("audience_mismatch", 401),
        ];
        assert_eq!(table.len(), Code::ALL.len());
        for (name, status) in table {
            let code = Code::from_str_code(name).expect("known code");
            assert_eq!(code.as_str(), *name);
            assert_eq!(code.http_status(), *status, "{name}");
        }
    }

    #[test]
    fn json_body_has_code_and_message_and_503_has_retry_after() {
        let e = Error::RevocationUnavailable("responder timed out".into());
        let v: serde_json::Value = serde_json::from_str(&e.to_json_body()).unwrap();
        assert_eq!(v["error"], "revocation_unavailable");
        assert_eq!(v["message"], "responder timed out");
        assert_eq!(e.retry_after_seconds(), Some(1));
        assert_eq!(Error::PathDenied("x".into()).retry_after_seconds(), None);
    }
}
