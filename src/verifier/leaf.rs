//! SPEC 5.1 steps 3–5 and 4.6: the leaf as presented (header or TLS), the
//! cache of validated paths keyed by the presented certificate, and the
//! validation of a certificate not (or no longer) cached.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use super::builder::Replay;
use super::{CachedCertificate, HttpRequest, Revocation, Verifier, MAX_CERTIFICATE_CACHE_TTL};
use crate::audit::{AuditDigest, AuditRecord, AuditText};
use crate::certificate::profile;
use crate::certificate::{AgentCertificate, AGENT_URN_PREFIX};
use crate::chain;
use crate::error::Error;
use crate::request::{self, AgentHeaders};
use crate::revocation::cache::RevocationSerial;
use crate::signature::VerifyingKey;

impl Verifier {
    /// The certificate cache's key: a keyed (per-process random) hash of
    /// the presented certificate's length and last bytes — its signature, so
    /// distinct certificates differ there. A hit is confirmed by comparing
    /// the whole presented certificate, so a collision only costs a miss;
    /// a cached request thus skips the base64 decode and the SHA-256 of the
    /// certificate, which the entry already holds.
    fn cache_key(&self, presented: &Presented<'_>) -> u64 {
        use std::hash::BuildHasher;
        let (tag, bytes) = match presented {
            Presented::Header { base64, .. } => (0u8, *base64),
            Presented::Tls { der, .. } => (1u8, *der),
        };
        let tail = bytes
            .get(bytes.len().saturating_sub(CACHE_KEY_TAIL_BYTES)..)
            .unwrap_or(bytes);
        self.cert_cache_keys.hash_one((tag, bytes.len(), tail))
    }

    // SPEC 5.1 steps 3-5 are cached by the presented certificate (and so by
    // its SHA-256 fingerprint, which the entry holds) until the path's
    // earliest notAfter, and re-checked against the injected clock on every
    // use. A miss decodes the certificate here, at step 1 (SPEC 4.1).
    pub(super) fn presented_leaf<'p>(
        &self,
        presented: Presented<'p>,
        now_ms: u64,
    ) -> Result<Leaf<'p>, Error> {
        let key = self.cache_key(&presented);
        if let Some(hit) = self.cert_cache.get(key, now_ms) {
            if presented.matches(&hit)? && hit.chain.is_valid_at(now_ms) {
                return Ok(Leaf::Cached(hit));
            }
        }
        let (der, base64) = presented.der()?;
        Ok(Leaf::New { der, base64, key })
    }

    // SPEC 5.1 steps 3-5 for a certificate not (or no longer) cached.
    pub(super) fn validate_leaf(
        &self,
        leaf_der: &[u8],
        leaf_base64: Option<&str>,
        key: u64,
        presented_chain: Option<Vec<Vec<u8>>>,
        now_ms: u64,
        record: &mut AuditRecord,
    ) -> Result<Arc<CachedCertificate>, Error> {
        // Step 3: the leaf parses.
        let cert = AgentCertificate::from_der_in(
            leaf_der,
            &self.oids,
            self.cert_profile.as_deref(),
            self.trust.crypto_backend(),
        )?;
        record.cert_sha256 = Some(AuditDigest(*cert.sha256()));
        record.claimed_agent_id = cert.claimed_agent_id().map(AuditText::from);
        record.cert_serial = Some(AuditText::from(cert.serial_hex()));
        // Step 4: validity, then the chain.
        let presented_chain: Vec<CertificateDer<'_>> = presented_chain
            .unwrap_or_default()
            .into_iter()
            .map(CertificateDer::from)
            .collect();
        let chain = chain::verify_chain(&self.trust, &cert, &presented_chain, now_ms)?;
        // SPEC 8: the chain validated, so the identity its CA certified (a
        // well-formed URN, SPEC 2) is recorded, also when step 5 then
        // refuses the certificate for another rule (policy_invalid, say).
        if let Ok(id) = cert.agent_id() {
            record.agent_id = Some(AuditText::from(id));
        }
        // Step 5: profile and extensions.
        profile::check_profile(&cert, &self.profile)?;
        let agent_id = cert.agent_id()?.to_owned();
        // SPEC 5.1 step 6, prepared: the key parsed once for the backend.
        let verifying_key = VerifyingKey::new(
            self.trust.crypto_backend(),
            cert.key_algorithm(),
            cert.public_key(),
        );
        let agent_urn = format!("{AGENT_URN_PREFIX}{agent_id}");
        let nonce_agent = match &self.replay {
            Replay::Memory(store) => Some(store.prepare_agent(&agent_urn)),
            Replay::Shared(_) => None,
        };
        // SPEC 7.1 - 7.3: the serials as the revoked set (consulted for
        // pushed revocations even with revocation disabled) and the
        // revocation cache look them up, normalized once here rather than
        // on every request; the CAs' only when a source checks them.
        let revocation_serial = RevocationSerial::of(cert.serial_hex());
        let checked = matches!(&self.revocation, Revocation::Source(_));
        let ca_revocation_serials = if checked && self.whole_chain {
            chain
                .cas()
                .iter()
                .map(|ca| RevocationSerial::of(ca.serial_hex()))
                .collect()
        } else {
            Box::default()
        };
        let cached = Arc::new(CachedCertificate {
            agent_urn,
            nonce_agent,
            revocation_serial,
            ca_revocation_serials,
            cert_sha256_hex: crate::hex::sha256_hex(cert.sha256()),
            der_base64: der_base64(leaf_base64, cert.der()),
            cert,
            chain,
            agent_id,
            key: verifying_key,
        });
        self.cert_cache
            .insert(key, Arc::clone(&cached), cached_until_ms(&cached, now_ms));
        Ok(cached)
    }
}

