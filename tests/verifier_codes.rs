//! One test per SPEC section 6 code that request verification can produce,
//! through the library API, with freshly signed requests over the shared
//! v1 PKI. Each asserts the code the SPEC's order of checks decides.

mod common;
#[path = "verifier_codes/revocation.rs"]
mod revocation;

use std::sync::Arc;

use common::*;
use kakunin_verify::replay::{MemoryNonceStore, NonceStoreConfig};
use kakunin_verify::{ManualClock, Revocation, Verifier};

const TRADE: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;

fn verifier() -> Verifier {
    v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .build()
        .unwrap()
}

fn desk() -> kakunin_verify::signer::AgentSigner {
    v1_signer("desk_bot_1")
}

#[test]
fn a_valid_trade_is_allowed_with_a_complete_audit_record() {
    let v = verifier();
    let ok = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS)
        .verify(&v)
        .unwrap();
    assert_eq!(ok.agent_id(), "desk_bot_1");
    assert_eq!(ok.scope(), "submit_limit_order");
    let a = ok.audit();
    assert_eq!(
        (a.decision, a.event_type, a.code, a.http_status),
        ("allow", "action.allowed", None, 200)
    );
    assert_eq!(a.agent_id.as_deref(), Some("desk_bot_1"));
    assert_eq!(
        a.cert_serial.as_deref(),
        Some("021a031ffc0717869e5bd1e49905da4af269aa22")
    );
    assert_eq!(a.signature_valid, Some(true));
    assert_eq!(a.scope_check_passed, Some(true));
    let action = a.action.clone().unwrap();
    assert_eq!(
        (action.market.as_deref(), action.size.as_deref()),
        (Some("EUR_USD"), Some("45000"))
    );
    assert_eq!(a.verified_at, "2026-07-01T09:15:00.000Z");
    assert_eq!(a.request_timestamp_ms, Some(NOW_MS));
    // The application gets the verified value, not the raw bytes.
    assert_eq!(
        ok.body().canonical_bytes(),
        br#"{"direction":"BUY","market":"EUR_USD","size":45000}"#
    );
}

#[test]
fn malformed_request_for_each_header_and_target_rule() {
    let v = verifier();
    let base = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS);
    let cases: Vec<(&str, common::Signed)> = vec![
        (
            "duplicate nonce",
            base.clone()
                .add_header("x-agent-nonce", "abcdefghijklmnopq"),
        ),
        (
            "method override",
            base.clone().add_header("X-HTTP-Method-Override", "GET"),
        ),
        ("gzip", base.clone().add_header("Content-Encoding", "gzip")),
        (
            "missing signature",
            base.clone().remove_header("X-Agent-Signature"),
        ),
        (
            "missing certificate",
            base.clone().remove_header("X-Agent-Certificate"),
        ),
        ("missing nonce", base.clone().remove_header("X-Agent-Nonce")),
        (
            "missing audience",
            base.clone().remove_header("X-Agent-Audience"),
        ),
        (
            "missing timestamp",
            base.clone().remove_header("X-Agent-Timestamp"),
        ),
        (
            "short nonce",
            base.clone().set_header("X-Agent-Nonce", "abc"),
        ),
        (
            "signed timestamp",
            base.clone()
                .set_header("X-Agent-Timestamp", "+1782897300000"),
        ),
        (
            "unknown algorithm",
            base.clone()
                .set_header("X-Agent-Signature-Algorithm", "hmac-sha256"),
        ),
        (
            "uppercase hash",
            base.clone()
                .set_header("X-Agent-Model-Sha256", &"A".repeat(64)),
        ),
        (
            "non-canonical base64",
            base.clone().set_header("X-Agent-Signature", "AAF="),
        ),
        (
            "empty chain element",
            base.clone().set_header("X-Agent-Chain", "AAEC,,AAEC"),
        ),
        (
            "oversized header",
            base.clone()
                .add_header("X-Padding", &"a".repeat(16 * 1024 + 1)),
        ),
    ];
    for (name, req) in cases {
        assert_eq!(req.code(&v), Some("malformed_request"), "{name}");
    }
    for target in [
        "/v1/../v1/trades",
        "/v1//trades",
        "/v1/trades;x=1",
        "/v1/%2e%2e/trades",
        "/v1/trades/",
    ] {
        let mut r = base.clone();
        r.target = target.to_owned();
        assert_eq!(r.code(&v), Some("malformed_request"), "{target}");
    }
}

