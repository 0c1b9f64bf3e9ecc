//! SPEC 10 (revision 1.2), profile `kakunin-2026`: real Kakunin certificates
//! (node-forge fixtures under testdata/kakunin/, expectations read from its
//! manifest.json) through the whole verifier — with the profile, and
//! without it, where they fail exactly as sections 2–3 say.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{read, sign_with, Signed};
use kakunin_verify::authorization::ModelInventory;
use kakunin_verify::certificate::{AgentCertificate, ExtensionOids, SerialForm};
use kakunin_verify::chain::TrustStore;
use kakunin_verify::profile::kakunin::KakuninProfile;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::signer::AgentSigner;
use kakunin_verify::{ManualClock, Revocation, Verifier, VerifierBuilder};
use serde_json::Value;

const ROUTES: &str = "POST /v1/orders submit_order trade\nGET /v1/account read_account\n";
const TRADE: &str = r#"{"market":"BTC-USD","size":100}"#;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kakunin")
}

fn manifest() -> Value {
    serde_json::from_slice(&read(dir().join("manifest.json"))).unwrap()
}

fn leaf(name: &str) -> Value {
    manifest()["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .clone()
}

fn now_ms() -> u64 {
    kakunin_verify::time::parse_time_ms(manifest()["now"].as_str().unwrap()).unwrap()
}

fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add_roots_pem(&read(dir().join("root.pem"))).unwrap();
    t.add_intermediates_pem(&read(dir().join("intermediate.pem")))
        .unwrap();
    t
}

fn builder() -> VerifierBuilder {
    Verifier::builder(trust())
        .audience(common::AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(Arc::new(ManualClock::new(now_ms())))
        .revocation(Revocation::Disabled)
}

fn profile() -> KakuninProfile {
    KakuninProfile::new()
        .scopes(["submit_order"])
        .venue("kraken")
}

fn with_profile() -> Verifier {
    builder().kakunin_profile(profile()).build().unwrap()
}

fn without_profile() -> Verifier {
    builder().build().unwrap()
}

fn signer(name: &str) -> AgentSigner {
    let l = leaf(name);
    AgentSigner::from_pem(
        &read(dir().join(l["key_file"].as_str().unwrap())),
        &read(dir().join(l["file"].as_str().unwrap())),
        None,
    )
    .unwrap()
}

/// A trade signed by `name`'s key, carrying its certified model hash.
fn trade(name: &str, body: &str) -> Signed {
    let l = leaf(name);
    let weights = l["weights_sha256"].as_str();
    sign_with(
        &signer(name),
        "POST",
        "/v1/orders",
        body,
        now_ms(),
        weights,
        None,
    )
}

fn code(name: &str, body: &str, v: &Verifier) -> Option<&'static str> {
    trade(name, body).code(v)
}

const SERIAL_KINDS: [&str; 7] = [
    "leaf_negative",
    "leaf_15octet",
    "leaf_ff15octet",
    "leaf_positive",
    "leaf_sign_octet",
    "leaf_nonminimal",
    "leaf_root_direct",
];

// SPEC 10: a profile certificate of each serial kind (negative, 15-octet,
// positive, non-minimal; with and without an intermediate) verifies a
// signed request end to end; the audit carries the 32-digit serial text.
#[test]
fn spec_10_every_serial_kind_verifies_with_the_profile() {
    let v = with_profile();
    for name in SERIAL_KINDS {
        let l = leaf(name);
        let ok = trade(name, TRADE)
            .verify(&v)
            .unwrap_or_else(|d| panic!("{name}: {:?}", d.error));
        assert_eq!(ok.agent_id(), l["agent_id"].as_str().unwrap(), "{name}");
        let serial = ok.audit().cert_serial.clone().unwrap();
        assert_eq!(serial, l["profile_serial"].as_str().unwrap(), "{name}");
        assert_eq!(serial.len(), 32, "{name}");
    }
}

// SPEC 10: "without it, they fail as sections 2–3 say": a non-minimal
// serial is malformed_certificate when the leaf is parsed (DER, SPEC 5.1
// step 3); a leaf the root issued itself is untrusted_chain (SPEC 2: one or
// more intermediates; the chain is step 4); a negative serial is
// malformed_certificate (SPEC 2, step 5); a positive one authenticates but
// carries no agentPolicy (policy_missing).
#[test]
fn spec_10_without_the_profile_sections_2_and_3_decide() {
    let v = without_profile();
    for name in SERIAL_KINDS {
        let l = leaf(name);
        let expected = if l["serial_minimal"] == false {
            "malformed_certificate"
        } else if l["issuer"] == "root" {
            "untrusted_chain"
        } else if l["serial_negative"] == true {
            "malformed_certificate"
        } else {
            "policy_missing"
        };
        assert_eq!(code(name, TRADE, &v), Some(expected), "{name}");
    }
}

