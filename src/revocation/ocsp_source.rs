//! SPEC 7.1 OCSP as a networked [`RevocationSource`]: builds the request
//! ([`super::ocsp::build_request`]), POSTs it to the configured responder —
//! or to the certificate's AIA responder only when its host is on the
//! allowlist (a certificate must not make the verifier call arbitrary URLs)
//! — and verifies the answer completely ([`super::ocsp::verify_response`]).

use ring::rand::{SecureRandom, SystemRandom};

use super::http::{url_host_allowed, url_scheme_allowed, HttpClient};
use super::ocsp::{aia_ocsp_urls, build_request, verify_response_with_backend, OcspConfig};
use super::{BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, Unavailable};
use crate::crypto::CryptoBackend;
use crate::digest::sha256;
use crate::error::ConfigError;

/// Most responders named per issuing CA (configuration, not input).
pub const MAX_ISSUER_RESPONDERS: usize = 64;

/// RFC 6960 appendix A.1: the request's media type.
pub const OCSP_REQUEST_CONTENT_TYPE: &str = "application/ocsp-request";
/// Length of the optional request nonce.
pub const NONCE_BYTES: usize = 16;

/// OCSP over HTTP (feature `fetch`).
///
/// SPEC 7.1: the responder asked about a certificate is the one named for
/// its issuing CA ([`Self::with_issuer_responder`]), else the default one
/// given to [`Self::new`], else an allowlisted AIA responder. So a
/// whole-chain check can ask the root's responder about an intermediate and
/// the agent CA's responder about a leaf. Whoever answers, the answer must
/// be signed by the issuing CA or by a responder certificate it issued with
/// `id-kp-OCSPSigning` ([`super::ocsp::verify_response`]).
///
/// ```
/// use kakunin_verify::revocation::http::{HttpClient, HttpConfig};
/// use kakunin_verify::revocation::ocsp_source::OcspSource;
/// let client = HttpClient::new(HttpConfig::default()).unwrap();
/// let source = OcspSource::new(client.clone(), Some("http://127.0.0.1:8080/")).unwrap();
/// assert!(OcspSource::new(client, Some("http://ocsp.example/")).is_err(), "plain http only to loopback");
/// # let _ = source;
/// ```
#[derive(Debug, Clone)]
pub struct OcspSource {
    client: HttpClient,
    responder: Option<String>,
    by_issuer: Vec<([u8; 32], String)>,
    aia_allowlist: Vec<String>,
    config: OcspConfig,
    send_nonce: bool,
    backend: CryptoBackend,
}

impl OcspSource {
    /// A source asking `responder` by default (or, when `None`, only the
    /// per-CA responders and allowlisted AIA responders — see
    /// [`Self::with_issuer_responder`], [`Self::allow_aia_hosts`]).
    pub fn new(client: HttpClient, responder: Option<&str>) -> Result<Self, ConfigError> {
        if let Some(url) = responder {
            if !url_scheme_allowed(url) {
                return Err(ConfigError::new(
                    "the OCSP responder must be https:// (or http:// to loopback)",
                ));
            }
        }
        Ok(OcspSource {
            client,
            responder: responder.map(str::to_owned),
            by_issuer: Vec::new(),
            aia_allowlist: Vec::new(),
            config: OcspConfig::default(),
            send_nonce: false,
            backend: CryptoBackend::default(),
        })
    }

    /// SPEC 7.1: ask `responder` about the certificates that the CA whose
    /// certificate is `issuer_der` (DER) issued. Replaces an earlier URL for
    /// the same CA.
    ///
    /// # Errors
    /// When the URL is not `https://` (or `http://` to loopback), or more
    /// than [`MAX_ISSUER_RESPONDERS`] CAs are named.
    pub fn with_issuer_responder(
        self,
        issuer_der: &[u8],
        responder: &str,
    ) -> Result<Self, ConfigError> {
        self.with_issuer_responder_sha256(sha256(issuer_der), responder)
    }

