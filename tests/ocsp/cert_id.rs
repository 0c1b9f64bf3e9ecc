//! SPEC 7.1: an answer counts only for the certificate asked about (its
//! CertID: serial, issuer name hash and issuer key hash).

use kakunin_verify::revocation::ocsp::build_request;

use crate::pki::{cert_ref, good, pki, GOOD_SERIAL, REVOKED_SERIAL};
use crate::responder::{assert_unavailable, respond, respond_with, verify_at};

#[test]
fn response_for_a_different_certificate_is_unavailable() {
    let p = pki();
    let revoked = cert_ref(&p.revoked_der, &p.ca_der, REVOKED_SERIAL);
    let answer = respond(&revoked, "resp", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "no response for this certificate",
    );
}

#[test]
fn cert_id_with_another_issuer_key_is_unavailable() {
    // Same serial, same issuer name hash, different issuer key hash: the
    // other CA has the issuing CA's subject name but its own key.
    let p = pki();
    let asked_wrongly = cert_ref(&p.good_der, &p.other_der, GOOD_SERIAL);
    let request = build_request(&asked_wrongly, None).expect("request");
    let answer = respond_with(&request, "ca", "resp", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "no response for this certificate",
    );
}
