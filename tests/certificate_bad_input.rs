//! Hostile and broken certificate inputs (SPEC 5.1 step 3): whatever the
//! bytes, parsing returns `Ok` (when they really are a certificate) or
//! `Err(malformed_certificate)`, and never panics. What the parse accepts
//! is then run through the profile checks, which must not panic either.

use std::path::Path;

use kakunin_verify::certificate::profile::{check_leaf_usage, check_profile, ProfileOptions};
use kakunin_verify::certificate::{
    AgentCertificate, Decoded, MAX_CERTIFICATE_DER_BYTES, MAX_CERTIFICATE_PEM_BYTES,
};
use kakunin_verify::Code;

fn pki_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/pki")
            .join(rel),
    )
    .unwrap()
}

/// The DER of a PEM file under `testdata/pki`.
fn der_of(rel: &str) -> Vec<u8> {
    let pem = pki_bytes(rel);
    let (label, der) = der::pem::decode_vec(&pem).unwrap();
    assert_eq!(label, "CERTIFICATE");
    der
}

fn leaf_der() -> Vec<u8> {
    der_of("p256/leaf.pem")
}

/// Parses `input` both ways; anything but `Ok` or `malformed_certificate`
/// fails the test (a panic fails it too). Returns whether it parsed.
fn parse_checked(input: &[u8]) -> bool {
    let oids = Default::default();
    let results = [
        AgentCertificate::from_pem_or_der(input, &oids),
        AgentCertificate::from_der(input, &oids),
    ];
    let mut parsed = false;
    for r in results {
        match r {
            Ok(cert) => {
                parsed = true;
                // Whatever parsed must be judged without panicking.
                let _ = check_profile(&cert, &ProfileOptions::default());
                let _ = check_leaf_usage(&cert);
                let _ = cert.agent_id();
                let _ = cert.to_inspect_json();
            }
            Err(e) => assert_eq!(
                e.code(),
                Code::MalformedCertificate,
                "{e} for input of {} bytes",
                input.len()
            ),
        }
    }
    parsed
}

fn assert_refused(input: &[u8]) {
    assert!(!parse_checked(input), "accepted {} bytes", input.len());
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle not found")
}

/// A fixed-seed linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }
    fn below(&mut self, n: usize) -> usize {
        self.next_u32() as usize % n
    }
    fn byte(&mut self) -> u8 {
        (self.next_u32() >> 8) as u8
    }
}

#[test]
fn the_real_leaf_parses() {
    assert!(parse_checked(&leaf_der()));
    assert!(parse_checked(&pki_bytes("p256/leaf.pem")));
}

#[test]
fn empty_input() {
    assert_refused(b"");
    assert_refused(b"   \n");
}

#[test]
fn every_truncation_is_refused() {
    for rel in ["p256/leaf.pem", "rsa2048/leaf.pem", "ed25519/leaf.pem"] {
        let der = der_of(rel);
        for len in 0..der.len() {
            assert_refused(&der[..len]);
        }
    }
}

