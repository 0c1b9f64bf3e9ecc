//! SPEC 7.1 OCSP as a networked [`RevocationSource`]: builds the request
//! ([`super::ocsp::build_request`]), POSTs it to the configured responder —
//! or to the certificate's AIA responder only when its host is on the
//! allowlist (a certificate must not make the verifier call arbitrary URLs)
//! — and verifies the answer completely ([`super::ocsp::verify_response`]).

use ring::rand::{SecureRandom, SystemRandom};

use super::http::{url_host_allowed, url_scheme_allowed, HttpClient};
use super::ocsp::{aia_ocsp_urls, build_request, verify_response, OcspConfig};
use super::{BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, Unavailable};
use crate::error::ConfigError;

/// RFC 6960 appendix A.1: the request's media type.
pub const OCSP_REQUEST_CONTENT_TYPE: &str = "application/ocsp-request";
/// Length of the optional request nonce.
pub const NONCE_BYTES: usize = 16;

/// OCSP over HTTP (feature `fetch`).
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
    aia_allowlist: Vec<String>,
    config: OcspConfig,
    send_nonce: bool,
}

impl OcspSource {
    /// A source asking `responder` (or, when `None`, only allowlisted AIA
    /// responders — see [`Self::allow_aia_hosts`]).
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
            aia_allowlist: Vec::new(),
            config: OcspConfig::default(),
            send_nonce: false,
        })
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

    /// Sends a nonce (RFC 6960 4.4.1). Off by default: RFC 5019 responders
    /// pre-produce answers; an answer that does not echo it is still accepted.
    pub fn with_nonce(mut self, on: bool) -> Self {
        self.send_nonce = on;
        self
    }

    // SPEC 7.1: the configured responder, else an allowlisted AIA responder.
    fn responder_for(&self, cert: &CertificateRef<'_>) -> Result<String, Unavailable> {
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
        verify_response(
            &response.body,
            &cert,
            nonce.as_ref().map(|n| &n[..]),
            now_ms,
            &self.config,
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

    fn check<'a>(
        &'a self,
        cert: CertificateRef<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<RevocationAnswer, Unavailable>> {
        Box::pin(self.fetch(cert, now_ms))
    }
}
