//! SPEC 10 certificates: how the profile recognises a Kakunin certificate
//! (its financial-scope extension) and maps it, at the edge, into the
//! crate's own types — the 32-digit serial text, the [`AgentPolicy`] of its
//! scope, the [`ModelProvenance`](crate::policy::ModelProvenance) of its model hash and informational
//! subject attributes read lossily.
//!
//! What the strict stacks accept as is (so the leniency here is small):
//! `x509-cert` 0.3 (its `Rfc5280` profile checks only a serial's length) and
//! `rustls-webpki` (it reads any serial INTEGER) both take negative and
//! 15-octet serials; webpki needs no SKI/AKI and never reads subject
//! strings; `x509-cert` decodes a subject's values as `ANY`, refusing a
//! `PrintableString` outside its set only when asked for a
//! `DirectoryString`. What `der` 0.8 refuses is a non-minimal INTEGER, so a
//! serial with a redundant first octet is re-encoded minimally for the field
//! parser only ([`relaxed_der`]); the signature is verified over the bytes
//! as presented. None of this applies without the profile configured: the
//! section 2 rules (`check_serial`) refuse a negative serial as before.

use der::asn1::ObjectIdentifier;
use x509_cert::Certificate;

use super::scope::{self, FinancialScope};
use super::{model_hash, serial, DEFAULT_PROFILE_ARC, PROFILE_NAME};
use crate::certificate::{oids, CertificateProfile, Decoded, ProfileMapping, SerialForm};
use crate::error::{ConfigError, Error};
use crate::policy::AgentPolicy;

/// SPEC 10: the `kakunin-2026` profile as configured: the extension arc,
/// the scopes profile certificates hold and the verifier's venue.
///
/// ```
/// use kakunin_verify::profile::kakunin::KakuninProfile;
/// let p = KakuninProfile::new()
///     .scopes(["submit_limit_order"])
///     .venue("binance");
/// assert_eq!(p.configured_scopes(), ["submit_limit_order".to_string()]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KakuninProfile {
    model_hash_oid: ObjectIdentifier,
    financial_scope_oid: ObjectIdentifier,
    scopes: Vec<String>,
    venue: Option<String>,
}

impl Default for KakuninProfile {
    fn default() -> Self {
        Self::new()
    }
}

/// SPEC 10: `.2` model hash under the default arc.
pub const DEFAULT_MODEL_HASH_OID: &str = "1.3.6.1.4.1.99999.2";
/// SPEC 10: `.3` financial scope under the default arc.
pub const DEFAULT_FINANCIAL_SCOPE_OID: &str = "1.3.6.1.4.1.99999.3";
const _: () = assert!(DEFAULT_PROFILE_ARC.len() + 2 == DEFAULT_MODEL_HASH_OID.len());

/// The values of the profile's extensions: `(financial scope, model hash)`.
type ProfileExtensions<'c> = (Option<&'c [u8]>, Option<&'c [u8]>);

fn arc_oid(arc: &str, leaf: &str) -> Result<ObjectIdentifier, ConfigError> {
    ObjectIdentifier::new(&format!("{arc}.{leaf}"))
        .map_err(|_| ConfigError::new(format!("invalid profile extension arc {arc:?}")))
}

fn malformed(msg: &'static str) -> Error {
    Error::MalformedCertificate(msg.into())
}

impl KakuninProfile {
    /// The profile with SPEC 10's default arc, no scopes and no venue.
    pub fn new() -> Self {
        KakuninProfile {
            model_hash_oid: ObjectIdentifier::new_unwrap(DEFAULT_MODEL_HASH_OID),
            financial_scope_oid: ObjectIdentifier::new_unwrap(DEFAULT_FINANCIAL_SCOPE_OID),
            scopes: Vec::new(),
            venue: None,
        }
    }

    /// The extensions under another arc (`{arc}.2`, `{arc}.3`).
    pub fn arc(mut self, arc: &str) -> Result<Self, ConfigError> {
        self.model_hash_oid = arc_oid(arc, "2")?;
        self.financial_scope_oid = arc_oid(arc, "3")?;
        Ok(self)
    }

    /// SPEC 10: the scopes profile certificates hold (default none).
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// SPEC 10: the verifier's venue name (default none: venues unchecked).
    pub fn venue(mut self, venue: impl Into<String>) -> Self {
        self.venue = Some(venue.into());
        self
    }

