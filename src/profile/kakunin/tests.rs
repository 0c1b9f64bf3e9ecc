//! Unit tests of the `kakunin-2026` scope decoder, model hash and the
//! relaxed serial reading (SPEC 10). Fixture-driven tests through the whole
//! verifier are in tests/kakunin_profile.rs.

use super::certificate::relaxed_der;
use super::model_hash::{self, weights_sha256};
use super::scope::{extension_text, parse_scope, usd_amount, MAX_SCOPE_BYTES};
use super::KakuninProfile;
use crate::error::Error;
use crate::Code;

fn code(r: Result<impl std::fmt::Debug, Error>) -> Code {
    r.map(|_| ())
        .map_err(|e| e.code())
        .err()
        .unwrap_or(Code::MalformedRequest)
}

fn invalid(text: &str) {
    assert_eq!(
        parse_scope(text).map(|_| ()).map_err(|e| e.code()),
        Err(Code::PolicyInvalid),
        "{text}"
    );
}

// A DER UTF8String of `text`.
fn utf8_der(text: &[u8]) -> Vec<u8> {
    let mut out = vec![0x0c];
    let len = text.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(text);
    out
}

// SPEC 10: every member of the wrong type or out of range is policy_invalid.
#[test]
fn spec_10_members_of_the_wrong_type_or_range() {
    for text in [
        r#"{"max_single_trade_usd":"5000"}"#,
        r#"{"max_single_trade_usd":0}"#,
        r#"{"max_single_trade_usd":-1}"#,
        r#"{"max_single_trade_usd":null}"#,
        r#"{"daily_limit_usd":true}"#,
        r#"{"daily_limit_usd":-0.5}"#,
        r#"{"permitted_instruments":"BTC-USD"}"#,
        r#"{"permitted_instruments":[]}"#,
        r#"{"permitted_instruments":[""]}"#,
        r#"{"permitted_instruments":["BTC-USD",1]}"#,
        r#"{"permitted_venues":[["Kraken"]]}"#,
        r#"{"leverage_permitted":"true"}"#,
        r#"{"leverage_permitted":1}"#,
        r#"{"max_leverage_ratio":0}"#,
        r#"{"max_leverage_ratio":"3"}"#,
    ] {
        invalid(text);
    }
    let long = format!(r#"{{"permitted_venues":["{}"]}}"#, "v".repeat(257));
    invalid(&long);
    let many: Vec<String> = (0..257).map(|i| format!("\"m{i}\"")).collect();
    invalid(&format!(
        r#"{{"permitted_instruments":[{}]}}"#,
        many.join(",")
    ));
    let ok: Vec<String> = (0..256).map(|i| format!("\"m{i}\"")).collect();
    let s = parse_scope(&format!(
        r#"{{"permitted_instruments":[{}]}}"#,
        ok.join(",")
    ))
    .unwrap();
    assert_eq!(s.permitted_instruments.map(|v| v.len()), Some(256));
}

// SPEC 10 / 4.3: text that is not one I-JSON object — duplicates, not an
// object, not JSON, nesting beyond the parser's limit — is policy_invalid.
#[test]
fn spec_10_text_that_is_not_an_i_json_object() {
    for text in [
        r#"{"daily_limit_usd":1000,"daily_limit_usd":1000000}"#,
        r#"["max_single_trade_usd",1000]"#,
        "max_single_trade_usd=1000",
        "",
        "null",
        r#"{"max_single_trade_usd":1000"#,
        "{\"a\":\"\u{fdd0}\"}",
        r#"{"max_single_trade_usd":45000.00000000000001}"#,
        r#"{"max_single_trade_usd":1e400}"#,
    ] {
        invalid(text);
    }
    let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(70), "]".repeat(70));
    invalid(&deep);
    let shallow = format!(r#"{{"x":{}{}}}"#, "[".repeat(40), "]".repeat(40));
    assert!(parse_scope(&shallow).is_ok());
}

// SPEC 10: at most 4 KiB of JSON (4096 bytes accepted, 4097 refused).
#[test]
fn spec_10_four_kib_bound() {
    let pad = |n: usize| {
        let base = r#"{"note":""}"#.len();
        format!(r#"{{"note":"{}"}}"#, "x".repeat(n - base))
    };
    assert_eq!(pad(MAX_SCOPE_BYTES).len(), MAX_SCOPE_BYTES);
    assert!(parse_scope(&pad(MAX_SCOPE_BYTES)).is_ok());
    invalid(&pad(MAX_SCOPE_BYTES + 1));
    assert!(extension_text(&utf8_der(pad(MAX_SCOPE_BYTES).as_bytes())).is_ok());
    assert_eq!(
        code(extension_text(&utf8_der(
            pad(MAX_SCOPE_BYTES + 1).as_bytes()
        ))),
        Code::PolicyInvalid
    );
}

// SPEC 10: the extension is a UTF8String; anything else is policy_invalid.
#[test]
fn spec_10_extension_must_be_a_utf8string() {
    assert_eq!(extension_text(&utf8_der(b"{}")).as_deref().ok(), Some("{}"));
    for bad in [
        &b""[..],
        &[0x0c, 0x02, b'{'][..],             // short
        &[0x13, 0x02, b'{', b'}'][..],       // PrintableString
        &[0x0c, 0x02, 0xfc, b'}'][..],       // not UTF-8
        &[0x0c, 0x02, b'{', b'}', 0x00][..], // trailing byte
    ] {
        assert_eq!(code(extension_text(bad)), Code::PolicyInvalid, "{bad:?}");
    }
}

// SPEC 10: amounts exact from the number's text, in USD; numbers no Amount
// holds exactly (SPEC 3: mantissa, exponent -18..18) are policy_invalid.
#[test]
fn spec_10_amounts_are_exact_and_bounded() {
    let s = parse_scope(r#"{"max_single_trade_usd":25000.50,"daily_limit_usd":1E+21}"#).unwrap();
    let policy = s.to_policy(&[], None).unwrap();
    let max = policy.max_transaction.unwrap();
    assert_eq!(max.value().to_string(), "25000.5");
    assert_eq!(max.currency.as_deref(), Some("USD"));
    assert_eq!(
        policy.daily_limit.unwrap().value().to_string(),
        format!("1{}", "0".repeat(21))
    );
    let tiny = parse_scope(r#"{"max_single_trade_usd":1e-19}"#).unwrap();
    assert_eq!(code(tiny.to_policy(&[], None)), Code::PolicyInvalid);
    let huge = parse_scope(r#"{"daily_limit_usd":1e39}"#).unwrap();
    assert_eq!(code(huge.to_policy(&[], None)), Code::PolicyInvalid);
    assert!(usd_amount(&crate::decimal::Decimal::from_parts(1, -18)).is_ok());
}

// SPEC 10: leverage ceilings (1 unless permitted; the ratio when given; none
// when permitted without one); venues only with a venue configured; scopes
// from configuration.
#[test]
fn spec_10_mapping_of_leverage_venue_and_scopes() {
    let one = crate::decimal::Decimal::from_parts(1, 0);
    let p = parse_scope("{}").unwrap().to_policy(&[], None).unwrap();
    assert_eq!(p.max_leverage, Some(one.clone()));
    assert_eq!((p.scopes, p.venue), (None, None));
    let p = parse_scope(r#"{"leverage_permitted":false,"max_leverage_ratio":5}"#)
        .unwrap()
        .to_policy(&[], None)
        .unwrap();
    assert_eq!(p.max_leverage, Some(one));
    let p = parse_scope(r#"{"leverage_permitted":true,"max_leverage_ratio":2.5}"#)
        .unwrap()
        .to_policy(&["trade".into()], Some("kraken"))
        .unwrap();
    assert_eq!(
        p.max_leverage.map(|d| d.to_string()).as_deref(),
        Some("2.5")
    );
    assert_eq!(p.scopes, Some(vec!["trade".to_string()]));
    let venue = p.venue.unwrap();
    assert!(!venue.permits(), "no permitted_venues: deny");
    let p = parse_scope(r#"{"leverage_permitted":true,"permitted_venues":["KRAKEN"]}"#)
        .unwrap()
        .to_policy(&[], Some("Kraken"))
        .unwrap();
    assert_eq!(p.max_leverage, None);
    assert!(p.venue.unwrap().permits());
}

// SPEC 10 / 5.6: `sha256:` + 64 hex digits (either case) is the weights hash.
#[test]
fn spec_10_model_hash_forms() {
    let hex = "7db46651770de25cfbb3fabf9473394c4c22834e8fd528d2d0772a94d75af87f";
    let want = crate::hex::decode_sha256_lower(hex);
    assert_eq!(weights_sha256(&format!("sha256:{hex}")), want);
    assert_eq!(
        weights_sha256(&format!("sha256:{}", hex.to_uppercase())),
        want
    );
    for other in [
        hex.to_string(),
        format!("blake3:{hex}"),
        format!("SHA256:{hex}"),
        format!("sha256:{}", &hex[..63]),
        format!("sha256:{hex}0"),
        format!("sha256:{}g", &hex[..63]),
        "sha256:".to_string(),
    ] {
        assert_eq!(weights_sha256(&other), None, "{other}");
    }
    let p = model_hash::decode(&utf8_der(format!("sha256:{hex}").as_bytes())).unwrap();
    assert_eq!(p.weights_sha256, want);
    assert_eq!(
        code(model_hash::decode(&[0x04, 0x01, 0x00])),
        Code::PolicyInvalid
    );
}

// SPEC 10: a non-minimal serial is re-encoded minimally for the field
// parser; a minimal one, or something that is not a certificate, is left.
#[test]
fn spec_10_relaxed_der_rewrites_only_a_non_minimal_serial() {
    // SEQ { SEQ { [0] { INT 2 }, INT 00 00 4e, SEQ {} }, SEQ {}, BIT STRING }
    let tbs_body = [
        0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x03, 0x00, 0x00, 0x4e, 0x30, 0x00,
    ];
    let mut tbs = vec![0x30, tbs_body.len() as u8];
    tbs.extend_from_slice(&tbs_body);
    let mut body = tbs.clone();
    body.extend_from_slice(&[0x30, 0x00, 0x03, 0x01, 0x00]);
    let mut cert = vec![0x30, body.len() as u8];
    cert.extend_from_slice(&body);
    let fixed = relaxed_der(&cert).unwrap();
    let expected_tbs = [
        0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x4e, 0x30, 0x00,
    ];
    assert_eq!(fixed.get(2..14), Some(&expected_tbs[..]));
    assert_eq!(fixed.len(), cert.len() - 2);
    assert_eq!(fixed.get(1).copied(), Some((fixed.len() - 2) as u8));
    // Minimal already: nothing to offer.
    assert_eq!(relaxed_der(&fixed), None);
    // Redundant FF octets before a high octet are dropped too (FF FF 90 is 90).
    let mut neg = cert.clone();
    neg.splice(11..14, [0xff, 0xff, 0x90]);
    let fixed_neg = relaxed_der(&neg).unwrap();
    assert_eq!(fixed_neg.get(9..12), Some(&[0x02, 0x01, 0x90][..]));
    // Not a certificate's layout, truncated, or long lengths: None, no panic.
    for bad in [
        &b""[..],
        &[0x30][..],
        &[0x30, 0x85, 1, 1, 1, 1, 1][..],
        &cert[..cert.len() - 1],
    ] {
        assert_eq!(relaxed_der(bad), None);
    }
    for cut in 0..cert.len() {
        let _ = relaxed_der(cert.get(..cut).unwrap_or_default());
    }
}

// SPEC 9 / 10 configuration: `--profile`, `--profile-scopes`, `--venue`.
#[test]
fn spec_10_command_line_options() {
    assert_eq!(
        KakuninProfile::from_options(None, None, None).unwrap(),
        None
    );
    let p = KakuninProfile::from_options(Some("kakunin-2026"), Some("a, b"), Some("Kraken"))
        .unwrap()
        .unwrap();
    assert_eq!(p.configured_scopes(), ["a".to_string(), "b".to_string()]);
    assert_eq!(p.configured_venue(), Some("Kraken"));
    assert!(KakuninProfile::from_options(None, Some("a"), None).is_err());
    assert!(KakuninProfile::from_options(None, None, Some("v")).is_err());
    assert!(KakuninProfile::from_options(Some("other"), None, None).is_err());
    assert!(KakuninProfile::from_options(Some("kakunin-2026"), Some("a,"), None).is_err());
    assert!(KakuninProfile::from_options(Some("kakunin-2026"), None, Some("")).is_err());
    assert!(KakuninProfile::new().arc("1.3.6.1.4.1.12345").is_ok());
    assert!(KakuninProfile::new().arc("not an arc").is_err());
}
