//! SPEC 7.1 / 7.2 against a real HTTP/1.1 peer: a raw-HTTP server on
//! 127.0.0.1 answering in Kakunin's verify-endpoint format, with faults
//! chosen by the serial asked about.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kakunin_verify::revocation::cache::{CacheConfig, RevocationCache};
use kakunin_verify::revocation::endpoint::EndpointSource;
use kakunin_verify::revocation::http::{HttpClient, HttpConfig};
use kakunin_verify::revocation::{
    CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, RiskBand, Unavailable,
};
use kakunin_verify::ManualClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const NOW_MS: u64 = 1_782_897_300_000;
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// The test peer: counts hits, remembers the paths asked, stops on drop.
struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    paths: Arc<Mutex<Vec<String>>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = oneshot::channel();
        let (h, p) = (hits.clone(), paths.clone());
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let (h, p) = (h.clone(), p.clone());
                        tokio::spawn(async move { serve(stream, h, p).await });
                    }
                }
            }
        });
        Server {
            addr,
            hits,
            paths,
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

async fn serve(mut stream: TcpStream, hits: Arc<AtomicUsize>, paths: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_HEAD {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("").to_string();
    paths.lock().unwrap().push(path.clone());
    let serial = path.strip_prefix("/v1/verify/").unwrap_or("");
    respond(&mut stream, serial).await;
    let _ = stream.shutdown().await;
}

fn data(serial: &str, status: &str, valid: bool, extra: &str) -> String {
    format!(
        r#"{{"data":{{"serial_number":"{serial}","status":"{status}","valid":{valid},"issued_at":"2026-01-01T00:00:00Z","expires_at":"2026-12-31T00:00:00Z","agent":{{"id":"agt_1","name":"bot"}}{extra}}}}}"#
    )
}

async fn write(stream: &mut TcpStream, status: &str, headers: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
}

// The faults, by serial (the server only knows uppercase serials).
async fn respond(stream: &mut TcpStream, serial: &str) {
    match serial {
        "0A3F" => write(stream, "200 OK", "", &data("0a:3f", "active", true, "")).await,
        "0B01" => {
            let extra =
                r#","revoked_at":"2026-06-01T00:00:00Z","revocation_reason":"key_compromise""#;
            write(stream, "200 OK", "", &data("0B01", "revoked", false, extra)).await
        }
        "0B02" => write(stream, "200 OK", "", &data("0B02", "suspended", false, "")).await,
        "0B03" => write(stream, "200 OK", "", &data("0B03", "expired", false, "")).await,
        "0B05" => write(stream, "500 Internal Server Error", "", "{}").await,
        "0B06" => write(stream, "429 Too Many Requests", "Retry-After: 1\r\n", "{}").await,
        "0B07" => {
            let location = "Location: /v1/verify/0A3F\r\n";
            write(stream, "302 Found", location, "").await
        }
        "0B08" => write(stream, "200 OK", "", r#"{"data":{"serial_number":"0B08","#).await,
        "0B09" => {
            let pad = "x".repeat(100 * 1024);
            let extra = format!(r#","padding":"{pad}""#);
            write(stream, "200 OK", "", &data("0B09", "active", true, &extra)).await
        }
        "0B0A" => chunked_flood(stream).await,
        "0B0B" => write(stream, "200 OK", "", &data("0B0C", "active", true, "")).await,
        "0B0C" => write(stream, "200 OK", "", &data("0B0C", "active", false, "")).await,
        "0B0D" => {
            let extra = r#","risk_score":0.93,"risk_band":"high""#;
            write(stream, "200 OK", "", &data("0B0D", "active", true, extra)).await
        }
        "0B0E" => {
            write(
                stream,
                "200 OK",
                "Age: 301\r\n",
                &data("0B0E", "active", true, ""),
            )
            .await
        }
        "0B0F" => {
            write(
                stream,
                "200 OK",
                "Age: 3\r\n",
                &data("0B0F", "active", true, ""),
            )
            .await
        }
        "0B10" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            write(stream, "200 OK", "", &data("0B10", "active", true, "")).await
        }
        "0B11" => write(stream, "200 OK", "", &data("0B11", "pending", false, "")).await,
        "0B12" => {
            let extra = r#","risk_score":1.5"#;
            write(stream, "200 OK", "", &data("0B12", "active", true, extra)).await
        }
        "0B13" => {
            let body = r#"{"data":{"serial_number":"0B13","status":"active","valid":true}}"#;
            write(stream, "200 OK", "", body).await
        }
        "0B14" => write(stream, "204 No Content", "", "").await,
        "0C01" => {
            tokio::time::sleep(Duration::from_millis(100)).await;
            write(stream, "200 OK", "", &data("0C01", "active", true, "")).await
        }
        _ => write(stream, "404 Not Found", "", r#"{"error":"not_found"}"#).await,
    }
}

// An endless chunked body without Content-Length: the client must stop
// reading at its limit.
async fn chunked_flood(stream: &mut TcpStream) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, "y".repeat(16 * 1024));
    for _ in 0..1_000 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn client() -> HttpClient {
    HttpClient::new(HttpConfig {
        connect_timeout: Duration::from_millis(300),
        total_timeout: Duration::from_millis(300),
        ..HttpConfig::default()
    })
    .unwrap()
}

fn cert(serial_hex: &str) -> CertificateRef<'_> {
    CertificateRef {
        der: b"leaf",
        issuer_der: b"issuer",
        serial: b"\x0a\x3f",
        serial_hex,
        not_after_ms: NOW_MS + 86_400_000,
        serial_form: kakunin_verify::revocation::SerialForm::Rfc5280,
        root_der: None,
    }
}

async fn ask(server: &Server, serial_hex: &str) -> Result<RevocationAnswer, Unavailable> {
    let source = EndpointSource::new(client(), &server.base()).unwrap();
    source.check(cert(serial_hex), NOW_MS).await
}

async fn status(server: &Server, serial_hex: &str) -> Result<RevocationStatus, Unavailable> {
    ask(server, serial_hex).await.map(|a| a.status)
}

#[tokio::test]
async fn active_and_valid_is_valid_and_the_serial_is_sent_in_uppercase() {
    let server = Server::start().await;
    let answer = ask(&server, "0a3f").await.unwrap();
    assert_eq!(answer.status, RevocationStatus::Valid);
    assert_eq!(answer.source, "endpoint");
    assert_eq!(answer.produced_at_ms, NOW_MS);
    assert_eq!(answer.risk_score, None);
    assert_eq!(server.paths.lock().unwrap().as_slice(), ["/v1/verify/0A3F"]);
    server.shutdown().await;
}

#[tokio::test]
async fn revoked_suspended_and_expired_are_revoked_and_404_is_unknown() {
    let server = Server::start().await;
    assert_eq!(status(&server, "0b01").await, Ok(RevocationStatus::Revoked));
    assert_eq!(status(&server, "0b02").await, Ok(RevocationStatus::Revoked));
    assert_eq!(status(&server, "0b03").await, Ok(RevocationStatus::Revoked));
    assert_eq!(status(&server, "0b04").await, Ok(RevocationStatus::Unknown));
    server.shutdown().await;
}

#[tokio::test]
async fn high_risk_is_surfaced() {
    let server = Server::start().await;
    let answer = ask(&server, "0b0d").await.unwrap();
    assert_eq!(answer.status, RevocationStatus::Valid);
    assert_eq!(answer.risk_score, Some(0.93));
    assert_eq!(answer.risk_band, Some(RiskBand::High));
    server.shutdown().await;
}

#[tokio::test]
async fn server_faults_are_unavailable() {
    let server = Server::start().await;
    for (serial, what) in [
        ("0b05", "500"),
        ("0b06", "429"),
        ("0b08", "malformed JSON"),
        ("0b09", "oversized body (Content-Length)"),
        ("0b0a", "oversized chunked body"),
        ("0b0b", "serial mismatch"),
        ("0b0c", "valid contradicting status"),
        ("0b0e", "Age beyond the 300 s age limit (SPEC 7.2)"),
        ("0b10", "slow answer"),
        ("0b11", "unknown status"),
        ("0b12", "risk score out of range"),
        ("0b13", "missing fields"),
        ("0b14", "204"),
    ] {
        assert!(status(&server, serial).await.is_err(), "{what}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = Server::start().await;
    assert!(status(&server, "0b07").await.is_err());
    assert_eq!(server.hits(), 1, "the Location was not fetched");
    let raw = client()
        .get(&format!("{}/v1/verify/0B07", server.base()))
        .await
        .unwrap();
    assert_eq!(raw.status, 302);
    server.shutdown().await;
}

#[tokio::test]
async fn age_within_the_bound_moves_produced_at_back() {
    let server = Server::start().await;
    let answer = ask(&server, "0b0f").await.unwrap();
    assert_eq!(answer.produced_at_ms, NOW_MS - 3_000);
    server.shutdown().await;
}

#[tokio::test]
async fn a_closed_port_is_unavailable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let source = EndpointSource::new(client(), &format!("http://{addr}")).unwrap();
    assert!(source.check(cert("0a3f"), NOW_MS).await.is_err());
}

#[tokio::test]
async fn plain_http_to_a_non_loopback_host_is_refused_before_connecting() {
    // 192.0.2.0/24 is TEST-NET-1: never routed. The reason shows the URL was
    // refused by the scheme rule, not by a failed connection.
    let refused = client().get("http://192.0.2.1:9/v1/verify/0A3F").await;
    assert_eq!(
        refused,
        Err(Unavailable::new("plain http to a non-loopback host"))
    );
    let posted = client()
        .post(
            "http://192.0.2.1:9/ocsp",
            "application/ocsp-request",
            vec![1],
        )
        .await;
    assert!(posted.is_err());
    assert!(EndpointSource::new(client(), "http://192.0.2.1").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_concurrent_checks_make_one_request() {
    let server = Server::start().await;
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let cache = RevocationCache::new(CacheConfig::default(), clock.clone());
    let source: Arc<dyn RevocationSource> =
        Arc::new(EndpointSource::new(client(), &server.base()).unwrap());
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (cache, source) = (cache.clone(), source.clone());
            tokio::spawn(async move {
                cache
                    .check(&source, cert("0c01"), None)
                    .await
                    .map(|a| a.answer.status)
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Ok(RevocationStatus::Valid));
    }
    assert_eq!(server.hits(), 1);
    // Fresh: no I/O. Expired by the injected clock: one more request.
    cache.check(&source, cert("0c01"), None).await.unwrap();
    assert_eq!(server.hits(), 1);
    clock.advance_ms(5_000);
    cache.check(&source, cert("0c01"), None).await.unwrap();
    assert_eq!(server.hits(), 2);
    server.shutdown().await;
}

/// An HTTPS peer whose certificate a fresh test CA issued for `localhost`.
struct TlsPeer {
    addr: SocketAddr,
    ca_der: rustls_pki_types::CertificateDer<'static>,
    task: JoinHandle<()>,
}

async fn start_tls_peer() -> TlsPeer {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let body = data("0A3F", "active", true, "");
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    TlsPeer {
        addr,
        ca_der: ca.der().clone(),
        task,
    }
}

#[tokio::test]
async fn https_trusts_exactly_the_configured_roots() {
    let peer = start_tls_peer().await;
    let base = format!("https://localhost:{}", peer.addr.port());
    let trusting = HttpClient::new(HttpConfig {
        root_certificates: vec![peer.ca_der.clone()],
        ..HttpConfig::default()
    })
    .unwrap();
    let source = EndpointSource::new(trusting, &base).unwrap();
    let answer = source.check(cert("0a3f"), NOW_MS).await;
    assert_eq!(answer.map(|a| a.status), Ok(RevocationStatus::Valid));
    // Without the test CA among the roots the peer is not authenticated.
    let untrusting = EndpointSource::new(client(), &base).unwrap();
    assert!(untrusting.check(cert("0a3f"), NOW_MS).await.is_err());
    peer.task.abort();
}

#[tokio::test]
async fn oversized_answers_are_cut_off_at_the_limit() {
    let server = Server::start().await;
    for serial in ["0B09", "0B0A"] {
        let got = client()
            .get(&format!("{}/v1/verify/{serial}", server.base()))
            .await;
        assert_eq!(got, Err(Unavailable::new("answer too large")), "{serial}");
    }
    server.shutdown().await;
}
