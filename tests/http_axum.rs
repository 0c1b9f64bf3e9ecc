//! The axum integration (issue 8; SPEC 4.3, 4.6, 5.1, 6, 7.3, 8): a real
//! axum server on 127.0.0.1 per test, started and stopped here, and real
//! HTTP(S) clients (reqwest over rustls).

mod common;
#[path = "http_axum/mtls.rs"]
mod mtls;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Json, Router};
use kakunin_verify::audit::sink::JsonLinesSink;
use kakunin_verify::chain::TrustStore;
use kakunin_verify::http::axum::{webhook_router, KakuninLayer, VerifiedJson};
use kakunin_verify::http::VerifiedAgent;
use kakunin_verify::revocation::fixed::FixedSource;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{ManualClock, Revocation, Verifier, VerifierBuilder};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const NOW_MS: u64 = common::NOW_MS;
const AUDIENCE: &str = "api.exchange.example";
const TRADE: &str = r#"{"market":"EUR_USD","size":45000}"#;
const ROUTES: &str = "POST /v1/trades submit_limit_order trade\n\
                      POST /api/v1/trades submit_limit_order trade\n\
                      POST /v1/echo submit_limit_order trade\n";
const KEY_TYPES: [&str; 3] = ["rsa2048", "p256", "ed25519"];

fn pki(rel: &str) -> Vec<u8> {
    common::read(common::testdata_dir().join(rel))
}

fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    for kind in KEY_TYPES {
        t.add_roots_pem(&pki(&format!("{kind}/root.pem"))).unwrap();
        t.add_intermediates_pem(&pki(&format!("{kind}/intermediate.pem")))
            .unwrap();
    }
    t
}

fn builder() -> VerifierBuilder {
    Verifier::builder(trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse().unwrap())
        .clock(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Disabled)
}

fn agent(kind: &str) -> AgentSigner {
    AgentSigner::from_pem(
        &pki(&format!("{kind}/leaf.key")),
        &pki(&format!("{kind}/leaf.pem")),
        None,
    )
    .unwrap()
}

/// The signer's headers (Content-Type included) for `POST target body`;
/// the model and prompt hashes that `p256/leaf.pem` certifies (SPEC 5.6)
/// when the certificate certifies any.
fn signed(signer: &AgentSigner, target: &str, body: &str) -> Vec<(&'static str, String)> {
    let nonce = common::fresh_nonce();
    let hash = |s: &str| {
        kakunin_verify::hex::encode(
            ring::digest::digest(&ring::digest::SHA256, s.as_bytes()).as_ref(),
        )
    };
    let (model, prompt) = (hash("weights"), hash("prompt"));
    let certified = matches!(
        signer.certificate().provenance(),
        kakunin_verify::certificate::Decoded::Present(_)
    );
    signer
        .sign(&RequestToSign {
            audience: AUDIENCE,
            method: "POST",
            target,
            body: body.as_bytes(),
            timestamp_ms: NOW_MS,
            nonce: Some(&nonce),
            model_sha256: certified.then_some(model.as_str()),
            prompt_sha256: certified.then_some(prompt.as_str()),
        })
        .unwrap()
}

/// A plain-HTTP client (reqwest is built with rustls and no default
/// provider: the ring provider is passed explicitly).
fn http_client() -> reqwest::Client {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .build()
        .unwrap()
}

async fn trade(agent: VerifiedAgent) -> Json<Value> {
    Json(json!({ "agent_id": agent.agent_id(), "scope": agent.scope() }))
}

async fn echo(VerifiedJson(value): VerifiedJson<Value>) -> String {
    value.to_string()
}

fn app(verifier: Arc<Verifier>) -> Router {
    Router::new()
        .route("/v1/trades", post(trade))
        .route("/v1/echo", post(echo))
        .layer(KakuninLayer::new(verifier))
        .route("/unprotected", get(trade))
}

