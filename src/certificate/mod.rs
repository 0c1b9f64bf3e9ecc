//! SPEC sections 1–3: the agent certificate model.
//!
//! [`AgentCertificate::from_der`] parses a leaf once (SPEC 5.1 step 3:
//! anything that does not parse, or a Kakunin extension that is critical or
//! present twice, is `malformed_certificate`). What the later steps judge —
//! the profile of section 2 (step 5) and the extension contents (step 5,
//! `policy_invalid`) — is recorded during the parse and surfaced by
//! [`profile`] so that the first failing *step* decides the code.

pub mod hook;
mod parse;
pub mod profile;

pub use hook::{CertificateProfile, ProfileMapping};

use der::asn1::ObjectIdentifier;

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

impl AgentCertificate {
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
