//! SPEC section 2 and 5.1 step 4: the path from the agent's certificate to a
//! pinned root, validated with `rustls-webpki` at the verifier's injected time.
//!
//! The trust store holds only the roots it is configured with — never a
//! system store. Intermediates come from configuration plus those the
//! request presents (`X-Agent-Chain`). Validation produces a
//! [`VerifiedChain`], a value only this module can construct, which the
//! verifier caches by the leaf's SHA-256.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::certificate::{profile, serial_text, AgentCertificate};
use crate::crypto::CryptoBackend;
use crate::error::{ConfigError, Error};
use crate::keyed::FastMap;

/// SPEC 2: at most 4 intermediates in a path.
pub const MAX_INTERMEDIATES_IN_PATH: usize = 4;
/// SPEC 2: at least one intermediate in a path (a pinned root → one or more
/// intermediate CAs → the agent). A profile may allow fewer for its own
/// certificates (SPEC 10: zero or more); see
/// [`AgentCertificate::min_intermediates_in_path`].
pub const MIN_INTERMEDIATES_IN_PATH: usize = 1;
/// Signature algorithms accepted on path certificates, from the build's
/// default backend ([`CryptoBackend::default`]): `webpki::ring`'s, or with
/// feature `aws-lc-rs` `webpki::aws_lc_rs`'s (the same list). Path
/// validation itself uses the trust store's backend
/// ([`signature_algorithms`]).
pub static SUPPORTED_SIGNATURE_ALGORITHMS:
    &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = {
    #[cfg(feature = "aws-lc-rs")]
    let set = AWS_LC_RS_SIGNATURE_ALGORITHMS;
    #[cfg(not(feature = "aws-lc-rs"))]
    let set = RING_SIGNATURE_ALGORITHMS;
    set
};

/// The path signature algorithms of `webpki::ring`.
pub static RING_SIGNATURE_ALGORITHMS: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// The same list from `webpki::aws_lc_rs` (feature `aws-lc-rs`).
#[cfg(feature = "aws-lc-rs")]
pub static AWS_LC_RS_SIGNATURE_ALGORITHMS:
    &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
    webpki::aws_lc_rs::ECDSA_P256_SHA256,
    webpki::aws_lc_rs::ECDSA_P256_SHA384,
    webpki::aws_lc_rs::ECDSA_P384_SHA256,
    webpki::aws_lc_rs::ECDSA_P384_SHA384,
    webpki::aws_lc_rs::ED25519,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// The path signature algorithms `backend` verifies with (the same list
/// for every backend).
pub fn signature_algorithms(
    backend: CryptoBackend,
) -> &'static [&'static dyn rustls_pki_types::SignatureVerificationAlgorithm] {
    match backend {
        CryptoBackend::Ring => RING_SIGNATURE_ALGORITHMS,
        #[cfg(feature = "aws-lc-rs")]
        CryptoBackend::AwsLcRs => AWS_LC_RS_SIGNATURE_ALGORITHMS,
    }
}

/// Most parsed CA certificates kept for reuse across agents.
pub const MAX_PARSED_CAS: usize = 256;

/// Most roots or configured intermediates a trust store holds.
pub const MAX_CONFIGURED_CERTIFICATES: usize = 1024;

/// Pinned roots and configured intermediates, and the crypto backend that
/// checks path signatures ([`CryptoBackend::default`] unless set).
///
/// ```
/// use kakunin_verify::chain::TrustStore;
/// let mut store = TrustStore::new();
/// let root = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/p256/root.pem")).unwrap();
/// assert_eq!(store.add_roots_pem(&root).unwrap(), 1);
/// assert!(store.add_roots_pem(b"not a pem").is_err());
/// ```
#[derive(Debug, Default, Clone)]
pub struct TrustStore {
    /// CA certificates of validated paths, parsed once: every agent of an
    /// intermediate shares it (bounded by [`MAX_PARSED_CAS`]). Keyed by
    /// the CA's DER, hashed by foldhash: a new agent's request looks its
    /// path's CAs up here, and only certificates of a path that validated
    /// to a pinned root are keys (std's SipHash of two ≈ 1 KiB CAs cost
    /// ≈ 5 000 instructions per new agent).
    parsed_cas: std::sync::Arc<std::sync::Mutex<FastMap<Vec<u8>, Arc<PathCertificate>>>>,
    anchors: Vec<TrustAnchor<'static>>,
    roots: Vec<CertificateDer<'static>>,
    intermediates: Vec<CertificateDer<'static>>,
    backend: CryptoBackend,
}