// SPEC 5.1 steps 3-5 are not re-run for a cached path while it is valid:
// an entry is used until the path's earliest notAfter has passed (the caller
// re-checks the path's validity on every use as well), and for
// MAX_CERTIFICATE_CACHE_TTL at most — both by the verifier's clock.
fn cached_until_ms(cached: &CachedCertificate, now_ms: u64) -> u64 {
    let ttl_ms = u64::try_from(MAX_CERTIFICATE_CACHE_TTL.as_millis()).unwrap_or(u64::MAX);
    now_ms
        .saturating_add(ttl_ms)
        .min(cached.chain.not_after_ms().saturating_add(1))
}

/// The certificate's header form, which a cache hit compares: the header
/// that was just decoded when there is one — [`decode_base64`] accepts
/// only canonical padded base64 (no trailing bits, no whitespace), so that
/// header is the one encoding of its DER — else the DER encoded.
///
/// [`decode_base64`]: crate::request::decode_base64
fn der_base64(header: Option<&str>, der: &[u8]) -> String {
    header.map_or_else(
        || base64_simd::STANDARD.encode_to_string(der),
        str::to_owned,
    )
}

/// The leaf after step 1: validated before (cached), or its DER to validate
/// (with the header it was decoded from, if any).
pub(super) enum Leaf<'a> {
    Cached(Arc<CachedCertificate>),
    New {
        der: std::borrow::Cow<'a, [u8]>,
        base64: Option<&'a str>,
        key: u64,
    },
}

/// How many trailing bytes of a presented certificate key the cache.
const CACHE_KEY_TAIL_BYTES: usize = 64;

/// The leaf as presented: the `X-Agent-Certificate` header, or the TLS
/// client certificate (SPEC 4.6) with the header it may also carry.
pub(super) enum Presented<'a> {
    /// The header's raw bytes (SPEC 4.1's text rule is checked on decoding).
    Header { base64: &'a [u8] },
    Tls {
        der: &'a [u8],
        header: Option<&'a [u8]>,
    },
}

impl<'a> Presented<'a> {
    // SPEC 4.1 / 4.6: the TLS certificate when there is one, else the header.
    pub(super) fn of(req: &HttpRequest<'a>, h: &AgentHeaders<'a>) -> Result<Self, Error> {
        match (req.tls_client_certificate, h.certificate) {
            (Some(der), header) => Ok(Presented::Tls { der, header }),
            (None, Some(base64)) => Ok(Presented::Header { base64 }),
            (None, None) => Err(Error::MalformedRequest(
                "X-Agent-Certificate is missing".into(),
            )),
        }
    }

    /// Whether a cache entry is this very certificate. SPEC 4.6: a header
    /// beside a TLS certificate must name the same certificate.
    fn matches(&self, entry: &CachedCertificate) -> Result<bool, Error> {
        match self {
            // Equal to a header that was checked and decoded: valid text.
            Presented::Header { base64 } => Ok(entry.der_base64.as_bytes() == *base64),
            Presented::Tls { der, header } => {
                if entry.cert.der() != *der {
                    return Ok(false);
                }
                match header {
                    Some(h) if *h != entry.der_base64.as_bytes() => Err(tls_header_mismatch()),
                    _ => Ok(true),
                }
            }
        }
    }

    /// The DER (decoding the header; checking it against the TLS
    /// certificate), with the header's text once checked, if one was sent.
    fn der(&self) -> Result<(std::borrow::Cow<'a, [u8]>, Option<&'a str>), Error> {
        match self {
            Presented::Header { base64 } => {
                let text = request::header_text(base64)?;
                Ok((request::decode_base64(text)?.into(), Some(text)))
            }
            Presented::Tls { der, header } => {
                let text = header.map(request::header_text).transpose()?;
                if let Some(t) = text {
                    if request::decode_base64(t)? != *der {
                        return Err(tls_header_mismatch());
                    }
                }
                Ok((std::borrow::Cow::Borrowed(der), text))
            }
        }
    }
}

fn tls_header_mismatch() -> Error {
    Error::MalformedRequest("X-Agent-Certificate differs from the TLS client certificate".into())
}
