//! SPEC revision 1.1, request rules: `Content-Type` for non-empty bodies
//! (4.1) and the order inside step 1 (5.1): every `malformed_request` rule of
//! 4.1 before `audience_mismatch`, then the target (4.2), then the body (4.3).
//! Through the whole `Verifier::verify`, with freshly signed requests.

mod common;

use std::sync::Arc;

use common::*;
use kakunin_verify::{ManualClock, Verifier};

const TRADE: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;

fn verifier() -> Verifier {
    v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .build()
        .unwrap()
}

fn trade() -> Signed {
    sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
    )
}

// SPEC 4.1 (1.1): the signer sends `Content-Type: application/json` with a
// non-empty body, and that request passes as it is.
#[test]
fn spec_4_1_signed_request_carries_json_content_type_and_passes() {
    let t = trade();
    let types: Vec<_> = t
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .collect();
    assert_eq!(types.len(), 1);
    assert_eq!(types[0].1, b"application/json");
    assert!(t.verify(&verifier()).is_ok());
}

// SPEC 4.1 (1.1): accepted forms — media type and charset compare
// case-insensitively, optional whitespace around `;`.
#[test]
fn spec_4_1_accepted_content_types() {
    let v = verifier();
    for ct in [
        "application/json",
        "APPLICATION/JSON",
        "Application/Json; charset=UTF-8",
        "application/json;charset=utf-8",
        "application/json ; charset=utf-8",
        "application/json;  Charset=Utf-8",
    ] {
        let r = trade().set_header("Content-Type", ct);
        assert!(r.verify(&v).is_ok(), "{ct:?} should be accepted");
    }
}

// SPEC 4.1 (1.1): a non-empty body without a Content-Type, with two, with
// another media type, or with any parameter but charset=utf-8 is
// malformed_request.
#[test]
fn spec_4_1_refused_content_types() {
    let v = verifier();
    for ct in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/json-patch+json",
        "application/jsonx",
        "text/json",
        "application/json; charset=iso-8859-1",
        "application/json; charset=\"utf-8\"",
        "application/json; charset = utf-8",
        "application/json; charset=utf-8; charset=utf-8",
        "application/json; boundary=x",
        "application/json;",
        "application/json, text/plain",
        "multipart/form-data; boundary=x",
        "",
    ] {
        let r = trade().set_header("Content-Type", ct);
        assert_eq!(
            r.code(&v),
            Some("malformed_request"),
            "{ct:?} should be refused"
        );
    }
    let missing = trade().remove_header("Content-Type");
    assert_eq!(missing.code(&v), Some("malformed_request"));
    let twice = trade().add_header("content-type", "application/json");
    assert_eq!(twice.code(&v), Some("malformed_request"));
}