// SPEC 10 / 5.3: the scope's max_single_trade_usd (25000.5) is maxTransaction,
// compared exactly.
#[test]
fn spec_10_size_above_max_single_trade_is_refused() {
    let v = with_profile();
    let ok = r#"{"market":"BTC-USD","size":25000.5}"#;
    let over = r#"{"market":"BTC-USD","size":25000.51}"#;
    assert_eq!(code("leaf_positive", ok, &v), None);
    assert_eq!(
        code("leaf_positive", over, &v),
        Some("amount_exceeds_limit")
    );
    // No max_single_trade_usd: no maxTransaction, so every size is refused.
    assert_eq!(
        code("scope_no_max_single_trade_usd", TRADE, &v),
        Some("amount_exceeds_limit")
    );
}

// SPEC 10 / 5.3: permitted_instruments is allowedMarkets (no list: deny).
#[test]
fn spec_10_market_outside_permitted_instruments_is_refused() {
    let v = with_profile();
    let body = r#"{"market":"SOL-USD","size":1}"#;
    assert_eq!(code("leaf_positive", body, &v), Some("market_not_allowed"));
    assert_eq!(
        code("scope_no_permitted_instruments", TRADE, &v),
        Some("market_not_allowed")
    );
}

// SPEC 10 venues: the configured venue must be in permitted_venues (ASCII
// case-insensitively; no list: deny), else action_not_allowed; without a
// venue configured, venues are not checked.
#[test]
fn spec_10_venue_rule() {
    let kraken = with_profile();
    assert_eq!(
        code("leaf_positive", TRADE, &kraken),
        None,
        "Kraken ~ kraken"
    );
    let coinbase = builder()
        .kakunin_profile(
            KakuninProfile::new()
                .scopes(["submit_order"])
                .venue("Coinbase"),
        )
        .build()
        .unwrap();
    assert_eq!(
        code("leaf_positive", TRADE, &coinbase),
        Some("action_not_allowed")
    );
    assert_eq!(
        code("scope_no_permitted_venues", TRADE, &kraken),
        Some("action_not_allowed")
    );
    let no_venue = builder()
        .kakunin_profile(KakuninProfile::new().scopes(["submit_order"]))
        .build()
        .unwrap();
    assert_eq!(code("scope_no_permitted_venues", TRADE, &no_venue), None);
}

