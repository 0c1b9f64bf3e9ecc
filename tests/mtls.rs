//! SPEC 4.6 over real TLS: a server task on 127.0.0.1 (port 0) uses
//! `kakunin_verify::tls` to require agent client certificates, reads HTTP/1.1
//! requests and runs `Verifier::verify` with the TLS leaf; agents connect with
//! `tokio-rustls`. The handshake clock and the verifier's clock are both the
//! tests' "now" (2026-07-01T09:15Z).

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use kakunin_verify::chain::TrustStore;
use kakunin_verify::rawhttp::RawRequest;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{tls, HttpRequest, ManualClock, Revocation, Verifier};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::time_provider::TimeProvider;
use tokio_rustls::rustls::{self, CertificateError, ClientConfig, RootCertStore};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// 2026-07-01T09:15:00Z: inside the test leaves' validity and allowedHours.
const NOW_MS: u64 = 1_782_897_300_000;
const AUDIENCE: &str = "api.exchange.example";
const TRADE: &str = r#"{"market":"EUR_USD","size":45000}"#;
const IO_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------- fixtures

/// The handshake's clock: the tests' "now", like the verifier's.
#[derive(Debug)]
struct FixedTime;

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_millis(NOW_MS)))
    }
}

fn pki(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pki")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fresh_nonce() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("mtls-nonce-{:016}", NEXT.fetch_add(1, Ordering::SeqCst))
}

fn cert_der(rel: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(&pki(rel)).unwrap()
}

const KEY_TYPES: [&str; 4] = ["p256", "p384", "rsa2048", "ed25519"];

/// The four valid chains' roots; their intermediates configured (not sent by agents).
fn trust(with_intermediates: bool) -> TrustStore {
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

fn verifier(trust: TrustStore) -> Verifier {
    Verifier::builder(trust)
        .audience(AUDIENCE)
        .routes("POST /v1/trades submit_limit_order trade".parse().unwrap())
        .clock(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Disabled)
        .build()
        .unwrap()
}

/// The server's own identity: an rcgen root and a `localhost`/127.0.0.1 leaf.
struct ServerIdentity {
    root: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn server_identity() -> ServerIdentity {
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

// ------------------------------------------------------------------ HTTP/1.1

/// One HTTP/1.1 message: the head (up to and including the empty line) and
/// the `Content-Length` body.
struct Message {
    head: String,
    body: Vec<u8>,
}

/// Reads one message; `None` on a clean end of stream before any byte.
async fn read_message<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> io::Result<Option<Message>> {
    let mut head = String::new();
    loop {
        let n = r.read_line(&mut head).await?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        if head.ends_with("\r\n\r\n") {
            break;
        }
    }
    let len = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
        })
        .transpose()?
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).await?;
    Ok(Some(Message { head, body }))
}

fn response(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        if status == 200 { "OK" } else { "Denied" },
        body.len()
    )
    .into_bytes()
}

/// A signed `POST /v1/trades` with a fresh nonce, serialized as HTTP/1.1,
/// with `X-Agent-Certificate` as `cert_header` says.
fn trade_request(signer: &AgentSigner, cert_header: CertHeader) -> Vec<u8> {
    let nonce = fresh_nonce();
    // Only p256/leaf.pem certifies model and prompt hashes (SPEC 5.6).
    let hash = |s: &str| {
        kakunin_verify::hex::encode(
            ring::digest::digest(&ring::digest::SHA256, s.as_bytes()).as_ref(),
        )
    };
    let has_provenance = matches!(
        signer.certificate().provenance(),
        kakunin_verify::certificate::Decoded::Present(_)
    );
    let (model, prompt) = (hash("weights"), hash("prompt"));
    let headers = signer
        .sign(&RequestToSign {
            audience: AUDIENCE,
            method: "POST",
            target: "/v1/trades",
            body: TRADE.as_bytes(),
            timestamp_ms: NOW_MS,
            nonce: Some(&nonce),
            model_sha256: has_provenance.then_some(model.as_str()),
            prompt_sha256: has_provenance.then_some(prompt.as_str()),
        })
        .unwrap();
    let mut out = format!(
        // The signer's headers carry the Content-Type (SPEC 4.1, 1.1).
        "POST /v1/trades HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
        TRADE.len()
    );
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("X-Agent-Certificate") {
            match &cert_header {
                CertHeader::Omit => continue,
                CertHeader::Own => {}
                CertHeader::Other(v) => {
                    out.push_str(&format!("{name}: {v}\r\n"));
                    continue;
                }
            }
        }
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(TRADE);
    out.into_bytes()
}

