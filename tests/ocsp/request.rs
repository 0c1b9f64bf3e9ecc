//! SPEC 7.1: the request side. Nonces (bounded, echoed or not), requests
//! byte-identical to openssl's, and the OCSP URLs from the AIA extension.

use kakunin_verify::revocation::ocsp::{aia_ocsp_urls, build_request, verify_response, OcspConfig};

use crate::pki::{good, openssl, pki, read, write};
use crate::responder::{assert_unavailable, respond, respond_with, unique};

#[test]
fn nonce_echoed_must_match_and_absence_is_accepted() {
    let nonce = [7u8; 16];
    let request = build_request(&good(), Some(&nonce)).expect("request with nonce");
    let answer = respond_with(&request, "ca", "resp", &["-nmin", "5"]);
    let cfg = OcspConfig::default();
    let now = answer.this_update_ms;
    assert!(verify_response(&answer.der, &good(), Some(&nonce), now, &cfg).is_ok());
    assert_unavailable(
        verify_response(&answer.der, &good(), Some(&[8u8; 16]), now, &cfg),
        "nonce mismatch",
    );
    // Sent, not echoed (a request without nonce stands in for a pre-produced
    // answer): accepted per RFC 5019.
    let plain = respond(&good(), "resp", &["-nmin", "5"]);
    assert!(verify_response(
        &plain.der,
        &good(),
        Some(&nonce),
        plain.this_update_ms,
        &cfg
    )
    .is_ok());
}

#[test]
fn nonce_is_bounded() {
    assert!(build_request(&good(), Some(&[])).is_err());
    assert!(build_request(&good(), Some(&[1u8; 33])).is_err());
    assert!(build_request(&good(), Some(&[1u8; 32])).is_ok());
}

#[test]
fn request_is_byte_identical_to_openssl() {
    let dir = &pki().dir;
    let out = unique("oreq") + ".der";
    openssl(
        dir,
        &[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-cert",
            "good.pem",
            "-no_nonce",
            "-reqout",
            &out,
        ],
    );
    assert_eq!(
        build_request(&good(), None).expect("request"),
        read(dir, &out)
    );
    // With a nonce, openssl reads it back the same way.
    let with_nonce = build_request(&good(), Some(&[0xab; 8])).expect("request");
    let req = unique("nreq") + ".der";
    write(dir, &req, &with_nonce);
    let text = openssl(dir, &["ocsp", "-reqin", &req, "-req_text"]);
    assert!(text.contains("Serial Number: 9F01"), "{text}");
    assert!(text.contains("0408ABABABABABABABAB"), "{text}");
}

#[test]
fn aia_ocsp_urls_are_extracted() {
    let p = pki();
    assert_eq!(
        aia_ocsp_urls(&p.good_der),
        vec![
            "http://ocsp.example.test/a".to_owned(),
            "http://ocsp2.example.test/".to_owned()
        ]
    );
    assert!(aia_ocsp_urls(&p.ca_der).is_empty());
    assert!(aia_ocsp_urls(&p.good_der[..100]).is_empty());
    assert!(aia_ocsp_urls(b"").is_empty());
}
