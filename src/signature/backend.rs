//! SPEC 5.1 step 6 by the configured [`CryptoBackend`]: a one-shot check
//! ([`verify_signature_with`]) and a certificate's key prepared once for
//! repeated checks ([`VerifyingKey`], held in each certificate cache entry).
//!
//! Both backends give the same outcome for the same input; where aws-lc
//! would accept more key encodings than ring (SubjectPublicKeyInfo-wrapped
//! keys, compressed EC points, other RSA exponents), the key is refused
//! here first, so such a key fails with `signature_invalid` exactly as it
//! does under ring.

use crate::certificate::KeyAlgorithm;
use crate::crypto::CryptoBackend;
use crate::error::Error;

use super::{verify_signature, SignatureAlgorithm};

/// SPEC 5.1 step 6 with `backend`: verifies `signature` over `message`
/// with `public_key` (the subjectPublicKey BIT STRING contents). With
/// [`CryptoBackend::Ring`] this is [`verify_signature`]. Every failure —
/// a key that does not parse for `algorithm`, an RSA modulus outside
/// 2048–8192 bits, a wrong signature — is `signature_invalid`.
///
/// ```
/// use kakunin_verify::crypto::CryptoBackend;
/// use kakunin_verify::signature::{verify_signature_with, SignatureAlgorithm};
/// let refused = verify_signature_with(CryptoBackend::default(),
///     SignatureAlgorithm::Ed25519, &[0u8; 31], b"message", &[0u8; 64]);
/// assert_eq!(refused.unwrap_err().code().as_str(), "signature_invalid");
/// ```
pub fn verify_signature_with(
    backend: CryptoBackend,
    algorithm: SignatureAlgorithm,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    match backend {
        CryptoBackend::Ring => verify_signature(algorithm, public_key, message, signature),
        #[cfg(feature = "aws-lc-rs")]
        CryptoBackend::AwsLcRs => aws::verify_once(algorithm, public_key, message, signature),
    }
}

/// A certificate's public key prepared once for its backend — what each
/// certificate cache entry holds, so a cached agent's request does not
/// parse its key again.
///
/// With `CryptoBackend::AwsLcRs`, the key is parsed for the algorithm
/// its type defaults to (SPEC 4.1) when prepared, and an RSA key also for
/// `rsa-pss-sha256` on its first such request (aws-lc binds the algorithm
/// at parse). A key that does not parse is kept as such and fails every
/// check with `signature_invalid`, as under ring. With
/// [`CryptoBackend::Ring`] nothing is kept: ring has no parsed form and
/// reads `public_key` at each check.
///
/// ```
/// use kakunin_verify::certificate::KeyAlgorithm;
/// use kakunin_verify::crypto::CryptoBackend;
/// use kakunin_verify::signature::{SignatureAlgorithm, VerifyingKey};
/// let bytes = [0u8; 31];
/// let key = VerifyingKey::new(CryptoBackend::default(), KeyAlgorithm::Ed25519, &bytes);
/// let refused = key.verify(SignatureAlgorithm::Ed25519, &bytes, b"message", &[0u8; 64]);
/// assert_eq!(refused.unwrap_err().code().as_str(), "signature_invalid");
/// ```
#[derive(Debug)]
pub struct VerifyingKey {
    prepared: Prepared,
}

#[derive(Debug)]
enum Prepared {
    Ring,
    #[cfg(feature = "aws-lc-rs")]
    AwsLcRs(aws::ParsedKeys),
}

impl VerifyingKey {
    /// Prepares `public_key` (the subjectPublicKey BIT STRING contents of a
    /// key of type `key`) for `backend`. Never fails: a key that does not
    /// parse fails each [`verify`](Self::verify) instead.
    pub fn new(backend: CryptoBackend, key: KeyAlgorithm, public_key: &[u8]) -> Self {
        let prepared = match backend {
            CryptoBackend::Ring => {
                let _ = (key, public_key);
                Prepared::Ring
            }
            #[cfg(feature = "aws-lc-rs")]
            CryptoBackend::AwsLcRs => Prepared::AwsLcRs(aws::ParsedKeys::new(key, public_key)),
        };
        VerifyingKey { prepared }
    }

    /// The backend it was prepared for.
    pub fn backend(&self) -> CryptoBackend {
        match self.prepared {
            Prepared::Ring => CryptoBackend::Ring,
            #[cfg(feature = "aws-lc-rs")]
            Prepared::AwsLcRs(_) => CryptoBackend::AwsLcRs,
        }
    }

    /// SPEC 5.1 step 6: verifies `signature` over `message` with
    /// `algorithm`. `public_key` must be the bytes the key was prepared
    /// from (ring reads them; aws-lc uses them only for an algorithm that
    /// does not fit the key's type). Failures as [`verify_signature_with`].
    pub fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        match &self.prepared {
            Prepared::Ring => verify_signature(algorithm, public_key, message, signature),
            #[cfg(feature = "aws-lc-rs")]
            Prepared::AwsLcRs(keys) => keys.verify(algorithm, public_key, message, signature),
        }
    }
}

#[cfg(feature = "aws-lc-rs")]
mod aws {
    //! aws-lc-rs: the key parsed once (`ParsedPublicKey`), after the
    //! encoding rules ring applies.

    use std::sync::OnceLock;

    use aws_lc_rs::signature::{self as sig, ParsedPublicKey};

