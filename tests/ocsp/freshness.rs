//! SPEC 7.1: freshness. nextUpdate passed or missing, thisUpdate too old or
//! in the future, and a responder certificate no longer valid.

use kakunin_verify::revocation::ocsp::{verify_response, OcspConfig};

use crate::pki::good;
use crate::responder::{assert_unavailable, respond, verify_at};
use crate::{DAY_MS, HOUR_MS};

#[test]
fn now_past_next_update_is_unavailable() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    let next = answer.next_update_ms.expect("nextUpdate");
    assert!(verify_at(&answer, &good(), next - 1000).is_ok());
    assert_unavailable(
        verify_at(&answer, &good(), next + 1000),
        "nextUpdate passed",
    );
}

#[test]
fn this_update_older_than_24h_is_unavailable() {
    let answer = respond(&good(), "resp", &["-ndays", "3"]);
    assert!(verify_at(&answer, &good(), answer.this_update_ms + 23 * HOUR_MS).is_ok());
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms + 25 * HOUR_MS),
        "too old",
    );
    // A configured bound applies instead of the default.
    let strict = OcspConfig {
        max_age_ms: HOUR_MS,
        ..OcspConfig::default()
    };
    let result = verify_response(
        &answer.der,
        &good(),
        None,
        answer.this_update_ms + 2 * HOUR_MS,
        &strict,
    );
    assert_unavailable(result, "too old");
}

#[test]
fn this_update_in_the_future_beyond_skew_is_unavailable() {
    // CA-signed, so no responder certificate validity is involved.
    let answer = respond(&good(), "ca", &["-nmin", "5"]);
    assert!(verify_at(&answer, &good(), answer.this_update_ms - 4000).is_ok());
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms - 60_000),
        "in the future",
    );
}

#[test]
fn missing_next_update_is_unavailable() {
    let answer = respond(&good(), "resp", &[]);
    assert_eq!(answer.next_update_ms, None);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "no nextUpdate",
    );
}

#[test]
fn expired_responder_certificate_is_unavailable() {
    // The "short" responder is valid for 1 day; the answer for 7.
    let answer = respond(&good(), "short", &["-ndays", "7"]);
    let lenient = OcspConfig {
        max_age_ms: 30 * DAY_MS,
        ..OcspConfig::default()
    };
    let at = |now| verify_response(&answer.der, &good(), None, now, &lenient);
    assert!(at(answer.this_update_ms + HOUR_MS).is_ok());
    assert_unavailable(at(answer.this_update_ms + 2 * DAY_MS), "not valid now");
}
