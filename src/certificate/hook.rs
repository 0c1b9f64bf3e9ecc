//! The one hook through which a compatibility profile (SPEC 10
//! `kakunin-2026`) takes part in parsing a leaf: the profile recognises a
//! certificate and maps it into the crate's own types; the verifier's core
//! judges the result by the same rules as any other certificate.

use x509_cert::Certificate;

use super::{malformed, AgentCertificate, Decoded, SerialForm};
use crate::error::Error;
use crate::policy::{AgentPolicy, ModelProvenance};

/// What a compatibility profile (e.g. SPEC 10 `kakunin-2026`) says about a
/// certificate it recognises, already mapped into the crate's own types.
#[derive(Debug, Clone)]
pub struct ProfileMapping {
    /// The serial's text in the profile's form.
    pub serial_text: String,
    /// Which rules gave `serial_text` its form.
    pub serial_form: SerialForm,
    /// The fewest intermediate CAs a path to this certificate may have:
    /// SPEC 2 says one or more ([`crate::chain::MIN_INTERMEDIATES_IN_PATH`]);
    /// SPEC 10's profile, zero or more.
    pub min_intermediates: usize,
    /// The policy the profile's extensions map to (`policy_invalid` kept
    /// for step 5).
    pub policy: Decoded<AgentPolicy>,
    /// The model provenance the profile's extensions map to.
    pub provenance: Decoded<ModelProvenance>,
    /// Subject CN when the standard reading found none (informational).
    pub subject_cn: Option<String>,
    /// Subject O when the standard reading found none (informational).
    pub organization: Option<String>,
    /// Extra members for `inspect` (e.g. the raw extension text).
    pub inspect: serde_json::Map<String, serde_json::Value>,
}

/// The one hook through which a compatibility profile takes part in
/// parsing a leaf (SPEC 5.1 step 3). Without a profile configured the
/// verifier parses as sections 2–3 say; with one, a certificate the profile
/// recognises is mapped at this edge and judged by the same rules after.
pub trait CertificateProfile: Send + Sync + std::fmt::Debug {
    /// A DER re-encoding for the field parser when the profile reads an
    /// encoding the strict parser refuses (e.g. a non-minimal serial);
    /// `None` when it has nothing to offer. Signatures are still verified
    /// over the certificate as presented.
    fn relaxed_der(&self, der: &[u8]) -> Option<Vec<u8>>;
    /// `None` when the certificate is not the profile's; else its mapping,
    /// or `malformed_certificate`.
    fn map(&self, cert: &Certificate) -> Option<Result<ProfileMapping, Error>>;
}

impl AgentCertificate {
    // A profile's mapping replaces what sections 1-3 would read: SPEC 10
    // (a profile certificate carrying agentPolicy is malformed_certificate).
    pub(super) fn apply_profile(&mut self, m: ProfileMapping) -> Result<(), Error> {
        if !matches!(self.policy, Decoded::Absent) {
            return Err(malformed("a profile certificate also carries agentPolicy"));
        }
        if !matches!(m.provenance, Decoded::Absent) {
            if !matches!(self.provenance, Decoded::Absent) {
                return Err(malformed(
                    "a profile certificate also carries modelProvenance",
                ));
            }
            self.provenance = m.provenance;
        }
        self.policy = m.policy;
        self.serial_hex = m.serial_text;
        self.serial_form = m.serial_form;
        self.min_intermediates = m.min_intermediates;
        self.subject_cn = self.subject_cn.take().or(m.subject_cn);
        self.organization = self.organization.take().or(m.organization);
        self.profile_inspect = Some(m.inspect);
        Ok(())
    }

    /// The fewest intermediate CAs a path from this certificate to a pinned
    /// root may have (SPEC 5.1 step 4): one, as SPEC 2 says, unless a
    /// profile that recognised the certificate allows fewer (SPEC 10:
    /// none). A leaf issued by a pinned root itself is otherwise
    /// `untrusted_chain`.
    pub fn min_intermediates_in_path(&self) -> usize {
        self.min_intermediates
    }
}
