//! Unit tests of the OCSP module.

use super::*;

const T0: u64 = 1_800_000_000_000;

fn single(this_update_ms: u64, next_update_ms: Option<u64>) -> SingleResponse<'static> {
    let time = |ms: u64| {
        GeneralizedTime::from_unix_duration(core::time::Duration::from_millis(ms))
            .expect("time in range")
    };
    SingleResponse {
        cert_id: CertId {
            hash_algorithm: AlgorithmIdentifierRef {
                oid: OID_SHA1,
                parameters: None,
            },
            issuer_name_hash: OctetStringRef::new(&[]).expect("empty"),
            issuer_key_hash: OctetStringRef::new(&[]).expect("empty"),
            serial_number: IntRef::new(&[1]).expect("serial"),
        },
        cert_status: CertStatus::Good(Null),
        this_update: time(this_update_ms),
        next_update: next_update_ms.map(time),
        single_extensions: None,
    }
}

#[test]
fn default_config_is_24h_and_5s() {
    let config = OcspConfig::default();
    assert_eq!(config.max_age_ms, 86_400_000);
    assert_eq!(config.clock_skew_ms, 5_000);
}

#[test]
fn times_are_checked_at_their_bounds() {
    let cfg = OcspConfig::default();
    let s = single(T0, Some(T0 + 48 * 3_600_000));
    assert_eq!(check_times(&s, T0, &cfg), Ok((T0, T0 + 48 * 3_600_000)));
    assert!(check_times(&s, T0 - 5_000, &cfg).is_ok());
    assert!(check_times(&s, T0 - 5_001, &cfg).is_err());
    assert!(check_times(&s, T0 + cfg.max_age_ms, &cfg).is_ok());
    assert!(check_times(&s, T0 + cfg.max_age_ms + 1, &cfg).is_err());
    let short = single(T0, Some(T0 + 1_000));
    assert!(check_times(&short, T0 + 999, &cfg).is_ok());
    assert!(check_times(&short, T0 + 1_000, &cfg).is_err());
    assert!(check_times(&single(T0, None), T0, &cfg).is_err());
    assert!(check_times(&single(T0, Some(T0 - 1)), T0, &cfg).is_err());
    assert!(check_times(&s, u64::MAX, &cfg).is_err());
}

#[test]
fn cert_id_hashes_are_sha1_and_sha256_only() {
    let alg = |oid, parameters| AlgorithmIdentifierRef { oid, parameters };
    assert!(cert_id_digest(&alg(OID_SHA1, None)).is_some());
    assert!(cert_id_digest(&alg(OID_SHA1, Some(AnyRef::from(Null)))).is_some());
    assert!(cert_id_digest(&alg(OID_SHA256, None)).is_some());
    assert!(cert_id_digest(&alg(OID_SHA384, None)).is_none());
    assert!(cert_id_digest(&alg(OID_SHA1, Some(AnyRef::from(&OID_SHA1)))).is_none());
}

#[test]
fn nonce_rules() {
    let nonce_ext = |value: &[u8], critical| Extension {
        extn_id: OID_OCSP_NONCE,
        critical,
        extn_value: OctetString::new(value).expect("octets"),
    };
    let echoed = [nonce_ext(&[0x04, 0x02, 0xaa, 0xbb], false)];
    assert!(check_nonce(Some(&echoed), Some(&[0xaa, 0xbb])).is_ok());
    assert!(check_nonce(Some(&echoed), Some(&[0xaa, 0xbc])).is_err());
    assert!(check_nonce(Some(&echoed), None).is_ok());
    assert!(check_nonce(None, Some(&[0xaa])).is_ok());
    let twice = [echoed[0].clone(), echoed[0].clone()];
    assert!(check_nonce(Some(&twice), Some(&[0xaa, 0xbb])).is_err());
    // A raw (unwrapped) nonce is not what was sent.
    assert!(check_nonce(
        Some(&[nonce_ext(&[0xaa, 0xbb], false)]),
        Some(&[0xaa, 0xbb])
    )
    .is_err());
    assert!(check_critical_extensions(Some(&[nonce_ext(&[4, 0], true)]), true).is_ok());
    assert!(check_critical_extensions(Some(&[nonce_ext(&[4, 0], true)]), false).is_err());
}

