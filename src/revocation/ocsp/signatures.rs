//! OCSP answer signatures (RFC 6960 4.2.1, RFC 4055, RFC 5758, RFC 8410).

use super::*;

// ---------------------------------------------------------------------------
// Signatures (RFC 6960 4.2.1, RFC 4055, RFC 5758, RFC 8410)
// ---------------------------------------------------------------------------

// RFC 6960 4.2.1: the signature is over the DER of tbsResponseData, exactly
// as received; `key`'s BIT STRING contents are what both backends expect.
// Verified by `backend`, like the verifier's own signatures and paths.
pub(super) fn verify_signature(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierRef<'_>,
    message: &[u8],
    sig: &[u8],
    backend: CryptoBackend,
) -> Result<(), Unavailable> {
    let key_bytes = key
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Unavailable::new("OCSP: malformed public key"))?;
    if select_algorithm(key, algorithm)?.verify(backend, key_bytes, message, sig) {
        Ok(())
    } else {
        Err(Unavailable::new("OCSP: bad signature"))
    }
}

/// An accepted OCSP signature algorithm (RFC 6960 4.2.1, RFC 4055, RFC
/// 5758, RFC 8410), before a backend is chosen to verify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OcspAlgorithm {
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
    EcdsaP256Sha256,
    EcdsaP256Sha384,
    EcdsaP384Sha256,
    EcdsaP384Sha384,
    Ed25519,
}

impl OcspAlgorithm {
    /// Every accepted algorithm (for tests over both backends).
    #[cfg(test)]
    pub(super) const ALL: [OcspAlgorithm; 11] = [
        OcspAlgorithm::RsaPkcs1Sha256,
        OcspAlgorithm::RsaPkcs1Sha384,
        OcspAlgorithm::RsaPkcs1Sha512,
        OcspAlgorithm::RsaPssSha256,
        OcspAlgorithm::RsaPssSha384,
        OcspAlgorithm::RsaPssSha512,
        OcspAlgorithm::EcdsaP256Sha256,
        OcspAlgorithm::EcdsaP256Sha384,
        OcspAlgorithm::EcdsaP384Sha256,
        OcspAlgorithm::EcdsaP384Sha384,
        OcspAlgorithm::Ed25519,
    ];

    /// Whether `sig` is this algorithm's signature over `message` by `key`
    /// (the BIT STRING contents of the signer's SubjectPublicKeyInfo).
    pub(super) fn verify(
        self,
        backend: CryptoBackend,
        key: &[u8],
        message: &[u8],
        sig: &[u8],
    ) -> bool {
        match backend {
            CryptoBackend::Ring => ring::signature::UnparsedPublicKey::new(self.ring(), key)
                .verify(message, sig)
                .is_ok(),
            #[cfg(feature = "aws-lc-rs")]
            CryptoBackend::AwsLcRs => {
                aws_lc_rs::signature::UnparsedPublicKey::new(self.aws_lc_rs(), key)
                    .verify(message, sig)
                    .is_ok()
            }
        }
    }

    fn ring(self) -> &'static dyn ring::signature::VerificationAlgorithm {
        use ring::signature as r;
        match self {
            OcspAlgorithm::RsaPkcs1Sha256 => &r::RSA_PKCS1_2048_8192_SHA256,
            OcspAlgorithm::RsaPkcs1Sha384 => &r::RSA_PKCS1_2048_8192_SHA384,
            OcspAlgorithm::RsaPkcs1Sha512 => &r::RSA_PKCS1_2048_8192_SHA512,
            OcspAlgorithm::RsaPssSha256 => &r::RSA_PSS_2048_8192_SHA256,
            OcspAlgorithm::RsaPssSha384 => &r::RSA_PSS_2048_8192_SHA384,
            OcspAlgorithm::RsaPssSha512 => &r::RSA_PSS_2048_8192_SHA512,
            OcspAlgorithm::EcdsaP256Sha256 => &r::ECDSA_P256_SHA256_ASN1,
            OcspAlgorithm::EcdsaP256Sha384 => &r::ECDSA_P256_SHA384_ASN1,
            OcspAlgorithm::EcdsaP384Sha256 => &r::ECDSA_P384_SHA256_ASN1,
            OcspAlgorithm::EcdsaP384Sha384 => &r::ECDSA_P384_SHA384_ASN1,
            OcspAlgorithm::Ed25519 => &r::ED25519,
        }
    }

    #[cfg(feature = "aws-lc-rs")]
    fn aws_lc_rs(self) -> &'static dyn aws_lc_rs::signature::VerificationAlgorithm {
        use aws_lc_rs::signature as a;
        match self {
            OcspAlgorithm::RsaPkcs1Sha256 => &a::RSA_PKCS1_2048_8192_SHA256,
            OcspAlgorithm::RsaPkcs1Sha384 => &a::RSA_PKCS1_2048_8192_SHA384,
            OcspAlgorithm::RsaPkcs1Sha512 => &a::RSA_PKCS1_2048_8192_SHA512,
            OcspAlgorithm::RsaPssSha256 => &a::RSA_PSS_2048_8192_SHA256,
            OcspAlgorithm::RsaPssSha384 => &a::RSA_PSS_2048_8192_SHA384,
            OcspAlgorithm::RsaPssSha512 => &a::RSA_PSS_2048_8192_SHA512,
            OcspAlgorithm::EcdsaP256Sha256 => &a::ECDSA_P256_SHA256_ASN1,
            OcspAlgorithm::EcdsaP256Sha384 => &a::ECDSA_P256_SHA384_ASN1,
            OcspAlgorithm::EcdsaP384Sha256 => &a::ECDSA_P384_SHA256_ASN1,
            OcspAlgorithm::EcdsaP384Sha384 => &a::ECDSA_P384_SHA384_ASN1,
            OcspAlgorithm::Ed25519 => &a::ED25519,
        }
    }
}