/// A real server on 127.0.0.1; stopped when dropped.
struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(app: Router) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { addr, task }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// POSTs with the given headers; status, Retry-After, JSON body.
async fn post_json(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&'static str, String)],
    body: &str,
) -> (u16, Option<String>, Value) {
    let mut req = client.post(url).body(body.to_owned());
    for (n, v) in headers {
        req = req.header(*n, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = resp.text().await.unwrap();
    if status != 200 {
        assert_eq!(ct.as_deref(), Some("application/json"), "{text}");
    }
    (
        status,
        retry,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

// SPEC 5.1: an allowed request reaches the handler, for each key type, with
// the VerifiedAgent extension.
#[tokio::test]
async fn allowed_for_rsa_p256_and_ed25519_agents() {
    let server = serve(app(Arc::new(builder().build().unwrap()))).await;
    let client = http_client();
    for kind in KEY_TYPES {
        let signer = agent(kind);
        let h = signed(&signer, "/v1/trades", TRADE);
        let (status, _, body) = post_json(&client, &server.url("/v1/trades"), &h, TRADE).await;
        assert_eq!(status, 200, "{kind}: {body}");
        assert_eq!(body["scope"], "submit_limit_order");
        assert_eq!(body["agent_id"], signer.certificate().agent_id().unwrap());
    }
}

// SPEC 6: each denial's status and JSON body; SPEC 4.5 replay across two
// connections; SPEC 4.4 a tampered body.
#[tokio::test]
async fn denials_carry_the_spec_status_and_body() {
    let server = serve(app(Arc::new(builder().build().unwrap()))).await;
    let signer = agent("rsa2048");
    let h = signed(&signer, "/v1/trades", TRADE);
    let first = http_client();
    let second = http_client();
    let (s, _, _) = post_json(&first, &server.url("/v1/trades"), &h, TRADE).await;
    assert_eq!(s, 200);
    let (s, retry, body) = post_json(&second, &server.url("/v1/trades"), &h, TRADE).await;
    assert_eq!((s, retry), (401, None));
    assert_eq!(body["error"], "replayed_request");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));

    let h = signed(&signer, "/v1/trades", TRADE);
    let tampered = TRADE.replace("45000", "45001");
    let (s, _, body) = post_json(&first, &server.url("/v1/trades"), &h, &tampered).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (401, Some("signature_invalid"))
    );

    let big = r#"{"market":"EUR_USD","size":4500000}"#;
    let h = signed(&signer, "/v1/trades", big);
    let (s, _, body) = post_json(&first, &server.url("/v1/trades"), &h, big).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (403, Some("amount_exceeds_limit"))
    );

    let (s, _, body) = post_json(&first, &server.url("/v1/trades"), &[], TRADE).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (400, Some("malformed_request"))
    );
}

// SPEC 6: a 503 carries Retry-After: 1.
#[tokio::test]
async fn a_503_carries_retry_after() {
    let v = builder()
        .revocation(Revocation::Source(Arc::new(FixedSource::unavailable(
            "down",
            "responder down",
        ))))
        .build()
        .unwrap();
    let server = serve(app(Arc::new(v))).await;
    let h = signed(&agent("p256"), "/v1/trades", TRADE);
    let (s, retry, body) = post_json(&http_client(), &server.url("/v1/trades"), &h, TRADE).await;
    assert_eq!((s, retry.as_deref()), (503, Some("1")));
    assert_eq!(body["error"], "revocation_unavailable");
}

