//! SPEC 4.4 and 4.1: the signing input and the signature check.
//!
//! The algorithm always comes from the leaf's key; the optional
//! `X-Agent-Signature-Algorithm` header may only confirm it. Verification is by the
//! configured [`CryptoBackend`](crate::crypto::CryptoBackend)
//! ([`verify_signature_with`], or a [`VerifyingKey`] prepared once per cached
//! certificate), with the subjectPublicKey BIT STRING contents as the key;
//! [`verify_signature`] is always `ring`'s.

use ring::signature::{self as sig, UnparsedPublicKey};

mod backend;

pub use backend::{verify_signature_with, VerifyingKey};

use crate::certificate::KeyAlgorithm;
use crate::error::Error;
use crate::hex;

pub use crate::digest::sha256;

/// The first line of every version 1 signing input.
pub const SIGNING_INPUT_MAGIC: &str = "KAKUNIN-SIG-V1";

/// The signature algorithms of SPEC 4.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// `rsa-pkcs1-sha256`.
    RsaPkcs1Sha256,
    /// `rsa-pss-sha256` (MGF1-SHA-256, 32-byte salt).
    RsaPssSha256,
    /// `ecdsa-p256-sha256` (ASN.1 DER signature).
    EcdsaP256Sha256,
    /// `ecdsa-p384-sha384` (ASN.1 DER signature).
    EcdsaP384Sha384,
    /// `ed25519`.
    Ed25519,
}

impl SignatureAlgorithm {
    /// Parses a SPEC 4.1 algorithm name (case-sensitive), as text or as
    /// the header's bytes.
    ///
    /// ```
    /// use kakunin_verify::signature::SignatureAlgorithm;
    /// assert_eq!(SignatureAlgorithm::from_name("ed25519"), Some(SignatureAlgorithm::Ed25519));
    /// assert_eq!(SignatureAlgorithm::from_name(b"ed25519"), Some(SignatureAlgorithm::Ed25519));
    /// assert_eq!(SignatureAlgorithm::from_name("Ed25519"), None);
    /// ```
    pub fn from_name(name: impl AsRef<[u8]>) -> Option<Self> {
        Some(match name.as_ref() {
            b"rsa-pkcs1-sha256" => Self::RsaPkcs1Sha256,
            b"rsa-pss-sha256" => Self::RsaPssSha256,
            b"ecdsa-p256-sha256" => Self::EcdsaP256Sha256,
            b"ecdsa-p384-sha384" => Self::EcdsaP384Sha384,
            b"ed25519" => Self::Ed25519,
            _ => return None,
        })
    }

    /// The SPEC 4.1 name.
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            Self::RsaPssSha256 => "rsa-pss-sha256",
            Self::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Self::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            Self::Ed25519 => "ed25519",
        }
    }

    /// SPEC 4.1: the default algorithm for a key.
    pub fn default_for(key: KeyAlgorithm) -> Option<Self> {
        match key {
            KeyAlgorithm::Rsa(_) => Some(Self::RsaPkcs1Sha256),
            KeyAlgorithm::EcdsaP256 => Some(Self::EcdsaP256Sha256),
            KeyAlgorithm::EcdsaP384 => Some(Self::EcdsaP384Sha384),
            KeyAlgorithm::Ed25519 => Some(Self::Ed25519),
            KeyAlgorithm::Unsupported => None,
        }
    }

    /// Whether this algorithm fits a key of type `key`.
    pub fn fits(self, key: KeyAlgorithm) -> bool {
        matches!(
            (self, key),
            (
                Self::RsaPkcs1Sha256 | Self::RsaPssSha256,
                KeyAlgorithm::Rsa(_)
            ) | (Self::EcdsaP256Sha256, KeyAlgorithm::EcdsaP256)
                | (Self::EcdsaP384Sha384, KeyAlgorithm::EcdsaP384)
                | (Self::Ed25519, KeyAlgorithm::Ed25519)
        )
    }

    pub(crate) fn ring_algorithm(self) -> &'static dyn sig::VerificationAlgorithm {
        match self {
            Self::RsaPkcs1Sha256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            Self::RsaPssSha256 => &sig::RSA_PSS_2048_8192_SHA256,
            Self::EcdsaP256Sha256 => &sig::ECDSA_P256_SHA256_ASN1,
            Self::EcdsaP384Sha384 => &sig::ECDSA_P384_SHA384_ASN1,
            Self::Ed25519 => &sig::ED25519,
        }
    }
}

/// SPEC 4.1: the algorithm is chosen by the certificate's key; a header
/// naming one that does not fit that key is `signature_invalid`.
pub fn choose_algorithm(
    key: KeyAlgorithm,
    header: Option<SignatureAlgorithm>,
) -> Result<SignatureAlgorithm, Error> {
    let default = SignatureAlgorithm::default_for(key).ok_or_else(|| {
        Error::SignatureInvalid("the certificate's key type cannot sign requests".into())
    })?;
    match header {
        None => Ok(default),
        Some(h) if h.fits(key) => Ok(h),
        Some(_) => Err(Error::SignatureInvalid(
            "X-Agent-Signature-Algorithm does not fit the certificate's key".into(),
        )),
    }
}

/// The ten fields of the SPEC 4.4 signing input.
#[derive(Debug, Clone, Copy)]
pub struct SigningInput<'a> {
    /// The `X-Agent-Audience` value.
    pub audience: &'a str,
    /// The method as sent.
    pub method: &'a str,
    /// The request-target exactly as received.
    pub target: &'a str,
    /// The `X-Agent-Timestamp` value.
    pub timestamp: &'a str,
    /// The nonce, or empty.
    pub nonce: &'a str,
    /// SHA-256 of the leaf's DER.
    pub cert_sha256: &'a [u8; 32],
    /// SHA-256 of the canonical body.
    pub body_sha256: &'a [u8; 32],
    /// The `X-Agent-Model-Sha256` value, or empty.
    pub model_sha256: &'a str,
    /// The `X-Agent-Prompt-Sha256` value, or empty.
    pub prompt_sha256: &'a str,
}