fn pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    use rustls_pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::new(format!("certificate PEM does not parse: {e}")))?;
    if certs.is_empty() {
        return Err(ConfigError::new("no CERTIFICATE block in PEM"));
    }
    Ok(certs)
}

impl TrustStore {
    /// An empty store (trusts nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// The crypto backend of path validation ([`verify_chain`]) and of the
    /// mutual-TLS handshake (`tls`); a verifier built from this store also
    /// checks request signatures with it.
    pub fn crypto_backend(&self) -> CryptoBackend {
        self.backend
    }

    /// Chooses the crypto backend (default: [`CryptoBackend::default`]).
    pub fn set_crypto_backend(&mut self, backend: CryptoBackend) {
        self.backend = backend;
    }

    /// Pins every root certificate of a PEM bundle; returns how many.
    pub fn add_roots_pem(&mut self, pem: &[u8]) -> Result<usize, ConfigError> {
        let certs = pem_certificates(pem)?;
        let n = certs.len();
        for c in certs {
            self.add_root_der(c.as_ref())?;
        }
        Ok(n)
    }

    /// Pins one root certificate given as DER.
    pub fn add_root_der(&mut self, der: &[u8]) -> Result<(), ConfigError> {
        if self.roots.len() >= MAX_CONFIGURED_CERTIFICATES {
            return Err(ConfigError::new("too many roots"));
        }
        let der = CertificateDer::from(der.to_vec());
        let anchor = webpki::anchor_from_trusted_cert(&der)
            .map_err(|e| ConfigError::new(format!("root certificate does not parse: {e:?}")))?
            .to_owned();
        self.anchors.push(anchor);
        self.roots.push(der);
        Ok(())
    }

    /// Adds every intermediate of a PEM bundle; returns how many.
    pub fn add_intermediates_pem(&mut self, pem: &[u8]) -> Result<usize, ConfigError> {
        let certs = pem_certificates(pem)?;
        let n = certs.len();
        for c in certs {
            if self.intermediates.len() >= MAX_CONFIGURED_CERTIFICATES {
                return Err(ConfigError::new("too many intermediates"));
            }
            <x509_cert::Certificate as der::Decode>::from_der(c.as_ref())
                .map_err(|_| ConfigError::new("intermediate certificate does not parse"))?;
            self.intermediates.push(c);
        }
        Ok(n)
    }

    /// A path's CA certificate, parsed once and shared.
    fn parsed_ca(&self, der: &[u8], is_root: bool) -> Result<Arc<PathCertificate>, Error> {
        let mut memo = self
            .parsed_cas
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(hit) = memo.get(der).filter(|c| c.is_root == is_root) {
            return Ok(Arc::clone(hit));
        }
        let parsed = Arc::new(PathCertificate::parse(
            CertificateDer::from(der.to_vec()),
            is_root,
        )?);
        if memo.len() >= MAX_PARSED_CAS {
            memo.clear();
        }
        memo.insert(der.to_vec(), Arc::clone(&parsed));
        Ok(parsed)
    }

    /// The pinned roots' DER.
    pub fn roots(&self) -> &[CertificateDer<'static>] {
        &self.roots
    }

    /// The configured intermediates' DER.
    pub fn intermediates(&self) -> &[CertificateDer<'static>] {
        &self.intermediates
    }

    /// `true` when no root is pinned.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

/// One CA certificate of a verified path (an intermediate or the root).
#[derive(Debug, Clone)]
pub struct PathCertificate {
    der: CertificateDer<'static>,
    sha256: [u8; 32],
    subject_der: Vec<u8>,
    issuer_name_der: Vec<u8>,
    serial: Vec<u8>,
    serial_hex: String,
    not_before_ms: u64,
    not_after_ms: u64,
    is_root: bool,
    /// RFC 5280 6.1.4 (k), (n): decided once, when the certificate is parsed.
    ca_usage: Result<(), &'static str>,
}

impl PathCertificate {
    fn parse(der: CertificateDer<'static>, is_root: bool) -> Result<Self, Error> {
        use der::Encode;
        let c = <x509_cert::Certificate as der::Decode>::from_der(der.as_ref())
            .map_err(|_| Error::UntrustedChain("a path certificate does not parse".into()))?;
        let tbs = c.tbs_certificate();
        let serial = tbs.serial_number().as_bytes().to_vec();
        Ok(PathCertificate {
            subject_der: tbs
                .subject()
                .to_der()
                .map_err(|_| Error::UntrustedChain("subject".into()))?,
            issuer_name_der: tbs
                .issuer()
                .to_der()
                .map_err(|_| Error::UntrustedChain("issuer".into()))?,
            serial_hex: serial_text(&serial),
            serial,
            not_before_ms: crate::time::x509_ms(&tbs.validity().not_before),
            not_after_ms: crate::time::x509_ms(&tbs.validity().not_after),
            is_root,
            ca_usage: ca_usage(tbs),
            sha256: crate::digest::sha256(der.as_ref()),
            der,
        })
    }