    use super::super::{signature_invalid, SignatureAlgorithm};
    use crate::certificate::KeyAlgorithm;
    use crate::error::Error;

    /// ring's largest RSA public exponent: below 2^33.
    const MAX_RSA_EXPONENT_BITS: u32 = 33;

    /// A key parsed for the algorithm its type defaults to and, for RSA,
    /// for PSS on first use. `None`: refused at parse.
    #[derive(Debug)]
    pub(super) struct ParsedKeys {
        default: Option<(SignatureAlgorithm, Option<ParsedPublicKey>)>,
        pss: OnceLock<Option<ParsedPublicKey>>,
    }

    impl ParsedKeys {
        pub(super) fn new(key: KeyAlgorithm, public_key: &[u8]) -> Self {
            let default = SignatureAlgorithm::default_for(key).map(|a| (a, parse(a, public_key)));
            ParsedKeys {
                default,
                pss: OnceLock::new(),
            }
        }

        pub(super) fn verify(
            &self,
            algorithm: SignatureAlgorithm,
            public_key: &[u8],
            message: &[u8],
            signature: &[u8],
        ) -> Result<(), Error> {
            let parsed = match &self.default {
                Some((a, parsed)) if *a == algorithm => parsed.as_ref(),
                // SPEC 4.1: an RSA key may also sign with PSS.
                Some((SignatureAlgorithm::RsaPkcs1Sha256, parsed))
                    if algorithm == SignatureAlgorithm::RsaPssSha256 =>
                {
                    self.pss
                        .get_or_init(|| parsed.as_ref().and_then(|p| parse(algorithm, p.as_ref())))
                        .as_ref()
                }
                // An algorithm that does not fit the key's type (the verifier
                // never asks; a direct caller may): parsed for this check only.
                _ => return verify_once(algorithm, public_key, message, signature),
            };
            check(parsed, message, signature)
        }
    }

    /// [`super::verify_signature_with`] for aws-lc-rs.
    pub(super) fn verify_once(
        algorithm: SignatureAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        check(parse(algorithm, public_key).as_ref(), message, signature)
    }

    fn check(
        parsed: Option<&ParsedPublicKey>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        parsed
            .ok_or_else(signature_invalid)?
            .verify_sig(message, signature)
            .map_err(|_| signature_invalid())
    }

    /// The key parsed for `algorithm`, or `None` when ring would refuse its
    /// encoding or aws-lc does not parse it.
    fn parse(algorithm: SignatureAlgorithm, public_key: &[u8]) -> Option<ParsedPublicKey> {
        if !ring_accepts_encoding(algorithm, public_key) {
            return None;
        }
        ParsedPublicKey::new(aws_algorithm(algorithm), public_key).ok()
    }

    fn aws_algorithm(algorithm: SignatureAlgorithm) -> &'static dyn sig::VerificationAlgorithm {
        match algorithm {
            SignatureAlgorithm::RsaPkcs1Sha256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            SignatureAlgorithm::RsaPssSha256 => &sig::RSA_PSS_2048_8192_SHA256,
            SignatureAlgorithm::EcdsaP256Sha256 => &sig::ECDSA_P256_SHA256_ASN1,
            SignatureAlgorithm::EcdsaP384Sha384 => &sig::ECDSA_P384_SHA384_ASN1,
            SignatureAlgorithm::Ed25519 => &sig::ED25519,
        }
    }

    // The key encodings ring accepts (aws-lc also takes SPKI-wrapped keys and
    // compressed EC points, which would make the backends disagree).
    fn ring_accepts_encoding(algorithm: SignatureAlgorithm, key: &[u8]) -> bool {
        match algorithm {
            SignatureAlgorithm::RsaPkcs1Sha256 | SignatureAlgorithm::RsaPssSha256 => {
                rsa_public_key_as_ring_reads_it(key)
            }
            SignatureAlgorithm::EcdsaP256Sha256 => uncompressed_point(key, 32),
            SignatureAlgorithm::EcdsaP384Sha384 => uncompressed_point(key, 48),
            SignatureAlgorithm::Ed25519 => key.len() == 32,
        }
    }

    // SEC 1 2.3.3: 0x04 || X || Y, each `coordinate` bytes (ring reads only this form).
    fn uncompressed_point(key: &[u8], coordinate: usize) -> bool {
        key.len() == 1 + 2 * coordinate && key.first() == Some(&0x04)
    }

    #[derive(der::Sequence)]
    struct RsaPublicKey {
        modulus: der::asn1::Uint,
        public_exponent: der::asn1::Uint,
    }

    // RFC 8017 A.1.1, as ring reads it: DER RSAPublicKey (not an SPKI), an
    // odd modulus, an odd public exponent of at least 3 and below 2^33.
    fn rsa_public_key_as_ring_reads_it(key: &[u8]) -> bool {
        let Ok(k) = <RsaPublicKey as der::Decode>::from_der(key) else {
            return false;
        };
        let odd = |bytes: &[u8]| bytes.last().is_some_and(|b| b & 1 == 1);
        let e = k.public_exponent.as_bytes();
        let exponent = (e.len() <= 8).then(|| e.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b)));
        odd(k.modulus.as_bytes())
            && odd(e)
            && exponent.is_some_and(|v| (3..1u64 << MAX_RSA_EXPONENT_BITS).contains(&v))
    }
}