#[test]
fn audience_mismatch_before_target_and_body() {
    let v = verifier();
    let mut r = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS)
        .set_header("X-Agent-Audience", "api.other.example");
    r.target = "/v1/../x".into();
    assert_eq!(r.code(&v), Some("audience_mismatch"));
}

#[test]
fn malformed_body_and_body_too_large() {
    let v = verifier();
    let base = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS);
    for body in [
        r#"{"market":"EUR_USD","m\u0061rket":"GBP_USD","size":1}"#,
        r#"[1,2]"#,
        r#"{"market":"EUR_USD","MARKET":"GBP_USD","size":1}"#,
        r#"{"market":"EUR_USD","size":45000.00000000000001}"#,
        r#"{"id":2305843009213693951}"#,
        "\u{feff}{}",
        r#"{"a":"\ud800"}"#,
    ] {
        let mut r = base.clone();
        r.body = body.as_bytes().to_vec();
        assert_eq!(r.code(&v), Some("malformed_body"), "{body}");
    }
    let small = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .max_body_bytes(16)
        .build()
        .unwrap();
    assert_eq!(base.code(&small), Some("body_too_large"));
}

#[test]
fn freshness_bounds_are_inclusive_and_checked_before_the_certificate() {
    let v = verifier();
    let d = desk();
    assert_eq!(
        sign(&d, "POST", "/v1/trades", TRADE, NOW_MS - 60_000).code(&v),
        None
    );
    assert_eq!(
        sign(&d, "POST", "/v1/trades", TRADE, NOW_MS - 60_001).code(&v),
        Some("timestamp_expired")
    );
    assert_eq!(
        sign(&d, "POST", "/v1/trades", TRADE, NOW_MS + 5_000).code(&v),
        None
    );
    assert_eq!(
        sign(&d, "POST", "/v1/trades", TRADE, NOW_MS + 5_001).code(&v),
        Some("timestamp_in_future")
    );
    // A stale request with a garbage certificate is refused for staleness.
    let junk = sign(&d, "POST", "/v1/trades", TRADE, NOW_MS - 120_000)
        .set_header("X-Agent-Certificate", "AAEC");
    assert_eq!(junk.code(&v), Some("timestamp_expired"));
}

#[test]
fn malformed_certificate_and_expiry_and_untrusted() {
    let v = verifier();
    let r = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS)
        .set_header("X-Agent-Certificate", "AAEC");
    let denial = r.verify(&v).unwrap_err();
    assert_eq!(denial.error.code().as_str(), "malformed_certificate");
    assert_eq!(denial.audit.agent_id, None);
    assert_eq!(
        sign(
            &v1_signer("expired_bot"),
            "POST",
            "/v1/trades",
            TRADE,
            NOW_MS
        )
        .code(&v),
        Some("certificate_expired")
    );
    // Before the leaf's notBefore (2026-05-28).
    let early_ms = 1_779_000_000_000;
    let early = v1_builder(Arc::new(ManualClock::new(early_ms)))
        .build()
        .unwrap();
    assert_eq!(
        sign(&desk(), "POST", "/v1/trades", TRADE, early_ms).code(&early),
        Some("certificate_not_yet_valid")
    );
    // A verifier that pins another root trusts none of these agents.
    let mut other = kakunin_verify::chain::TrustStore::new();
    other
        .add_roots_pem(&read(v1_dir().join("intermediate.pem")))
        .unwrap();
    let foreign = kakunin_verify::Verifier::builder(kakunin_verify::chain::TrustStore::new())
        .audience(AUDIENCE)
        .revocation(Revocation::Disabled)
        .build();
    assert!(
        foreign.is_err(),
        "a verifier with no pinned root must not build"
    );
}