// SPEC 4.1: the Content-Type rule is for non-empty bodies; an empty body
// needs none and any it carries is not judged.
#[test]
fn spec_4_1_empty_body_needs_no_content_type() {
    let v = verifier();
    let get = sign(
        &v1_signer("desk_bot_1"),
        "GET",
        "/v1/orderbook/EUR_USD",
        "",
        NOW_MS,
    );
    assert!(!get
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type")));
    let code = get.code(&v);
    assert_ne!(code, Some("malformed_request"));
    let with_type = sign(
        &v1_signer("desk_bot_1"),
        "GET",
        "/v1/orderbook/EUR_USD",
        "",
        NOW_MS,
    )
    .add_header("Content-Type", "text/plain");
    assert_eq!(with_type.code(&v), code);
}

// SPEC 5.1 step 1 (1.1): every malformed_request rule comes before the
// audience. Each case is a request for ANOTHER audience that also breaks
// one 4.1 rule: the answer is malformed_request, not audience_mismatch.
#[test]
fn spec_5_1_malformed_headers_before_audience() {
    let v = verifier();
    let other = |t: Signed| t.set_header("X-Agent-Audience", "api.other.example");
    assert_eq!(other(trade()).code(&v), Some("audience_mismatch"));
    let cases: Vec<(&str, Signed)> = vec![
        (
            "non-canonical certificate base64",
            trade().set_header("X-Agent-Certificate", "AAF="),
        ),
        (
            "non-canonical signature base64",
            trade().set_header("X-Agent-Signature", "AAF="),
        ),
        (
            "chain element not base64",
            trade().set_header("X-Agent-Chain", "MIIB, !!!!"),
        ),
        (
            "second chain element non-canonical",
            trade().set_header("X-Agent-Chain", "AAAA,AAF="),
        ),
        (
            "empty chain element",
            trade().set_header("X-Agent-Chain", "AAAA,,AAAA"),
        ),
        (
            "five chain elements",
            trade().set_header("X-Agent-Chain", "AAAA,AAAA,AAAA,AAAA,AAAA"),
        ),
        (
            "form content type",
            trade().set_header("Content-Type", "application/x-www-form-urlencoded"),
        ),
        ("no content type", trade().remove_header("Content-Type")),
        (
            "method override",
            trade().add_header("X-HTTP-Method-Override", "DELETE"),
        ),
        (
            "content encoding",
            trade().add_header("Content-Encoding", "gzip"),
        ),
        ("missing nonce", trade().remove_header("X-Agent-Nonce")),
        (
            "bad timestamp",
            trade().set_header("X-Agent-Timestamp", "-1"),
        ),
        (
            "bad model hash",
            trade().set_header("X-Agent-Model-Sha256", "ABC"),
        ),
        (
            "unknown algorithm",
            trade().set_header("X-Agent-Signature-Algorithm", "rsa-md5"),
        ),
    ];
    for (what, t) in cases {
        assert_eq!(other(t).code(&v), Some("malformed_request"), "{what}");
    }
}

// SPEC 5.1 step 1: the audience comes before the target and the body.
#[test]
fn spec_5_1_audience_before_target_and_body() {
    let v = verifier();
    let mut t = trade().set_header("X-Agent-Audience", "api.other.example");
    t.target = "/v1/../trades".into();
    assert_eq!(t.code(&v), Some("audience_mismatch"));
    let mut t = trade().set_header("X-Agent-Audience", "api.other.example");
    t.body = b"{\"a\":1,\"a\":2}".to_vec();
    assert_eq!(t.code(&v), Some("audience_mismatch"));
}

// SPEC 5.1 step 1: the target comes before the body.
#[test]
fn spec_5_1_target_before_body() {
    let v = verifier();
    let mut t = trade();
    t.target = "/v1//trades".into();
    t.body = b"{\"a\":1,\"a\":2}".to_vec();
    assert_eq!(t.code(&v), Some("malformed_request"));
    let mut t = trade();
    t.body = b"{\"a\":1,\"a\":2}".to_vec();
    assert_eq!(t.code(&v), Some("malformed_body"));
}

// SPEC 4.1 / 5.1 step 1: the certificate header's text rule (visible ASCII,
// spaces and tabs) and its at-most-once rule hold whether or not its
// certificate is cached, and before the audience. The header is checked as
// text when it is decoded; a cached certificate is recognised only by the
// exact bytes of a header that was checked, so a changed byte is a miss.
#[test]
fn spec_4_1_certificate_header_rules_hold_cached_or_not() {
    let v = verifier();
    let cert = String::from_utf8(
        trade()
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-agent-certificate"))
            .map(|(_, c)| c.clone())
            .unwrap(),
    )
    .unwrap();
    for cached in [false, true] {
        if cached {
            assert!(trade().verify(&v).is_ok(), "caches the certificate");
        }
        for (what, t) in [
            (
                "control byte",
                trade().set_header("X-Agent-Certificate", &format!("{cert}\u{1}")),
            ),
            (
                "DEL",
                trade().set_header("X-Agent-Certificate", &format!("{cert}\u{7f}")),
            ),
            (
                "non-ASCII",
                trade().set_header("X-Agent-Certificate", &format!("{cert}\u{e9}")),
            ),
            (
                "tab",
                trade().set_header("X-Agent-Certificate", &format!("{cert}\t")),
            ),
            ("twice", trade().add_header("X-Agent-Certificate", &cert)),
        ] {
            assert_eq!(
                t.code(&v),
                Some("malformed_request"),
                "{what}, cached: {cached}"
            );
            let t = t.set_header("X-Agent-Audience", "api.other.example");
            assert_eq!(
                t.code(&v),
                Some("malformed_request"),
                "{what} (other audience), cached: {cached}"
            );
        }
        assert!(trade().verify(&v).is_ok(), "cached: {cached}");
    }
}