// SPEC 10 leverage, after the size: <= max_leverage_ratio when permitted,
// <= 1 when not (absent means 1), else amount_exceeds_limit.
#[test]
fn spec_10_leverage_rule() {
    let v = with_profile();
    let lev = |x: &str| format!(r#"{{"market":"BTC-USD","size":100,"leverage":{x}}}"#);
    assert_eq!(code("leaf_positive", &lev("3"), &v), None);
    assert_eq!(
        code("leaf_positive", &lev("3.01"), &v),
        Some("amount_exceeds_limit")
    );
    assert_eq!(code("scope_leverage_false", TRADE, &v), None);
    assert_eq!(code("scope_leverage_false", &lev("1"), &v), None);
    assert_eq!(
        code("scope_leverage_false", &lev("2"), &v),
        Some("amount_exceeds_limit")
    );
    // leverage_permitted absent: default false.
    assert_eq!(
        code("scope_no_leverage_permitted", &lev("1.5"), &v),
        Some("amount_exceeds_limit")
    );
    // Permitted without a ratio: no ceiling.
    assert_eq!(code("scope_no_max_leverage_ratio", &lev("50"), &v), None);
    // Checked after the size: an oversize trade is refused for its size.
    let both = r#"{"market":"BTC-USD","size":30000,"leverage":9}"#;
    let err = trade("leaf_positive", both).verify(&v).unwrap_err();
    assert!(err.error.to_string().contains("maxTransaction"), "{err:?}");
    assert_eq!(
        code(
            "leaf_positive",
            r#"{"market":"BTC-USD","size":1,"leverage":"2"}"#,
            &v
        ),
        Some("malformed_body")
    );
}

// SPEC 10 / 5.3: daily_limit_usd (100000) is the dailyLimit: four allowed
// trades of 25000 reach it exactly; the next one is amount_exceeds_limit.
#[test]
fn spec_10_daily_limit_is_enforced() {
    let v = with_profile();
    let body = r#"{"market":"ETH-USD","size":25000}"#;
    for i in 0..4 {
        assert_eq!(code("leaf_negative", body, &v), None, "trade {i}");
    }
    let one = r#"{"market":"ETH-USD","size":0.01}"#;
    assert_eq!(code("leaf_negative", one, &v), Some("amount_exceeds_limit"));
    // Another agent has its own total.
    assert_eq!(code("leaf_positive", body, &v), None);
    // No daily_limit_usd: no daily total is kept.
    for _ in 0..5 {
        assert_eq!(code("scope_no_daily_limit_usd", body, &v), None);
    }
}

// SPEC 10: daily_limit_usd is the policy's dailyLimit, in USD (enforced by
// the daily limiter of SPEC 5.3).
#[test]
fn spec_10_daily_limit_is_mapped() {
    let l = leaf("leaf_positive");
    let cert = AgentCertificate::from_pem_or_der_with(
        &read(dir().join(l["file"].as_str().unwrap())),
        &ExtensionOids::default(),
        Some(&profile()),
    )
    .unwrap();
    let policy = cert.policy().as_result().unwrap().unwrap();
    let daily = policy.daily_limit.as_ref().unwrap();
    assert_eq!(daily.value().to_string(), "100000");
    assert_eq!(daily.currency.as_deref(), Some("USD"));
    assert_eq!(
        policy.max_transaction.as_ref().unwrap().value().to_string(),
        "25000.5"
    );
    assert_eq!(cert.serial_form(), SerialForm::Kakunin2026);
    let big = AgentCertificate::from_pem_or_der_with(
        &read(dir().join(leaf("scope_exponent_number")["file"].as_str().unwrap())),
        &ExtensionOids::default(),
        Some(&profile()),
    )
    .unwrap();
    let p = big.policy().as_result().unwrap().unwrap();
    assert_eq!(
        p.daily_limit.as_ref().unwrap().value().to_string(),
        format!("1{}", "0".repeat(21))
    );
}

// SPEC 10: every malformed scope is policy_invalid (step 5), no panic.
#[test]
fn spec_10_every_invalid_scope_is_policy_invalid() {
    let v = with_profile();
    let m = manifest();
    let invalid: Vec<&Value> = m["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["scope_valid"] == false)
        .collect();
    assert!(invalid.len() >= 10, "fixtures cover the invalid scopes");
    for l in invalid {
        let name = l["name"].as_str().unwrap();
        let denial = trade(name, TRADE).verify(&v).unwrap_err();
        assert_eq!(denial.error.code().as_str(), "policy_invalid", "{name}");
        // SPEC 8: the chain validated (step 4) before the policy was
        // refused (step 5), so the agent is named, not only its claim.
        assert_eq!(
            denial.audit.agent_id.as_deref(),
            l["agent_id"].as_str(),
            "{name}"
        );
    }
}

// SPEC 10: the scope variants that are valid verify (minimal `{}` grants
// nothing financial: no maxTransaction, so a trade is refused by size only
// after its market — no list — is refused).
#[test]
fn spec_10_valid_scope_variants() {
    let v = with_profile();
    for name in [
        "scope_full",
        "scope_unknown_member",
        "scope_no_daily_limit_usd",
        "scope_exponent_number",
        "subject_nonprintable",
        "model_sha256",
        "model_sha256_upper",
    ] {
        assert_eq!(code(name, TRADE, &v), None, "{name}");
    }
    // {} maps no venue list: the configured venue is refused with the scope.
    assert_eq!(code("scope_minimal", TRADE, &v), Some("action_not_allowed"));
    // scope_4kib (exactly 4096 bytes) lists only Kraken and no instruments.
    assert_eq!(code("scope_4kib", TRADE, &v), Some("market_not_allowed"));
}

// SPEC 10: no scopes configured, every route is action_not_allowed.
#[test]
fn spec_10_scopes_come_from_configuration() {
    let v = builder()
        .kakunin_profile(KakuninProfile::new())
        .build()
        .unwrap();
    assert_eq!(code("leaf_positive", TRADE, &v), Some("action_not_allowed"));
}

// SPEC 10: a certificate with both the scope extension and agentPolicy is
// malformed_certificate; one without the scope extension is not the
// profile's (section 2 applies: no agentPolicy, policy_missing).
#[test]
fn spec_10_recognition() {
    let v = with_profile();
    assert_eq!(
        code("both_extensions", TRADE, &v),
        Some("malformed_certificate")
    );
    assert_eq!(code("scope_absent", TRADE, &v), Some("policy_missing"));
}

// SPEC 10 / 5.6: `sha256:<hex>` certifies the weights (either case); other
// forms certify none.
#[test]
fn spec_10_model_hash() {
    let v = with_profile();
    let unsigned_model = sign_with(
        &signer("model_sha256"),
        "POST",
        "/v1/orders",
        TRADE,
        now_ms(),
        None,
        None,
    );
    assert_eq!(unsigned_model.code(&v), Some("model_mismatch"));
    let weights = leaf("model_sha256")["weights_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let inv = ModelInventory::parse(&weights).unwrap();
    let with_inv = builder()
        .kakunin_profile(profile())
        .model_inventory(inv)
        .build()
        .unwrap();
    assert_eq!(code("model_sha256_upper", TRADE, &with_inv), None);
    for name in ["model_bare_hex", "model_blake3"] {
        // No weights hash certified: no header needed, but an inventory
        // needs one.
        let plain = sign_with(
            &signer(name),
            "POST",
            "/v1/orders",
            TRADE,
            now_ms(),
            None,
            None,
        );
        assert_eq!(plain.code(&v), None, "{name}");
        assert_eq!(plain.code(&with_inv), Some("model_mismatch"), "{name}");
    }
}

// SPEC 10: PrintableString subjects outside the type's set are shown as
// their bytes read as UTF-8, lossily.
#[test]
fn spec_10_subject_is_read_lossily() {
    let l = leaf("subject_nonprintable");
    let pem = read(dir().join(l["file"].as_str().unwrap()));
    let with =
        AgentCertificate::from_pem_or_der_with(&pem, &ExtensionOids::default(), Some(&profile()))
            .unwrap();
    let cn = with.subject_cn().unwrap();
    assert!(cn.starts_with("M\u{fffd}ller & Co_trader:"), "{cn}");
    let without = AgentCertificate::from_pem_or_der(&pem, &ExtensionOids::default()).unwrap();
    assert_eq!(without.subject_cn(), None);
}

// What the strict stacks accept as is (where the profile's leniency lives):
// x509-cert 0.3 and rustls-webpki both take a negative serial; der 0.8
// refuses a non-minimal INTEGER that webpki takes — only that is relaxed.
#[test]
fn spec_10_what_x509_cert_and_webpki_accept_as_is() {
    use der::Decode;
    let der_of = |name: &str| read(dir().join(leaf(name)["der_file"].as_str().unwrap()));
    let neg = x509_cert::Certificate::from_der(&der_of("leaf_negative")).unwrap();
    assert_eq!(
        kakunin_verify::hex::encode(neg.tbs_certificate().serial_number().as_bytes()),
        leaf("leaf_negative")["serial_content_hex"]
            .as_str()
            .unwrap()
    );
    let nonminimal = der_of("leaf_nonminimal");
    assert!(x509_cert::Certificate::from_der(&nonminimal).is_err());
    let as_presented = rustls_pki_types::CertificateDer::from(nonminimal.as_slice());
    assert!(webpki::EndEntityCert::try_from(&as_presented).is_ok());
    // Without the profile the strict parse decides.
    assert!(AgentCertificate::from_der(&nonminimal, &ExtensionOids::default()).is_err());
}

// SPEC 4.6 / 10: the mutual-TLS client verifier of a verifier configured
// with the profile accepts profile leaves (negative and non-minimal serials
// included); without the profile it refuses them as sections 2-3 say.
#[cfg(feature = "tls")]
#[test]
fn spec_10_mtls_client_verifier_follows_the_profile() {
    use rustls_pki_types::{CertificateDer, UnixTime};
    let der_of = |name: &str| read(dir().join(leaf(name)["der_file"].as_str().unwrap()));
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_millis(now_ms()));
    let with = with_profile().tls_client_cert_verifier().unwrap();
    let without = without_profile().tls_client_cert_verifier().unwrap();
    for name in [
        "leaf_negative",
        "leaf_nonminimal",
        "leaf_root_direct",
        "leaf_positive",
    ] {
        let der = der_of(name);
        let ee = CertificateDer::from(der.as_slice());
        assert!(with.verify_client_cert(&ee, &[], now).is_ok(), "{name}");
        let refused = without.verify_client_cert(&ee, &[], now).is_err();
        // leaf_positive is a valid section 2 certificate (no agentPolicy).
        assert_eq!(refused, name != "leaf_positive", "{name}");
    }
}