#[test]
fn untrusted_chain_names_the_claim_not_the_agent() {
    // p15 carries a chain to a root that is not pinned.
    let raw = kakunin_verify::rawhttp::RawRequest::parse(&read(v1_dir().join("p15.http"))).unwrap();
    let pairs = raw.header_pairs();
    let req = kakunin_verify::HttpRequest::new(&raw.method, &raw.target, &pairs, &raw.body);
    let denial = pollster::block_on(verifier().verify(&req)).unwrap_err();
    assert_eq!(denial.error.code().as_str(), "untrusted_chain");
    assert_eq!(
        denial.audit.agent_id, None,
        "agent_id only after the chain validated"
    );
    assert_eq!(denial.audit.claimed_agent_id.as_deref(), Some("desk_bot_1"));
}

#[test]
fn signature_invalid_for_tampering_and_for_a_mismatched_algorithm() {
    let v = verifier();
    let mut r = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS);
    r.body = br#"{"market":"EUR_USD","size":45001,"direction":"BUY"}"#.to_vec();
    let d = r.verify(&v).unwrap_err();
    assert_eq!(d.error.code().as_str(), "signature_invalid");
    assert_eq!(d.audit.signature_valid, Some(false));
    let r = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS)
        .set_header("X-Agent-Signature-Algorithm", "ed25519");
    assert_eq!(r.code(&v), Some("signature_invalid"));
    // The audience, method and target are all signed.
    let mut r = sign(&desk(), "GET", "/v1/orderbook", "", NOW_MS);
    r.method = "HEAD".into();
    assert_eq!(r.code(&v), Some("signature_invalid"));
    let mut r = sign(&desk(), "GET", "/v1/orderbook", "", NOW_MS);
    r.target = "/v1/orderbook?depth=5".into();
    assert_eq!(r.code(&v), Some("signature_invalid"));
}

#[test]
fn rsa_pss_signatures_verify() {
    let v = verifier();
    let pss = desk()
        .with_algorithm(kakunin_verify::signature::SignatureAlgorithm::RsaPssSha256)
        .unwrap();
    assert_eq!(
        sign(&pss, "POST", "/v1/trades", TRADE, NOW_MS).code(&v),
        None
    );
}

#[test]
fn replayed_request_and_overloaded_and_agent_share() {
    let v = verifier();
    let r = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS);
    assert_eq!(r.code(&v), None);
    assert_eq!(r.code(&v), Some("replayed_request"));
    // A full store denies rather than forgetting a live nonce.
    let store = MemoryNonceStore::new(NonceStoreConfig {
        capacity: 2,
        max_agent_share_percent: 100,
    })
    .unwrap();
    let full = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .nonce_store(Arc::new(store))
        .build()
        .unwrap();
    assert_eq!(
        sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS).code(&full),
        None
    );
    assert_eq!(
        sign(
            &v1_signer("eth_exec_01"),
            "GET",
            "/v1/orderbook",
            "",
            NOW_MS
        )
        .code(&full),
        Some("action_not_allowed")
    );
    assert_eq!(
        sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS).code(&full),
        Some("overloaded")
    );
    // One agent's share of the store.
    let store = MemoryNonceStore::new(NonceStoreConfig {
        capacity: 10,
        max_agent_share_percent: 10,
    })
    .unwrap();
    let shared = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .nonce_store(Arc::new(store))
        .build()
        .unwrap();
    assert_eq!(
        sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS).code(&shared),
        None
    );
    assert_eq!(
        sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS).code(&shared),
        Some("rate_limited")
    );
    assert_eq!(
        sign(
            &v1_signer("report_bot"),
            "GET",
            "/data/processed/x",
            "",
            NOW_MS
        )
        .code(&shared),
        None
    );
}

#[test]
fn replay_protection_is_optional_only_for_get_and_head() {
    let v = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .replay_optional_for_safe_methods(true)
        .build()
        .unwrap();
    let signer = desk();
    let headers = signer
        .sign(&kakunin_verify::signer::RequestToSign {
            audience: AUDIENCE,
            method: "GET",
            target: "/v1/orderbook",
            body: b"",
            timestamp_ms: NOW_MS,
            nonce: None,
            model_sha256: None,
            prompt_sha256: None,
        })
        .unwrap();
    let get = common::Signed {
        method: "GET".into(),
        target: "/v1/orderbook".into(),
        headers: headers
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v.into_bytes()))
            .collect(),
        body: Vec::new(),
        tls: None,
    };
    assert_eq!(get.code(&v), None);
    assert_eq!(get.code(&v), None, "no nonce, no replay record");
    let post = sign(&signer, "POST", "/v1/trades", TRADE, NOW_MS).remove_header("X-Agent-Nonce");
    assert_eq!(post.code(&v), Some("malformed_request"));
}