    /// notBefore, Unix ms.
    pub fn not_before_ms(&self) -> u64 {
        self.not_before_ms
    }

    /// The DER.
    pub fn der(&self) -> &[u8] {
        self.der.as_ref()
    }
    /// SHA-256 of the DER.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
    /// The subject Name, DER.
    pub fn subject_der(&self) -> &[u8] {
        &self.subject_der
    }
    /// The issuer Name, DER.
    pub fn issuer_name_der(&self) -> &[u8] {
        &self.issuer_name_der
    }
    /// The serial's content octets.
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }
    /// The serial in SPEC 7.1 text form.
    pub fn serial_hex(&self) -> &str {
        &self.serial_hex
    }
    /// notAfter, Unix ms.
    pub fn not_after_ms(&self) -> u64 {
        self.not_after_ms
    }
    /// `true` for the pinned root.
    pub fn is_root(&self) -> bool {
        self.is_root
    }
}

/// Proof that a leaf chained to a pinned root at some time: only
/// [`verify_chain`] constructs it.
#[derive(Debug, Clone)]
pub struct VerifiedChain {
    /// Intermediates leaf-most first, then the root.
    cas: Vec<Arc<PathCertificate>>,
    not_before_ms: u64,
    not_after_ms: u64,
}

impl VerifiedChain {
    /// The CA certificates of the path: intermediates leaf-most first, then the root.
    pub fn cas(&self) -> &[Arc<PathCertificate>] {
        &self.cas
    }

    /// The certificate that issued `issuer_name_der`'s subject (by name) in this path.
    pub fn issuer_of(&self, issuer_name_der: &[u8]) -> Option<&PathCertificate> {
        self.cas
            .iter()
            .map(|c| &**c)
            .find(|c| c.subject_der == issuer_name_der)
    }

    /// The latest notBefore of any certificate of the path (leaf included).
    pub fn not_before_ms(&self) -> u64 {
        self.not_before_ms
    }

    /// The earliest notAfter of any certificate of the path (leaf included):
    /// a cached chain is never used past it.
    pub fn not_after_ms(&self) -> u64 {
        self.not_after_ms
    }

    /// SPEC 2: whether every certificate of the path is valid at `now_ms`.
    pub fn is_valid_at(&self, now_ms: u64) -> bool {
        self.not_before_ms <= now_ms && now_ms <= self.not_after_ms
    }
}

// RFC 5280 6.1.4 (k) and (n), SPEC 2: a CA certificate of the path has
// basicConstraints with cA TRUE and, when it has keyUsage, keyCertSign.
// rustls-webpki checks cA on intermediates but ignores keyUsage on CA
// certificates, and checks nothing on the trust anchor; so both rules are
// checked here, on every CA certificate of the path, the pinned root included.
fn ca_usage(tbs: &x509_cert::TbsCertificate) -> Result<(), &'static str> {
    use der::Decode;
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
    let mut is_ca = false;
    let mut cert_sign = None;
    for ext in tbs.extensions().into_iter().flatten() {
        let value = ext.extn_value.as_bytes();
        if ext.extn_id == crate::certificate::oids::BASIC_CONSTRAINTS {
            let bc = BasicConstraints::from_der(value)
                .map_err(|_| "a CA certificate's basicConstraints does not decode")?;
            is_ca = bc.ca;
        } else if ext.extn_id == crate::certificate::oids::KEY_USAGE {
            let ku = KeyUsage::from_der(value)
                .map_err(|_| "a CA certificate's keyUsage does not decode")?;
            cert_sign = Some(ku.0.contains(KeyUsages::KeyCertSign));
        }
    }
    if !is_ca {
        return Err("a CA certificate of the path lacks basicConstraints cA TRUE");
    }
    if cert_sign == Some(false) {
        return Err("a CA certificate of the path has keyUsage without keyCertSign");
    }
    Ok(())
}

