//! SPEC 4.6: the agent's certificate as the TLS client certificate (mutual
//! TLS), with `rustls` and the crypto provider of the trust store's
//! [`CryptoBackend`] passed explicitly (*ring*, or aws-lc with feature
//! `aws-lc-rs`; no process-wide default provider is installed).
//!
//! [`client_cert_verifier`] refuses the handshake unless the client
//! certificate chains to a pinned root of the [`TrustStore`] (through the
//! intermediates the client sends and those configured in the store) with
//! EKU clientAuth, and the leaf passes the SPEC 2 rules that `rustls`' own
//! `WebPkiClientVerifier` does not check: the leaf parses, its
//! `extendedKeyUsage` is *present* and contains clientAuth, keyUsage has
//! digitalSignature, and the profile (key, validity period, serial, agent
//! URN, Kakunin extensions) holds.
//!
//! Accepting the handshake is not the verdict: every request on the
//! connection still runs all of SPEC 5.1 with the TLS certificate, which the
//! server passes as
//! [`HttpRequest::tls_client_certificate`](crate::HttpRequest::tls_client_certificate),
//! taken from the TLS connection ([`peer_certificate`]), never from a header.
//! The request still carries the signature headers; `X-Agent-Certificate` may
//! then be omitted, and if present must be the same certificate (else
//! `malformed_request`).
//!
//! With `tokio-rustls`, the leaf is `stream.get_ref().1.peer_certificates()`
//! (its first element), or `peer_certificate(stream.get_ref().1)`.
//!
//! ```no_run
//! # async fn serve(
//! #     trust: kakunin_verify::chain::TrustStore,
//! #     verifier: kakunin_verify::Verifier,
//! #     cert_chain: Vec<rustls_pki_types::CertificateDer<'static>>,
//! #     key: rustls_pki_types::PrivateKeyDer<'static>,
//! #     mut conn: rustls::ServerConnection,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use kakunin_verify::{rawhttp::RawRequest, tls, HttpRequest};
//!
//! // Once, at start-up: the server's TLS configuration (mutual TLS mandatory).
//! let config = std::sync::Arc::new(tls::server_config(&trust, cert_chain, key)?);
//! // ... accept a TCP connection and run the handshake with `config`
//! // (e.g. `tokio_rustls::TlsAcceptor::from(config).accept(tcp).await?`),
//! // then read one HTTP request from it:
//! # let raw_bytes: Vec<u8> = Vec::new();
//! let raw = RawRequest::parse(&raw_bytes)?;
//! let headers = raw.header_pairs();
//! // The leaf DER comes from the TLS layer, never from a header.
//! let peer_der = tls::peer_certificate(&conn).ok_or("no client certificate")?;
//! let req = HttpRequest {
//!     tls_client_certificate: Some(peer_der),
//!     ..HttpRequest::new(&raw.method, &raw.target, &headers, &raw.body)
//! };
//! match verifier.verify(&req).await {
//!     Ok(ok) => println!("200 for agent {}", ok.agent_id()),
//!     Err(denial) => println!("{} {}", denial.error.http_status(), denial.error.to_json_body()),
//! }
//! # Ok(()) }
//! ```

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::time_provider::{DefaultTimeProvider, TimeProvider};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

use crate::certificate::profile::{self, ProfileOptions};
use crate::certificate::{AgentCertificate, CertificateProfile, ExtensionOids};
use crate::chain::TrustStore;
use crate::crypto::CryptoBackend;
use crate::error::ConfigError;

// The rustls provider of `backend`.
fn provider(backend: CryptoBackend) -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(match backend {
        CryptoBackend::Ring => rustls::crypto::ring::default_provider(),
        #[cfg(feature = "aws-lc-rs")]
        CryptoBackend::AwsLcRs => rustls::crypto::aws_lc_rs::default_provider(),
    })
}

/// The rustls client-certificate verifier of SPEC 4.6: `WebPkiClientVerifier`
/// over the pinned roots (client authentication mandatory), with the
/// store's configured intermediates added to those the client sends, and
/// the SPEC 2 leaf rules checked on top.
#[derive(Debug)]
struct AgentClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    trust: TrustStore,
    oids: ExtensionOids,
    profile: ProfileOptions,
    cert_profile: Option<Arc<dyn CertificateProfile>>,
}

