//! Helpers of tests/kakunin_revocation.rs: the node-forge Kakunin fixtures
//! under testdata/kakunin/ (expectations from its manifest.json) and a
//! verifier with the `kakunin-2026` profile at the manifest's "now".

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use kakunin_verify::chain::TrustStore;
use kakunin_verify::profile::kakunin::KakuninProfile;
use kakunin_verify::revocation::crl::CrlSource;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::signer::AgentSigner;
use kakunin_verify::verifier::{Denial, HttpRequest, VerifiedRequest};
use kakunin_verify::{ManualClock, Revocation, Verifier};
use serde_json::Value;

use crate::common::{read, sign_with, Signed, AUDIENCE};

pub const ROUTES: &str = "POST /v1/orders submit_order trade\n";
pub const TRADE: &str = r#"{"market":"BTC-USD","size":100}"#;

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kakunin")
}

pub fn manifest() -> &'static Value {
    static M: OnceLock<Value> = OnceLock::new();
    M.get_or_init(|| serde_json::from_slice(&read(dir().join("manifest.json"))).unwrap())
}

fn named(list: &str, name: &str) -> &'static Value {
    manifest()[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no fixture {list}/{name}"))
}

pub fn leaf(name: &str) -> &'static Value {
    named("leaves", name)
}

pub fn webhook_fixture(name: &str) -> &'static Value {
    named("webhooks", name)
}

pub fn now_ms() -> u64 {
    kakunin_verify::time::parse_time_ms(manifest()["now"].as_str().unwrap()).unwrap()
}

pub fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add_roots_pem(&read(dir().join("root.pem"))).unwrap();
    t.add_intermediates_pem(&read(dir().join("intermediate.pem")))
        .unwrap();
    t
}

pub fn file(name: &str) -> Vec<u8> {
    read(dir().join(name))
}

/// The CRLs `names` (e.g. `crl`, `crl_2`), PEM as Kakunin serves them.
pub fn crls(names: &[&str]) -> CrlSource {
    let pems: Vec<Vec<u8>> = names.iter().map(|n| file(&format!("{n}.pem"))).collect();
    let refs: Vec<&[u8]> = pems.iter().map(Vec::as_slice).collect();
    CrlSource::from_pem_or_der(&refs).unwrap()
}

/// A verifier with the profile (scope `submit_order`, venue Kraken), the
/// clock at the manifest's "now", and `revocation`.
pub fn verifier(revocation: Revocation) -> Arc<Verifier> {
    Arc::new(
        Verifier::builder(trust())
            .audience(AUDIENCE)
            .routes(ROUTES.parse::<RouteTable>().unwrap())
            .clock(Arc::new(ManualClock::new(now_ms())))
            .kakunin_profile(
                KakuninProfile::new()
                    .scopes(["submit_order"])
                    .venue("kraken"),
            )
            .revocation(revocation)
            .build()
            .unwrap(),
    )
}

pub fn signer(name: &str) -> AgentSigner {
    let l = leaf(name);
    AgentSigner::from_pem(
        &file(l["key_file"].as_str().unwrap()),
        &file(l["file"].as_str().unwrap()),
        None,
    )
    .unwrap()
}

/// A trade signed by `name`'s key, carrying its certified model hash.
pub fn trade(name: &str) -> Signed {
    let weights = leaf(name)["weights_sha256"].as_str();
    sign_with(
        &signer(name),
        "POST",
        "/v1/orders",
        TRADE,
        now_ms(),
        weights,
        None,
    )
}

/// Runs a signed request through the verifier, awaiting it (for sources
/// that need the tokio runtime).
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
pub async fn verify_async(v: &Verifier, s: &Signed) -> Result<VerifiedRequest, Denial> {
    let pairs: Vec<(&str, &[u8])> = s
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    v.verify(&HttpRequest::new(&s.method, &s.target, &pairs, &s.body))
        .await
}

/// The denial code of the named fixture's trade, awaited.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
pub async fn code_async(v: &Verifier, name: &str) -> Option<&'static str> {
    verify_async(v, &trade(name))
        .await
        .err()
        .map(|d| d.error.code().as_str())
}

