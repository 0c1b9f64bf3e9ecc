//! SPEC 5.1 steps 1–6, which need no I/O: the request's form, its
//! freshness, the leaf (cached or validated) and the signature. They run in
//! one synchronous function so that their stack buffers (the decoded
//! signature, the signing input) are never held in the `verify` future
//! across the awaits of steps 7–9.

use std::sync::Arc;

use super::leaf::{Leaf, Presented};
use super::{CachedCertificate, HttpRequest, Verifier, MAX_SIGNATURE_BYTES};
use crate::audit::{AuditDigest, AuditRecord, AuditText};
use crate::canonical::{self, CanonicalBody};
use crate::error::Error;
use crate::request::{self, AgentHeaders};
use crate::signature::{self, SigningInput};

/// Signing inputs up to this size are built on the stack. The input is
/// bounded (SPEC 4.4: ten lines, of which the audience and the nonce are
/// header values, the target at most `MAX_TARGET_BYTES`, the rest fixed-size
/// hashes and a timestamp), but a 16 KiB audience header could make it
/// ~25 KiB: a longer input goes to the heap rather than a large stack frame.
/// 512 bytes hold a usual input (≈ 250 bytes, ≈ 380 with the provenance
/// lines) with room for a 200-byte target; the buffer is zeroed on every
/// request, so it is not larger than that.
const SIGNING_INPUT_STACK_BYTES: usize = 512;

/// Signatures up to this size (RSA-4096, every EC and Ed25519 one) are
/// decoded on the stack; a longer one, up to [`MAX_SIGNATURE_BYTES`]
/// (RSA-8192), on the heap. Zeroed on every request, like the input's.
const SIGNATURE_STACK_BYTES: usize = 512;

/// A request whose steps 1–6 passed: well formed, fresh, from a leaf whose
/// path validated, and signed by that leaf. Only
/// [`Verifier::authenticate`] makes one, so holding it proves the checks ran.
pub(super) struct Authenticated<'r> {
    pub(super) headers: AgentHeaders<'r>,
    /// The `X-Agent-Timestamp` value, in ms.
    pub(super) timestamp_ms: u64,
    /// The request-target's path (SPEC 4.2).
    pub(super) path: &'r str,
    pub(super) body: CanonicalBody,
    pub(super) certificate: Arc<CachedCertificate>,
}

struct RequiredParts<'h> {
    audience: &'h str,
    timestamp: &'h str,
    timestamp_ms: u64,
    signature: &'h [u8],
}