// SPEC 4.3: a declared Content-Length over the limit is refused before the
// body is read; a chunked body is cut at the limit. Both 413.
#[tokio::test]
async fn bodies_over_the_limit_are_413_with_and_without_content_length() {
    let v = builder().max_body_bytes(64).build().unwrap();
    let server = serve(app(Arc::new(v))).await;
    let big = format!(
        r#"{{"market":"EUR_USD","size":45000,"pad":"{}"}}"#,
        "x".repeat(100)
    );
    let h = signed(&agent("ed25519"), "/v1/trades", &big);
    let (s, _, body) = post_json(&http_client(), &server.url("/v1/trades"), &h, &big).await;
    assert_eq!((s, body["error"].as_str()), (413, Some("body_too_large")));

    // Declared length only: the server answers without waiting for a body.
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(
        b"POST /v1/trades HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000000\r\n\r\n",
    )
    .await
    .unwrap();
    let head = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");

    // Chunked, no Content-Length: read up to the limit, then refused.
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let chunk = "y".repeat(100);
    let req = format!(
        "POST /v1/trades HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let head = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

async fn read_head(tcp: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let mut got = 0;
    while !String::from_utf8_lossy(&buf[..got]).contains("\r\n\r\n") {
        let n = tcp.read(&mut buf[got..]).await.unwrap();
        assert!(n > 0, "connection closed before a response");
        got += n;
    }
    String::from_utf8_lossy(&buf[..got]).into_owned()
}

// SPEC 4.2 / 4.4: under Router::nest the layer still sees (and verifies)
// the full target the agent signed, whether it sits on the outer router or
// the nested one.
#[tokio::test]
async fn nested_routers_verify_the_full_target() {
    let verifier = Arc::new(builder().build().unwrap());
    let inner = Router::new()
        .route("/v1/trades", post(trade))
        .layer(KakuninLayer::new(verifier.clone()));
    let server = serve(Router::new().nest("/api", inner)).await;
    let signer = agent("rsa2048");
    let client = http_client();
    let h = signed(&signer, "/api/v1/trades", TRADE);
    let (s, _, body) = post_json(&client, &server.url("/api/v1/trades"), &h, TRADE).await;
    assert_eq!(s, 200, "{body}");
    // Signed for the stripped path: refused (the signature covers /api/...).
    let h = signed(&signer, "/v1/trades", TRADE);
    let (s, _, body) = post_json(&client, &server.url("/api/v1/trades"), &h, TRADE).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (401, Some("signature_invalid"))
    );

    let outer = Router::new()
        .nest("/api", Router::new().route("/v1/trades", post(trade)))
        .route_layer(KakuninLayer::new(verifier));
    let server = serve(outer).await;
    let h = signed(&signer, "/api/v1/trades", TRADE);
    let (s, _, body) = post_json(&client, &server.url("/api/v1/trades"), &h, TRADE).await;
    assert_eq!(s, 200, "{body}");
}

// SPEC 4.3: VerifiedJson deserializes the verified canonical value, not the
// raw bytes (4.5e4 is the number 45000 the signature covers).
#[tokio::test]
async fn verified_json_is_the_verified_value() {
    let server = serve(app(Arc::new(builder().build().unwrap()))).await;
    let raw = r#"{ "size": 4.5e4,  "market":"EUR_USD" }"#;
    let h = signed(&agent("p256"), "/v1/echo", raw);
    let (s, _, body) = post_json(&http_client(), &server.url("/v1/echo"), &h, raw).await;
    assert_eq!(s, 200);
    assert_eq!(body, json!({"market": "EUR_USD", "size": 45000}));
    assert_eq!(body["size"].as_u64(), Some(45000));
}

// A handler outside the layer asking for VerifiedAgent: a clear 500.
#[tokio::test]
async fn a_route_outside_the_layer_is_a_clear_500() {
    let server = serve(app(Arc::new(builder().build().unwrap()))).await;
    let resp = http_client()
        .get(server.url("/unprotected"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let text = resp.text().await.unwrap();
    assert!(text.contains("KakuninLayer"), "{text}");
}

// SPEC 8: an audit record for every request, allowed or denied (413s too).
#[tokio::test]
async fn every_request_is_audited() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("axum-audit-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let sink = Arc::new(JsonLinesSink::open(&path).unwrap());
    let v = builder()
        .max_body_bytes(64)
        .audit_sink(sink.clone())
        .build()
        .unwrap();
    let server = serve(app(Arc::new(v))).await;
    let client = http_client();
    let h = signed(&agent("rsa2048"), "/v1/trades", TRADE);
    let url = server.url("/v1/trades");
    assert_eq!(post_json(&client, &url, &h, TRADE).await.0, 200);
    assert_eq!(post_json(&client, &url, &h, TRADE).await.0, 401);
    let big = "z".repeat(200);
    assert_eq!(post_json(&client, &url, &h, &big).await.0, 413);
    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let decisions: Vec<_> = lines.iter().map(|l| l["code"].clone()).collect();
    assert_eq!(
        decisions,
        vec![
            Value::Null,
            json!("replayed_request"),
            json!("body_too_large")
        ]
    );
    assert_eq!(lines[2]["target"], "/v1/trades");
}

fn hmac_header(secret: &[u8], t: u64, body: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, format!("{t}.{body}").as_bytes());
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

// SPEC 7.3: the webhook route — 204 applied (and the agent is refused at
// once), 401 not authentic, 400 malformed event.
#[tokio::test]
async fn webhook_route_answers() {
    let secret = b"whsec_test_secret".to_vec();
    let verifier = Arc::new(builder().build().unwrap());
    let app = app(verifier.clone()).merge(webhook_router(
        "/kakunin/webhook",
        verifier.clone(),
        secret.clone(),
    ));
    let server = serve(app).await;
    let client = http_client();
    let url = server.url("/kakunin/webhook");
    let t = NOW_MS / 1000;
    let signer = agent("p256");
    let serial = signer.certificate().serial_hex().to_owned();
    let event =
        json!({"event": "certificate.revoked", "data": {"serial_number": serial}}).to_string();
    let send = |sig: Option<String>, body: String| {
        let mut req = client.post(&url).body(body);
        if let Some(sig) = sig {
            req = req.header("X-Kakunin-Signature", sig);
        }
        req.send()
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(send(None, event.clone()).await.unwrap()), 401);
    let forged = hmac_header(b"another secret", t, &event);
    assert_eq!(
        status(send(Some(forged), event.clone()).await.unwrap()),
        401
    );
    let bad = r#"{"event":"certificate.revoked","data":{}}"#.to_owned();
    assert_eq!(
        status(
            send(Some(hmac_header(&secret, t, &bad)), bad)
                .await
                .unwrap()
        ),
        400
    );
    let ok = hmac_header(&secret, t, &event);
    assert_eq!(status(send(Some(ok), event).await.unwrap()), 204);
    let h = signed(&signer, "/v1/trades", TRADE);
    let (s, _, body) = post_json(&client, &server.url("/v1/trades"), &h, TRADE).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (401, Some("certificate_revoked"))
    );
}

// SPEC 7.3: an authentic event the full revoked set cannot record is
// answered 503 (with Retry-After) so that Kakunin retries.
#[tokio::test]
async fn webhook_route_answers_503_when_the_revocation_cannot_be_recorded() {
    let secret = b"whsec_test_secret".to_vec();
    let config = kakunin_verify::revocation::cache::CacheConfig {
        max_revoked: 1,
        ..Default::default()
    };
    let verifier = Arc::new(builder().revocation_cache(config).build().unwrap());
    let server = serve(webhook_router("/kakunin/webhook", verifier, secret.clone())).await;
    let client = http_client();
    let url = server.url("/kakunin/webhook");
    let t = NOW_MS / 1000;
    let mut statuses = Vec::new();
    for serial in ["0a01", "0a02"] {
        let event =
            json!({"event": "certificate.revoked", "data": {"serial_number": serial}}).to_string();
        let resp = client
            .post(&url)
            .header("X-Kakunin-Signature", hmac_header(&secret, t, &event))
            .body(event)
            .send()
            .await
            .unwrap();
        let retry = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        statuses.push((resp.status().as_u16(), retry));
    }
    assert_eq!(statuses, vec![(204, None), (503, Some("1".to_owned()))]);
}