// SPEC 2 (1.1): every certificate of the path is valid at `now`, the pinned
// root included (rustls-webpki does not check a trust anchor's validity).
fn check_ca_validity(ca: &PathCertificate, now_ms: u64) -> Result<(), Error> {
    if now_ms < ca.not_before_ms {
        return Err(Error::CertificateNotYetValid(
            "a CA certificate of the path is not yet valid".into(),
        ));
    }
    if now_ms > ca.not_after_ms {
        return Err(Error::CertificateExpired(
            "a CA certificate of the path has expired".into(),
        ));
    }
    Ok(())
}

// SPEC 2 (1.1), RFC 5280 6.1.4 (k), (n): the CA rules, on the path webpki
// returned — validity first (its own codes), then CA usage (untrusted_chain).
fn check_path_cas(cas: &[Arc<PathCertificate>], now_ms: u64) -> Result<(), Error> {
    for ca in cas {
        check_ca_validity(ca, now_ms)?;
    }
    for ca in cas {
        ca.ca_usage.map_err(|m| Error::UntrustedChain(m.into()))?;
    }
    Ok(())
}

// SPEC 2: the certificate is valid at t iff notBefore <= t <= notAfter; the
// leaf's validity is checked before anything else about its chain.
fn check_leaf_validity(leaf: &AgentCertificate, now_ms: u64) -> Result<(), Error> {
    if now_ms < leaf.not_before_ms() {
        return Err(Error::CertificateNotYetValid(
            "the agent certificate is not yet valid".into(),
        ));
    }
    if now_ms > leaf.not_after_ms() {
        return Err(Error::CertificateExpired(
            "the agent certificate has expired".into(),
        ));
    }
    Ok(())
}

/// Maps a webpki path-building error onto SPEC section 6 codes.
fn map_webpki_error(e: webpki::Error) -> Error {
    use webpki::Error as W;
    match e {
        W::CertExpired { .. } => {
            Error::CertificateExpired("a certificate of the path has expired".into())
        }
        W::CertNotValidYet { .. } => {
            Error::CertificateNotYetValid("a certificate of the path is not yet valid".into())
        }
        W::UnsupportedCriticalExtension => Error::MalformedCertificate(
            "a certificate carries an unsupported critical extension".into(),
        ),
        W::UnknownIssuer => Error::UntrustedChain("no path to a pinned root".into()),
        W::RequiredEkuNotFoundContext(_) => {
            Error::UntrustedChain("extendedKeyUsage lacks clientAuth".into())
        }
        W::CaUsedAsEndEntity => Error::UntrustedChain("the agent certificate is a CA".into()),
        W::InvalidSignatureForPublicKey => {
            Error::UntrustedChain("a path signature does not verify".into())
        }
        W::MaximumPathDepthExceeded | W::MaximumPathBuildCallsExceeded => {
            Error::UntrustedChain("path too long".into())
        }
        _ => Error::UntrustedChain("the chain does not validate".into()),
    }
}

// SPEC 2: one or more intermediates (`min`: the leaf's, SPEC 10 allows
// none for its profile's certificates), at most 4. A refused candidate
// path lets webpki try the others; `refused` keeps why, for the message.
fn check_path_length(
    path: &webpki::VerifiedPath<'_>,
    min: usize,
    refused: &Cell<Option<&'static str>>,
) -> Result<(), webpki::Error> {
    let n = path.intermediate_certificates().count();
    if n < min {
        refused.set(Some(
            "the leaf is issued by a pinned root: SPEC 2 needs one or more intermediate CAs",
        ));
        return Err(webpki::Error::MaximumPathDepthExceeded);
    }
    if n > MAX_INTERMEDIATES_IN_PATH {
        refused.set(Some("path too long"));
        return Err(webpki::Error::MaximumPathDepthExceeded);
    }
    Ok(())
}