impl Verifier {
    /// SPEC 5.1 steps 1–6, in order; the first failing step decides the code.
    pub(super) fn authenticate<'r>(
        &self,
        req: &HttpRequest<'r>,
        now_ms: u64,
        record: &mut AuditRecord,
    ) -> Result<Authenticated<'r>, Error> {
        // Step 1 (SPEC 5.1, 1.1 order): every malformed_request rule of 4.1
        // (each header's syntax and canonical base64, each X-Agent-Chain
        // element, presence, Content-Type); then the audience; then the
        // target; then the body.
        let headers = AgentHeaders::parse(req.headers.iter().map(|(n, v)| (*n, *v)))?;
        let parts = self.required_headers(req, &headers)?;
        record.audience = Some(AuditText::from(parts.audience));
        record.nonce = headers.nonce.map(AuditText::from);
        record.request_timestamp_ms = Some(parts.timestamp_ms);
        request::check_content_type(headers.content_type, req.body)?;
        let presented_chain = headers.chain.map(request::decode_chain).transpose()?;
        // SPEC 4.1: the certificate and signature headers are canonical base64
        // (a certificate seen before is recognised without decoding it).
        let leaf = self.presented_leaf(Presented::of(req, &headers)?, now_ms)?;
        let mut sig_buffer = [0u8; SIGNATURE_STACK_BYTES];
        let sig = request::decode_base64_into(parts.signature, &mut sig_buffer)?;
        self.check_audience(parts.audience)?;
        let path = request::check_target(req.target)?;
        let body = self.check_body(req.body)?;
        let body_sha256 = body.sha256();
        record.body_sha256 = Some(AuditDigest(body_sha256));

        // Step 2: freshness.
        self.check_freshness(parts.timestamp_ms, now_ms)?;

        // Steps 3-5: the leaf, its chain and its profile (cached).
        let certificate = match leaf {
            Leaf::Cached(hit) => {
                record.claimed_agent_id = Some(AuditText::from(hit.agent_id.as_str()));
                record.cert_serial = Some(AuditText::from(hit.cert.serial_hex()));
                hit
            }
            Leaf::New { der, base64, key } => {
                self.validate_leaf(&der, base64, key, presented_chain, now_ms, record)?
            }
        };
        let cert_sha256 = *certificate.cert.sha256();
        record.cert_sha256 = Some(AuditDigest(cert_sha256));
        record.agent_id = Some(AuditText::from(certificate.agent_id.as_str()));

        // Step 6: signature.
        let input = SigningInput {
            audience: parts.audience,
            method: req.method,
            target: req.target,
            timestamp: parts.timestamp,
            nonce: headers.nonce.unwrap_or(""),
            cert_sha256: &cert_sha256,
            body_sha256: &body_sha256,
            model_sha256: headers.model_sha256.unwrap_or(""),
            prompt_sha256: headers.prompt_sha256.unwrap_or(""),
        };
        let verified = check_signature(&certificate, &headers, &input, sig.as_bytes());
        record.signature_valid = Some(verified.is_ok());
        verified?;
        Ok(Authenticated {
            timestamp_ms: parts.timestamp_ms,
            headers,
            path,
            body,
            certificate,
        })
    }

    // SPEC 4.1 / 4.5 / 4.6: required headers are present.
    fn required_headers<'h>(
        &self,
        req: &HttpRequest<'_>,
        h: &AgentHeaders<'h>,
    ) -> Result<RequiredParts<'h>, Error> {
        let missing =
            |name: &'static str| Error::MalformedRequest(format!("{name} is missing").into());
        if h.certificate.is_none() && req.tls_client_certificate.is_none() {
            return Err(missing("X-Agent-Certificate"));
        }
        let audience = h.audience.ok_or_else(|| missing("X-Agent-Audience"))?;
        let timestamp = h.timestamp.ok_or_else(|| missing("X-Agent-Timestamp"))?;
        let signature = h.signature.ok_or_else(|| missing("X-Agent-Signature"))?;
        let safe = req.method == "GET" || req.method == "HEAD";
        if h.nonce.is_none() && !(safe && self.replay_optional_for_safe_methods) {
            return Err(missing("X-Agent-Nonce"));
        }
        Ok(RequiredParts {
            audience,
            timestamp,
            timestamp_ms: h.timestamp_ms()?,
            signature,
        })
    }

    // SPEC 4.1: the audience must be one the verifier is configured with.
    fn check_audience(&self, audience: &str) -> Result<(), Error> {
        if !self.audiences.iter().any(|a| a == audience) {
            return Err(Error::AudienceMismatch(
                "the request was signed for another audience".into(),
            ));
        }
        Ok(())
    }

    // SPEC 4.3: size limit, then the canonical form.
    fn check_body(&self, body: &[u8]) -> Result<CanonicalBody, Error> {
        if body.len() > self.max_body_bytes {
            return Err(Error::BodyTooLarge(
                "the body exceeds the verifier's limit".into(),
            ));
        }
        canonical::canonicalize_with(body, self.trust.crypto_backend())
    }

    // SPEC 4.5: now − max_age ≤ timestamp ≤ now + max_future.
    fn check_freshness(&self, timestamp_ms: u64, now_ms: u64) -> Result<(), Error> {
        if timestamp_ms < now_ms.saturating_sub(self.max_age_ms) {
            return Err(Error::TimestampExpired(
                "the request timestamp is too old".into(),
            ));
        }
        if timestamp_ms > now_ms.saturating_add(self.max_future_ms) {
            return Err(Error::TimestampInFuture(
                "the request timestamp is in the future".into(),
            ));
        }
        Ok(())
    }
}

// SPEC 5.1 step 6 (4.1, 4.4): the algorithm comes from the leaf's key (the
// header may only confirm it), then the signature over the signing input,
// built on the stack when it fits.
fn check_signature(
    certificate: &CachedCertificate,
    headers: &AgentHeaders<'_>,
    input: &SigningInput<'_>,
    sig: &[u8],
) -> Result<(), Error> {
    let algorithm =
        signature::choose_algorithm(certificate.cert.key_algorithm(), headers.algorithm)?;
    if sig.len() > MAX_SIGNATURE_BYTES {
        return Err(Error::SignatureInvalid("the signature is too long".into()));
    }
    let mut stack = [0u8; SIGNING_INPUT_STACK_BYTES];
    let mut heap = Vec::new();
    let message = input.write_with_cert_hex(&certificate.cert_sha256_hex, &mut stack, &mut heap);
    certificate.verify_signature(algorithm, message, sig)
}