/// What a request carries as `X-Agent-Certificate`.
enum CertHeader {
    /// No header (SPEC 4.6 allows it over mutual TLS).
    Omit,
    /// The signer's own certificate, as `AgentSigner::sign` writes it.
    Own,
    /// This base64 value (another certificate).
    Other(String),
}

fn signer(rel_dir_or_bad: &str) -> AgentSigner {
    let (cert, key) = agent_files(rel_dir_or_bad);
    AgentSigner::from_pem(&pki(&key), &pki(&cert), None).unwrap()
}

/// `"p256"` → `p256/leaf.pem`; `"bad/no_eku"` → `bad/no_eku.pem`.
fn agent_files(agent: &str) -> (String, String) {
    if agent.contains('/') {
        (format!("{agent}.pem"), format!("{agent}.key"))
    } else {
        (format!("{agent}/leaf.pem"), format!("{agent}/leaf.key"))
    }
}

// -------------------------------------------------------------------- server

/// A handshake the server refused: the rustls error when there is one.
#[derive(Debug, Clone)]
struct Refusal {
    rustls: Option<rustls::Error>,
    text: String,
}

struct Server {
    addr: SocketAddr,
    server_root: CertificateDer<'static>,
    verify_calls: Arc<AtomicUsize>,
    refusals: Arc<Mutex<Vec<Refusal>>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    async fn start(trust: TrustStore) -> Server {
        let id = server_identity();
        let config =
            tls::server_config_with_time(&trust, id.chain, id.key, Arc::new(FixedTime)).unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let verifier = Arc::new(verifier(trust));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let verify_calls = Arc::new(AtomicUsize::new(0));
        let refusals = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = oneshot::channel();
        let (calls, refused) = (Arc::clone(&verify_calls), Arc::clone(&refusals));
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((tcp, _)) = accepted else { break };
                        conns.spawn(serve_connection(
                            acceptor.clone(), tcp, Arc::clone(&verifier), Arc::clone(&calls), Arc::clone(&refused),
                        ));
                    }
                }
            }
            conns.shutdown().await;
        });
        Server {
            addr,
            server_root: id.root,
            verify_calls,
            refusals,
            stop: Some(stop),
            task,
        }
    }

    fn verify_calls(&self) -> usize {
        self.verify_calls.load(Ordering::SeqCst)
    }

    /// Waits (briefly) for the server side of a refused handshake to be recorded.
    async fn refusals(&self) -> Vec<Refusal> {
        for _ in 0..200 {
            let r = self.refusals.lock().unwrap().clone();
            if !r.is_empty() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Vec::new()
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(IO_TIMEOUT, self.task)
            .await
            .unwrap()
            .unwrap();
    }
}

async fn serve_connection(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    verifier: Arc<Verifier>,
    calls: Arc<AtomicUsize>,
    refusals: Arc<Mutex<Vec<Refusal>>>,
) {
    let stream = match acceptor.accept(tcp).await {
        Ok(s) => s,
        Err(e) => {
            let rustls = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<rustls::Error>())
                .cloned();
            refusals.lock().unwrap().push(Refusal {
                rustls,
                text: e.to_string(),
            });
            return;
        }
    };
    let mut stream = BufReader::new(stream);
    while let Ok(Some(msg)) = read_message(&mut stream).await {
        let mut bytes = msg.head.into_bytes();
        bytes.extend_from_slice(&msg.body);
        let answer = match RawRequest::parse(&bytes) {
            Err(e) => response(e.http_status(), "application/json", &e.to_json_body()),
            Ok(raw) => {
                let headers = raw.header_pairs();
                // SPEC 4.6: the certificate comes from the TLS layer.
                let peer = tls::peer_certificate(stream.get_ref().get_ref().1);
                let req = HttpRequest {
                    tls_client_certificate: peer,
                    ..HttpRequest::new(&raw.method, &raw.target, &headers, &raw.body)
                };
                calls.fetch_add(1, Ordering::SeqCst);
                match verifier.verify(&req).await {
                    Ok(ok) => response(200, "text/plain", ok.agent_id()),
                    Err(d) => response(
                        d.error.http_status(),
                        "application/json",
                        &d.error.to_json_body(),
                    ),
                }
            }
        };
        let w = stream.get_mut();
        if w.write_all(&answer).await.is_err() || w.flush().await.is_err() {
            return;
        }
    }
}

// -------------------------------------------------------------------- client