/// SPEC 5.1 step 4: the leaf's validity, then a path to a pinned root at
/// `now_ms` (signatures, validity, CA constraints, EKU clientAuth; 1 to 4
/// intermediates by SPEC 2, from 0 for a certificate whose profile allows
/// none, SPEC 10), then the leaf's own usage rules (SPEC 2), then the CA
/// rules on the path found:
/// every CA certificate, the pinned root included, valid at `now_ms`, with
/// `cA` TRUE and, when it has keyUsage, `keyCertSign` (RFC 5280 6.1.4 (k),
/// (n)). The result is cached by the verifier, so these run once per path.
/// Path signatures are checked by the store's
/// [`crypto_backend`](TrustStore::crypto_backend).
pub fn verify_chain(
    store: &TrustStore,
    leaf: &AgentCertificate,
    presented: &[CertificateDer<'_>],
    now_ms: u64,
) -> Result<VerifiedChain, Error> {
    check_leaf_validity(leaf, now_ms)?;
    if store.anchors.is_empty() {
        return Err(Error::UntrustedChain("no pinned root".into()));
    }
    let leaf_der = CertificateDer::from(leaf.der());
    let ee = EndEntityCert::try_from(&leaf_der).map_err(|e| match e {
        webpki::Error::UnsupportedCriticalExtension => Error::MalformedCertificate(
            "the agent certificate carries an unsupported critical extension".into(),
        ),
        _ => Error::MalformedCertificate("the agent certificate does not parse".into()),
    })?;
    let mut intermediates: Vec<CertificateDer<'_>> =
        Vec::with_capacity(store.intermediates.len() + presented.len());
    intermediates.extend(presented.iter().map(|c| CertificateDer::from(c.as_ref())));
    intermediates.extend(
        store
            .intermediates
            .iter()
            .map(|c| CertificateDer::from(c.as_ref())),
    );
    let time = UnixTime::since_unix_epoch(Duration::from_millis(now_ms));
    let refused = Cell::new(None);
    let min = leaf.min_intermediates_in_path();
    let path = ee
        .verify_for_usage(
            signature_algorithms(store.backend),
            &store.anchors,
            &intermediates,
            time,
            KeyUsage::client_auth(),
            None,
            Some(&|path| check_path_length(path, min, &refused)),
        )
        .map_err(|e| match (e, refused.get()) {
            (webpki::Error::MaximumPathDepthExceeded, Some(why)) => {
                Error::UntrustedChain(why.into())
            }
            (e, _) => map_webpki_error(e),
        })?;
    profile::check_leaf_usage(leaf)?;

    let mut cas = Vec::with_capacity(MAX_INTERMEDIATES_IN_PATH + 1);
    for c in path.intermediate_certificates() {
        cas.push(store.parsed_ca(c.der().as_ref(), false)?);
    }
    let root_index = store
        .anchors
        .iter()
        .position(|a| std::ptr::eq(a, path.anchor()))
        .ok_or_else(|| Error::UntrustedChain("anchor not found".into()))?;
    let root = store
        .roots
        .get(root_index)
        .ok_or_else(|| Error::UntrustedChain("anchor not found".into()))?;
    cas.push(store.parsed_ca(root.as_ref(), true)?);
    check_path_cas(&cas, now_ms)?;
    let not_before_ms = cas
        .iter()
        .map(|c| c.not_before_ms)
        .fold(leaf.not_before_ms(), u64::max);
    let not_after_ms = cas
        .iter()
        .map(|c| c.not_after_ms)
        .fold(leaf.not_after_ms(), u64::min);
    Ok(VerifiedChain {
        cas,
        not_before_ms,
        not_after_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed CA certificate with serial `serial` (one key, so only
    /// the serial and the signature differ).
    fn ca(key: &rcgen::KeyPair, serial: u64) -> CertificateDer<'static> {
        let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        params.serial_number = Some(rcgen::SerialNumber::from(serial));
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(key).unwrap().der().clone()
    }

    // Bounded memory: the memo of parsed CAs holds at most MAX_PARSED_CAS
    // entries however many distinct CAs come by, and a CA seen again is
    // the same parsed value, not a second parse.
    #[test]
    fn spec_5_1_step_4_parsed_cas_are_shared_and_bounded() {
        let store = TrustStore::new();
        let key = rcgen::KeyPair::generate().unwrap();
        let first = ca(&key, 1);
        let a = store.parsed_ca(first.as_ref(), false).unwrap();
        let b = store.parsed_ca(first.as_ref(), false).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "a CA seen again is not parsed again");
        let memo_len = || store.parsed_cas.lock().map(|m| m.len()).unwrap_or(0);
        let mut most = 0;
        for serial in 2..(MAX_PARSED_CAS as u64 + 50) {
            store.parsed_ca(ca(&key, serial).as_ref(), false).unwrap();
            most = most.max(memo_len());
        }
        assert_eq!(most, MAX_PARSED_CAS, "the memo filled up to its bound");
        assert!(memo_len() <= MAX_PARSED_CAS);
        assert!(store.parsed_ca(b"not a certificate", false).is_err());
    }
}
