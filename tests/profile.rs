//! SPEC sections 2 and 3 against the test PKI of `testdata/pki/` (made by
//! `testdata/generate.sh`) and the independent vectors of
//! `../shared/testvectors/v1`. One test per profile rule: each fails when
//! the rule it names is removed from `src/`.

use std::path::{Path, PathBuf};

use kakunin_verify::certificate::profile::{check_leaf_usage, check_profile, ProfileOptions};
use kakunin_verify::certificate::{AgentCertificate, Decoded, KeyAlgorithm};
use kakunin_verify::policy::{Effect, Operation};
use kakunin_verify::{Code, Error};

fn pki(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pki")
        .join(rel)
}

fn parse_path(path: &Path) -> Result<AgentCertificate, Error> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    AgentCertificate::from_pem_or_der(&bytes, &Default::default())
}

fn load(rel: &str) -> AgentCertificate {
    parse_path(&pki(rel)).unwrap_or_else(|e| panic!("{rel} does not parse: {e}"))
}

fn bad(name: &str) -> AgentCertificate {
    load(&format!("bad/{name}.pem"))
}

fn profile_code(cert: &AgentCertificate) -> Code {
    check_profile(cert, &ProfileOptions::default())
        .expect_err("check_profile accepted a violation")
        .code()
}

fn assert_profile_ok(cert: &AgentCertificate) {
    check_profile(cert, &ProfileOptions::default()).expect("check_profile");
    check_leaf_usage(cert).expect("check_leaf_usage");
}

/// A `check_profile` rejection, with the leaf usage rules still holding.
fn assert_malformed(name: &str) {
    let cert = bad(name);
    assert_eq!(profile_code(&cert), Code::MalformedCertificate, "{name}");
    check_leaf_usage(&cert).unwrap_or_else(|e| panic!("{name}: leaf usage: {e}"));
}

fn assert_policy_invalid(name: &str) {
    let cert = bad(name);
    assert_eq!(profile_code(&cert), Code::PolicyInvalid, "{name}");
    check_leaf_usage(&cert).unwrap_or_else(|e| panic!("{name}: leaf usage: {e}"));
}

fn assert_untrusted(name: &str) {
    let cert = bad(name);
    let err = check_leaf_usage(&cert).expect_err("check_leaf_usage accepted a violation");
    assert_eq!(err.code(), Code::UntrustedChain, "{name}");
    // The rest of the profile holds: only path validation refuses it.
    check_profile(&cert, &ProfileOptions::default())
        .unwrap_or_else(|e| panic!("{name}: profile: {e}"));
}

fn assert_parse_refused(name: &str) {
    let err = parse_path(&pki(&format!("bad/{name}.pem"))).expect_err(name);
    assert_eq!(err.code(), Code::MalformedCertificate, "{name}");
}