impl SigningInput<'_> {
    /// SPEC 4.4: writes the ten lines joined by LF, no trailing LF, into `out`.
    ///
    /// ```
    /// use kakunin_verify::signature::SigningInput;
    /// let zero = [0u8; 32];
    /// let mut out = Vec::new();
    /// SigningInput { audience: "api.exchange.example", method: "GET", target: "/v1/orderbook",
    ///     timestamp: "1782897300000", nonce: "", cert_sha256: &zero, body_sha256: &zero,
    ///     model_sha256: "", prompt_sha256: "" }.write_to(&mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert_eq!(text.split('\n').count(), 10);
    /// assert!(text.starts_with("KAKUNIN-SIG-V1\napi.exchange.example\nGET\n/v1/orderbook\n"));
    /// assert!(text.ends_with("\n\n"));
    /// ```
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let (cert_hex, body_hex) = (
            hex::sha256_hex(self.cert_sha256),
            hex::sha256_hex(self.body_sha256),
        );
        let lines = self.lines(&cert_hex, &body_hex);
        out.clear();
        out.reserve(joined_len(&lines));
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(line);
        }
    }

    /// SPEC 4.4: the signing input written into `stack` when it fits there
    /// (no allocation), else into `heap`; the same bytes as
    /// [`write_to`](Self::write_to).
    ///
    /// ```
    /// use kakunin_verify::signature::SigningInput;
    /// let zero = [0u8; 32];
    /// let input = SigningInput { audience: "api.exchange.example", method: "GET",
    ///     target: "/v1/orderbook", timestamp: "1782897300000", nonce: "", cert_sha256: &zero,
    ///     body_sha256: &zero, model_sha256: "", prompt_sha256: "" };
    /// let (mut stack, mut heap) = ([0u8; 512], Vec::new());
    /// assert_eq!(input.write_to_buffer(&mut stack, &mut heap), input.to_bytes());
    /// let (mut small, mut heap) = ([0u8; 8], Vec::new());
    /// assert_eq!(input.write_to_buffer(&mut small, &mut heap), input.to_bytes());
    /// ```
    pub fn write_to_buffer<'b>(&self, stack: &'b mut [u8], heap: &'b mut Vec<u8>) -> &'b [u8] {
        self.write_with_cert_hex(&hex::sha256_hex(self.cert_sha256), stack, heap)
    }

    /// [`write_to_buffer`](Self::write_to_buffer) with the hex of
    /// `cert_sha256` already made (the verifier keeps it with the cached
    /// certificate, so it is not re-encoded on every request).
    pub(crate) fn write_with_cert_hex<'b>(
        &self,
        cert_hex: &[u8; 64],
        stack: &'b mut [u8],
        heap: &'b mut Vec<u8>,
    ) -> &'b [u8] {
        debug_assert!(*cert_hex == hex::sha256_hex(self.cert_sha256));
        let body_hex = hex::sha256_hex(self.body_sha256);
        let lines = self.lines(cert_hex, &body_hex);
        let Some(out) = stack.get_mut(..joined_len(&lines)) else {
            self.write_to(heap);
            return heap;
        };
        let mut rest: &mut [u8] = out;
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                rest = put(rest, b"\n");
            }
            rest = put(rest, line);
        }
        out
    }

    /// The ten lines of SPEC 4.4, in order.
    fn lines<'s>(&'s self, cert_hex: &'s [u8; 64], body_hex: &'s [u8; 64]) -> [&'s [u8]; 10] {
        [
            SIGNING_INPUT_MAGIC.as_bytes(),
            self.audience.as_bytes(),
            self.method.as_bytes(),
            self.target.as_bytes(),
            self.timestamp.as_bytes(),
            self.nonce.as_bytes(),
            cert_hex,
            body_hex,
            self.model_sha256.as_bytes(),
            self.prompt_sha256.as_bytes(),
        ]
    }

    /// The signing input as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_to(&mut v);
        v
    }
}

/// The length of `lines` joined by LF.
fn joined_len(lines: &[&[u8]]) -> usize {
    lines.iter().fold(lines.len().saturating_sub(1), |n, l| {
        n.saturating_add(l.len())
    })
}

/// Copies `bytes` to the front of `out` and returns the rest of `out` (the
/// caller sized `out` exactly; a short `out` takes what fits).
fn put<'o>(out: &'o mut [u8], bytes: &[u8]) -> &'o mut [u8] {
    let n = bytes.len().min(out.len());
    let (head, tail) = out.split_at_mut(n);
    head.copy_from_slice(bytes.get(..n).unwrap_or_default());
    tail
}

/// SPEC 5.1 step 6: verifies `signature` over `message` with `public_key`
/// (the subjectPublicKey BIT STRING contents), with `ring` whatever the
/// build's features (see [`verify_signature_with`] to choose the backend).
pub fn verify_signature(
    algorithm: SignatureAlgorithm,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    UnparsedPublicKey::new(algorithm.ring_algorithm(), public_key)
        .verify(message, signature)
        .map_err(|_| signature_invalid())
}

/// The one error of a signature that does not verify, whatever the backend.
pub(crate) fn signature_invalid() -> Error {
    Error::SignatureInvalid("the signature does not verify".into())
}
