//! SPEC 4.1–4.6, 5.1, 6 and 7.3 through actix-web (`http::actix`): real
//! actix servers on 127.0.0.1 (port 0), started and stopped by each test,
//! reqwest and raw HTTP/1.1 clients, the shared v1 PKI (RSA `desk_bot_1`,
//! P-256 `eth_exec_01`, Ed25519 `report_bot`) with the verifier's clock at
//! the vectors' "now", and a JSON-lines audit trail checked after each test
//! (SPEC 8: one record per decision, early 413s included).

mod common;
#[cfg(feature = "tls")]
#[path = "http_actix/mtls.rs"]
mod mtls;
#[path = "http_actix/support.rs"]
mod support;
#[path = "http_actix/webhook.rs"]
mod webhook;

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use common::{sign, sign_with, v1_builder, v1_signer, Signed, NOW_MS};
use kakunin_verify::http::actix::{webhook_resource, KakuninMiddleware, VerifiedJson};
use kakunin_verify::http::{DenialResponse, VerifiedAgent};
use kakunin_verify::revocation::fixed::FixedSource;
use kakunin_verify::{ManualClock, Revocation, Verifier, VerifierBuilder};
use serde_json::json;
use support::{client, raw_exchange, raw_request, send, serve, Audit, Configure, Framing};

const TRADE: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;
/// The verifiers' body limit in these tests (SPEC 4.3).
const LIMIT: usize = 1024;
const WEIGHTS: &str = "7940420accc6374d6d07c7058ab025cf6915faa1eaebbabd30a3de5d32db2dc9";
const PROMPT: &str = "9b0e18602dc8b3c5f94f4f0af8f95a0482790025b159638be554b1046241a8ca";
const SECRET: &[u8] = b"whsec_actix_test_secret";

// ------------------------------------------------------------------ handlers

fn json_reply(v: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(v.to_string())
}

async fn whoami(agent: VerifiedAgent) -> HttpResponse {
    json_reply(json!({"agent_id": agent.agent_id(), "scope": agent.scope()}))
}

#[derive(serde::Deserialize)]
struct Order {
    market: String,
    size: serde_json::Number,
}

/// The agent, the verified order, and the raw body the handler can still read.
async fn trade(
    agent: VerifiedAgent,
    VerifiedJson(order): VerifiedJson<Order>,
    raw: web::Bytes,
) -> HttpResponse {
    json_reply(json!({
        "agent_id": agent.agent_id(),
        "scope": agent.scope(),
        "market": order.market,
        "size": order.size.to_string(),
        "raw": String::from_utf8_lossy(&raw),
    }))
}

#[derive(serde::Deserialize)]
struct Priced {
    price: String,
}

async fn priced(VerifiedJson(p): VerifiedJson<Priced>) -> String {
    p.price
}

/// The test application: the middleware on scopes (one nested), an
/// unwrapped route and the webhook.
fn routes(verifier: &Arc<Verifier>, mw: KakuninMiddleware) -> Configure {
    let verifier = Arc::clone(verifier);
    Arc::new(move |cfg: &mut web::ServiceConfig| {
        cfg.service(
            web::scope("/v1")
                .wrap(mw.clone())
                .route("/trades", web::post().to(trade))
                .route("/orderbook", web::get().to(priced)),
        )
        .service(
            web::scope("/data").service(
                web::scope("/processed")
                    .wrap(mw.clone())
                    .route("/{tail:.*}", web::get().to(whoami)),
            ),
        )
        .service(
            web::scope("/reports")
                .wrap(mw.clone())
                .route("/{tail:.*}", web::put().to(priced)),
        )
        .route("/unwrapped", web::post().to(whoami))
        .service(webhook_resource(
            "/webhooks/kakunin",
            Arc::clone(&verifier),
            Arc::from(SECRET),
        ));
    })
}

fn verifier_with(
    audit: &Audit,
    f: impl FnOnce(VerifierBuilder) -> VerifierBuilder,
) -> Arc<Verifier> {
    let b = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .max_body_bytes(LIMIT)
        .audit_sink(audit.sink());
    Arc::new(f(b).build().unwrap())
}

/// A server over the v1 verifier (revocation disabled) with the default mapper.
fn start(audit: &Audit) -> (support::Running, Arc<Verifier>) {
    let v = verifier_with(audit, |b| b);
    let server = serve(routes(&v, KakuninMiddleware::new(Arc::clone(&v))));
    (server, v)
}