fn client_config(server_root: &CertificateDer<'static>, agent: Option<&str>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(server_root.clone()).unwrap();
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    let config = match agent {
        None => builder.with_no_client_auth(),
        Some(agent) => {
            let (cert, key) = agent_files(agent);
            // The leaf only: the intermediate is configured on the server.
            let chain = vec![cert_der(&cert)];
            let key = PrivateKeyDer::from_pem_slice(&pki(&key)).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
    };
    Arc::new(config)
}

type ClientStream = BufReader<tokio_rustls::client::TlsStream<TcpStream>>;

async fn connect(server: &Server, agent: Option<&str>) -> io::Result<ClientStream> {
    let connector = TlsConnector::from(client_config(&server.server_root, agent));
    let tcp = TcpStream::connect(server.addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    let stream = tokio::time::timeout(IO_TIMEOUT, connector.connect(name, tcp)).await??;
    Ok(BufReader::new(stream))
}

/// Status and body of the response to `request`.
async fn exchange(stream: &mut ClientStream, request: &[u8]) -> io::Result<(u16, String)> {
    let run = async {
        stream.get_mut().write_all(request).await?;
        stream.get_mut().flush().await?;
        let msg = read_message(stream)
            .await?
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        let status = msg
            .head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or(io::ErrorKind::InvalidData)?;
        Ok((
            status,
            String::from_utf8(msg.body).map_err(|_| io::ErrorKind::InvalidData)?,
        ))
    };
    tokio::time::timeout(IO_TIMEOUT, run).await?
}

/// Connects as `agent` and sends one trade; the first error wins.
async fn one_request(
    server: &Server,
    agent: Option<&str>,
    request: &[u8],
) -> io::Result<(u16, String)> {
    let mut stream = connect(server, agent).await?;
    exchange(&mut stream, request).await
}

fn error_code(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{json}"
    );
    v["error"].as_str().unwrap().to_owned()
}

/// Asserts the handshake was refused on both sides and no request was verified;
/// returns the server's refusal.
async fn assert_refused(server: &Server, agent: Option<&str>) -> Refusal {
    // Any signed request: it must never reach the verifier.
    let request = trade_request(&signer("p256"), CertHeader::Omit);
    let outcome = one_request(server, agent, &request).await;
    assert!(
        outcome.is_err(),
        "{agent:?}: the client got a response: {outcome:?}"
    );
    let refusals = server.refusals().await;
    assert_eq!(refusals.len(), 1, "{agent:?}: {refusals:?}");
    assert_eq!(
        server.verify_calls(),
        0,
        "{agent:?}: a request was verified"
    );
    refusals.into_iter().next().unwrap()
}

fn certificate_error(r: &Refusal) -> &CertificateError {
    match &r.rustls {
        Some(rustls::Error::InvalidCertificate(e)) => e,
        other => panic!("not an InvalidCertificate refusal: {other:?} ({})", r.text),
    }
}

// --------------------------------------------------------------------- tests

// (a) SPEC 4.6: handshake with the configured (not sent) intermediate, request
// without X-Agent-Certificate → allowed for the TLS certificate's agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_over_mtls_without_certificate_header_is_allowed() {
    let server = Server::start(trust(true)).await;
    let (status, body) = one_request(
        &server,
        Some("p256"),
        &trade_request(&signer("p256"), CertHeader::Omit),
    )
    .await
    .unwrap();
    assert_eq!((status, body.as_str()), (200, "sample_p256"));
    assert_eq!(server.verify_calls(), 1);
    assert!(server.refusals.lock().unwrap().is_empty());
    server.stop().await;
}

// SPEC 2 / 4.6: every leaf key type handshakes and is allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_leaf_key_type_is_allowed_over_mtls() {
    every_leaf_key_type_is_allowed(trust(true)).await;
}

/// Each key type's leaf handshakes with a server over `trust` and its
/// request is allowed.
async fn every_leaf_key_type_is_allowed(trust: TrustStore) {
    let server = Server::start(trust).await;
    for kind in KEY_TYPES {
        let (status, body) = one_request(
            &server,
            Some(kind),
            &trade_request(&signer(kind), CertHeader::Omit),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!((status, body), (200, format!("sample_{kind}")), "{kind}");
    }
    assert_eq!(server.verify_calls(), KEY_TYPES.len());
    server.stop().await;
}

// SPEC 4.6 with the ring backend chosen explicitly (the tests above use the
// build's default, aws-lc with feature `aws-lc-rs`): handshake (rustls' ring
// provider, webpki's ring algorithms) and verification both succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_leaf_key_type_is_allowed_over_mtls_with_the_ring_backend() {
    let mut trust = trust(true);
    trust.set_crypto_backend(kakunin_verify::CryptoBackend::Ring);
    every_leaf_key_type_is_allowed(trust).await;
}

