//! SPEC 7.1: who may sign an answer. Responder IDs by key, and delegated
//! responders that are not included, lack OCSPSigning or digitalSignature,
//! carry an unknown critical extension or belong to another CA.

use kakunin_verify::revocation::RevocationStatus;

use crate::pki::good;
use crate::responder::{assert_unavailable, respond, status_at, verify_at};

#[test]
fn responder_id_by_key_is_accepted() {
    let delegated = respond(&good(), "resp", &["-nmin", "5", "-resp_key_id"]);
    assert_eq!(
        status_at(&delegated, &good(), delegated.this_update_ms),
        RevocationStatus::Valid
    );
    let by_ca = respond(&good(), "ca", &["-nmin", "5", "-resp_key_id"]);
    assert_eq!(
        status_at(&by_ca, &good(), by_ca.this_update_ms),
        RevocationStatus::Valid
    );
}

#[test]
fn responder_certificate_not_included_is_unavailable() {
    // -resp_no_certs: the delegated responder's certificate is not sent.
    let answer = respond(&good(), "resp", &["-nmin", "5", "-resp_no_certs"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "responder",
    );
}

#[test]
fn delegated_responder_without_ocsp_signing_is_unavailable() {
    let answer = respond(&good(), "noeku", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "OCSPSigning",
    );
}

#[test]
fn responder_key_usage_without_digital_signature_is_unavailable() {
    let answer = respond(&good(), "nods", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "digitalSignature",
    );
}

#[test]
fn responder_with_unknown_critical_extension_is_unavailable() {
    let answer = respond(&good(), "critext", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "critical extension",
    );
}

#[test]
fn responder_from_another_ca_with_the_same_name_is_unavailable() {
    let answer = respond(&good(), "otherresp", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "not signed by the CA",
    );
}

#[test]
fn another_ca_signing_itself_is_unavailable() {
    // A different CA with the same subject signs directly: byName matches
    // the issuing CA, the signature does not.
    let answer = respond(&good(), "other", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "bad signature",
    );
}