fn desk_trade() -> Signed {
    sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
    )
}

fn codes(list: &[Option<&str>]) -> Vec<Option<String>> {
    list.iter().map(|c| c.map(str::to_owned)).collect()
}

// ------------------------------------------------------------- allowed (5.1)

// SPEC 5.1 / 4.1: RSA, P-256 and Ed25519 agents pass the middleware; the
// handler gets the VerifiedAgent (agent id, matched scope).
#[actix_rt::test]
async fn spec_5_1_rsa_p256_ed25519_agents_are_allowed() {
    let audit = Audit::new("allowed");
    let (server, _v) = start(&audit);
    let c = client();
    send(&c, &server, &desk_trade())
        .await
        .assert_allowed("desk_bot_1", "submit_limit_order");
    let eth = sign_with(
        &v1_signer("eth_exec_01"),
        "POST",
        "/v1/trades",
        r#"{"market":"ETH_USD","size":2.5,"direction":"BUY"}"#,
        NOW_MS,
        Some(WEIGHTS),
        Some(PROMPT),
    );
    send(&c, &server, &eth)
        .await
        .assert_allowed("eth_exec_01", "submit_limit_order");
    let report = sign(
        &v1_signer("report_bot"),
        "GET",
        "/data/processed/2026/q2.csv",
        "",
        NOW_MS,
    );
    send(&c, &server, &report)
        .await
        .assert_allowed("report_bot", "read_data");
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[None, None, None]));
}

// ------------------------------------------------------------- denials (6)

// SPEC 6: each denial's status, application/json {"error","message"}, no
// Retry-After below 503; the handler is never reached.
#[actix_rt::test]
async fn spec_6_denials_answer_status_and_json() {
    let audit = Audit::new("denials");
    let (server, _v) = start(&audit);
    let c = client();
    // SPEC 4.1: a required header missing.
    let r = send(&c, &server, &desk_trade().remove_header("X-Agent-Nonce")).await;
    r.assert_denied(400, "malformed_request");
    // SPEC 4.4: the body changed after signing (same length).
    let mut tampered = desk_trade();
    tampered.body = TRADE.replace("45000", "45001").into_bytes();
    send(&c, &server, &tampered)
        .await
        .assert_denied(401, "signature_invalid");
    // SPEC 5.3: a market the policy does not allow.
    let btc = sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        r#"{"market":"BTC_USD","size":1}"#,
        NOW_MS,
    );
    send(&c, &server, &btc)
        .await
        .assert_denied(403, "market_not_allowed");
    // SPEC 4.5: signed two minutes ago.
    let old = sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS - 120_000,
    );
    send(&c, &server, &old)
        .await
        .assert_denied(400, "timestamp_expired");
    server.stop().await;
    assert_eq!(
        audit.codes(),
        codes(&[
            Some("malformed_request"),
            Some("signature_invalid"),
            Some("market_not_allowed"),
            Some("timestamp_expired"),
        ])
    );
}

// SPEC 6 / 7: revocation_unavailable is 503 with Retry-After: 1.
#[actix_rt::test]
async fn spec_6_unavailable_revocation_is_503_with_retry_after() {
    let audit = Audit::new("unavailable");
    let v = verifier_with(&audit, |b| {
        b.revocation(Revocation::Source(Arc::new(
            FixedSource::unavailable("down", "down").local(),
        )))
    });
    let server = serve(routes(&v, KakuninMiddleware::new(Arc::clone(&v))));
    send(&client(), &server, &desk_trade())
        .await
        .assert_denied(503, "revocation_unavailable");
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[Some("revocation_unavailable")]));
}

// SPEC 6: a DenialMapper changes the answer; the audit record keeps the code.
#[actix_rt::test]
async fn spec_6_denial_mapper_shapes_the_answer() {
    let audit = Audit::new("mapper");
    let v = verifier_with(&audit, |b| b);
    let mw = KakuninMiddleware::new(Arc::clone(&v)).denial_mapper(Arc::new(|d| DenialResponse {
        status: 403,
        content_type: "application/json",
        body: json!({"denied": d.error.code().as_str()})
            .to_string()
            .into_bytes(),
        retry_after_seconds: None,
    }));
    let server = serve(routes(&v, mw));
    let r = send(
        &client(),
        &server,
        &desk_trade().remove_header("X-Agent-Signature"),
    )
    .await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.json(), json!({"denied": "malformed_request"}));
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[Some("malformed_request")]));
}