    /// The configured scopes.
    pub fn configured_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The configured venue.
    pub fn configured_venue(&self) -> Option<&str> {
        self.venue.as_deref()
    }

    /// SPEC 9/10 command line: `--profile NAME`, `--profile-scopes
    /// A,B`, `--venue NAME`. `Ok(None)` without `--profile`; scopes or a
    /// venue without it, or another name, is a configuration error.
    pub fn from_options(
        name: Option<&str>,
        scopes: Option<&str>,
        venue: Option<&str>,
    ) -> Result<Option<Self>, ConfigError> {
        match name {
            None if scopes.is_some() || venue.is_some() => Err(ConfigError::new(
                "--profile-scopes and --venue need --profile kakunin-2026",
            )),
            None => Ok(None),
            Some(n) if n != PROFILE_NAME => {
                Err(ConfigError::new(format!("unknown --profile {n:?}")))
            }
            Some(_) => {
                let mut p = Self::new();
                if let Some(list) = scopes {
                    let items: Vec<&str> = list.split(',').map(str::trim).collect();
                    if items.iter().any(|s| s.is_empty()) {
                        return Err(ConfigError::new("--profile-scopes has an empty scope"));
                    }
                    p = p.scopes(items);
                }
                if let Some(v) = venue {
                    if v.is_empty() {
                        return Err(ConfigError::new("--venue is empty"));
                    }
                    p = p.venue(v);
                }
                Ok(Some(p))
            }
        }
    }

    /// The profile's extensions of a certificate: `(scope, model hash)`
    /// values. SPEC 10 / 2: non-critical and at most once each.
    fn extensions<'c>(&self, cert: &'c Certificate) -> Result<ProfileExtensions<'c>, Error> {
        let mut scope = None;
        let mut hash = None;
        for ext in cert.tbs_certificate().extensions().into_iter().flatten() {
            let slot = if ext.extn_id == self.financial_scope_oid {
                &mut scope
            } else if ext.extn_id == self.model_hash_oid {
                &mut hash
            } else {
                continue;
            };
            if ext.critical {
                return Err(malformed("a kakunin-2026 extension is marked critical"));
            }
            if slot.replace(ext.extn_value.as_bytes()).is_some() {
                return Err(malformed("a kakunin-2026 extension appears twice"));
            }
        }
        Ok((scope, hash))
    }

    // SPEC 10: the scope's JSON mapped into the crate's policy.
    fn policy(
        &self,
        value: &[u8],
    ) -> (Option<String>, Decoded<AgentPolicy>, Option<FinancialScope>) {
        let text = match scope::extension_text(value) {
            Ok(t) => t,
            Err(e) => return (None, Decoded::Invalid(e), None),
        };
        let mapped = scope::parse_scope(&text).and_then(|s| {
            let p = s.to_policy(&self.scopes, self.venue.as_deref())?;
            Ok((p, s))
        });
        match mapped {
            Ok((p, s)) => (Some(text), Decoded::Present(p), Some(s)),
            Err(e) => (Some(text), Decoded::Invalid(e), None),
        }
    }
}

/// SPEC 10: a subject attribute as its bytes read as UTF-8, lossily
/// (informational; never used for a decision).
fn lossy_attribute(name: &x509_cert::name::Name, oid: ObjectIdentifier) -> Option<String> {
    name.iter()
        .find(|atv| atv.oid == oid)
        .map(|atv| String::from_utf8_lossy(atv.value.value()).into_owned())
}

impl CertificateProfile for KakuninProfile {
    fn relaxed_der(&self, der: &[u8]) -> Option<Vec<u8>> {
        relaxed_der(der)
    }

