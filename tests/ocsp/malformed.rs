//! SPEC 7.1: malformed input fails closed. Truncated, corrupted, trailing
//! and garbage responses, and a garbage issuer certificate.

use kakunin_verify::revocation::ocsp::{build_request, verify_response, OcspConfig};

use crate::pki::{cert_ref, good, pki, GOOD_SERIAL};
use crate::responder::{assert_unavailable, flip, respond, verify_at};

#[test]
fn truncated_garbage_and_trailing_bytes_are_unavailable() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    let now = answer.this_update_ms;
    let cfg = OcspConfig::default();
    assert!(verify_response(&answer.der, &good(), None, now, &cfg).is_ok());
    for len in 0..answer.der.len() {
        assert!(
            verify_response(&answer.der[..len], &good(), None, now, &cfg).is_err(),
            "prefix {len}"
        );
    }
    let mut trailing = answer.der.clone();
    trailing.push(0);
    assert_unavailable(
        verify_response(&trailing, &good(), None, now, &cfg),
        "malformed",
    );
    // Every single-byte corruption fails closed, without panicking.
    for at in 0..answer.der.len() {
        let tampered = flip(&answer.der, at, answer.der[at] ^ 0x80);
        assert!(
            verify_response(&tampered, &good(), None, now, &cfg).is_err(),
            "byte {at}"
        );
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for len in [1usize, 2, 5, 64, 1000, 70_000] {
        let garbage: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        assert!(verify_response(&garbage, &good(), None, now, &cfg).is_err());
    }
    for weird in [
        &[0x30, 0x80][..],
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        &[0x30, 0x03, 0x0a, 0x01, 0x03],
    ] {
        assert!(verify_response(weird, &good(), None, now, &cfg).is_err());
    }
    // tryLater.
    assert_unavailable(
        verify_response(&[0x30, 0x03, 0x0a, 0x01, 0x03], &good(), None, now, &cfg),
        "status",
    );
}

#[test]
fn garbage_issuer_is_unavailable() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    let p = pki();
    let bad = cert_ref(&p.good_der, &[0x30, 0x00], GOOD_SERIAL);
    assert!(build_request(&bad, None).is_err());
    assert!(verify_at(&answer, &bad, answer.this_update_ms).is_err());
}