// SPEC 4.6: a refused certificate aborts the handshake (rustls sends the alert).
fn refuse(e: CertificateError) -> rustls::Error {
    rustls::Error::InvalidCertificate(e)
}

// SPEC 2: the pinned roots only, never a system store.
fn root_store(trust: &TrustStore) -> Result<rustls::RootCertStore, ConfigError> {
    if trust.is_empty() {
        return Err(ConfigError::new(
            "no pinned root: mutual TLS would trust nothing",
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for der in trust.roots() {
        roots
            .add(der.clone())
            .map_err(|e| ConfigError::new(format!("pinned root rejected by rustls: {e}")))?;
    }
    Ok(roots)
}

// SPEC 4.6: path building may use the configured intermediates even when the
// client does not send them (the client's own come first).
fn with_configured<'a>(
    presented: &'a [CertificateDer<'a>],
    configured: &'a [CertificateDer<'static>],
) -> Vec<CertificateDer<'a>> {
    presented
        .iter()
        .chain(configured.iter())
        .map(|c| CertificateDer::from(c.as_ref()))
        .collect()
}

// SPEC 2 / 5.1 step 3: the leaf parses (Kakunin extensions non-critical, at
// most once each).
fn parse_leaf(
    der: &[u8],
    oids: &ExtensionOids,
    cert_profile: Option<&dyn CertificateProfile>,
    backend: CryptoBackend,
) -> Result<AgentCertificate, rustls::Error> {
    AgentCertificate::from_der_in(der, oids, cert_profile, backend)
        .map_err(|_| refuse(CertificateError::BadEncoding))
}

// SPEC 2: basicConstraints, keyUsage digitalSignature, and EKU *present*
// with clientAuth (webpki alone accepts a leaf without EKU).
fn check_usage(leaf: &AgentCertificate) -> Result<(), rustls::Error> {
    profile::check_leaf_usage(leaf).map_err(|_| refuse(CertificateError::InvalidPurpose))
}