// The accepted (signature algorithm, key type) pairs.
pub(super) fn select_algorithm(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierRef<'_>,
) -> Result<OcspAlgorithm, Unavailable> {
    let unsupported = || Unavailable::new("OCSP: unsupported signature algorithm");
    let key_oid = key.algorithm.oid;
    let curve = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let oid = algorithm.oid;
    if oid == OID_RSA_SHA256 || oid == OID_RSA_SHA384 || oid == OID_RSA_SHA512 {
        check_rsa_key(key)?;
        if !absent_or_null(algorithm.parameters) {
            return Err(unsupported());
        }
        return Ok(if oid == OID_RSA_SHA256 {
            OcspAlgorithm::RsaPkcs1Sha256
        } else if oid == OID_RSA_SHA384 {
            OcspAlgorithm::RsaPkcs1Sha384
        } else {
            OcspAlgorithm::RsaPkcs1Sha512
        });
    }
    if oid == OID_RSA_PSS {
        check_rsa_key(key)?;
        return select_pss(algorithm.parameters.ok_or_else(unsupported)?);
    }
    if (oid == OID_ECDSA_SHA256 || oid == OID_ECDSA_SHA384) && algorithm.parameters.is_none() {
        if key_oid != OID_EC_PUBLIC_KEY {
            return Err(unsupported());
        }
        let sha256 = oid == OID_ECDSA_SHA256;
        return match (curve, sha256) {
            (Some(c), true) if c == OID_P256 => Ok(OcspAlgorithm::EcdsaP256Sha256),
            (Some(c), false) if c == OID_P256 => Ok(OcspAlgorithm::EcdsaP256Sha384),
            (Some(c), true) if c == OID_P384 => Ok(OcspAlgorithm::EcdsaP384Sha256),
            (Some(c), false) if c == OID_P384 => Ok(OcspAlgorithm::EcdsaP384Sha384),
            _ => Err(unsupported()),
        };
    }
    if oid == OID_ED25519 && algorithm.parameters.is_none() && key_oid == OID_ED25519 {
        return Ok(OcspAlgorithm::Ed25519);
    }
    Err(unsupported())
}

// RFC 3279 2.3.1: an rsaEncryption key.
pub(super) fn check_rsa_key(key: &SubjectPublicKeyInfoOwned) -> Result<(), Unavailable> {
    if key.algorithm.oid != OID_RSA_ENCRYPTION {
        return Err(Unavailable::new(
            "OCSP: signature algorithm does not fit the key",
        ));
    }
    Ok(())
}

// RFC 4055 2.1: algorithm parameters absent or NULL.
pub(super) fn absent_or_null(parameters: Option<AnyRef<'_>>) -> bool {
    match parameters {
        None => true,
        Some(p) => p.is_null(),
    }
}

// RFC 4055 3.1: RSASSA-PSS with SHA-256/384/512, MGF1 with the same hash,
// salt length equal to the hash length, trailer 1.
pub(super) fn select_pss(parameters: AnyRef<'_>) -> Result<OcspAlgorithm, Unavailable> {
    let unsupported = || Unavailable::new("OCSP: unsupported RSA-PSS parameters");
    let params: PssParams<'_> = parameters.decode_as().map_err(|_| unsupported())?;
    let hash = params.hash_algorithm;
    let mgf = params.mask_gen_algorithm;
    let mgf_hash: AlgorithmIdentifierRef<'_> = mgf
        .parameters
        .ok_or_else(unsupported)?
        .decode_as()
        .map_err(|_| unsupported())?;
    let trailer_ok = params.trailer_field.is_none_or(|t| t == 1);
    if !absent_or_null(hash.parameters)
        || mgf.oid != OID_MGF1
        || mgf_hash.oid != hash.oid
        || !absent_or_null(mgf_hash.parameters)
        || !trailer_ok
    {
        return Err(unsupported());
    }
    match (hash.oid, params.salt_length) {
        (h, 32) if h == OID_SHA256 => Ok(OcspAlgorithm::RsaPssSha256),
        (h, 48) if h == OID_SHA384 => Ok(OcspAlgorithm::RsaPssSha384),
        (h, 64) if h == OID_SHA512 => Ok(OcspAlgorithm::RsaPssSha512),
        _ => Err(unsupported()),
    }
}
