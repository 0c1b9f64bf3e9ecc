//! SPEC sections 1–3: the agent certificate model.
//!
//! [`AgentCertificate::from_der`] parses a leaf once (SPEC 5.1 step 3:
//! anything that does not parse, or a Kakunin extension that is critical or
//! present twice, is `malformed_certificate`). What the later steps judge —
//! the profile of section 2 (step 5) and the extension contents (step 5,
//! `policy_invalid`) — is recorded during the parse and surfaced by
//! [`profile`] so that the first failing *step* decides the code.

pub mod hook;
pub mod profile;

pub use hook::{CertificateProfile, ProfileMapping};

use der::asn1::{BitString, ObjectIdentifier};
use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::Certificate;

use crate::crypto::CryptoBackend;
use crate::error::Error;
use crate::policy::{AgentPolicy, ModelProvenance};

/// Largest certificate accepted, in DER bytes (a 16 KiB header of base64
/// holds 12 KiB; files for `inspect` may be PEM, so allow more there).
pub const MAX_CERTIFICATE_DER_BYTES: usize = 16 * 1024;
/// Largest PEM text accepted.
pub const MAX_CERTIFICATE_PEM_BYTES: usize = 64 * 1024;
/// SPEC 1: agent ids are 1 to 128 characters.
pub const MAX_AGENT_ID_CHARS: usize = 128;
/// The agent URN prefix (SPEC 1), compared case-insensitively.
pub const AGENT_URN_PREFIX: &str = "urn:kakunin:agent:";

/// RFC 5280 / X.509 OIDs used here.
pub mod oids {
    use der::asn1::ObjectIdentifier;
    /// rsaEncryption.
    pub const RSA_ENCRYPTION: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    /// id-ecPublicKey.
    pub const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    /// secp256r1.
    pub const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    /// secp384r1.
    pub const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    /// id-Ed25519.
    pub const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
    /// id-ce-subjectAltName.
    pub const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
    /// id-ce-keyUsage.
    pub const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
    /// id-ce-extKeyUsage.
    pub const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
    /// id-ce-basicConstraints.
    pub const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
    /// id-kp-clientAuth.
    pub const KP_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
    /// id-at-commonName.
    pub const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
    /// id-at-organizationName.
    pub const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
}

/// The OIDs of the two Kakunin extensions (SPEC 1). Kakunin's production
/// arc is not public, so it is configurable; [`Default`] is SPEC 1's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionOids {
    /// `id-pe-agentPolicy`.
    pub agent_policy: ObjectIdentifier,
    /// `id-pe-modelProvenance`.
    pub model_provenance: ObjectIdentifier,
}

impl Default for ExtensionOids {
    fn default() -> Self {
        ExtensionOids {
            agent_policy: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.1"),
            model_provenance: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.2"),
        }
    }
}

impl ExtensionOids {
    /// The two OIDs under `arc` (`{arc}.1` and `{arc}.2`), e.g. `"1.3.6.1.4.1.32473.1"`.
    pub fn from_arc(arc: &str) -> Result<Self, crate::ConfigError> {
        let make = |leaf: &str| {
            ObjectIdentifier::new(&format!("{arc}.{leaf}"))
                .map_err(|_| crate::ConfigError::new(format!("invalid extension arc {arc:?}")))
        };
        Ok(ExtensionOids {
            agent_policy: make("1")?,
            model_provenance: make("2")?,
        })
    }
}

/// The leaf's public key type and size (SPEC 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA with a modulus of this many bits.
    Rsa(u32),
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// Anything else (refused by the profile).
    Unsupported,
}

impl KeyAlgorithm {
    /// The SPEC 9 name: `rsa-2048`, `ecdsa-p256`, `ecdsa-p384`, `ed25519`.
    pub fn name(&self) -> String {
        match self {
            KeyAlgorithm::Rsa(bits) => format!("rsa-{bits}"),
            KeyAlgorithm::EcdsaP256 => "ecdsa-p256".into(),
            KeyAlgorithm::EcdsaP384 => "ecdsa-p384".into(),
            KeyAlgorithm::Ed25519 => "ed25519".into(),
            KeyAlgorithm::Unsupported => "unsupported".into(),
        }
    }
}

