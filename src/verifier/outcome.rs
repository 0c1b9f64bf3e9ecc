//! The verifier's vocabulary: the request it is given ([`HttpRequest`]),
//! what it answers ([`VerifiedRequest`], [`Denial`]), how revocation is
//! chosen ([`Revocation`]) and what it caches per agent
//! ([`CachedCertificate`]).

use std::sync::Arc;

use crate::audit::AuditRecord;
use crate::canonical::CanonicalBody;
use crate::certificate::{AgentCertificate, AGENT_URN_PREFIX};
use crate::chain::VerifiedChain;
use crate::error::Error;
use crate::revocation::cache::RevocationSerial;
use crate::revocation::RevocationSource;
use crate::signature::{SignatureAlgorithm, VerifyingKey};
use crate::stores::nonce::PreparedAgent;

/// How revocation is checked (SPEC 7). There is no default: running
/// without revocation is an explicit, named opt-out.
#[derive(Clone)]
pub enum Revocation {
    /// No revocation checking at all (audit records say `not_checked`).
    Disabled,
    /// Ask this source (CRL, OCSP, Kakunin's endpoint).
    Source(Arc<dyn RevocationSource>),
}

impl std::fmt::Debug for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Revocation::Disabled => f.write_str("Revocation::Disabled"),
            Revocation::Source(s) => write!(f, "Revocation::Source({})", s.name()),
        }
    }
}

/// A framework-neutral HTTP request, as the verifier sees it.
///
/// ```
/// use kakunin_verify::verifier::HttpRequest;
/// let headers = [("X-Agent-Audience", &b"api.exchange.example"[..])];
/// let req = HttpRequest::new("GET", "/v1/orderbook", &headers, b"");
/// assert_eq!(req.method, "GET");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method as sent.
    pub method: &'a str,
    /// The request-target in origin form, exactly as received.
    pub target: &'a str,
    /// Every header, name and raw value, in order.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body bytes as sent.
    pub body: &'a [u8],
    /// The TLS client certificate (DER) when the agent connected with mutual
    /// TLS (SPEC 4.6) — from the TLS layer, never from a header.
    pub tls_client_certificate: Option<&'a [u8]>,
}

impl<'a> HttpRequest<'a> {
    /// A request without a TLS client certificate.
    pub fn new(
        method: &'a str,
        target: &'a str,
        headers: &'a [(&'a str, &'a [u8])],
        body: &'a [u8],
    ) -> Self {
        HttpRequest {
            method,
            target,
            headers,
            body,
            tls_client_certificate: None,
        }
    }
}

/// A request that passed all of SPEC 5.1.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    pub(super) certificate: Arc<CachedCertificate>,
    pub(super) body: CanonicalBody,
    pub(super) audit: AuditRecord,
}

impl VerifiedRequest {
    /// The agent id (from the validated URN).
    pub fn agent_id(&self) -> &str {
        &self.certificate.agent_id
    }
    /// The agent URN.
    pub fn agent_urn(&self) -> String {
        format!("{AGENT_URN_PREFIX}{}", self.agent_id())
    }
    /// The matched route's scope.
    pub fn scope(&self) -> &str {
        // Step 9 records the route's scope before any of its checks, so an
        // allowed request's record always has it.
        self.audit.scope.as_deref().unwrap_or_default()
    }
    /// The agent's certificate.
    pub fn certificate(&self) -> &AgentCertificate {
        &self.certificate.cert
    }
    /// The verified body: hand the application this value, never the raw bytes.
    pub fn body(&self) -> &CanonicalBody {
        &self.body
    }
    /// The SPEC 8 audit record of the decision.
    pub fn audit(&self) -> &AuditRecord {
        &self.audit
    }
}

/// A refused request: the SPEC 6 error and the SPEC 8 audit record.
#[derive(Debug, Clone)]
pub struct Denial {
    /// Why.
    pub error: Error,
    /// The audit record of the decision (boxed: denials stay small to move).
    pub audit: Box<AuditRecord>,
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Denial {}

/// A leaf that parsed, chained to a pinned root and passed the profile.
#[derive(Debug)]
pub struct CachedCertificate {
    pub(crate) cert: AgentCertificate,
    pub(crate) chain: VerifiedChain,
    pub(crate) agent_id: String,
    /// `urn:kakunin:agent:{agent_id}`, the rate limiter's key.
    pub(crate) agent_urn: String,
    /// The canonical base64 of the DER, as `X-Agent-Certificate` carries it.
    pub(crate) der_base64: String,
    /// The leaf's public key, prepared once by the configured backend.
    pub(crate) key: VerifyingKey,
    /// The leaf's SHA-256 as the signing input's hex line (SPEC 4.4).
    pub(crate) cert_sha256_hex: [u8; 64],
    /// The agent's key in the verifier's in-memory nonce store, computed
    /// once (`None` with a shared store).
    pub(crate) nonce_agent: Option<PreparedAgent>,
    /// The leaf's serial as the revoked set and the revocation cache key it
    /// (SPEC 7.1), normalized once (`None` when it does not normalize: the
    /// set and the cache then answer as they always do, fail closed).
    pub(crate) revocation_serial: Option<RevocationSerial>,
    /// The same for the path's CAs, in `chain.cas()` order, when the
    /// verifier also checks the whole chain (SPEC 7.1); empty otherwise.
    pub(crate) ca_revocation_serials: Box<[Option<RevocationSerial>]>,
}

impl CachedCertificate {
    /// SPEC 5.1 step 6: `signature` over `message` with this leaf's key.
    pub(crate) fn verify_signature(
        &self,
        algorithm: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        self.key
            .verify(algorithm, self.cert.public_key(), message, signature)
    }
}