/// A webhook delivery fixture: its headers (name, value) and raw body.
pub struct Delivery {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Delivery {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn delivery(name: &str) -> Delivery {
    let w = webhook_fixture(name);
    let headers = w["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(n, v)| (n.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    Delivery {
        headers,
        body: file(w["body_file"].as_str().unwrap()),
    }
}

pub fn secret() -> Vec<u8> {
    manifest()["webhook_secret"]
        .as_str()
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// A reqwest client (plain HTTP to 127.0.0.1; the ring provider for TLS).
#[allow(dead_code)]
pub fn http_client() -> reqwest::Client {
    use tokio_rustls::rustls;
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .build()
        .unwrap()
}

/// POSTs `body` to `url` with `headers` (repeated names sent repeatedly);
/// the status.
#[allow(dead_code)]
pub async fn post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    let mut req = http_client().post(url).body(body.to_vec());
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    req.send().await.unwrap().status().as_u16()
}

/// SPEC 10 through a framework's webhook route at `url` serving `v`:
/// mixed, truncated and repeated-header deliveries are refused (401) and
/// revoke nothing; Kakunin's delivery as its service sends it (all its
/// headers) is applied (204) and the agent is refused at once.
#[allow(dead_code)]
pub async fn webhook_route_cases(url: &str, v: &Verifier) {
    let d = delivery("revoked_leaf_negative");
    let sig = d.header("x-kakunin-signature").unwrap();
    let ts = d.header("x-kakunin-timestamp").unwrap();
    let mixed = delivery("revoked_leaf_negative_mixed");
    let mixed_headers: Vec<(&str, &str)> = mixed
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let spec73 = delivery("revoked_leaf_negative_spec73");
    let spec73_sig = spec73.header("x-kakunin-signature").unwrap();
    let truncated_sig = &sig[..sig.len() - 2];
    let refused: Vec<Vec<(&str, &str)>> = vec![
        mixed_headers,
        vec![("X-Kakunin-Signature", sig)],
        vec![("X-Kakunin-Timestamp", ts)],
        vec![],
        vec![
            ("X-Kakunin-Signature", truncated_sig),
            ("X-Kakunin-Timestamp", ts),
        ],
        vec![
            ("X-Kakunin-Signature", "sha256="),
            ("X-Kakunin-Timestamp", ts),
        ],
        vec![("X-Kakunin-Signature", sig), ("X-Kakunin-Timestamp", "")],
        vec![
            ("X-Kakunin-Signature", sig),
            ("X-Kakunin-Timestamp", ts),
            ("X-Kakunin-Timestamp", ts),
        ],
        vec![
            ("X-Kakunin-Signature", sig),
            ("X-Kakunin-Signature", sig),
            ("X-Kakunin-Timestamp", ts),
        ],
        vec![
            ("X-Kakunin-Signature", spec73_sig),
            ("X-Kakunin-Timestamp", ts),
        ],
    ];
    for headers in &refused {
        assert_eq!(post(url, headers, &d.body).await, 401, "{headers:?}");
    }
    assert_eq!(trade("leaf_negative").code(v), None);
    let all: Vec<(&str, &str)> = d
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(post(url, &all, &d.body).await, 204);
    assert_eq!(trade("leaf_negative").code(v), Some("certificate_revoked"));
    // Another Kakunin-form delivery: the 32-digit serial with a leading 00.
    let hook = delivery("revoked_leaf_15octet");
    assert_eq!(trade("leaf_15octet").code(v), None);
    let headers = [
        (
            "X-Kakunin-Signature",
            hook.header("x-kakunin-signature").unwrap(),
        ),
        (
            "X-Kakunin-Timestamp",
            hook.header("x-kakunin-timestamp").unwrap(),
        ),
    ];
    assert_eq!(post(url, &headers, &hook.body).await, 204);
    assert_eq!(trade("leaf_15octet").code(v), Some("certificate_revoked"));
    // SPEC 7.3's form alone is still applied.
    assert_eq!(
        post(url, &[("X-Kakunin-Signature", spec73_sig)], &spec73.body).await,
        204
    );
}
