//! SPEC 4.1 / 5.1 step 6 under every crypto backend of the build: each
//! algorithm's valid signature verifies, and a flipped bit, a cut or
//! garbage signature, an RSA 1024-bit key, a key encoding ring does not
//! read are `signature_invalid` — the same outcome (and code) for `ring`
//! and, with feature `aws-lc-rs`, aws-lc, through the one-shot check
//! (`verify_signature_with`) and the key prepared once (`VerifyingKey`,
//! what the certificate cache holds).

use std::path::{Path, PathBuf};
use std::process::Command;

use kakunin_verify::certificate::{AgentCertificate, ExtensionOids, KeyAlgorithm};
use kakunin_verify::signature::{sha256, verify_signature_with, SignatureAlgorithm, VerifyingKey};
use kakunin_verify::signer::AgentSigner;
use kakunin_verify::CryptoBackend;

const MESSAGE: &[u8] = b"KAKUNIN-SIG-V1\napi.exchange.example\nGET\n/v1/orderbook";

fn pki(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pki")
        .join(rel)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn certificate(rel: &str) -> AgentCertificate {
    AgentCertificate::from_pem_or_der(&read(&pki(rel)), &ExtensionOids::default()).unwrap()
}

fn signer(kind: &str, algorithm: SignatureAlgorithm) -> AgentSigner {
    AgentSigner::from_pem(
        &read(&pki(&format!("{kind}/leaf.key"))),
        &read(&pki(&format!("{kind}/leaf.pem"))),
        None,
    )
    .unwrap()
    .with_algorithm(algorithm)
    .unwrap()
}

/// What a check answered: `None` for verified, else the SPEC 6 code.
type Outcome = Option<&'static str>;

/// The outcome of both paths with `backend`; they must agree.
fn outcome(
    backend: CryptoBackend,
    algorithm: SignatureAlgorithm,
    key: KeyAlgorithm,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Outcome {
    let once = verify_signature_with(backend, algorithm, public_key, message, signature);
    let prepared = VerifyingKey::new(backend, key, public_key);
    assert_eq!(prepared.backend(), backend);
    let cached = prepared.verify(algorithm, public_key, message, signature);
    let code = |r: Result<(), kakunin_verify::Error>| r.err().map(|e| e.code().as_str());
    let (once, cached) = (code(once), code(cached));
    assert_eq!(
        once,
        cached,
        "{}: one-shot and prepared differ",
        backend.name()
    );
    // A prepared key checks twice alike (the lazily parsed RSA-PSS key too).
    let again = prepared.verify(algorithm, public_key, message, signature);
    assert_eq!(
        code(again),
        cached,
        "{}: second check differs",
        backend.name()
    );
    cached
}

/// The outcome under every backend, asserted identical.
fn same_outcome(
    algorithm: SignatureAlgorithm,
    key: KeyAlgorithm,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Outcome {
    let outcomes: Vec<(CryptoBackend, Outcome)> = CryptoBackend::ALL
        .iter()
        .map(|b| {
            (
                *b,
                outcome(*b, algorithm, key, public_key, message, signature),
            )
        })
        .collect();
    let first = outcomes[0].1;
    for (backend, got) in &outcomes {
        assert_eq!(
            *got,
            first,
            "{}: {} differs from {}",
            algorithm.name(),
            backend.name(),
            outcomes[0].0.name()
        );
    }
    first
}

fn flip_bit(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[index] ^= 0x01;
    v
}

const MATRIX: [(&str, SignatureAlgorithm); 5] = [
    ("rsa2048", SignatureAlgorithm::RsaPkcs1Sha256),
    ("rsa2048", SignatureAlgorithm::RsaPssSha256),
    ("p256", SignatureAlgorithm::EcdsaP256Sha256),
    ("p384", SignatureAlgorithm::EcdsaP384Sha384),
    ("ed25519", SignatureAlgorithm::Ed25519),
];

/// The leaf's key type and subjectPublicKey bytes.
fn key_of(s: &AgentSigner) -> (KeyAlgorithm, &[u8]) {
    (
        s.certificate().key_algorithm(),
        s.certificate().public_key(),
    )
}

// SPEC 4.1 / 5.1 step 6: the signature matrix, identical under every backend.
#[test]
fn spec_5_1_step_6_signature_matrix_is_the_same_under_every_backend() {
    const INVALID: Outcome = Some("signature_invalid");
    for (kind, algorithm) in MATRIX {
        let s = signer(kind, algorithm);
        let (key, public_key) = key_of(&s);
        let sig = s.sign_bytes(MESSAGE).unwrap();
        let name = algorithm.name();
        let check = |message: &[u8], signature: &[u8]| {
            same_outcome(algorithm, key, public_key, message, signature)
        };
        assert_eq!(check(MESSAGE, &sig), None, "{name}: valid");
        assert_eq!(
            check(&flip_bit(MESSAGE, 20), &sig),
            INVALID,
            "{name}: message bit"
        );
        let last = sig.len() - 1;
        for i in [0, sig.len() / 2, last] {
            assert_eq!(
                check(MESSAGE, &flip_bit(&sig, i)),
                INVALID,
                "{name}: sig bit {i}"
            );
        }
        assert_eq!(
            check(MESSAGE, &sig[..last]),
            INVALID,
            "{name}: one byte short"
        );
        let mut long = sig.clone();
        long.push(0);
        assert_eq!(check(MESSAGE, &long), INVALID, "{name}: one byte long");
        assert_eq!(check(MESSAGE, &[]), INVALID, "{name}: empty");
        assert_eq!(
            check(MESSAGE, &vec![0xff; sig.len()]),
            INVALID,
            "{name}: garbage"
        );
        // SPEC 4.1: only the algorithms that fit the key verify it.
        for other in MATRIX.iter().map(|(_, a)| *a).filter(|a| !a.fits(key)) {
            let o = same_outcome(other, key, public_key, MESSAGE, &sig);
            assert_eq!(o, INVALID, "{name} key with {}", other.name());
        }
    }
}

// SPEC 2: RSA below 2048 bits is refused by every backend, even with a
// signature that is correct for the key (made by the openssl CLI).
#[test]
fn spec_2_rsa_1024_key_is_refused_by_every_backend() {
    let cert = certificate("bad/rsa1024.pem");
    assert_eq!(cert.key_algorithm(), KeyAlgorithm::Rsa(1024));
    let dir = std::env::temp_dir().join(format!("kakunin-crypto-backends-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (msg, sig_file, pubkey) = (dir.join("msg"), dir.join("sig"), dir.join("pub.pem"));
    std::fs::write(&msg, MESSAGE).unwrap();
    let openssl = |args: &[&std::ffi::OsStr]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let key = pki("bad/rsa1024.key");
    openssl(&[
        "dgst".as_ref(),
        "-sha256".as_ref(),
        "-sign".as_ref(),
        key.as_os_str(),
        "-out".as_ref(),
        sig_file.as_os_str(),
        msg.as_os_str(),
    ]);
    let pem = openssl(&[
        "x509".as_ref(),
        "-in".as_ref(),
        pki("bad/rsa1024.pem").as_os_str(),
        "-noout".as_ref(),
        "-pubkey".as_ref(),
    ]);
    std::fs::write(&pubkey, pem).unwrap();
    // The signature is right for the key: openssl verifies it.
    openssl(&[
        "dgst".as_ref(),
        "-sha256".as_ref(),
        "-verify".as_ref(),
        pubkey.as_os_str(),
        "-signature".as_ref(),
        sig_file.as_os_str(),
        msg.as_os_str(),
    ]);
    let sig = read(&sig_file);
    std::fs::remove_dir_all(&dir).unwrap();
    for algorithm in [
        SignatureAlgorithm::RsaPkcs1Sha256,
        SignatureAlgorithm::RsaPssSha256,
    ] {
        let got = same_outcome(
            algorithm,
            cert.key_algorithm(),
            cert.public_key(),
            MESSAGE,
            &sig,
        );
        assert_eq!(got, Some("signature_invalid"), "{}", algorithm.name());
    }
}

/// The subjectPublicKeyInfo DER of a certificate (openssl CLI).
fn spki_der(rel: &str) -> Vec<u8> {
    let out = Command::new("sh")
        .arg("-c")
        .arg("openssl x509 -noout -pubkey -in \"$1\" | openssl pkey -pubin -outform DER")
        .arg("sh")
        .arg(pki(rel))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

// SEC 1 2.3.3 / RFC 8410 / RFC 8017 A.1.1: a key is read only in the
// encoding ring reads (uncompressed point, raw Ed25519 key, RSAPublicKey);
// aws-lc would also take a compressed point or a whole SPKI, so without the
// crate's own encoding rule the backends would disagree on these.
#[test]
fn spec_5_1_step_6_key_encodings_ring_refuses_are_refused_by_every_backend() {
    for (kind, algorithm) in MATRIX {
        let s = signer(kind, algorithm);
        let (key, public_key) = key_of(&s);
        let sig = s.sign_bytes(MESSAGE).unwrap();
        let spki = spki_der(&format!("{kind}/leaf.pem"));
        assert_ne!(spki.as_slice(), public_key);
        let got = same_outcome(algorithm, key, &spki, MESSAGE, &sig);
        assert_eq!(got, Some("signature_invalid"), "{}: SPKI", algorithm.name());
        if let Some(coordinate) = match key {
            KeyAlgorithm::EcdsaP256 => Some(32),
            KeyAlgorithm::EcdsaP384 => Some(48),
            _ => None,
        } {
            // 0x02/0x03 by Y's parity, then X.
            let y_odd = public_key[2 * coordinate] & 1;
            let mut compressed = vec![0x02 | y_odd];
            compressed.extend_from_slice(&public_key[1..=coordinate]);
            let got = same_outcome(algorithm, key, &compressed, MESSAGE, &sig);
            assert_eq!(
                got,
                Some("signature_invalid"),
                "{}: compressed",
                algorithm.name()
            );
        }
    }
}

#[derive(der::Sequence)]
struct RsaPublicKey {
    modulus: der::asn1::Uint,
    public_exponent: der::asn1::Uint,
}

// RFC 8017 A.1.1 / 8.2.2: a public exponent of 1 makes the PKCS#1 encoding
// of the message its own "signature"; every backend refuses such a key.
#[test]
fn spec_5_1_step_6_rsa_exponent_one_is_refused_by_every_backend() {
    use der::{Decode, Encode};
    let cert = certificate("rsa2048/leaf.pem");
    let real = RsaPublicKey::from_der(cert.public_key()).unwrap();
    let forged = RsaPublicKey {
        modulus: real.modulus.clone(),
        public_exponent: der::asn1::Uint::new(&[1]).unwrap(),
    }
    .to_der()
    .unwrap();
    // EMSA-PKCS1-v1_5 (RFC 8017 9.2) of MESSAGE for a 256-byte modulus.
    const DIGEST_INFO_SHA256: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let mut em = vec![0x00, 0x01];
    em.resize(256 - DIGEST_INFO_SHA256.len() - 32 - 1, 0xff);
    em.push(0x00);
    em.extend_from_slice(&DIGEST_INFO_SHA256);
    em.extend_from_slice(&sha256(MESSAGE));
    assert_eq!(em.len(), 256);
    let got = same_outcome(
        SignatureAlgorithm::RsaPkcs1Sha256,
        KeyAlgorithm::Rsa(2048),
        &forged,
        MESSAGE,
        &em,
    );
    assert_eq!(got, Some("signature_invalid"));
}

// The builder's default backend is the build's: aws-lc with feature
// `aws-lc-rs` (the feature switches it), else ring.
#[test]
fn default_backend_follows_the_feature() {
    let expected = if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "ring"
    };
    assert_eq!(CryptoBackend::default().name(), expected);
    let store = kakunin_verify::chain::TrustStore::new();
    assert_eq!(store.crypto_backend(), CryptoBackend::default());
    assert_eq!(
        CryptoBackend::ALL.len(),
        if cfg!(feature = "aws-lc-rs") { 2 } else { 1 }
    );
}

/// The group order of P-256 / P-384 (SEC 2 2.4.2, 2.5.1), big-endian hex.
const P256_ORDER: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const P384_ORDER: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// r and s of a DER ECDSA-Sig-Value (short-form lengths: P-256/P-384).
fn ecdsa_parts(sig: &[u8]) -> (Vec<u8>, Vec<u8>) {
    assert_eq!(sig[0], 0x30);
    assert_eq!(sig[2], 0x02);
    let r_len = usize::from(sig[3]);
    let r = sig[4..4 + r_len].to_vec();
    assert_eq!(sig[4 + r_len], 0x02);
    let s_len = usize::from(sig[5 + r_len]);
    let s = sig[6 + r_len..6 + r_len + s_len].to_vec();
    (r, s)
}

/// DER INTEGER contents of a non-negative big-endian number, minimal.
fn der_uint(n: &[u8]) -> Vec<u8> {
    let first = n.iter().position(|b| *b != 0).unwrap_or(n.len() - 1);
    let mut out = n[first..].to_vec();
    if out[0] & 0x80 != 0 {
        out.insert(0, 0);
    }
    out
}

fn ecdsa_der(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut body = vec![0x02, r.len() as u8];
    body.extend_from_slice(r);
    body.extend_from_slice(&[0x02, s.len() as u8]);
    body.extend_from_slice(s);
    let mut out = vec![0x30, body.len() as u8];
    out.extend_from_slice(&body);
    out
}

/// `order - s`, big-endian, at the order's length.
fn negate(order: &[u8], s: &[u8]) -> Vec<u8> {
    let mut s_padded = vec![0u8; order.len()];
    let digits = s
        .iter()
        .skip_while(|b| **b == 0)
        .copied()
        .collect::<Vec<_>>();
    s_padded[order.len() - digits.len()..].copy_from_slice(&digits);
    let mut out = vec![0u8; order.len()];
    let mut borrow = 0i16;
    for i in (0..order.len()).rev() {
        let mut d = i16::from(order[i]) - i16::from(s_padded[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

// SEC 1 4.1.4 / RFC 5480: ECDSA signatures are DER; (r, n − s) verifies like
// (r, s) (neither backend demands low-S), and a non-minimal INTEGER is
// refused — the same under every backend.
#[test]
fn spec_5_1_step_6_ecdsa_high_s_and_non_minimal_der_are_the_same_under_every_backend() {
    for (kind, algorithm, order) in [
        ("p256", SignatureAlgorithm::EcdsaP256Sha256, P256_ORDER),
        ("p384", SignatureAlgorithm::EcdsaP384Sha384, P384_ORDER),
    ] {
        let s = signer(kind, algorithm);
        let (key, public_key) = key_of(&s);
        let sig = s.sign_bytes(MESSAGE).unwrap();
        let (r, s_value) = ecdsa_parts(&sig);
        assert_eq!(ecdsa_der(&r, &s_value), sig, "the DER helpers round-trip");
        let other_s = der_uint(&negate(&unhex(order), &s_value));
        let twin = ecdsa_der(&r, &other_s);
        assert_ne!(twin, sig);
        let name = algorithm.name();
        assert_eq!(
            same_outcome(algorithm, key, public_key, MESSAGE, &twin),
            None,
            "{name}: n - s"
        );
        let mut padded_r = vec![0u8];
        padded_r.extend_from_slice(&r);
        let non_minimal = ecdsa_der(&padded_r, &s_value);
        assert_eq!(
            same_outcome(algorithm, key, public_key, MESSAGE, &non_minimal),
            Some("signature_invalid"),
            "{name}: non-minimal r"
        );
    }
}
