//! SPEC 4.6 through actix-web: `bind_rustls_0_23` with
//! `kakunin_verify::tls::server_config_with_time` (handshake clock = the
//! tests' "now") and `peer_certificate_on_connect`; agents from
//! `testdata/pki/{rsa2048,p256,ed25519}` connect with `tokio-rustls`.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use kakunin_verify::chain::TrustStore;
use kakunin_verify::http::actix::KakuninMiddleware;
use kakunin_verify::signer::AgentSigner;
use kakunin_verify::{tls, ManualClock, Revocation, Verifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::time_provider::TimeProvider;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::common::{read, sign_with, testdata_dir, Signed, AUDIENCE, NOW_MS};
use crate::support::{
    parse_reply, raw_request, serve_tls, Audit, Framing, Reply, Running, IO_TIMEOUT,
};

const KINDS: [&str; 3] = ["rsa2048", "p256", "ed25519"];
const TRADE: &str = r#"{"market":"EUR_USD","size":45000}"#;

/// The handshake's clock: the tests' "now", like the verifier's.
#[derive(Debug)]
struct FixedTime;

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_millis(NOW_MS)))
    }
}

fn pki(rel: &str) -> Vec<u8> {
    read(testdata_dir().join(rel))
}

fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    for kind in KINDS {
        t.add_roots_pem(&pki(&format!("{kind}/root.pem"))).unwrap();
        t.add_intermediates_pem(&pki(&format!("{kind}/intermediate.pem")))
            .unwrap();
    }
    t
}

fn signer(kind: &str) -> AgentSigner {
    AgentSigner::from_pem(
        &pki(&format!("{kind}/leaf.key")),
        &pki(&format!("{kind}/leaf.pem")),
        None,
    )
    .unwrap()
}

fn sha256_hex(s: &str) -> String {
    kakunin_verify::hex::encode(&kakunin_verify::signature::sha256(s.as_bytes()))
}

/// A signed trade; the p256 sample agent certifies SHA-256 of "weights"
/// and "prompt" (SPEC 5.6), so it sends both.
fn trade(kind: &str) -> Signed {
    let (model, prompt) = (sha256_hex("weights"), sha256_hex("prompt"));
    let p256 = kind == "p256";
    sign_with(
        &signer(kind),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
        p256.then_some(model.as_str()),
        p256.then_some(prompt.as_str()),
    )
}

/// The server's identity: an rcgen root and a `localhost` leaf.
struct ServerIdentity {
    root: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn server_identity() -> ServerIdentity {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let root = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    ServerIdentity {
        root: root.der().clone(),
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    }
}

struct TlsServer {
    running: Running,
    root: CertificateDer<'static>,
}

fn start(audit: &Audit) -> TlsServer {
    let verifier = Arc::new(
        Verifier::builder(trust())
            .audience(AUDIENCE)
            .routes("POST /v1/trades submit_limit_order trade".parse().unwrap())
            .clock(Arc::new(ManualClock::new(NOW_MS)))
            .revocation(Revocation::Disabled)
            .audit_sink(audit.sink())
            .build()
            .unwrap(),
    );
    let id = server_identity();
    let config =
        tls::server_config_with_time(&trust(), id.chain, id.key, Arc::new(FixedTime)).unwrap();
    let configure = super::routes(&verifier, KakuninMiddleware::new(Arc::clone(&verifier)));
    TlsServer {
        running: serve_tls(configure, config),
        root: id.root,
    }
}

fn client_config(server_root: &CertificateDer<'static>, agent: Option<&str>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(server_root.clone()).unwrap();
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    Arc::new(match agent {
        None => builder.with_no_client_auth(),
        Some(kind) => {
            let leaf = CertificateDer::from_pem_slice(&pki(&format!("{kind}/leaf.pem"))).unwrap();
            let key = PrivateKeyDer::from_pem_slice(&pki(&format!("{kind}/leaf.key"))).unwrap();
            builder.with_client_auth_cert(vec![leaf], key).unwrap()
        }
    })
}

/// Connects over TLS as `agent`, sends `request`, reads the response.
async fn exchange(server: &TlsServer, agent: Option<&str>, request: &[u8]) -> io::Result<Reply> {
    let run = async {
        let connector = TlsConnector::from(client_config(&server.root, agent));
        let tcp = TcpStream::connect(server.running.addr).await?;
        let name = ServerName::try_from("localhost").unwrap();
        let mut stream = connector.connect(name, tcp).await?;
        stream.write_all(request).await?;
        stream.flush().await?;
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await?;
        if bytes.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(parse_reply(&bytes))
    };
    tokio::time::timeout(IO_TIMEOUT, run).await?
}

// SPEC 4.6: over mutual TLS, X-Agent-Certificate may be omitted: the leaf
// comes from the connection; every key type is allowed.
#[actix_rt::test]
async fn spec_4_6_mtls_allows_without_certificate_header() {
    let audit = Audit::new("mtls-allowed");
    let server = start(&audit);
    for kind in KINDS {
        let request = raw_request(
            &trade(kind).remove_header("X-Agent-Certificate"),
            Framing::ContentLength,
        );
        let reply = exchange(&server, Some(kind), &request)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        reply.assert_allowed(&format!("sample_{kind}"), "submit_limit_order");
    }
    server.running.stop().await;
    assert_eq!(audit.codes(), vec![None, None, None]);
}

// SPEC 4.6: a header naming another certificate than the TLS one is
// malformed_request (400), whatever the signature.
#[actix_rt::test]
async fn spec_4_6_header_differing_from_tls_leaf_is_400() {
    let audit = Audit::new("mtls-differ");
    let server = start(&audit);
    let other = CertificateDer::from_pem_slice(&pki("p256/leaf.pem")).unwrap();
    let other_b64 = base64::engine::general_purpose::STANDARD.encode(other.as_ref());
    // Signed by rsa2048, which is also the TLS client; the header names p256.
    let request = raw_request(
        &trade("rsa2048").set_header("X-Agent-Certificate", &other_b64),
        Framing::ContentLength,
    );
    exchange(&server, Some("rsa2048"), &request)
        .await
        .unwrap()
        .assert_denied(400, "malformed_request");
    server.running.stop().await;
    assert_eq!(audit.codes(), vec![Some("malformed_request".to_owned())]);
}

// SPEC 4.6: without a client certificate the handshake is refused: no
// response, nothing verified, nothing audited.
#[actix_rt::test]
async fn spec_4_6_missing_client_certificate_is_refused_at_handshake() {
    let audit = Audit::new("mtls-none");
    let server = start(&audit);
    let request = raw_request(&trade("p256"), Framing::ContentLength);
    let outcome = exchange(&server, None, &request).await;
    assert!(outcome.is_err(), "{outcome:?}");
    server.running.stop().await;
    assert!(audit.codes().is_empty());
}