#[test]
fn every_truncation_of_the_pem_is_refused() {
    let pem = pki_bytes("p256/leaf.pem");
    let end = find(&pem, b"-----END");
    for len in 0..end {
        assert_refused(&pem[..len]);
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let der = leaf_der();
    for tail in [&[0u8][..], &[0, 0], &[0x30, 0x00], &der] {
        let mut input = der.clone();
        input.extend_from_slice(tail);
        assert_refused(&input);
    }
}

#[test]
fn wrong_outer_tag_is_refused() {
    let der = leaf_der();
    for tag in [0x31, 0x10, 0xa0, 0x04, 0x00, 0xff] {
        let mut input = der.clone();
        input[0] = tag;
        assert_refused(&input);
    }
}

#[test]
fn huge_length_headers_are_refused() {
    let der = leaf_der();
    for header in [
        &[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff][..],
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        &[0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x30, 0x89, 0x01, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x30, 0xff],
        &[0x30, 0x80], // indefinite length (BER, not DER)
    ] {
        assert_refused(header);
        // ... followed by the rest of a real certificate.
        let mut input = header.to_vec();
        input.extend_from_slice(&der[4..]);
        assert_refused(&input);
    }
}

#[test]
fn non_minimal_outer_length_is_refused() {
    // The leaf starts 30 82 LL LL; re-encode the same length in 3 octets.
    let der = leaf_der();
    assert_eq!(der[1], 0x82);
    let mut input = vec![0x30, 0x83, 0x00, der[2], der[3]];
    input.extend_from_slice(&der[4..]);
    assert_refused(&input);
}

#[test]
fn oversized_inputs_are_refused() {
    let mut der = leaf_der();
    der.resize(MAX_CERTIFICATE_DER_BYTES + 1, 0);
    assert_refused(&der);
    let mut pem = pki_bytes("p256/leaf.pem");
    pem.resize(MAX_CERTIFICATE_PEM_BYTES + 1, b'\n');
    assert_refused(&pem);
}

#[test]
fn pem_problems_are_refused() {
    let pem = String::from_utf8(pki_bytes("p256/leaf.pem")).unwrap();
    assert_refused(pem.replace("CERTIFICATE", "PRIVATE KEY").as_bytes());
    assert_refused(pem.replacen("MII", "M*I", 1).as_bytes());
    assert_refused(b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    assert_refused(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert_refused(b"-----BEGIN");
    // A PEM whose body is a truncated certificate.
    let der = leaf_der();
    let body = base64_encode(&der[..der.len() / 2]);
    let text = format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n");
    assert_refused(text.as_bytes());
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Lcg(0x6b61_6b75_6e69_6e00);
    for _ in 0..4000 {
        let len = rng.below(1200);
        let mut input: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
        // Half of them at least start like a certificate.
        if rng.below(2) == 0 && input.len() >= 4 {
            input[0] = 0x30;
            input[1] = 0x82;
            input[2..4].copy_from_slice(&u16::try_from(len - 4).unwrap().to_be_bytes());
        }
        assert_refused(&input);
    }
}

#[test]
fn mutated_real_certificates_never_panic() {
    let mut rng = Lcg(42);
    let originals = [
        leaf_der(),
        der_of("rsa2048/leaf.pem"),
        der_of("ed25519/leaf.pem"),
    ];
    let mut parsed = 0;
    for i in 0..3000 {
        let mut input = originals[i % originals.len()].clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(input.len());
            match rng.below(3) {
                0 => input[at] = rng.byte(),
                1 => input[at] ^= 1 << rng.below(8),
                _ => {
                    input.remove(at);
                }
            }
        }
        if parse_checked(&input) {
            parsed += 1;
        }
    }
    // Most mutations break the DER; some (in the signature or a string) do not.
    assert!(parsed < 3000, "{parsed}");
}

#[test]
fn non_utf8_in_a_policy_scope_is_policy_invalid() {
    // The outer signature no longer matches, which parsing does not judge.
    let mut der = leaf_der();
    let at = find(&der, b"submit_limit_order");
    der[at + 3] = 0xff;
    let cert = AgentCertificate::from_der(&der, &Default::default()).unwrap();
    assert!(matches!(cert.policy(), Decoded::Invalid(_)));
    let err = check_profile(&cert, &ProfileOptions::default()).unwrap_err();
    assert_eq!(err.code(), Code::PolicyInvalid);
    // An overlong UTF-8 encoding of '/' (C0 AF) is not UTF-8 either.
    let mut der = leaf_der();
    let at = find(&der, b"/data/raw/*");
    der[at] = 0xc0;
    der[at + 1] = 0xaf;
    let cert = AgentCertificate::from_der(&der, &Default::default()).unwrap();
    assert_eq!(
        check_profile(&cert, &ProfileOptions::default())
            .unwrap_err()
            .code(),
        Code::PolicyInvalid
    );
}

#[test]
fn non_utf8_in_the_provenance_is_policy_invalid() {
    let mut der = leaf_der();
    let at = find(&der, b"sample-model");
    der[at] = 0x80;
    let cert = AgentCertificate::from_der(&der, &Default::default()).unwrap();
    assert!(matches!(cert.policy(), Decoded::Present(_)));
    assert!(matches!(cert.provenance(), Decoded::Invalid(_)));
    assert_eq!(
        check_profile(&cert, &ProfileOptions::default())
            .unwrap_err()
            .code(),
        Code::PolicyInvalid
    );
}

#[test]
fn non_ascii_in_the_uri_san_is_malformed() {
    // The URI SAN is an IA5String: a byte above 0x7f does not decode.
    let mut der = leaf_der();
    let at = find(&der, b"urn:kakunin:agent:sample_p256");
    der[at + 20] = 0xe9;
    assert_refused(&der);
}

#[test]
fn non_utf8_in_the_subject_cn_never_panics() {
    // The subject CN (UTF8String, informational) is not judged by the parse.
    let mut der = leaf_der();
    let subject_cn = find(&der, b"\x0c\x0bsample_p256");
    der[subject_cn + 2] = 0xff;
    parse_checked(&der);
}

#[test]
fn unrelated_extension_with_an_arc_beyond_32_bits_never_panics() {
    // bad/oid_arc_64bit.pem carries `1.2.3.99999999999 = NULL` (non-critical).
    let pem = pki_bytes("bad/oid_arc_64bit.pem");
    parse_checked(&pem);
    let der = der_of("bad/oid_arc_64bit.pem");
    parse_checked(&der);
    // The same OID with its last arc at 2^42 - 1 (same length, patched by
    // hand; the signature no longer matters for parsing).
    let at = find(&der, &[0x06, 0x08, 0x2a, 0x03]);
    let mut patched = der.clone();
    patched[at + 4..at + 10].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    parse_checked(&patched);
}