// (b) SPEC 4.6: on one connection, a header equal to the TLS certificate is
// fine, another certificate is malformed_request (400, SPEC 6 body), and the
// next request on the same connection is judged on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_header_must_be_the_tls_certificate() {
    let server = Server::start(trust(true)).await;
    let agent = signer("p256");
    let other = base64::engine::general_purpose::STANDARD.encode(cert_der("p384/leaf.pem"));
    let mut stream = connect(&server, Some("p256")).await.unwrap();

    let (status, body) = exchange(&mut stream, &trade_request(&agent, CertHeader::Own))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "sample_p256"));

    let (status, body) = exchange(
        &mut stream,
        &trade_request(&agent, CertHeader::Other(other)),
    )
    .await
    .unwrap();
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "malformed_request");

    let (status, body) = exchange(&mut stream, &trade_request(&agent, CertHeader::Omit))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "sample_p256"));
    assert_eq!(server.verify_calls(), 3);
    server.stop().await;
}

// SPEC 4.6: a request signed by another agent's key cannot ride on this
// agent's TLS connection (the signature is checked against the TLS leaf).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_signed_by_another_key_is_refused_on_the_connection() {
    let server = Server::start(trust(true)).await;
    let (status, body) = one_request(
        &server,
        Some("p256"),
        &trade_request(&signer("p384"), CertHeader::Omit),
    )
    .await
    .unwrap();
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "signature_invalid");
    server.stop().await;
}

// SPEC 4.6: accepting the handshake is not the verdict — a valid leaf with no
// agentPolicy connects, and its request is still refused by 5.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_acceptance_is_not_the_verdict() {
    let server = Server::start(trust(true)).await;
    let request = trade_request(&signer("bad/no_policy"), CertHeader::Omit);
    let (status, body) = one_request(&server, Some("bad/no_policy"), &request)
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_code(&body), "policy_missing");
    server.stop().await;
}

// (c) SPEC 2: a chain to a root that is not pinned is refused at the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_chain_is_refused_at_the_handshake() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, Some("untrusted")).await;
    assert_eq!(
        certificate_error(&r),
        &CertificateError::UnknownIssuer,
        "{}",
        r.text
    );
    server.stop().await;
}

// SPEC 4.6: without the configured intermediate (and none sent) there is no path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_intermediate_is_what_completes_the_path() {
    let server = Server::start(trust(false)).await;
    let r = assert_refused(&server, Some("p256")).await;
    assert_eq!(
        certificate_error(&r),
        &CertificateError::UnknownIssuer,
        "{}",
        r.text
    );
    server.stop().await;
}

// (d) SPEC 2: EKU must be present (webpki alone accepts a leaf without one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaf_without_eku_is_refused_at_the_handshake() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, Some("bad/no_eku")).await;
    assert_eq!(
        certificate_error(&r),
        &CertificateError::InvalidPurpose,
        "{}",
        r.text
    );
    server.stop().await;
}

// (e) SPEC 2: EKU must contain clientAuth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaf_with_server_only_eku_is_refused_at_the_handshake() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, Some("bad/eku_server_only")).await;
    assert!(
        matches!(
            certificate_error(&r),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. }
        ),
        "{}",
        r.text
    );
    server.stop().await;
}

// (f) SPEC 4.6: client authentication is mandatory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_certificate_is_refused() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, None).await;
    assert!(
        matches!(r.rustls, Some(rustls::Error::NoCertificatesPresented)),
        "{r:?}"
    );
    server.stop().await;
}

// SPEC 2: profile rules webpki does not know refuse the handshake, carrying
// the SPEC error (malformed_certificate / policy_invalid).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_violations_webpki_accepts_are_refused_at_the_handshake() {
    for (agent, code) in [
        ("bad/serial_21_octets", "malformed_certificate"),
        ("bad/two_urns", "malformed_certificate"),
        ("bad/validity_400d", "malformed_certificate"),
        ("bad/policy_version2", "policy_invalid"),
    ] {
        let server = Server::start(trust(true)).await;
        let r = assert_refused(&server, Some(agent)).await;
        let CertificateError::Other(other) = certificate_error(&r) else {
            panic!("{agent}: {}", r.text)
        };
        let spec = other
            .0
            .downcast_ref::<kakunin_verify::Error>()
            .expect("a kakunin error");
        assert_eq!(spec.code().as_str(), code, "{agent}");
        server.stop().await;
    }
}

// SPEC 2 / 5.1 step 3: a leaf that does not parse as an agent certificate
// (agentPolicy twice) is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaf_that_does_not_parse_is_refused_at_the_handshake() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, Some("bad/duplicate_policy")).await;
    assert_eq!(
        certificate_error(&r),
        &CertificateError::BadEncoding,
        "{}",
        r.text
    );
    server.stop().await;
}
