//! Shared fixtures for the SPEC 4.6 mTLS tests: the handshake clock, the
//! `testdata/pki` agent chains and trust store, the verifier under test and
//! the server's own rcgen identity.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kakunin_verify::chain::TrustStore;
use kakunin_verify::{ManualClock, Revocation, Verifier};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use tokio_rustls::rustls::time_provider::TimeProvider;

use crate::{AUDIENCE, NOW_MS};

/// The handshake's clock: the tests' "now", like the verifier's.
#[derive(Debug)]
pub(crate) struct FixedTime;

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_millis(NOW_MS)))
    }
}

pub(crate) fn pki(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pki")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn fresh_nonce() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("mtls-nonce-{:016}", NEXT.fetch_add(1, Ordering::SeqCst))
}

pub(crate) fn cert_der(rel: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(&pki(rel)).unwrap()
}

pub(crate) const KEY_TYPES: [&str; 4] = ["p256", "p384", "rsa2048", "ed25519"];

/// The four valid chains' roots; their intermediates configured (not sent by agents).
pub(crate) fn trust(with_intermediates: bool) -> TrustStore {
    let mut t = TrustStore::new();
    for kind in KEY_TYPES {
        t.add_roots_pem(&pki(&format!("{kind}/root.pem"))).unwrap();
        if with_intermediates {
            t.add_intermediates_pem(&pki(&format!("{kind}/intermediate.pem")))
                .unwrap();
        }
    }
    t
}

pub(crate) fn verifier(trust: TrustStore) -> Verifier {
    Verifier::builder(trust)
        .audience(AUDIENCE)
        .routes("POST /v1/trades submit_limit_order trade".parse().unwrap())
        .clock(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Disabled)
        .build()
        .unwrap()
}

/// The server's own identity: an rcgen root and a `localhost`/127.0.0.1 leaf.
pub(crate) struct ServerIdentity {
    pub(crate) root: CertificateDer<'static>,
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

pub(crate) fn server_identity() -> ServerIdentity {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "mtls test server root");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let root = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    ServerIdentity {
        root: root.der().clone(),
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    }
}