// SPEC 4.5: the same signed request on a second connection is a replay.
#[actix_rt::test]
async fn spec_4_5_replay_across_two_connections() {
    let audit = Audit::new("replay");
    let (server, _v) = start(&audit);
    let r = desk_trade();
    send(&client(), &server, &r)
        .await
        .assert_allowed("desk_bot_1", "submit_limit_order");
    send(&client(), &server, &r)
        .await
        .assert_denied(401, "replayed_request");
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[None, Some("replayed_request")]));
}

// ------------------------------------------------------------ body (4.3)

/// A signed trade whose body is `len` bytes.
fn trade_of_len(len: usize) -> Signed {
    let base = r#"{"market":"EUR_USD","size":1,"note":""}"#;
    let note = "x".repeat(len - base.len());
    let body = format!(r#"{{"market":"EUR_USD","size":1,"note":"{note}"}}"#);
    assert_eq!(body.len(), len);
    sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        &body,
        NOW_MS,
    )
}

// SPEC 4.3: a Content-Length over the limit is 413 body_too_large, audited
// with the method and target; exactly the limit is read and allowed.
#[actix_rt::test]
async fn spec_4_3_declared_length_over_the_limit_is_413() {
    let audit = Audit::new("declared");
    let (server, _v) = start(&audit);
    let c = client();
    send(&c, &server, &trade_of_len(LIMIT + 1))
        .await
        .assert_denied(413, "body_too_large");
    send(&c, &server, &trade_of_len(LIMIT))
        .await
        .assert_allowed("desk_bot_1", "submit_limit_order");
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[Some("body_too_large"), None]));
    let first = &audit.records()[0];
    assert_eq!(
        (first["method"].as_str(), first["target"].as_str()),
        (Some("POST"), Some("/v1/trades"))
    );
}

// SPEC 4.3: a declared length over the limit is refused before the body
// arrives (here it never does: the middleware must not wait for it).
#[actix_rt::test]
async fn spec_4_3_declared_length_is_refused_before_reading_the_body() {
    let audit = Audit::new("declared-early");
    let (server, _v) = start(&audit);
    let request = raw_request(&desk_trade(), Framing::DeclaredLength(1 << 20));
    raw_exchange(server.addr, &request)
        .await
        .assert_denied(413, "body_too_large");
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[Some("body_too_large")]));
}

// SPEC 4.3: without Content-Length (chunked), a body that streams past the
// limit is 413 as soon as it does (the stream here never ends), and nothing
// past the limit is buffered; one within it is verified and still readable
// by the handler.
#[actix_rt::test]
async fn spec_4_3_chunked_body_over_the_limit_is_413() {
    let audit = Audit::new("chunked");
    let (server, _v) = start(&audit);
    let request = raw_request(&trade_of_len(LIMIT + 1), Framing::ChunkedUnfinished(100));
    raw_exchange(server.addr, &request)
        .await
        .assert_denied(413, "body_too_large");
    let ok = raw_exchange(
        server.addr,
        &raw_request(&desk_trade(), Framing::Chunked(7)),
    )
    .await;
    ok.assert_allowed("desk_bot_1", "submit_limit_order");
    assert_eq!(ok.json()["raw"], TRADE);
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[Some("body_too_large"), None]));
}

// SPEC 4.3: the handler's VerifiedJson is the verified canonical value (a
// reordered, spaced body with 45000.0 gives size "45000"), and the raw
// body is still there for it.
#[actix_rt::test]
async fn spec_4_3_verified_json_is_the_canonical_value() {
    let audit = Audit::new("canonical");
    let (server, _v) = start(&audit);
    let body = r#"{ "size": 45000.0, "direction": "BUY", "market": "EUR_USD" }"#;
    let r = sign(&v1_signer("desk_bot_1"), "POST", "/v1/trades", body, NOW_MS);
    let reply = send(&client(), &server, &r).await;
    reply.assert_allowed("desk_bot_1", "submit_limit_order");
    let v = reply.json();
    assert_eq!(
        (v["market"].as_str(), v["size"].as_str()),
        (Some("EUR_USD"), Some("45000"))
    );
    assert_eq!(v["raw"], body);
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[None]));
}

