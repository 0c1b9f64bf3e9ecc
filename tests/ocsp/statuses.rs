//! SPEC 7.1: good, revoked and unknown answers map to their statuses, with
//! the times taken from the response; an answer the CA signs itself is
//! accepted.

use kakunin_verify::revocation::RevocationStatus;

use crate::pki::{cert_ref, good, pki, REVOKED_SERIAL, UNKNOWN_SERIAL};
use crate::responder::{respond, status_at, verify_at};
use crate::MINUTE_MS;

#[test]
fn good_is_valid_with_times_from_the_response() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    let now = answer.this_update_ms + 1000;
    let result = verify_at(&answer, &good(), now).expect("verified");
    assert_eq!(result.status, RevocationStatus::Valid);
    assert_eq!(result.produced_at_ms, answer.this_update_ms);
    assert_eq!(result.next_update_ms, answer.next_update_ms);
    assert_eq!(
        result.next_update_ms,
        Some(answer.this_update_ms + 5 * MINUTE_MS)
    );
    assert_eq!(result.source, "ocsp");
    assert_eq!((result.risk_score, result.risk_band), (None, None));
}

#[test]
fn revoked_is_revoked() {
    let p = pki();
    let cert = cert_ref(&p.revoked_der, &p.ca_der, REVOKED_SERIAL);
    let answer = respond(&cert, "resp", &["-nmin", "5"]);
    assert_eq!(
        status_at(&answer, &cert, answer.this_update_ms),
        RevocationStatus::Revoked
    );
}

#[test]
fn serial_not_in_index_is_unknown() {
    let p = pki();
    let cert = cert_ref(&p.unknown_der, &p.ca_der, UNKNOWN_SERIAL);
    let answer = respond(&cert, "resp", &["-nmin", "5"]);
    assert_eq!(
        status_at(&answer, &cert, answer.this_update_ms),
        RevocationStatus::Unknown
    );
}

#[test]
fn signed_by_the_ca_itself_is_valid() {
    // The issuing CA has a P-384 key; openssl signs with ecdsa-with-SHA256.
    let answer = respond(&good(), "ca", &["-nmin", "5"]);
    assert_eq!(
        status_at(&answer, &good(), answer.this_update_ms + 1000),
        RevocationStatus::Valid
    );
}