fn sha256(data: &[u8]) -> [u8; 32] {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .try_into()
        .unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// --- valid chains -------------------------------------------------------------

#[test]
fn valid_leaves_pass_both_checks() {
    for (dir, alg) in [
        ("rsa2048", KeyAlgorithm::Rsa(2048)),
        ("p256", KeyAlgorithm::EcdsaP256),
        ("p384", KeyAlgorithm::EcdsaP384),
        ("ed25519", KeyAlgorithm::Ed25519),
    ] {
        let cert = load(&format!("{dir}/leaf.pem"));
        assert_profile_ok(&cert);
        assert_eq!(cert.key_algorithm(), alg, "{dir}");
        let id = format!("sample_{dir}");
        assert_eq!(cert.agent_id().unwrap(), id);
        assert_eq!(cert.subject_cn(), Some(id.as_str()));
        assert_eq!(cert.organization(), Some("Kakunin Samples"));
        assert!(matches!(cert.policy(), Decoded::Present(_)), "{dir}");
        // 2026-05-28T00:00:00Z .. 2027-05-28T00:00:00Z
        assert_eq!(cert.not_before_ms(), 1_779_926_400_000, "{dir}");
        assert_eq!(cert.not_after_ms(), 1_811_462_400_000, "{dir}");
    }
}

#[test]
fn untrusted_chain_leaf_is_well_formed() {
    assert_profile_ok(&load("untrusted/leaf.pem"));
}

#[test]
fn chain_certificates_parse_as_certificates() {
    for dir in ["rsa2048", "p256", "p384", "ed25519", "untrusted"] {
        for f in ["root.pem", "intermediate.pem"] {
            load(&format!("{dir}/{f}"));
        }
    }
}

#[test]
fn sample_p256_leaf_decodes() {
    let cert = load("p256/leaf.pem");
    assert_eq!(cert.agent_id().unwrap(), "sample_p256");
    assert_eq!(cert.claimed_agent_id(), Some("sample_p256"));
    assert_eq!(cert.uri_sans(), ["urn:kakunin:agent:sample_p256"]);
    assert_eq!(cert.basic_constraints_ca(), Some(false));
    assert_eq!(cert.key_usage_digital_signature(), Some(true));
    assert_eq!(cert.eku_client_auth(), Some(true));
    assert_eq!(cert.serial().len(), 16);

    let Decoded::Present(policy) = cert.policy() else {
        panic!("policy: {:?}", cert.policy());
    };
    assert_eq!(policy.version, 1);
    assert_eq!(
        policy.scopes.as_deref().unwrap(),
        [
            "submit_limit_order",
            "query_anonymized_order_book",
            "read_data",
            "write_report",
            "cancel_order"
        ]
    );
    let amount = policy.max_transaction.as_ref().unwrap();
    assert_eq!(amount.mantissa, 50_000);
    assert_eq!(amount.exponent, 0);
    assert_eq!(amount.currency.as_deref(), Some("USD"));
    assert_eq!(amount.value().to_string(), "50000");
    assert_eq!(
        policy.allowed_markets.as_deref().unwrap(),
        ["EUR_USD", "GBP_USD"]
    );
    assert_eq!(policy.revocation_timeout, Some(15));
    let rules = policy.data_access.as_ref().unwrap();
    let got: Vec<_> = rules
        .iter()
        .map(|r| (r.effect, r.pattern.as_str(), r.operations.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (Effect::Allow, "/data/processed/*", vec![Operation::Read]),
            (Effect::Allow, "/reports/*", vec![Operation::Write]),
            (
                Effect::Deny,
                "/data/raw/*",
                vec![Operation::Read, Operation::Write]
            ),
        ]
    );
    let hours = policy.allowed_hours.unwrap();
    assert_eq!((hours.start_minute, hours.end_minute), (480, 1200));
    assert!(hours.contains(480) && hours.contains(1199));
    assert!(!hours.contains(1200) && !hours.contains(479));
    let rate = policy.rate_limit.unwrap();
    assert_eq!((rate.max_actions, rate.period_seconds), (1000, 60));

    let Decoded::Present(prov) = cert.provenance() else {
        panic!("provenance: {:?}", cert.provenance());
    };
    assert_eq!(prov.model_name, "sample-model");
    assert_eq!(prov.model_version.as_deref(), Some("1"));
    assert_eq!(prov.weights_sha256, Some(sha256(b"weights")));
    assert_eq!(prov.system_prompt_sha256, Some(sha256(b"prompt")));
}

#[test]
fn other_valid_leaves_have_no_provenance() {
    for dir in ["rsa2048", "p384", "ed25519"] {
        assert_eq!(
            load(&format!("{dir}/leaf.pem")).provenance(),
            &Decoded::Absent
        );
    }
}

// --- malformed_certificate (check_profile) -------------------------------------

#[test]
fn rule_rsa_key_at_least_2048_bits() {
    assert_eq!(bad("rsa1024").key_algorithm(), KeyAlgorithm::Rsa(1024));
    assert_malformed("rsa1024");
}

#[test]
fn rule_leaf_key_type_allowed() {
    // ECDSA P-521 is not among SPEC 2's leaf key types.
    assert_eq!(bad("ec_p521").key_algorithm(), KeyAlgorithm::Unsupported);
    assert_malformed("ec_p521");
}

#[test]
fn rule_validity_not_inverted() {
    let cert = bad("inverted_validity");
    assert!(cert.not_after_ms() < cert.not_before_ms());
    assert_malformed("inverted_validity");
}

#[test]
fn rule_validity_at_most_365_days() {
    assert_malformed("validity_400d");
}

#[test]
fn rule_validity_limit_is_configurable() {
    let cert = bad("validity_400d");
    let opts = ProfileOptions {
        max_validity_seconds: 400 * 86_400,
    };
    check_profile(&cert, &opts).unwrap();
    // ... and exactly one second less is too short.
    let opts = ProfileOptions {
        max_validity_seconds: 400 * 86_400 - 1,
    };
    assert_eq!(
        check_profile(&cert, &opts).unwrap_err().code(),
        Code::MalformedCertificate
    );
}

#[test]
fn rule_validity_exactly_365_days_is_allowed() {
    let cert = load("p256/leaf.pem");
    assert_eq!(
        (cert.not_after_ms() - cert.not_before_ms()) / 1000,
        31_536_000
    );
    check_profile(&cert, &ProfileOptions::default()).unwrap();
}

#[test]
fn rule_exactly_one_uri_san() {
    assert_eq!(bad("two_urns").uri_sans().len(), 2);
    assert_malformed("two_urns");
}

#[test]
fn rule_uri_san_present() {
    assert!(bad("no_urn").uri_sans().is_empty());
    assert_malformed("no_urn");
}

#[test]
fn rule_agent_id_charset() {
    assert_eq!(bad("bad_urn_id").uri_sans(), ["urn:kakunin:agent:bad id!"]);
    assert_malformed("bad_urn_id");
}

#[test]
fn rule_urn_prefix_case_insensitive() {
    let cert = bad("urn_prefix_uppercase");
    assert_profile_ok(&cert);
    assert_eq!(cert.agent_id().unwrap(), "ok_id");
}

#[test]
fn rule_serial_positive() {
    assert_eq!(bad("negative_serial").serial(), [0xfb]);
    assert_malformed("negative_serial");
}

#[test]
fn rule_serial_not_zero() {
    assert_eq!(bad("serial_zero").serial(), [0]);
    assert_malformed("serial_zero");
}

#[test]
fn rule_serial_20_octets_with_sign_octet_is_allowed() {
    let cert = bad("serial_20_octets");
    assert_eq!(cert.serial().len(), 20);
    assert_eq!(cert.serial()[..2], [0x00, 0xff]);
    // SPEC 7.1 text form: no leading 00 sign octet.
    assert_eq!(cert.serial_hex(), "ff02030405060708090a0b0c0d0e0f10111213");
    assert_profile_ok(&cert);
}

#[test]
fn rule_serial_at_most_20_octets() {
    assert_eq!(bad("serial_21_octets").serial().len(), 21);
    assert_malformed("serial_21_octets");
}

// --- malformed_certificate (decided by the parse) ---------------------------------

#[test]
fn rule_kakunin_extension_not_critical() {
    assert_parse_refused("critical_policy");
}

#[test]
fn rule_kakunin_extension_at_most_once() {
    assert_parse_refused("duplicate_policy");
}

// --- untrusted_chain (check_leaf_usage) ------------------------------------------

#[test]
fn rule_eku_present() {
    assert_eq!(bad("no_eku").eku_client_auth(), None);
    assert_untrusted("no_eku");
}

#[test]
fn rule_eku_contains_client_auth() {
    assert_eq!(bad("eku_server_only").eku_client_auth(), Some(false));
    assert_untrusted("eku_server_only");
}

#[test]
fn rule_key_usage_present() {
    assert_eq!(bad("no_key_usage").key_usage_digital_signature(), None);
    assert_untrusted("no_key_usage");
}

#[test]
fn rule_key_usage_digital_signature() {
    assert_eq!(
        bad("ku_no_digital_signature").key_usage_digital_signature(),
        Some(false)
    );
    assert_untrusted("ku_no_digital_signature");
}

#[test]
fn rule_leaf_not_ca() {
    assert_eq!(bad("ca_true").basic_constraints_ca(), Some(true));
    assert_untrusted("ca_true");
}

// --- policy_invalid (check_profile, after the profile) ---------------------------

#[test]
fn rule_policy_version_1() {
    assert_policy_invalid("policy_version2");
}

#[test]
fn rule_amount_exponent_range() {
    assert_policy_invalid("policy_exponent19");
}

#[test]
fn rule_amount_mantissa_non_negative() {
    assert_policy_invalid("policy_negative_mantissa");
}

#[test]
fn rule_path_rule_operations() {
    assert_policy_invalid("policy_bad_operation");
}

#[test]
fn rule_path_rule_pattern_absolute() {
    assert_policy_invalid("policy_relative_pattern");
}

#[test]
fn rule_time_window_start_ne_end() {
    assert_policy_invalid("policy_hours_equal");
}

#[test]
fn rule_policy_no_trailing_bytes() {
    assert_policy_invalid("policy_trailing_bytes");
}

#[test]
fn rule_provenance_hash_32_octets() {
    // The policy itself is fine: the provenance alone is refused.
    assert!(matches!(
        bad("provenance_short_hash").policy(),
        Decoded::Present(_)
    ));
    assert_policy_invalid("provenance_short_hash");
}

// --- other cases of the bad/ directory --------------------------------------------

#[test]
fn no_policy_is_well_formed_but_absent() {
    let cert = bad("no_policy");
    assert_profile_ok(&cert);
    assert_eq!(cert.policy(), &Decoded::Absent);
}

#[test]
fn expired_and_not_yet_valid_carry_their_dates() {
    // 2025-01-01 .. 2025-12-31 and 2026-12-01 .. 2027-06-01; the profile
    // itself holds (expiry is judged against the clock, not here).
    let expired = bad("expired");
    assert_eq!(expired.not_before_ms(), 1_735_689_600_000);
    assert_eq!(expired.not_after_ms(), 1_767_139_200_000);
    let early = bad("not_yet_valid");
    assert_eq!(early.not_before_ms(), 1_796_083_200_000);
    assert_eq!(early.not_after_ms(), 1_811_808_000_000);
    for cert in [expired, early] {
        assert_profile_ok(&cert);
    }
}

#[test]
fn unrelated_extension_with_a_64_bit_arc_never_panics() {
    // `1.2.3.99999999999`: beyond what `const-oid` holds. Refusing the
    // certificate (malformed_certificate) or ignoring the extension are
    // both acceptable; panicking is not.
    match parse_path(&pki("bad/oid_arc_64bit.pem")) {
        Ok(cert) => assert_profile_ok(&cert),
        Err(e) => assert_eq!(e.code(), Code::MalformedCertificate),
    }
}

#[test]
fn every_bad_file_has_its_key() {
    for entry in std::fs::read_dir(pki("bad")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pem") {
            assert!(path.with_extension("key").is_file(), "{}", path.display());
        }
    }
}