/// The outcome of decoding one Kakunin extension, kept until step 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<T> {
    /// The extension is absent.
    Absent,
    /// The extension decoded and validated.
    Present(T),
    /// The extension is present but invalid (`policy_invalid`).
    Invalid(Error),
}

impl<T> Decoded<T> {
    /// `Ok(Some(..))`, `Ok(None)` when absent, or the `policy_invalid` error.
    pub fn as_result(&self) -> Result<Option<&T>, Error> {
        match self {
            Decoded::Absent => Ok(None),
            Decoded::Present(t) => Ok(Some(t)),
            Decoded::Invalid(e) => Err(e.clone()),
        }
    }
}

/// A parsed agent (leaf) certificate: everything the verifier needs, read
/// once and cached by SHA-256 fingerprint.
///
/// ```
/// use kakunin_verify::certificate::AgentCertificate;
/// let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/p256/leaf.pem")).unwrap();
/// let cert = AgentCertificate::from_pem_or_der(&pem, &Default::default()).unwrap();
/// assert_eq!(cert.claimed_agent_id(), Some("sample_p256"));
/// ```
#[derive(Debug, Clone)]
pub struct AgentCertificate {
    der: Vec<u8>,
    sha256: [u8; 32],
    sha256_hex: String,
    issuer_name_der: Vec<u8>,
    subject_name_der: Vec<u8>,
    subject_cn: Option<String>,
    organization: Option<String>,
    uri_sans: Vec<String>,
    serial: Vec<u8>,
    serial_hex: String,
    serial_form: SerialForm,
    min_intermediates: usize,
    not_before_ms: u64,
    not_after_ms: u64,
    key_algorithm: KeyAlgorithm,
    public_key: Vec<u8>,
    basic_constraints_ca: Option<bool>,
    key_usage_digital_signature: Option<bool>,
    eku_client_auth: Option<bool>,
    policy: Decoded<AgentPolicy>,
    provenance: Decoded<ModelProvenance>,
    profile_inspect: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Which rules give a certificate's serial its text form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SerialForm {
    /// SPEC 2 / 7.1: a positive serial; its text is the hex of the content
    /// octets without a leading `00` sign octet.
    #[default]
    Rfc5280,
    /// SPEC 10 (profile `kakunin-2026`): the 32-digit text of
    /// [`crate::profile::kakunin::serial::serial_text`], compared by that
    /// text in CRLs, the endpoint URL and pushed revocations.
    Kakunin2026,
}

fn malformed(msg: &'static str) -> Error {
    Error::MalformedCertificate(msg.into())
}

/// SPEC 7.1: hex of the serial's content octets without a leading `00`
/// sign octet, two digits per octet.
pub fn serial_text(content: &[u8]) -> String {
    crate::hex::encode(serial_magnitude(content))
}

/// A serial's content octets without a leading `00` sign octet.
pub fn serial_magnitude(content: &[u8]) -> &[u8] {
    match content {
        [0, rest @ ..] if !rest.is_empty() => rest,
        all => all,
    }
}