#[test]
fn responder_id_parsing() {
    // [2] { OCTET STRING (20 octets) }
    let mut by_key = vec![0xa2, 22, 0x04, 20];
    by_key.extend_from_slice(&[9u8; 20]);
    let mut reader = SliceReader::new(&by_key).expect("reader");
    assert!(matches!(parse_responder_id(&mut reader), Ok(ResponderId::ByKey(h)) if h == [9u8; 20]));
    // [1] { SEQUENCE {} }
    let by_name = [0xa1, 2, 0x30, 0];
    let mut reader = SliceReader::new(&by_name).expect("reader");
    assert!(
        matches!(parse_responder_id(&mut reader), Ok(ResponderId::ByName(n)) if n == [0x30, 0])
    );
    // [3] is not a ResponderID; [1] holding two values is malformed.
    for bad in [
        &[0xa3, 2, 0x30, 0][..],
        &[0xa1, 4, 0x30, 0, 0x30, 0],
        &[0xa1, 5, 0x30, 0],
    ] {
        let mut reader = SliceReader::new(bad).expect("reader");
        assert!(parse_responder_id(&mut reader).is_err());
    }
}

#[test]
fn certs_field_is_bounded_and_strict() {
    assert_eq!(parse_response_certs(&[]).map(|c| c.len()), Ok(0));
    // [0] { SEQUENCE { five empty SEQUENCEs } }: over MAX_RESPONSE_CERTS.
    let many = [
        0xa0, 12, 0x30, 10, 0x30, 0, 0x30, 0, 0x30, 0, 0x30, 0, 0x30, 0,
    ];
    assert!(parse_response_certs(&many).is_err());
    let two = [0xa0, 6, 0x30, 4, 0x30, 0, 0x30, 0];
    assert_eq!(parse_response_certs(&two).map(|c| c.len()), Ok(2));
    assert!(parse_response_certs(&[0xa1, 2, 0x30, 0]).is_err());
    assert!(parse_response_certs(&[0xa0, 2, 0x30, 0, 0]).is_err());
}

#[test]
fn oversized_inputs_are_refused() {
    let big = vec![0u8; MAX_RESPONSE_LEN + 1];
    assert!(check_response_size(&big).is_err());
    assert!(aia_ocsp_urls(&big).is_empty());
    assert!(aia_ocsp_urls(&[0x30, 0x80, 0, 0]).is_empty());
}

// RFC 6960 4.2.1 under every crypto backend of the build: each accepted
// algorithm maps to the same verification in both — signatures ring makes
// (Ed25519, ECDSA P-256 with SHA-256, P-384 with SHA-384) verify under
// every backend, a flipped bit under none; and no algorithm accepts a
// signature by a key it cannot read.
#[test]
fn rfc_6960_4_2_1_algorithms_agree_under_every_backend() {
    use ring::rand::SystemRandom;
    use ring::signature::{self as r, KeyPair};
    let rng = SystemRandom::new();
    let message = b"tbsResponseData";
    let ed = r::Ed25519KeyPair::generate_pkcs8(&rng)
        .and_then(|p| {
            r::Ed25519KeyPair::from_pkcs8(p.as_ref()).map_err(|_| ring::error::Unspecified)
        })
        .expect("an Ed25519 key");
    let ecdsa = |alg: &'static r::EcdsaSigningAlgorithm| {
        let pkcs8 = r::EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("pkcs8");
        r::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).expect("an ECDSA key")
    };
    let p256 = ecdsa(&r::ECDSA_P256_SHA256_ASN1_SIGNING);
    let p384 = ecdsa(&r::ECDSA_P384_SHA384_ASN1_SIGNING);
    let signed: [(OcspAlgorithm, Vec<u8>, Vec<u8>); 3] = [
        (
            OcspAlgorithm::Ed25519,
            ed.public_key().as_ref().to_vec(),
            ed.sign(message).as_ref().to_vec(),
        ),
        (
            OcspAlgorithm::EcdsaP256Sha256,
            p256.public_key().as_ref().to_vec(),
            p256.sign(&rng, message).expect("sig").as_ref().to_vec(),
        ),
        (
            OcspAlgorithm::EcdsaP384Sha384,
            p384.public_key().as_ref().to_vec(),
            p384.sign(&rng, message).expect("sig").as_ref().to_vec(),
        ),
    ];
    for backend in CryptoBackend::ALL.iter().copied() {
        for (alg, key, sig) in &signed {
            assert!(
                alg.verify(backend, key, message, sig),
                "{alg:?} {backend:?}"
            );
            let mut bad = sig.clone();
            if let Some(b) = bad.last_mut() {
                *b ^= 1;
            }
            assert!(
                !alg.verify(backend, key, message, &bad),
                "{alg:?} {backend:?}"
            );
            assert!(!alg.verify(backend, key, b"another message", sig));
        }
        for alg in OcspAlgorithm::ALL {
            assert!(!alg.verify(backend, &[0x04, 1, 2, 3], message, &[0x30, 0]));
            assert!(!alg.verify(backend, &[], &[], &[]));
        }
    }
}