    fn map(&self, cert: &Certificate) -> Option<Result<ProfileMapping, Error>> {
        let (scope_value, hash_value) = match self.extensions(cert) {
            Ok((Some(s), h)) => (s, h),
            Ok((None, _)) => return None,
            Err(e) => return Some(Err(e)),
        };
        let tbs = cert.tbs_certificate();
        let Some(serial_text) = serial::serial_text(tbs.serial_number().as_bytes()) else {
            return Some(Err(malformed(
                "serial number outside the kakunin-2026 profile",
            )));
        };
        let (scope_json, policy, scope) = self.policy(scope_value);
        let provenance = match hash_value.map(model_hash::decode) {
            None => Decoded::Absent,
            Some(Ok(p)) => Decoded::Present(p),
            Some(Err(e)) => Decoded::Invalid(e),
        };
        let mut inspect = serde_json::Map::new();
        inspect.insert("profile".into(), PROFILE_NAME.into());
        inspect.insert("scope_json".into(), scope_json.into());
        inspect.insert(
            "permitted_venues".into(),
            scope
                .as_ref()
                .and_then(|s| s.permitted_venues.clone())
                .into(),
        );
        inspect.insert(
            "max_leverage".into(),
            match &policy {
                Decoded::Present(p) => p.max_leverage.as_ref().map(|d| d.to_string()).into(),
                _ => serde_json::Value::Null,
            },
        );
        Some(Ok(ProfileMapping {
            serial_text,
            serial_form: SerialForm::Kakunin2026,
            // SPEC 10: the pinned root → zero or more intermediates → the leaf.
            min_intermediates: 0,
            policy,
            provenance,
            subject_cn: lossy_attribute(tbs.subject(), oids::COMMON_NAME),
            organization: lossy_attribute(tbs.subject(), oids::ORGANIZATION),
            inspect,
        }))
    }
}

/// One DER TLV at the start of `input`: `(tag, header length, content
/// length)`. Single-octet tags and definite lengths up to 4 octets only.
fn tlv(input: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    if first < 0x80 {
        return Some((tag, 2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let len = input
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    let total = 2 + n;
    (input.len() >= total.checked_add(len)?).then_some((tag, total, len))
}

/// A DER length's octets.
fn encode_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let tail = bytes.get(skip..).unwrap_or_default();
    out.push(0x80 | tail.len() as u8);
    out.extend_from_slice(tail);
}

fn push_tlv(tag: u8, content: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    encode_length(content.len(), out);
    out.extend_from_slice(content);
}

/// X.690 8.3.2: the minimal content octets of an INTEGER (redundant
/// leading `00` / `FF` octets dropped).
fn minimal_integer(mut content: &[u8]) -> &[u8] {
    while let [first, second, ..] = content {
        let redundant = (*first == 0x00 && *second < 0x80) || (*first == 0xff && *second >= 0x80);
        if !redundant {
            break;
        }
        content = content.get(1..).unwrap_or_default();
    }
    content
}

/// SPEC 10 ("rarely the encoding is non-minimal, which the profile
/// reads"): the certificate with its serial re-encoded minimally, or `None`
/// when the serial is already minimal or the layout is not a certificate's.
pub fn relaxed_der(der: &[u8]) -> Option<Vec<u8>> {
    let (cert_tag, cert_hdr, cert_len) = tlv(der)?;
    let cert_body = der.get(cert_hdr..cert_hdr + cert_len)?;
    let (tbs_tag, tbs_hdr, tbs_len) = tlv(cert_body)?;
    let tbs_body = cert_body.get(tbs_hdr..tbs_hdr + tbs_len)?;
    let after_tbs = cert_body.get(tbs_hdr + tbs_len..)?;
    if cert_tag != 0x30 || tbs_tag != 0x30 {
        return None;
    }
    // TBSCertificate: [0] version OPTIONAL, then the serial INTEGER.
    let mut pos = 0;
    let (tag, hdr, len) = tlv(tbs_body)?;
    if tag == 0xa0 {
        pos = hdr + len;
    }
    let rest = tbs_body.get(pos..)?;
    let (int_tag, int_hdr, int_len) = tlv(rest)?;
    if int_tag != 0x02 {
        return None;
    }
    let serial = rest.get(int_hdr..int_hdr + int_len)?;
    let minimal = minimal_integer(serial);
    if minimal.len() == serial.len() {
        return None;
    }
    let mut tbs = Vec::with_capacity(tbs_body.len());
    tbs.extend_from_slice(tbs_body.get(..pos)?);
    push_tlv(0x02, minimal, &mut tbs);
    tbs.extend_from_slice(rest.get(int_hdr + int_len..)?);
    let mut body = Vec::with_capacity(cert_body.len());
    push_tlv(0x30, &tbs, &mut body);
    body.extend_from_slice(after_tbs);
    let mut out = Vec::with_capacity(der.len());
    push_tlv(0x30, &body, &mut out);
    Some(out)
}
