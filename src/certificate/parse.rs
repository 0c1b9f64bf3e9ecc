//! SPEC 5.1 step 3: parsing a leaf into an [`AgentCertificate`] — PEM or
//! DER, through x509-cert, the one profile hook ([`CertificateProfile`])
//! for a certificate only a compatibility profile reads, then the fields
//! and extensions the later steps judge (recorded here, judged by
//! [`profile`](super::profile)).

use der::asn1::{BitString, ObjectIdentifier};
use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::Certificate;

use super::{
    malformed, oids, serial_text, AgentCertificate, CertificateProfile, Decoded, ExtensionOids,
    KeyAlgorithm, SerialForm, MAX_CERTIFICATE_DER_BYTES, MAX_CERTIFICATE_PEM_BYTES,
};
use crate::crypto::CryptoBackend;
use crate::error::Error;
use crate::policy::{AgentPolicy, ModelProvenance};

fn directory_string(name: &x509_cert::name::Name, oid: ObjectIdentifier) -> Option<String> {
    use x509_cert::ext::pkix::name::DirectoryString;
    name.by_oid::<DirectoryString>(oid)
        .ok()
        .flatten()
        .map(String::from)
}

/// RFC 5280 4.1.2.7: the key's type and size, and its BIT STRING contents
/// (what ring verifies with).
fn read_public_key(
    spki: &x509_cert::spki::SubjectPublicKeyInfoOwned,
) -> Result<(KeyAlgorithm, Vec<u8>), Error> {
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| malformed("public key has unused bits"))?
        .to_vec();
    let oid = spki.algorithm.oid;
    let alg = if oid == oids::RSA_ENCRYPTION {
        KeyAlgorithm::Rsa(
            rsa_modulus_bits(&key).ok_or_else(|| malformed("RSA public key does not decode"))?,
        )
    } else if oid == oids::EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        match curve {
            Some(c) if c == oids::SECP256R1 => KeyAlgorithm::EcdsaP256,
            Some(c) if c == oids::SECP384R1 => KeyAlgorithm::EcdsaP384,
            _ => KeyAlgorithm::Unsupported,
        }
    } else if oid == oids::ED25519 {
        KeyAlgorithm::Ed25519
    } else {
        KeyAlgorithm::Unsupported
    };
    Ok((alg, key))
}

#[derive(der::Sequence)]
struct RsaPublicKeyDer {
    modulus: der::asn1::Int,
    public_exponent: der::asn1::Int,
}

/// RFC 8017 A.1.1: the modulus size in bits.
fn rsa_modulus_bits(key: &[u8]) -> Option<u32> {
    let k = RsaPublicKeyDer::from_der(key).ok()?;
    let _ = &k.public_exponent;
    let m = k.modulus.as_bytes();
    let m = match m {
        [0, rest @ ..] => rest,
        all => all,
    };
    let first = *m.first()?;
    if first & 0x80 != 0 && k.modulus.as_bytes().first() != Some(&0) {
        return None; // negative modulus
    }
    let len = u32::try_from(m.len()).ok()?;
    Some(len * 8 - first.leading_zeros())
}

impl AgentCertificate {
    /// Parses PEM (one `CERTIFICATE` block) or DER.
    pub fn from_pem_or_der(input: &[u8], oids: &ExtensionOids) -> Result<Self, Error> {
        Self::from_pem_or_der_with(input, oids, None)
    }

    /// [`Self::from_pem_or_der`] with an optional compatibility profile.
    pub fn from_pem_or_der_with(
        input: &[u8],
        oids: &ExtensionOids,
        profile: Option<&dyn CertificateProfile>,
    ) -> Result<Self, Error> {
        if input.len() > MAX_CERTIFICATE_PEM_BYTES {
            return Err(malformed("certificate input too large"));
        }
        let trimmed = input.trim_ascii_start();
        if trimmed.starts_with(b"-----BEGIN") {
            let (label, der) =
                der::pem::decode_vec(trimmed).map_err(|_| malformed("PEM does not decode"))?;
            if label != "CERTIFICATE" {
                return Err(malformed("PEM block is not a CERTIFICATE"));
            }
            Self::from_der_with(&der, oids, profile)
        } else {
            Self::from_der_with(input, oids, profile)
        }
    }

    /// SPEC 5.1 step 3: parses a leaf from DER. Refuses what does not parse,
    /// trailing bytes, and a Kakunin extension that is critical or present
    /// twice (`malformed_certificate`).
    pub fn from_der(der: &[u8], oids: &ExtensionOids) -> Result<Self, Error> {
        Self::from_der_with(der, oids, None)
    }

    /// [`Self::from_der`] with an optional compatibility profile: a
    /// certificate the profile recognises is mapped by it (its serial text,
    /// policy, provenance); one that only the profile's relaxed reading
    /// parses must be the profile's. Without a profile, exactly `from_der`.
    pub fn from_der_with(
        der: &[u8],
        oids: &ExtensionOids,
        profile: Option<&dyn CertificateProfile>,
    ) -> Result<Self, Error> {
        Self::from_der_in(der, oids, profile, CryptoBackend::default())
    }