/// SPEC 1: `agent-id` is 1 to 128 characters from `[A-Za-z0-9._-]`.
pub fn is_valid_agent_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_AGENT_ID_CHARS
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// SPEC 2: the agent id of an agent URN (`urn:kakunin:agent:` compared
/// case-insensitively, the id exactly), or `None`.
pub fn agent_id_from_urn(uri: &str) -> Option<&str> {
    let prefix = uri.get(..AGENT_URN_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(AGENT_URN_PREFIX) {
        return None;
    }
    let id = uri.get(AGENT_URN_PREFIX.len()..)?;
    is_valid_agent_id(id).then_some(id)
}

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

    /// The certificate's DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// SHA-256 of the DER (the cache key and the signing input's `CERT_SHA256`).
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
    /// Lowercase hex of [`Self::sha256`].
    pub fn sha256_hex(&self) -> &str {
        &self.sha256_hex
    }
    /// The issuer Name, DER.
    pub fn issuer_name_der(&self) -> &[u8] {
        &self.issuer_name_der
    }
    /// The subject Name, DER.
    pub fn subject_name_der(&self) -> &[u8] {
        &self.subject_name_der
    }
    /// The agent id the certificate claims: the id of its first well-formed
    /// agent URN. Whether the profile holds (exactly one URI) is judged by
    /// [`profile::check_profile`]; use [`Self::agent_id`] after that.
    pub fn claimed_agent_id(&self) -> Option<&str> {
        self.uri_sans.iter().find_map(|u| agent_id_from_urn(u))
    }
    /// SPEC 2: the agent id — `Ok` only when the SAN carries exactly one URI
    /// and it is a well-formed agent URN.
    pub fn agent_id(&self) -> Result<&str, Error> {
        match self.uri_sans.as_slice() {
            [only] => agent_id_from_urn(only)
                .ok_or_else(|| malformed("the URI SAN is not a valid agent URN")),
            [] => Err(malformed("no agent URN in subjectAltName")),
            _ => Err(malformed("more than one URI in subjectAltName")),
        }
    }
    /// The URI SANs as written.
    pub fn uri_sans(&self) -> &[String] {
        &self.uri_sans
    }
    /// Subject CN (the agent's name; informational).
    pub fn subject_cn(&self) -> Option<&str> {
        self.subject_cn.as_deref()
    }
    /// Subject O (organization / tenant; informational).
    pub fn organization(&self) -> Option<&str> {
        self.organization.as_deref()
    }
    /// The serial's content octets as encoded.
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }
    /// The serial in SPEC 7.1 text form (SPEC 10's 32-digit text for a
    /// `kakunin-2026` profile certificate, see [`Self::serial_form`]).
    pub fn serial_hex(&self) -> &str {
        &self.serial_hex
    }
    /// Which rules gave [`Self::serial_hex`] its form.
    pub fn serial_form(&self) -> SerialForm {
        self.serial_form
    }
    /// notBefore, Unix ms.
    pub fn not_before_ms(&self) -> u64 {
        self.not_before_ms
    }
    /// notAfter, Unix ms.
    pub fn not_after_ms(&self) -> u64 {
        self.not_after_ms
    }
    /// The key's algorithm and size.
    pub fn key_algorithm(&self) -> KeyAlgorithm {
        self.key_algorithm
    }
    /// The subjectPublicKey BIT STRING contents.
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }
    /// The decoded `agentPolicy`.
    pub fn policy(&self) -> &Decoded<AgentPolicy> {
        &self.policy
    }
    /// The decoded `modelProvenance`.
    pub fn provenance(&self) -> &Decoded<ModelProvenance> {
        &self.provenance
    }
    /// `basicConstraints.cA`, when the extension is present.
    pub fn basic_constraints_ca(&self) -> Option<bool> {
        self.basic_constraints_ca
    }
    /// Whether keyUsage has digitalSignature, when keyUsage is present.
    pub fn key_usage_digital_signature(&self) -> Option<bool> {
        self.key_usage_digital_signature
    }
    /// Whether the EKU contains clientAuth, when an EKU is present.
    pub fn eku_client_auth(&self) -> Option<bool> {
        self.eku_client_auth
    }

    /// SPEC 9 `inspect`: what the certificate says, without judging its chain.
    pub fn to_inspect_json(&self) -> serde_json::Value {
        let policy = match &self.policy {
            Decoded::Present(p) => p.to_json(),
            _ => serde_json::Value::Null,
        };
        let provenance = match &self.provenance {
            Decoded::Present(p) => p.to_json(),
            _ => serde_json::Value::Null,
        };
        let agent_id = self.agent_id().ok();
        let mut out = serde_json::json!({
            "agent_id": agent_id,
            "agent_urn": agent_id.map(|id| format!("{AGENT_URN_PREFIX}{id}")),
            "subject_cn": self.subject_cn,
            "organization": self.organization,
            "serial": self.serial_hex,
            "not_before": crate::time::rfc3339_seconds(self.not_before_ms),
            "not_after": crate::time::rfc3339_seconds(self.not_after_ms),
            "key_algorithm": self.key_algorithm.name(),
            "sha256": self.sha256_hex,
            "policy": policy,
            "model_provenance": provenance,
        });
        if let (Some(extra), Some(obj)) = (&self.profile_inspect, out.as_object_mut()) {
            obj.extend(extra.clone());
        }
        out
    }
}
