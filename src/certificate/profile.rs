//! SPEC section 2: the agent certificate profile, one function per rule.
//!
//! Rules that belong to path validation (basicConstraints, keyUsage, EKU)
//! deny with `untrusted_chain` at SPEC 5.1 step 4 ([`check_leaf_usage`]);
//! the others deny with `malformed_certificate` at step 5
//! ([`check_profile`]), followed by extension decoding (`policy_invalid`).

use super::{AgentCertificate, KeyAlgorithm, SerialForm};
use crate::error::Error;

/// SPEC 2: RSA keys are at least 2048 bits.
pub const MIN_RSA_BITS: u32 = 2048;
/// SPEC 2: RSA keys are at most 8192 bits.
pub const MAX_RSA_BITS: u32 = 8192;
/// SPEC 2: `notAfter − notBefore` at most 365 days by default.
pub const DEFAULT_MAX_VALIDITY_SECONDS: u64 = 31_536_000;
/// SPEC 2 / RFC 5280 4.1.2.2: at most 20 serial content octets, the sign octet included.
pub const MAX_SERIAL_OCTETS: usize = 20;

/// Profile settings an integrator may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileOptions {
    /// Longest allowed validity period, in seconds (default 365 days).
    pub max_validity_seconds: u64,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            max_validity_seconds: DEFAULT_MAX_VALIDITY_SECONDS,
        }
    }
}

fn malformed(msg: &'static str) -> Error {
    Error::MalformedCertificate(msg.into())
}

fn untrusted(msg: &'static str) -> Error {
    Error::UntrustedChain(msg.into())
}

// SPEC 2: leaf key RSA 2048..8192, ECDSA P-256 / P-384, or Ed25519.
fn check_key(cert: &AgentCertificate) -> Result<(), Error> {
    match cert.key_algorithm() {
        KeyAlgorithm::Rsa(bits) if (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) => Ok(()),
        KeyAlgorithm::Rsa(_) => Err(malformed("RSA key size outside 2048..8192 bits")),
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 | KeyAlgorithm::Ed25519 => Ok(()),
        KeyAlgorithm::Unsupported => Err(malformed("unsupported public key algorithm")),
    }
}

// SPEC 2: validity period at most `max_validity_seconds`, and not inverted.
fn check_validity_period(cert: &AgentCertificate, opts: &ProfileOptions) -> Result<(), Error> {
    let (nb, na) = (cert.not_before_ms(), cert.not_after_ms());
    if na < nb {
        return Err(malformed("notAfter is before notBefore"));
    }
    if (na - nb) / 1000 > opts.max_validity_seconds {
        return Err(malformed("validity period longer than allowed"));
    }
    Ok(())
}

// SPEC 2 / RFC 5280 4.1.2.2: serial positive, at most 20 content octets.
// A certificate whose serial text a compatibility profile gave (SPEC 10)
// was judged by that profile when it was mapped.
fn check_serial(cert: &AgentCertificate) -> Result<(), Error> {
    if cert.serial_form() != SerialForm::Rfc5280 {
        return Ok(());
    }
    let s = cert.serial();
    if s.is_empty() || s.len() > MAX_SERIAL_OCTETS {
        return Err(malformed("serial number longer than 20 octets"));
    }
    if s.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(malformed("serial number is negative"));
    }
    if s.iter().all(|b| *b == 0) {
        return Err(malformed("serial number is zero"));
    }
    Ok(())
}

// SPEC 2: exactly one URI SAN, `urn:kakunin:agent:{agent-id}`.
fn check_agent_urn(cert: &AgentCertificate) -> Result<(), Error> {
    cert.agent_id().map(|_| ())
}

// SPEC 2: leaf basicConstraints absent or cA FALSE (path validation).
fn check_basic_constraints(cert: &AgentCertificate) -> Result<(), Error> {
    match cert.basic_constraints_ca() {
        Some(true) => Err(untrusted("the agent certificate is a CA")),
        _ => Ok(()),
    }
}

// SPEC 2 / RFC 5280 4.2.1.3: keyUsage present with digitalSignature.
fn check_key_usage(cert: &AgentCertificate) -> Result<(), Error> {
    match cert.key_usage_digital_signature() {
        Some(true) => Ok(()),
        Some(false) => Err(untrusted("keyUsage lacks digitalSignature")),
        None => Err(untrusted("keyUsage is missing")),
    }
}

// SPEC 2 / RFC 5280 4.2.1.12: EKU present and containing id-kp-clientAuth.
// (webpki's KeyUsage::client_auth() accepts a leaf with no EKU at all; the
// profile does not.)
fn check_eku(cert: &AgentCertificate) -> Result<(), Error> {
    match cert.eku_client_auth() {
        Some(true) => Ok(()),
        Some(false) => Err(untrusted("extendedKeyUsage lacks clientAuth")),
        None => Err(untrusted("extendedKeyUsage is missing")),
    }
}

/// SPEC 5.1 step 4 (leaf part): the usage rules that path validation owns.
pub fn check_leaf_usage(cert: &AgentCertificate) -> Result<(), Error> {
    check_basic_constraints(cert)?;
    check_key_usage(cert)?;
    check_eku(cert)
}

/// SPEC 5.1 step 5: the profile (`malformed_certificate`), then extension
/// decoding (`policy_invalid`, for ModelProvenance too).
pub fn check_profile(cert: &AgentCertificate, opts: &ProfileOptions) -> Result<(), Error> {
    check_key(cert)?;
    check_validity_period(cert, opts)?;
    check_serial(cert)?;
    check_agent_urn(cert)?;
    cert.policy().as_result()?;
    cert.provenance().as_result()?;
    Ok(())
}