    /// [`Self::from_der_with`], the fingerprint computed by `backend` (the
    /// verifier's own).
    pub(crate) fn from_der_in(
        der: &[u8],
        oids: &ExtensionOids,
        profile: Option<&dyn CertificateProfile>,
        backend: CryptoBackend,
    ) -> Result<Self, Error> {
        if der.len() > MAX_CERTIFICATE_DER_BYTES {
            return Err(malformed("certificate too large"));
        }
        let (cert, relaxed) = match (Certificate::from_der(der), profile) {
            (Ok(c), _) => (c, false),
            (Err(_), Some(p)) => {
                let c = p
                    .relaxed_der(der)
                    .and_then(|fixed| Certificate::from_der(&fixed).ok())
                    .ok_or_else(|| malformed("certificate does not parse as DER X.509"))?;
                (c, true)
            }
            (Err(_), None) => return Err(malformed("certificate does not parse as DER X.509")),
        };
        let mapping = profile.and_then(|p| p.map(&cert)).transpose()?;
        if relaxed && mapping.is_none() {
            return Err(malformed("certificate does not parse as DER X.509"));
        }
        let mut out = Self::from_parsed(der, &cert, oids, backend)?;
        if let Some(m) = mapping {
            out.apply_profile(m)?;
        }
        Ok(out)
    }

    fn from_parsed(
        der: &[u8],
        cert: &Certificate,
        oids: &ExtensionOids,
        backend: CryptoBackend,
    ) -> Result<Self, Error> {
        let tbs = cert.tbs_certificate();
        let sha256 = crate::digest::sha256_with(backend, der);
        let (key_algorithm, public_key) = read_public_key(tbs.subject_public_key_info())?;
        let serial = tbs.serial_number().as_bytes().to_vec();
        let mut out = AgentCertificate {
            der: der.to_vec(),
            sha256,
            sha256_hex: crate::hex::encode(&sha256),
            issuer_name_der: tbs
                .issuer()
                .to_der()
                .map_err(|_| malformed("issuer name"))?,
            subject_name_der: tbs
                .subject()
                .to_der()
                .map_err(|_| malformed("subject name"))?,
            subject_cn: directory_string(tbs.subject(), oids::COMMON_NAME),
            organization: directory_string(tbs.subject(), oids::ORGANIZATION),
            uri_sans: Vec::new(),
            serial_hex: serial_text(&serial),
            serial_form: SerialForm::Rfc5280,
            min_intermediates: crate::chain::MIN_INTERMEDIATES_IN_PATH,
            serial,
            not_before_ms: crate::time::x509_ms(&tbs.validity().not_before),
            not_after_ms: crate::time::x509_ms(&tbs.validity().not_after),
            key_algorithm,
            public_key,
            basic_constraints_ca: None,
            key_usage_digital_signature: None,
            eku_client_auth: None,
            policy: Decoded::Absent,
            provenance: Decoded::Absent,
            profile_inspect: None,
        };
        let mut seen_policy = false;
        let mut seen_provenance = false;
        for ext in tbs.extensions().into_iter().flatten() {
            let value = ext.extn_value.as_bytes();
            if ext.extn_id == oids.agent_policy || ext.extn_id == oids.model_provenance {
                // SPEC 2: the Kakunin extensions are non-critical and appear once.
                if ext.critical {
                    return Err(malformed("a Kakunin extension is marked critical"));
                }
                let seen = if ext.extn_id == oids.agent_policy {
                    &mut seen_policy
                } else {
                    &mut seen_provenance
                };
                if std::mem::replace(seen, true) {
                    return Err(malformed("a Kakunin extension appears twice"));
                }
                if ext.extn_id == oids.agent_policy {
                    out.policy = match AgentPolicy::from_der(value) {
                        Ok(p) => Decoded::Present(p),
                        Err(e) => Decoded::Invalid(e),
                    };
                } else {
                    out.provenance = match ModelProvenance::from_der(value) {
                        Ok(p) => Decoded::Present(p),
                        Err(e) => Decoded::Invalid(e),
                    };
                }
            } else if ext.extn_id == oids::SUBJECT_ALT_NAME {
                let san = SubjectAltName::from_der(value)
                    .map_err(|_| malformed("subjectAltName does not decode"))?;
                for name in san.0.iter() {
                    if let GeneralName::UniformResourceIdentifier(uri) = name {
                        out.uri_sans.push(uri.to_string());
                    }
                }
            } else if ext.extn_id == oids::BASIC_CONSTRAINTS {
                let bc = BasicConstraints::from_der(value)
                    .map_err(|_| malformed("basicConstraints does not decode"))?;
                out.basic_constraints_ca = Some(bc.ca);
            } else if ext.extn_id == oids::KEY_USAGE {
                let ku =
                    KeyUsage::from_der(value).map_err(|_| malformed("keyUsage does not decode"))?;
                out.key_usage_digital_signature = Some(ku.0.contains(KeyUsages::DigitalSignature));
            } else if ext.extn_id == oids::EXT_KEY_USAGE {
                let eku = ExtendedKeyUsage::from_der(value)
                    .map_err(|_| malformed("extendedKeyUsage does not decode"))?;
                out.eku_client_auth = Some(eku.0.contains(&oids::KP_CLIENT_AUTH));
            }
        }
        let _: &BitString = cert.signature();
        Ok(out)
    }
}
