//! OCSP answer signatures (RFC 6960 4.2.1, RFC 4055, RFC 5758, RFC 8410).

use super::*;

// ---------------------------------------------------------------------------
// Signatures (RFC 6960 4.2.1, RFC 4055, RFC 5758, RFC 8410)
// ---------------------------------------------------------------------------

// RFC 6960 4.2.1: the signature is over the DER of tbsResponseData, exactly
// as received; `key`'s BIT STRING contents are what ring expects.
pub(super) fn verify_signature(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierRef<'_>,
    message: &[u8],
    sig: &[u8],
) -> Result<(), Unavailable> {
    let key_bytes = key
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Unavailable::new("OCSP: malformed public key"))?;
    let ring_alg = select_algorithm(key, algorithm)?;
    UnparsedPublicKey::new(ring_alg, key_bytes)
        .verify(message, sig)
        .map_err(|_| Unavailable::new("OCSP: bad signature"))
}

// The accepted (signature algorithm, key type) pairs.
pub(super) fn select_algorithm(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierRef<'_>,
) -> Result<&'static dyn VerificationAlgorithm, Unavailable> {
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
            &signature::RSA_PKCS1_2048_8192_SHA256
        } else if oid == OID_RSA_SHA384 {
            &signature::RSA_PKCS1_2048_8192_SHA384
        } else {
            &signature::RSA_PKCS1_2048_8192_SHA512
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
            (Some(c), true) if c == OID_P256 => Ok(&signature::ECDSA_P256_SHA256_ASN1),
            (Some(c), false) if c == OID_P256 => Ok(&signature::ECDSA_P256_SHA384_ASN1),
            (Some(c), true) if c == OID_P384 => Ok(&signature::ECDSA_P384_SHA256_ASN1),
            (Some(c), false) if c == OID_P384 => Ok(&signature::ECDSA_P384_SHA384_ASN1),
            _ => Err(unsupported()),
        };
    }
    if oid == OID_ED25519 && algorithm.parameters.is_none() && key_oid == OID_ED25519 {
        return Ok(&signature::ED25519);
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
pub(super) fn select_pss(
    parameters: AnyRef<'_>,
) -> Result<&'static dyn VerificationAlgorithm, Unavailable> {
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
        (h, 32) if h == OID_SHA256 => Ok(&signature::RSA_PSS_2048_8192_SHA256),
        (h, 48) if h == OID_SHA384 => Ok(&signature::RSA_PSS_2048_8192_SHA384),
        (h, 64) if h == OID_SHA512 => Ok(&signature::RSA_PSS_2048_8192_SHA512),
        _ => Err(unsupported()),
    }
}