    /// [`Self::with_issuer_responder`] with the issuing CA named by the
    /// SHA-256 of its certificate's DER.
    ///
    /// # Errors
    /// As [`Self::with_issuer_responder`].
    pub fn with_issuer_responder_sha256(
        mut self,
        issuer_sha256: [u8; 32],
        responder: &str,
    ) -> Result<Self, ConfigError> {
        if !url_scheme_allowed(responder) {
            return Err(ConfigError::new(
                "the OCSP responder must be https:// (or http:// to loopback)",
            ));
        }
        self.by_issuer
            .retain(|(issuer, _)| *issuer != issuer_sha256);
        if self.by_issuer.len() >= MAX_ISSUER_RESPONDERS {
            return Err(ConfigError::new("too many per-CA OCSP responders"));
        }
        self.by_issuer.push((issuer_sha256, responder.to_owned()));
        Ok(self)
    }

    /// SPEC 7.1: follow a certificate's AIA OCSP URL only to these hosts.
    pub fn allow_aia_hosts<I: IntoIterator<Item = S>, S: Into<String>>(mut self, hosts: I) -> Self {
        self.aia_allowlist = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// Answer age and clock-skew bounds (default 24 h, 5 s).
    pub fn with_config(mut self, config: OcspConfig) -> Self {
        self.config = config;
        self
    }

    /// The backend that verifies the answers' signatures (default: the
    /// build's, [`CryptoBackend::default`]). Give it the verifier's
    /// ([`VerifierBuilder::crypto_backend`](crate::VerifierBuilder::crypto_backend))
    /// when that is not the default, so one backend verifies every signature
    /// a decision rests on.
    pub fn with_crypto_backend(mut self, backend: CryptoBackend) -> Self {
        self.backend = backend;
        self
    }

    /// Sends a nonce (RFC 6960 4.4.1). Off by default: RFC 5019 responders
    /// pre-produce answers; an answer that does not echo it is still accepted.
    pub fn with_nonce(mut self, on: bool) -> Self {
        self.send_nonce = on;
        self
    }

    // SPEC 7.1: the issuing CA's responder, else the default one, else an
    // allowlisted AIA responder.
    fn responder_for(&self, cert: &CertificateRef<'_>) -> Result<String, Unavailable> {
        if !self.by_issuer.is_empty() {
            let issuer = sha256(cert.issuer_der);
            if let Some((_, url)) = self.by_issuer.iter().find(|(i, _)| *i == issuer) {
                return Ok(url.clone());
            }
        }
        if let Some(r) = &self.responder {
            return Ok(r.clone());
        }
        aia_ocsp_urls(cert.der)
            .into_iter()
            .find(|u| url_scheme_allowed(u) && url_host_allowed(u, &self.aia_allowlist))
            .ok_or_else(|| Unavailable::new("no allowed OCSP responder for this certificate"))
    }

    async fn fetch(
        &self,
        cert: CertificateRef<'_>,
        now_ms: u64,
    ) -> Result<RevocationAnswer, Unavailable> {
        let url = self.responder_for(&cert)?;
        let nonce = if self.send_nonce {
            let mut n = [0u8; NONCE_BYTES];
            SystemRandom::new()
                .fill(&mut n)
                .map_err(|_| Unavailable::new("no randomness for the OCSP nonce"))?;
            Some(n)
        } else {
            None
        };
        let request = build_request(&cert, nonce.as_ref().map(|n| &n[..]))?;
        let response = self
            .client
            .post(&url, OCSP_REQUEST_CONTENT_TYPE, request)
            .await?;
        if response.status != 200 {
            return Err(Unavailable::new("the OCSP responder did not answer 200"));
        }
        verify_response_with_backend(
            &response.body,
            &cert,
            nonce.as_ref().map(|n| &n[..]),
            now_ms,
            &self.config,
            self.backend,
        )
    }
}

impl RevocationSource for OcspSource {
    fn name(&self) -> &'static str {
        "ocsp"
    }

    fn is_networked(&self) -> bool {
        true
    }

    // SPEC 7.1 / 7.2: OCSP answers up to 24 h old (configurable).
    fn max_answer_age_ms(&self) -> u64 {
        self.config.max_age_ms
    }

    fn crypto_backend(&self) -> Option<CryptoBackend> {
        Some(self.backend)
    }

    fn check<'a>(
        &'a self,
        cert: CertificateRef<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<RevocationAnswer, Unavailable>> {
        Box::pin(self.fetch(cert, now_ms))
    }
}