// SPEC 4.3: a verified body that does not fit the handler's type is 422;
// an empty one too (no JSON body); both requests were allowed and audited.
#[actix_rt::test]
async fn verified_json_shape_mismatch_is_422() {
    let audit = Audit::new("shape");
    let (server, _v) = start(&audit);
    let c = client();
    let report = sign(
        &v1_signer("report_bot"),
        "PUT",
        "/reports/2026/q2.json",
        r#"{"title":"Q2"}"#,
        NOW_MS,
    );
    let r = send(&c, &server, &report).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert!(
        r.json()["message"].as_str().unwrap().contains("price"),
        "{r:?}"
    );
    let book = sign(&v1_signer("desk_bot_1"), "GET", "/v1/orderbook", "", NOW_MS);
    let r = send(&c, &server, &book).await;
    assert_eq!(r.status, 422, "{r:?}");
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[None, None]));
}

// A route without the middleware: the extractor answers a clear 500 naming
// KakuninMiddleware, and nothing is audited (nothing was verified).
#[actix_rt::test]
async fn extractor_without_middleware_is_500() {
    let audit = Audit::new("missing");
    let (server, _v) = start(&audit);
    let mut r = desk_trade();
    r.target = "/unwrapped".into();
    let reply = send(&client(), &server, &r).await;
    assert_eq!(reply.status, 500, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("KakuninMiddleware"),
        "{reply:?}"
    );
    server.stop().await;
    assert!(audit.codes().is_empty());
}

// --------------------------------------------------------- target (4.2/4.4)

// SPEC 4.4: a middleware on a nested scope verifies the whole target, query
// included, as sent.
#[actix_rt::test]
async fn spec_4_4_nested_scope_sees_the_whole_target() {
    let audit = Audit::new("nested");
    let (server, _v) = start(&audit);
    let r = sign(
        &v1_signer("report_bot"),
        "GET",
        "/data/processed/2026/q2.csv?b=2&a=1",
        "",
        NOW_MS,
    );
    send(&client(), &server, &r)
        .await
        .assert_allowed("report_bot", "read_data");
    server.stop().await;
    assert_eq!(audit.codes(), codes(&[None]));
    assert_eq!(
        audit.records()[0]["target"],
        "/data/processed/2026/q2.csv?b=2&a=1"
    );
}

// SPEC 4.2 / 4.4: the target reaches the verifier byte for byte — a
// percent-encoded unreserved character or a dot segment is refused as
// malformed_request, not decoded or normalized (which would make the
// signature fail instead).
#[actix_rt::test]
async fn spec_4_2_target_is_not_normalized() {
    let audit = Audit::new("target");
    let (server, _v) = start(&audit);
    for target in ["/data/processed/%71.csv", "/data/processed/./q2.csv"] {
        // The crate's signer refuses such a target, so the headers are
        // signed for the plain path and sent with this one: step 1 refuses
        // the target before any signature is looked at.
        let mut r = sign(
            &v1_signer("report_bot"),
            "GET",
            "/data/processed/q2.csv",
            "",
            NOW_MS,
        );
        r.target = target.to_owned();
        raw_exchange(server.addr, &raw_request(&r, Framing::ContentLength))
            .await
            .assert_denied(400, "malformed_request");
    }
    server.stop().await;
    assert_eq!(
        audit.codes(),
        codes(&[Some("malformed_request"), Some("malformed_request")])
    );
    let targets: Vec<_> = audit
        .records()
        .iter()
        .map(|r| r["target"].clone())
        .collect();
    assert_eq!(
        targets,
        ["/data/processed/%71.csv", "/data/processed/./q2.csv"]
    );
}

// SPEC 5.1 without a socket (`actix_web::test`, as benches/verify.rs's
// actix_hot_rsa2048 drives it): headers inserted one by one, body as payload.
#[actix_rt::test]
async fn spec_5_1_in_process_test_request_is_allowed() {
    use actix_web::test;
    let audit = Audit::new("in-process");
    let v = verifier_with(&audit, |b| b);
    let app = test::init_service(
        actix_web::App::new()
            .wrap(KakuninMiddleware::new(Arc::clone(&v)))
            .route("/v1/trades", web::post().to(whoami)),
    )
    .await;
    let r = desk_trade();
    let mut req = test::TestRequest::post().uri(&r.target);
    for (name, value) in &r.headers {
        req = req.insert_header((name.as_str(), value.clone()));
    }
    let resp = test::call_service(&app, req.set_payload(r.body.clone()).to_request()).await;
    assert_eq!(resp.status().as_u16(), 200);
    let body = test::read_body(resp).await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"agent_id": "desk_bot_1", "scope": "submit_limit_order"})
    );
    assert_eq!(audit.codes(), codes(&[None]));
}
