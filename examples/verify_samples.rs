//! Verifies a set of sample signed requests against the bundled test PKI
//! and prints one decision per line, with its audit record.
//!
//! Run: `cargo run --example verify_samples`
//!
//! The agents are `testdata/pki/{rsa2048,p256,ed25519}`; the requests are
//! signed here with their bundled keys (as an agent would), then tampered
//! with, replayed, sent too late, and so on — and every one goes through
//! the same [`Verifier`], with a clock fixed at 2026-07-01T09:15:00Z.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kakunin_verify::chain::TrustStore;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{HttpRequest, ManualClock, Revocation, Verifier};

const NOW_MS: u64 = 1_782_897_300_000;
const AUDIENCE: &str = "api.exchange.example";

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

fn read(rel: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    std::fs::read(data(rel)).map_err(|e| format!("{rel}: {e}").into())
}

struct Sample {
    label: &'static str,
    method: &'static str,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn sign(
    agent: &AgentSigner,
    label: &'static str,
    method: &'static str,
    target: &str,
    body: &str,
    timestamp_ms: u64,
    nonce: &str,
) -> Result<Sample, Box<dyn std::error::Error>> {
    let provenance = agent.certificate().claimed_agent_id() == Some("sample_p256");
    // The p256 sample agent certifies SHA-256("weights") and SHA-256("prompt").
    let (model, prompt) = (sha256_hex(b"weights"), sha256_hex(b"prompt"));
    let headers = agent.sign(&RequestToSign {
        audience: AUDIENCE,
        method,
        target,
        body: body.as_bytes(),
        timestamp_ms,
        nonce: Some(nonce),
        model_sha256: provenance.then_some(model.as_str()),
        prompt_sha256: provenance.then_some(prompt.as_str()),
    })?;
    Ok(Sample {
        label,
        method,
        target: target.to_owned(),
        headers: headers
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect(),
        body: body.to_owned(),
    })
}

fn sha256_hex(data: &[u8]) -> String {
    kakunin_verify::hex::encode(&kakunin_verify::signature::sha256(data))
}

fn agent(kind: &str) -> Result<AgentSigner, Box<dyn std::error::Error>> {
    Ok(AgentSigner::from_pem(
        &read(&format!("pki/{kind}/leaf.key"))?,
        &read(&format!("pki/{kind}/leaf.pem"))?,
        None,
    )?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut trust = TrustStore::new();
    for kind in ["rsa2048", "p256", "ed25519"] {
        trust.add_roots_pem(&read(&format!("pki/{kind}/root.pem"))?)?;
        trust.add_intermediates_pem(&read(&format!("pki/{kind}/intermediate.pem"))?)?;
    }
    let routes: RouteTable = String::from_utf8(read("routes/sample_routes.txt")?)?.parse()?;
    let verifier = Verifier::builder(trust)
        .audience(AUDIENCE)
        .routes(routes)
        .clock(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Disabled)
        .build()?;

    let (rsa, p256, ed) = (agent("rsa2048")?, agent("p256")?, agent("ed25519")?);
    let trade = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;
    let mut samples = vec![
        sign(
            &rsa,
            "rsa2048 trade within limits",
            "POST",
            "/v1/trades",
            trade,
            NOW_MS,
            "sample-nonce-000001",
        )?,
        sign(
            &p256,
            "p256 trade with model provenance",
            "POST",
            "/v1/trades",
            trade,
            NOW_MS,
            "sample-nonce-000002",
        )?,
        sign(
            &ed,
            "ed25519 read of processed data",
            "GET",
            "/data/processed/q2.csv",
            "",
            NOW_MS,
            "sample-nonce-000003",
        )?,
        sign(
            &ed,
            "ed25519 read of raw data",
            "GET",
            "/data/raw/q2.csv",
            "",
            NOW_MS,
            "sample-nonce-000004",
        )?,
        sign(
            &rsa,
            "trade above maxTransaction",
            "POST",
            "/v1/trades",
            r#"{"market":"EUR_USD","size":50000.01}"#,
            NOW_MS,
            "sample-nonce-000005",
        )?,
        sign(
            &rsa,
            "trade in a market not allowed",
            "POST",
            "/v1/trades",
            r#"{"market":"BTC_USD","size":1}"#,
            NOW_MS,
            "sample-nonce-000006",
        )?,
        sign(
            &rsa,
            "request signed 2 minutes ago",
            "POST",
            "/v1/trades",
            trade,
            NOW_MS - 120_000,
            "sample-nonce-000007",
        )?,
    ];
    // A traversal target: the signer refuses to sign one (SPEC 4.2), so the
    // client here signs a plain path and sends another.
    let mut traversal = sign(
        &rsa,
        "path traversal attempt",
        "GET",
        "/data/processed/q2.csv",
        "",
        NOW_MS,
        "sample-nonce-000008",
    )?;
    traversal.target = "/data/processed/../raw/q2.csv".into();
    samples.push(traversal);
    // The same request twice: the second is a replay.
    let replay = sign(
        &ed,
        "first of two identical requests",
        "GET",
        "/data/processed/a.csv",
        "",
        NOW_MS,
        "sample-nonce-000009",
    )?;
    samples.push(Sample {
        label: "the same request again (replay)",
        ..clone(&replay)
    });
    samples.insert(samples.len() - 1, replay);
    // A signed body changed in transit.
    let mut tampered = sign(
        &rsa,
        "size changed after signing",
        "POST",
        "/v1/trades",
        trade,
        NOW_MS,
        "sample-nonce-000010",
    )?;
    tampered.body = tampered.body.replace("45000", "49000");
    samples.push(tampered);

    for s in &samples {
        let pairs: Vec<(&str, &[u8])> = s
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        let request = HttpRequest::new(s.method, &s.target, &pairs, s.body.as_bytes());
        let line = match pollster::block_on(verifier.verify(&request)) {
            Ok(ok) => serde_json::json!({
                "sample": s.label, "decision": "allow", "code": null, "http_status": 200,
                "agent_id": ok.agent_id(), "audit": ok.audit(),
            }),
            Err(denial) => serde_json::json!({
                "sample": s.label, "decision": "deny", "code": denial.error.code(),
                "http_status": denial.error.http_status(), "message": denial.error.message(),
                "audit": denial.audit,
            }),
        };
        println!("{line}");
    }
    Ok(())
}

fn clone(s: &Sample) -> Sample {
    Sample {
        label: s.label,
        method: s.method,
        target: s.target.clone(),
        headers: s.headers.clone(),
        body: s.body.clone(),
    }
}