// SPEC 2 (1.1): the crate's own path rules on top of rustls' — every CA
// certificate of the path, the pinned root included, valid now, cA TRUE and
// keyCertSign when it has keyUsage (RFC 5280 6.1.4 (k), (n)) — so that the
// handshake refuses what `Verifier::verify` would refuse.
fn check_path(
    trust: &TrustStore,
    leaf: &AgentCertificate,
    presented: &[CertificateDer<'_>],
    now: UnixTime,
) -> Result<(), rustls::Error> {
    let now_ms = now.as_secs().saturating_mul(1000);
    crate::chain::verify_chain(trust, leaf, presented, now_ms)
        .map(|_| ())
        .map_err(|e| match e.code() {
            crate::Code::CertificateExpired => refuse(CertificateError::Expired),
            crate::Code::CertificateNotYetValid => refuse(CertificateError::NotValidYet),
            _ => refuse(CertificateError::Other(rustls::OtherError(Arc::new(e)))),
        })
}

// SPEC 2: key type and size, validity period, serial, agent URN, extensions.
fn check_profile(leaf: &AgentCertificate, opts: &ProfileOptions) -> Result<(), rustls::Error> {
    profile::check_profile(leaf, opts)
        .map_err(|e| refuse(CertificateError::Other(rustls::OtherError(Arc::new(e)))))
}

impl ClientCertVerifier for AgentClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    // SPEC 4.6: an agent without a client certificate is refused.
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    // SPEC 4.6 / 2: chain to a pinned root with EKU clientAuth, then the leaf rules.
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let leaf = parse_leaf(
            end_entity.as_ref(),
            &self.oids,
            self.cert_profile.as_deref(),
            self.trust.crypto_backend(),
        )?;
        let all = with_configured(intermediates, self.trust.intermediates());
        let verified = self.inner.verify_client_cert(end_entity, &all, now)?;
        check_usage(&leaf)?;
        check_path(&self.trust, &leaf, intermediates, now)?;
        check_profile(&leaf, &self.profile)?;
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// SPEC 4.6: a rustls client-certificate verifier for agents.
///
/// Wraps `rustls`' `WebPkiClientVerifier`, built from the store's pinned
/// roots only with the provider of the store's
/// [`crypto_backend`](TrustStore::crypto_backend) and client authentication mandatory;
/// the store's configured intermediates are usable for path building even
/// when the client does not send them. On top, the leaf must parse as an
/// agent certificate (default SPEC 1 OIDs) and pass the SPEC 2 usage rules
/// (EKU present with clientAuth, keyUsage digitalSignature, not a CA) and
/// the profile (default options); otherwise the handshake is refused with
/// `rustls::Error::InvalidCertificate` (`BadEncoding`, `InvalidPurpose` or
/// `Other` carrying the SPEC error).
///
/// Errors: no pinned root, or rustls refuses the roots.
pub fn client_cert_verifier(
    trust: &TrustStore,
) -> Result<Arc<dyn ClientCertVerifier>, ConfigError> {
    client_cert_verifier_with(trust, ExtensionOids::default(), ProfileOptions::default())
}

/// [`client_cert_verifier`] with the verifier's own configuration: the
/// Kakunin extension arc and the profile options. Use
/// [`Verifier::tls_server_config`](crate::Verifier::tls_server_config) to
/// take them from a built verifier, so the handshake refuses exactly the
/// leaves the verifier would.
pub fn client_cert_verifier_with(
    trust: &TrustStore,
    oids: ExtensionOids,
    profile: ProfileOptions,
) -> Result<Arc<dyn ClientCertVerifier>, ConfigError> {
    client_cert_verifier_for(trust, oids, profile, None)
}

/// [`client_cert_verifier_with`] that also reads the leaves of a
/// compatibility profile (SPEC 10), as the verifier configured with it does.
pub fn client_cert_verifier_for(
    trust: &TrustStore,
    oids: ExtensionOids,
    profile: ProfileOptions,
    cert_profile: Option<Arc<dyn CertificateProfile>>,
) -> Result<Arc<dyn ClientCertVerifier>, ConfigError> {
    let roots = Arc::new(root_store(trust)?);
    let inner =
        WebPkiClientVerifier::builder_with_provider(roots, provider(trust.crypto_backend()))
            .build()
            .map_err(|e| ConfigError::new(format!("client certificate verifier: {e}")))?;
    Ok(Arc::new(AgentClientVerifier {
        inner,
        trust: trust.clone(),
        oids,
        profile,
        cert_profile,
    }))
}

/// SPEC 4.6: a `rustls::ServerConfig` that requires an agent client
/// certificate ([`client_cert_verifier`]) and presents `cert_chain` / `key`
/// as the server's identity; the provider of the store's
/// [`crypto_backend`](TrustStore::crypto_backend), rustls' safe default
/// protocol versions, the system clock for certificate validity.
///
/// Errors: no pinned root, or the server certificate or key is refused.
pub fn server_config(
    trust: &TrustStore,
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<rustls::ServerConfig, ConfigError> {
    server_config_with_time(trust, cert_chain, key, Arc::new(DefaultTimeProvider))
}

/// Like [`server_config`], with the clock the handshake checks certificate
/// validity against (e.g. one that agrees with the verifier's injected
/// clock).
pub fn server_config_with_time(
    trust: &TrustStore,
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    time: Arc<dyn TimeProvider>,
) -> Result<rustls::ServerConfig, ConfigError> {
    let verifier = client_cert_verifier(trust)?;
    server_config_with(trust.crypto_backend(), verifier, cert_chain, key, time)
}

/// A `rustls::ServerConfig` around a given client-certificate verifier,
/// with `backend`'s provider (`Verifier::tls_server_config` passes its own
/// backend, so the handshake and the client-certificate checks use one).
pub(crate) fn server_config_with(
    backend: CryptoBackend,
    verifier: Arc<dyn ClientCertVerifier>,
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    time: Arc<dyn TimeProvider>,
) -> Result<rustls::ServerConfig, ConfigError> {
    rustls::ServerConfig::builder_with_details(provider(backend), time)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::new(format!("TLS protocol versions: {e}")))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(cert_chain, key)
        .map_err(|e| ConfigError::new(format!("server certificate or key refused: {e}")))
}

/// SPEC 4.6: the client's leaf certificate (DER) on an established
/// connection — pass it as `HttpRequest::tls_client_certificate`. `None`
/// before the handshake completes or without a client certificate.
///
/// With `tokio-rustls`, call it as `peer_certificate(stream.get_ref().1)`.
pub fn peer_certificate(conn: &rustls::ServerConnection) -> Option<&[u8]> {
    conn.peer_certificates()?.first().map(|c| c.as_ref())
}
