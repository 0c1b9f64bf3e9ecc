//! SPEC 7.1: the answer's signature. RSA-PSS parameters, every crypto
//! backend of the build, and flipped bytes in the signed data or the
//! signature.

use kakunin_verify::revocation::ocsp::{verify_response, verify_response_with_backend, OcspConfig};
use kakunin_verify::revocation::RevocationStatus;
use kakunin_verify::CryptoBackend;

use crate::pki::good;
use crate::responder::{assert_unavailable, find, flip, respond, status_at, verify_at};

/// `openssl ocsp` options for an RSA-PSS answer with the salt as long as
/// the digest (RFC 4055 3.1), five minutes to nextUpdate.
const PSS_SALT_OF_DIGEST_LENGTH: [&str; 6] = [
    "-nmin",
    "5",
    "-rsigopt",
    "rsa_padding_mode:pss",
    "-rsigopt",
    "rsa_pss_saltlen:digest",
];

#[test]
fn rsa_pss_signature_is_valid() {
    let answer = respond(&good(), "resp", &PSS_SALT_OF_DIGEST_LENGTH);
    assert_eq!(
        status_at(&answer, &good(), answer.this_update_ms),
        RevocationStatus::Valid
    );
}

#[test]
fn rsa_pss_with_unusual_salt_is_unavailable() {
    let answer = respond(
        &good(),
        "resp",
        &["-nmin", "5", "-rsigopt", "rsa_padding_mode:pss"],
    );
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "RSA-PSS",
    );
}

#[test]
fn flipped_byte_in_tbs_response_data_is_unavailable() {
    for signer in ["resp", "ca"] {
        let answer = respond(&good(), signer, &["-nmin", "5"]);
        // producedAt is the first GeneralizedTime; change its last second digit.
        let at = find(&answer.der, &[0x18, 0x0f]) + 2 + 13;
        let digit = answer.der[at];
        assert!(digit.is_ascii_digit());
        let tampered = flip(&answer.der, at, if digit == b'0' { b'1' } else { b'0' });
        let result = verify_response(
            &tampered,
            &good(),
            None,
            answer.this_update_ms,
            &OcspConfig::default(),
        );
        assert_unavailable(result, "bad signature");
    }
}

// SPEC 7.1 under every crypto backend of the build: the same answers verify
// (RSA PKCS#1 and PSS by a delegated responder whose certificate the P-384
// CA signed, ECDSA by the CA itself) and the same tampered one does not.
#[test]
fn spec_7_1_every_backend_verifies_the_same_answers() {
    // (answer, signed by a delegated responder whose certificate it carries)
    let answers = [
        (respond(&good(), "resp", &["-nmin", "5"]), true),
        (respond(&good(), "resp", &PSS_SALT_OF_DIGEST_LENGTH), true),
        (respond(&good(), "ca", &["-nmin", "5"]), false),
    ];
    for backend in CryptoBackend::ALL.iter().copied() {
        for (answer, delegated) in &answers {
            let at = answer.this_update_ms + 1000;
            let verify = |der: &[u8]| {
                verify_response_with_backend(
                    der,
                    &good(),
                    None,
                    at,
                    &OcspConfig::default(),
                    backend,
                )
            };
            let status = verify(&answer.der).map(|a| a.status);
            assert_eq!(status, Ok(RevocationStatus::Valid), "{backend:?}");
            // producedAt's last second digit: the answer's own signature.
            let at = find(&answer.der, &[0x18, 0x0f]) + 2 + 13;
            let digit = if answer.der[at] == b'0' { b'1' } else { b'0' };
            assert_unavailable(verify(&flip(&answer.der, at, digit)), "bad signature");
            // The last byte: the signature on the certificate the answer
            // carries — relied on when it is the delegated responder's (the
            // CA's signature on it, verified by the same backend), not when
            // the CA signed the answer itself (its key comes from the path).
            let last = answer.der.len() - 1;
            let tampered = verify(&flip(&answer.der, last, answer.der[last] ^ 0x01));
            if *delegated {
                assert_unavailable(tampered, "responder certificate not signed by the CA");
            } else {
                assert_eq!(tampered.map(|a| a.status), Ok(RevocationStatus::Valid));
            }
        }
    }
}

#[test]
fn flipped_byte_in_signature_is_unavailable() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    // sha256WithRSAEncryption AlgorithmIdentifier, then BIT STRING (2048 bits).
    let alg_and_bits: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
        0x03, 0x82, 0x01, 0x01, 0x00,
    ];
    let at = find(&answer.der, alg_and_bits) + alg_and_bits.len() + 100;
    let tampered = flip(&answer.der, at, answer.der[at] ^ 0x01);
    let result = verify_response(
        &tampered,
        &good(),
        None,
        answer.this_update_ms,
        &OcspConfig::default(),
    );
    assert_unavailable(result, "bad signature");
}