// --- the independent vectors (../shared/testvectors/v1) -----------------------------

fn vector(name: &str) -> AgentCertificate {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/testvectors/v1")
        .join(name);
    parse_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn vector_desk_bot_1_policy() {
    let cert = vector("desk_bot_1.pem");
    assert_eq!(cert.agent_id().unwrap(), "desk_bot_1");
    let Decoded::Present(policy) = cert.policy() else {
        panic!("policy: {:?}", cert.policy());
    };
    assert_eq!(policy.version, 1);
    assert_eq!(
        policy.scopes.as_deref().unwrap(),
        ["submit_limit_order", "query_anonymized_order_book"]
    );
    let amount = policy.max_transaction.as_ref().unwrap();
    assert_eq!(amount.value().to_string(), "50000");
    assert_eq!(amount.currency.as_deref(), Some("USD"));
    assert_eq!(
        policy.allowed_markets.as_deref().unwrap(),
        ["EUR_USD", "GBP_USD"]
    );
    assert_eq!(policy.revocation_timeout, Some(15));
    assert_eq!(cert.provenance(), &Decoded::Absent);
}

#[test]
fn vector_eth_exec_01_provenance() {
    let cert = vector("eth_exec_01.pem");
    let Decoded::Present(prov) = cert.provenance() else {
        panic!("provenance: {:?}", cert.provenance());
    };
    assert_eq!(prov.model_name, "Claude-3.5-Sonnet-v2");
    assert_eq!(prov.model_version.as_deref(), Some("2024-10-22"));
    // From `openssl asn1parse` of the extension value.
    assert_eq!(
        prov.weights_sha256.unwrap().to_vec(),
        unhex("7940420accc6374d6d07c7058ab025cf6915faa1eaebbabd30a3de5d32db2dc9")
    );
    assert_eq!(
        prov.system_prompt_sha256.unwrap().to_vec(),
        unhex("9b0e18602dc8b3c5f94f4f0af8f95a0482790025b159638be554b1046241a8ca")
    );
}

#[test]
fn vector_report_bot_data_rules() {
    let cert = vector("report_bot.pem");
    let Decoded::Present(policy) = cert.policy() else {
        panic!("policy: {:?}", cert.policy());
    };
    let got: Vec<_> = policy
        .data_access
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| (r.effect, r.pattern.as_str(), r.operations.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (Effect::Allow, "/data/processed/*", vec![Operation::Read]),
            (Effect::Allow, "/reports/*", vec![Operation::Write]),
            (
                Effect::Deny,
                "/data/raw/*",
                vec![Operation::Read, Operation::Write]
            ),
        ]
    );
}

#[test]
fn vectors_pass_the_profile() {
    for name in [
        "desk_bot_1.pem",
        "eth_exec_01.pem",
        "report_bot.pem",
        "revoked_bot.pem",
        "expired_bot.pem",
        "no_policy_bot.pem",
    ] {
        let cert = vector(name);
        check_leaf_usage(&cert).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_profile(&cert, &ProfileOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