#[test]
fn authorization_codes_in_order() {
    let v = verifier();
    let d = desk();
    assert_eq!(
        sign(
            &v1_signer("no_policy_bot"),
            "POST",
            "/v1/trades",
            TRADE,
            NOW_MS
        )
        .code(&v),
        Some("policy_missing")
    );
    assert_eq!(
        sign(&d, "GET", "/v1/unknown", "", NOW_MS).code(&v),
        Some("action_not_allowed")
    );
    assert_eq!(
        sign(&d, "DELETE", "/v1/orders/42", "", NOW_MS).code(&v),
        Some("action_not_allowed")
    );
    assert_eq!(
        sign(&d, "HEAD", "/v1/orderbook", "", NOW_MS).code(&v),
        Some("action_not_allowed")
    );
    let t = |body: &str| sign(&d, "POST", "/v1/trades", body, NOW_MS).code(&v);
    assert_eq!(
        t(r#"{"market":"USD_JPY","size":1}"#),
        Some("market_not_allowed")
    );
    assert_eq!(t(r#"{"market":"EUR_USD"}"#), Some("malformed_body"));
    assert_eq!(t(r#"{"size":1}"#), Some("malformed_body"));
    assert_eq!(
        t(r#"{"market":"EUR_USD","size":"1"}"#),
        Some("malformed_body")
    );
    assert_eq!(
        t(r#"{"market":"EUR_USD","size":-1}"#),
        Some("malformed_body")
    );
    assert_eq!(t(""), Some("malformed_body"));
    // SPEC 5.3: exact decimal comparison against 50000.
    assert_eq!(t(r#"{"market":"EUR_USD","size":4.5e4}"#), None);
    assert_eq!(t(r#"{"market":"EUR_USD","size":50000.00}"#), None);
    assert_eq!(t(r#"{"market":"EUR_USD","size":50000}"#), None);
    assert_eq!(
        t(r#"{"market":"EUR_USD","size":50000.01}"#),
        Some("amount_exceeds_limit")
    );
    assert_eq!(t(r#"{"market":"EUR_USD","size":5E4}"#), None);
    assert_eq!(t(r#"{"market":"EUR_USD","size":0}"#), None);
    // The market is checked before the size.
    assert_eq!(
        t(r#"{"market":"USD_JPY","size":99999999}"#),
        Some("market_not_allowed")
    );
}

#[test]
fn data_paths_use_read_for_get_and_write_otherwise() {
    let v = verifier();
    let r = v1_signer("report_bot");
    assert_eq!(
        sign(&r, "GET", "/data/processed/2026/q2.csv", "", NOW_MS).code(&v),
        None
    );
    assert_eq!(
        sign(&r, "GET", "/data/raw/x", "", NOW_MS).code(&v),
        Some("path_denied")
    );
    assert_eq!(
        sign(&r, "GET", "/data/other", "", NOW_MS).code(&v),
        Some("path_denied")
    );
    assert_eq!(sign(&r, "PUT", "/reports/q2", "{}", NOW_MS).code(&v), None);
    assert_eq!(
        sign(&r, "PUT", "/data/processed/x", "{}", NOW_MS).code(&v),
        Some("action_not_allowed")
    );
}

const WEIGHTS: &str = "7940420accc6374d6d07c7058ab025cf6915faa1eaebbabd30a3de5d32db2dc9";
const PROMPT: &str = "9b0e18602dc8b3c5f94f4f0af8f95a0482790025b159638be554b1046241a8ca";

#[test]
fn model_provenance_and_inventory() {
    let v = verifier();
    let e = v1_signer("eth_exec_01");
    let body = r#"{"market":"ETH_USD","size":2.5}"#;
    let s =
        |m: Option<&str>, p: Option<&str>| sign_with(&e, "POST", "/v1/trades", body, NOW_MS, m, p);
    assert_eq!(s(Some(WEIGHTS), Some(PROMPT)).code(&v), None);
    assert_eq!(s(None, Some(PROMPT)).code(&v), Some("model_mismatch"));
    assert_eq!(s(Some(WEIGHTS), None).code(&v), Some("model_mismatch"));
    assert_eq!(
        s(Some(PROMPT), Some(PROMPT)).code(&v),
        Some("model_mismatch")
    );
    assert_eq!(
        sign_with(
            &e,
            "POST",
            "/v1/trades",
            r#"{"market":"ETH_USD","size":2.51}"#,
            NOW_MS,
            Some(WEIGHTS),
            Some(PROMPT)
        )
        .code(&v),
        Some("amount_exceeds_limit")
    );
    let inv = |text: &str| {
        v1_builder(Arc::new(ManualClock::new(NOW_MS)))
            .model_inventory(kakunin_verify::authorization::ModelInventory::parse(text).unwrap())
            .build()
            .unwrap()
    };
    assert_eq!(s(Some(WEIGHTS), Some(PROMPT)).code(&inv(WEIGHTS)), None);
    assert_eq!(
        s(Some(WEIGHTS), Some(PROMPT)).code(&inv(PROMPT)),
        Some("model_mismatch")
    );
    // A certificate that certifies no weights fails any inventory.
    assert_eq!(
        sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS).code(&inv(WEIGHTS)),
        Some("model_mismatch")
    );
}

#[test]
fn mtls_certificate_comes_from_the_tls_layer() {
    let v = verifier();
    let d = desk();
    let mut r = sign(&d, "POST", "/v1/trades", TRADE, NOW_MS).remove_header("X-Agent-Certificate");
    r.tls = Some(d.certificate().der().to_vec());
    assert_eq!(r.code(&v), None);
    // A header naming another certificate than the TLS one is refused.
    let mut r = sign(&d, "POST", "/v1/trades", TRADE, NOW_MS);
    r.tls = Some(v1_signer("report_bot").certificate().der().to_vec());
    assert_eq!(r.code(&v), Some("malformed_request"));
}

#[test]
fn the_cached_path_gives_the_same_decisions_and_expires_with_the_clock() {
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let v = v1_builder(clock.clone()).build().unwrap();
    let d = desk();
    assert_eq!(sign(&d, "POST", "/v1/trades", TRADE, NOW_MS).code(&v), None);
    assert_eq!(
        sign(&d, "POST", "/v1/trades", TRADE, NOW_MS).code(&v),
        None,
        "cached"
    );
    // Past the leaf's notAfter (2027-05-28) the cached chain is not used.
    let after = 1_811_548_800_000 + 1000;
    clock.set_ms(after);
    assert_eq!(
        sign(&d, "POST", "/v1/trades", TRADE, after).code(&v),
        Some("certificate_expired")
    );
}

#[test]
fn base64_syntax_is_step_one_before_freshness_and_certificates() {
    let v = verifier();
    // A stale request whose signature is not canonical base64: step 1 decides.
    let r = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS - 120_000)
        .set_header("X-Agent-Signature", "AAF=");
    assert_eq!(r.code(&v), Some("malformed_request"));
    // An expired agent whose certificate header has a line break: step 1 decides.
    let e = sign(
        &v1_signer("expired_bot"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
    );
    let cert = e
        .headers
        .iter()
        .find(|(n, _)| n == "X-Agent-Certificate")
        .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
        .unwrap();
    let broken = format!("{} {}", &cert[..40], &cert[40..]);
    assert_eq!(
        e.clone()
            .set_header("X-Agent-Certificate", &broken)
            .code(&v),
        Some("malformed_request")
    );
    assert_eq!(e.code(&v), Some("certificate_expired"));
    // Once a certificate is cached, a non-canonical spelling of it is still refused.
    let d = desk();
    assert_eq!(sign(&d, "POST", "/v1/trades", TRADE, NOW_MS).code(&v), None);
    let ok = sign(&d, "POST", "/v1/trades", TRADE, NOW_MS);
    let cert = ok
        .headers
        .iter()
        .find(|(n, _)| n == "X-Agent-Certificate")
        .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
        .unwrap();
    let unpadded = cert.trim_end_matches('=').to_owned();
    if unpadded != cert {
        assert_eq!(
            ok.set_header("X-Agent-Certificate", &unpadded).code(&v),
            Some("malformed_request")
        );
    }
}
