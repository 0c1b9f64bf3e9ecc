//! SPEC 7.1, CRL source: certificate revocation lists loaded by the integrator.
//!
//! A CRL counts for a certificate when it is signed by that certificate's
//! issuer (which, when it has keyUsage, has `cRLSign`), names it as its
//! issuer, and has the certificate in its scope (SPEC 7.1 revision 1.1, RFC
//! 5280 5.2.5 / 6.3.3: the `issuingDistributionPoint` flags and point name,
//! see the `scope` module). Of the CRLs that count, the newest `thisUpdate`
//! decides; it is used until its `nextUpdate`. *Unavailable*: no CRL from the
//! issuer that covers the certificate, a deciding CRL past its `nextUpdate`
//! or without one, delta or indirect CRLs, unknown critical CRL extensions.
//!
//! Safe defaults where the scope is in doubt: an `issuingDistributionPoint`
//! is honoured whether or not it is marked critical (ignoring one would make
//! a narrow CRL, an ARL, speak for every certificate); a CRL whose scope
//! cannot be established (malformed or repeated IDP, unknown critical
//! extension) is taken to cover every certificate of its issuer and cannot
//! decide, so when it is the newest it makes the answer *unavailable* rather
//! than letting an older CRL decide. Several covering CRLs with the same,
//! newest `thisUpdate` decide together: all must be current, and the
//! certificate is revoked when any lists it.
//!
//! Per request the source hashes the certificate and its issuer once and
//! looks up which CRLs decide for that pair (the scope facts, names and
//! signatures are worked out once per pair and remembered, bounded), then
//! checks their dates and the serial.
//!
//! rustls-webpki checks CRLs only inside its own path building (which would
//! re-validate the whole chain on every request), and its CRL parser refuses
//! CRLs without extensions, which the SPEC accepts. So the structure rules
//! are checked here on x509-cert's parse (x509-cert 0.3's
//! `IssuingDistributionPoint` type is used for decoding only: its associated
//! OID is wrong, so the extension is found by `id-ce-issuingDistributionPoint`
//! here), and the signature once per (CRL, issuer certificate) with webpki's
//! own signature algorithms. (x509-cert 0.3 requires the `version` field, so
//! a v1 CRL — no CRL or entry extensions at all — does not load: a
//! configuration error, never an answer.)
//!
//! SPEC 10 (profile `kakunin-2026`, for a certificate whose
//! [`CertificateRef::serial_form`] is [`SerialForm::Kakunin2026`]; see the
//! `profile` submodule): a CRL issued and signed by the pinned root the
//! path ends at also covers the certificate; entries are compared by the
//! profile's serial text; the certificate is revoked when any covering CRL
//! lists it. A CRL with a non-minimal entry serial (which Kakunin writes
//! and x509-cert refuses) loads from a canonical copy
//! ([`crate::profile::kakunin::crl::read_entries`]) and speaks for profile
//! certificates only, so section 2 certificates see exactly the CRLs they
//! saw before.

mod profile;
mod scope;
mod signature;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use der::{Decode, Encode};
use x509_cert::crl::CertificateList;

use scope::{CertScope, Coverage, CrlScope};
pub use scope::{MAX_DISTRIBUTION_POINTS, MAX_POINT_NAMES};

use super::{
    BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, SerialForm,
    Unavailable,
};
use crate::crypto::CryptoBackend;
use crate::error::ConfigError;
use crate::profile::kakunin::crl as kakunin_crl;
use crate::profile::kakunin::serial::SERIAL_OCTETS;

/// Most CRLs one source holds.
pub const MAX_CRLS: usize = 256;
/// Most (CRL, issuer) signature results remembered.
pub const MAX_SIGNATURE_MEMO: usize = 4096;
/// Most (certificate, issuer) pairs whose deciding CRLs are remembered.
pub const MAX_DECISION_MEMO: usize = 16_384;

type CrlList = CertificateList<x509_cert::certificate::Rfc5280>;

struct LoadedCrl {
    /// The CRL as given (its `tbsCertList` is what was signed).
    der: Vec<u8>,
    /// SPEC 10: the canonical copy x509-cert read, when an entry's serial
    /// was non-minimal. Such a CRL speaks for profile certificates only.
    canonical: Option<Vec<u8>>,
    /// SPEC 10: the profile's 16 octets of each entry's serial; `Err` when
    /// the entries could not be read so (the CRL cannot decide for a
    /// profile certificate).
    profile_serials: Result<HashSet<[u8; SERIAL_OCTETS]>, &'static str>,
    issuer_name_der: Vec<u8>,
    this_update_ms: u64,
    next_update_ms: Option<u64>,
    /// Which certificates it speaks for (RFC 5280 5.2.5).
    scope: CrlScope,
    usable: Result<(), &'static str>,
    revoked: HashSet<Vec<u8>>,
}

/// The CRLs that decide for one (certificate, issuer) pair: all covering
/// CRLs with the newest `thisUpdate`, each usable. Made only by
/// [`CrlSource::decide`].
#[derive(Debug)]
struct Deciders(Box<[usize]>);

type Decision = Result<Arc<Deciders>, Unavailable>;

/// Revocation answers from CRLs (SPEC 7.1).
///
/// ```
/// use kakunin_verify::revocation::crl::CrlSource;
/// assert!(CrlSource::from_pem_or_der(&[b"not a crl"]).is_err());
/// ```
pub struct CrlSource {
    crls: Vec<LoadedCrl>,
    /// Verifies the CRLs' signatures.
    backend: CryptoBackend,
    /// (CRL index, SHA-256 of the issuer certificate) → signature verified.
    signature_memo: Mutex<HashMap<(usize, [u8; 32]), bool>>,
    /// SHA-256 of (certificate, issuer) → the CRLs that decide for it.
    decision_memo: Mutex<HashMap<[u8; 32], Decision>>,
}

impl std::fmt::Debug for CrlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CrlSource({} CRLs)", self.crls.len())
    }
}

/// id-ce-deltaCRLIndicator.
const DELTA_CRL_INDICATOR: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.27");
/// id-ce-issuingDistributionPoint.
const ISSUING_DISTRIBUTION_POINT: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.28");
/// id-ce-certificateIssuer (a CRL entry extension of indirect CRLs).
const CERTIFICATE_ISSUER: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.29");
/// id-ce-cRLNumber, id-ce-authorityKeyIdentifier, id-ce-cRLReasons, id-ce-invalidityDate.
const KNOWN_CRL_EXTENSIONS: [der::asn1::ObjectIdentifier; 4] = [
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.20"),
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.35"),
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.21"),
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.24"),
];

/// What a CRL's extensions make of it: its scope and whether it can decide.
struct Examined {
    scope: CrlScope,
    usable: Result<(), &'static str>,
}

impl Examined {
    fn unusable(&mut self, reason: &'static str) {
        if self.usable.is_ok() {
            self.usable = Err(reason);
        }
    }

    // RFC 5280 5.2: a CRL whose scope cannot be established covers every
    // certificate of its issuer and cannot decide.
    fn scope_unknown(&mut self, reason: &'static str) {
        self.scope = CrlScope::Unknown(reason);
        self.unusable(reason);
    }
}

// SPEC 7.1 / RFC 5280 5.2.4-5.2.5: the issuingDistributionPoint gives the
// scope (at most one; malformed: scope unknown); indirect CRLs are unusable.
fn examine_idp(list: &CrlList, extn_value: &[u8], out: &mut Examined) {
    if !matches!(out.scope, CrlScope::Full) {
        return out.scope_unknown("the CRL has more than one issuingDistributionPoint");
    }
    match scope::parse_idp(extn_value, &list.tbs_cert_list.issuer) {
        Ok(idp) => {
            if idp.indirect {
                out.unusable("indirect CRLs are not supported");
            }
            out.scope = CrlScope::Restricted(idp);
        }
        Err(reason) => out.scope_unknown(reason),
    }
}

// SPEC 7.1 / RFC 5280 5.2: delta CRLs and indirect CRLs cannot decide; an
// unknown critical extension leaves the scope unknown; entries naming a
// certificate issuer (indirect) or carrying unknown critical extensions make
// the CRL unusable.
fn examine(list: &CrlList) -> Examined {
    let mut out = Examined {
        scope: CrlScope::Full,
        usable: Ok(()),
    };
    let mut unknown_critical = false;
    for ext in list.tbs_cert_list.crl_extensions.iter().flatten() {
        if ext.extn_id == DELTA_CRL_INDICATOR {
            out.unusable("delta CRLs are not supported");
        } else if ext.extn_id == ISSUING_DISTRIBUTION_POINT {
            examine_idp(list, ext.extn_value.as_bytes(), &mut out);
        } else if ext.critical && !KNOWN_CRL_EXTENSIONS.contains(&ext.extn_id) {
            unknown_critical = true;
        }
    }
    if unknown_critical {
        out.scope_unknown("the CRL has an unknown critical extension");
    }
    for entry in list.tbs_cert_list.revoked_certificates.iter().flatten() {
        for ext in entry.crl_entry_extensions.iter().flatten() {
            if ext.extn_id == CERTIFICATE_ISSUER {
                out.unusable("indirect CRLs are not supported");
            } else if ext.critical && !KNOWN_CRL_EXTENSIONS.contains(&ext.extn_id) {
                out.unusable("a CRL entry has an unknown critical extension");
            }
        }
    }
    out
}

/// The decision memo's key: SHA-256 of the certificate (length-prefixed),
/// the serial form, the path's root for a profile certificate
/// (length-prefixed) and the issuer.
fn pair_key(cert: &CertificateRef<'_>) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(&(cert.der.len() as u64).to_be_bytes());
    ctx.update(cert.der);
    if cert.serial_form == SerialForm::Kakunin2026 {
        let root = cert.root_der.unwrap_or_default();
        ctx.update(b"kakunin-2026");
        ctx.update(&(root.len() as u64).to_be_bytes());
        ctx.update(root);
    }
    ctx.update(cert.issuer_der);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// A certificate that may sign CRLs: its DER, subject name and SHA-256.
struct Signer<'a> {
    der: &'a [u8],
    name_der: Vec<u8>,
    sha256: [u8; 32],
}

impl<'a> Signer<'a> {
    fn of(der: &'a [u8]) -> Result<Self, Unavailable> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|_| Unavailable::new("the issuer certificate does not parse"))?;
        let name_der = cert
            .tbs_certificate()
            .subject()
            .to_der()
            .map_err(|_| Unavailable::new("issuer name"))?;
        Ok(Signer {
            der,
            name_der,
            sha256: crate::digest::sha256(der),
        })
    }
}

/// A covering CRL, or one whose scope is uncertain (which cannot decide).
struct Candidate {
    index: usize,
    this_update_ms: u64,
    uncertain: Option<&'static str>,
}

impl CrlSource {
    /// Loads CRLs, each PEM (`X509 CRL` blocks) or DER.
    pub fn from_pem_or_der(inputs: &[&[u8]]) -> Result<Self, ConfigError> {
        let mut ders = Vec::new();
        for input in inputs {
            let trimmed = input.trim_ascii_start();
            if trimmed.starts_with(b"-----BEGIN") {
                use rustls_pki_types::pem::PemObject;
                for crl in rustls_pki_types::CertificateRevocationListDer::pem_slice_iter(trimmed) {
                    let crl =
                        crl.map_err(|e| ConfigError::new(format!("CRL PEM does not parse: {e}")))?;
                    ders.push(crl.as_ref().to_vec());
                }
            } else {
                ders.push(input.to_vec());
            }
        }
        if ders.is_empty() {
            return Err(ConfigError::new("no CRL given"));
        }
        if ders.len() > MAX_CRLS {
            return Err(ConfigError::new("too many CRLs"));
        }
        let crls = ders
            .into_iter()
            .map(Self::load_one)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CrlSource {
            crls,
            backend: CryptoBackend::default(),
            signature_memo: Mutex::new(HashMap::new()),
            decision_memo: Mutex::new(HashMap::new()),
        })
    }

    /// The backend that verifies the CRLs' signatures (default: the
    /// build's, [`CryptoBackend::default`]). Give it the verifier's
    /// ([`VerifierBuilder::crypto_backend`](crate::VerifierBuilder::crypto_backend))
    /// when that is not the default, so one backend verifies every signature
    /// a decision rests on.
    pub fn with_crypto_backend(mut self, backend: CryptoBackend) -> Self {
        self.backend = backend;
        // Nothing is remembered yet from a builder, but never mix backends.
        self.signature_memo
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.decision_memo
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self
    }

    fn load_one(der: Vec<u8>) -> Result<LoadedCrl, ConfigError> {
        // SPEC 10: Kakunin's entries as written; a non-minimal one makes
        // the canonical copy that x509-cert reads.
        let entries = kakunin_crl::read_entries(&der);
        let canonical = entries.as_ref().ok().and_then(|e| e.canonical.clone());
        let profile_serials = entries.map(|e| e.serials);
        let list = CrlList::from_der(canonical.as_deref().unwrap_or(&der))
            .map_err(|_| ConfigError::new("a CRL does not parse"))?;
        let tbs = &list.tbs_cert_list;
        let revoked = tbs
            .revoked_certificates
            .iter()
            .flatten()
            .map(|r| crate::certificate::serial_magnitude(r.serial_number.as_bytes()).to_vec())
            .collect();
        let Examined { scope, usable } = examine(&list);
        Ok(LoadedCrl {
            issuer_name_der: tbs
                .issuer
                .to_der()
                .map_err(|_| ConfigError::new("CRL issuer"))?,
            this_update_ms: crate::time::x509_ms(&tbs.this_update),
            next_update_ms: tbs.next_update.as_ref().map(crate::time::x509_ms),
            scope,
            usable,
            revoked,
            der,
            canonical,
            profile_serials,
        })
    }

    // SPEC 7.1: signed by the certificate's issuer, which has cRLSign.
    fn signed_by(
        &self,
        index: usize,
        crl: &LoadedCrl,
        issuer_der: &[u8],
        issuer_sha256: [u8; 32],
    ) -> bool {
        let key = (index, issuer_sha256);
        if let Ok(memo) = self.signature_memo.lock() {
            if let Some(v) = memo.get(&key) {
                return *v;
            }
        }
        let ok = signature::verify_crl_signature(
            &crl.der,
            crl.canonical.as_deref(),
            issuer_der,
            self.backend,
        );
        if let Ok(mut memo) = self.signature_memo.lock() {
            if memo.len() >= MAX_SIGNATURE_MEMO {
                memo.clear();
            }
            memo.insert(key, ok);
        }
        ok
    }

    // SPEC 7.1: the CRLs from the certificate's issuer (name matching,
    // signed by it) that cover the certificate or whose scope is uncertain;
    // SPEC 10: for a profile certificate also those of the pinned root its
    // path ends at, and only such certificates see a CRL read from its
    // canonical copy.
    fn candidates(&self, cert: &CertificateRef<'_>) -> Result<Vec<Candidate>, Unavailable> {
        let issuer = Signer::of(cert.issuer_der)?;
        let root = profile::root_signer(cert)?;
        let profile = cert.serial_form == SerialForm::Kakunin2026;
        let facts = profile::subject_facts(cert)?;
        Ok(self
            .crls
            .iter()
            .enumerate()
            .filter(|(_, c)| profile || c.canonical.is_none())
            .filter(|(i, c)| {
                self.issued_by(*i, c, &issuer)
                    || root.as_ref().is_some_and(|r| self.issued_by(*i, c, r))
            })
            .filter_map(|(index, c)| {
                let uncertain = match scope::coverage(&c.scope, &facts) {
                    Coverage::Covers => None,
                    Coverage::Uncertain(reason) => Some(reason),
                    Coverage::Excluded(_) => return None,
                };
                Some(Candidate {
                    index,
                    this_update_ms: c.this_update_ms,
                    uncertain,
                })
            })
            .collect())
    }

    // SPEC 7.1: issued (name matching) and signed by `signer`.
    fn issued_by(&self, index: usize, crl: &LoadedCrl, signer: &Signer<'_>) -> bool {
        crl.issuer_name_der == signer.name_der
            && self.signed_by(index, crl, signer.der, signer.sha256)
    }

    // SPEC 7.1: of the CRLs that cover the certificate, the newest
    // thisUpdate decides (ties decide together); one that cannot decide
    // (uncertain scope, delta, indirect, unknown critical extension) makes
    // the answer unavailable.
    fn decide(&self, cert: &CertificateRef<'_>) -> Decision {
        let candidates = self.candidates(cert)?;
        if cert.serial_form == SerialForm::Kakunin2026 {
            return profile::decide(&self.crls, &candidates);
        }
        let newest = candidates
            .iter()
            .map(|c| c.this_update_ms)
            .max()
            .ok_or_else(|| Unavailable::new("no CRL from the certificate's issuer covers it"))?;
        let mut deciders = Vec::new();
        for c in candidates.iter().filter(|c| c.this_update_ms == newest) {
            if let Some(reason) = c.uncertain {
                return Err(Unavailable::new(reason));
            }
            let crl = self
                .crls
                .get(c.index)
                .ok_or_else(|| Unavailable::new("CRL index"))?;
            crl.usable.map_err(Unavailable::new)?;
            deciders.push(c.index);
        }
        Ok(Arc::new(Deciders(deciders.into_boxed_slice())))
    }

    // The decision for this (certificate, issuer) pair, remembered (bounded).
    fn deciders(&self, cert: &CertificateRef<'_>) -> Decision {
        let key = pair_key(cert);
        if let Ok(memo) = self.decision_memo.lock() {
            if let Some(d) = memo.get(&key) {
                return d.clone();
            }
        }
        let decision = self.decide(cert);
        if let Ok(mut memo) = self.decision_memo.lock() {
            if memo.len() >= MAX_DECISION_MEMO {
                memo.clear();
            }
            memo.insert(key, decision.clone());
        }
        decision
    }

    /// SPEC 7.1: the answer for one certificate at `now_ms`.
    pub fn status(
        &self,
        cert: &CertificateRef<'_>,
        now_ms: u64,
    ) -> Result<RevocationAnswer, Unavailable> {
        let deciders = self.deciders(cert)?;
        if deciders.0.is_empty() {
            return Err(Unavailable::new("no CRL decides"));
        }
        if cert.serial_form == SerialForm::Kakunin2026 {
            return profile::status(&self.crls, &deciders, cert, now_ms);
        }
        let serial = crate::certificate::serial_magnitude(cert.serial);
        let mut revoked = false;
        let mut produced_at_ms = 0;
        let mut next_update_ms = u64::MAX;
        for index in deciders.0.iter() {
            let crl = self
                .crls
                .get(*index)
                .ok_or_else(|| Unavailable::new("CRL index"))?;
            let next_update = current(crl, now_ms)?;
            next_update_ms = next_update_ms.min(next_update);
            produced_at_ms = produced_at_ms.max(crl.this_update_ms);
            revoked |= crl.revoked.contains(serial);
        }
        Ok(RevocationAnswer {
            status: if revoked {
                RevocationStatus::Revoked
            } else {
                RevocationStatus::Valid
            },
            produced_at_ms,
            next_update_ms: Some(next_update_ms),
            risk_score: None,
            risk_band: None,
            source: "crl",
        })
    }
}

// SPEC 7.1: a CRL is used from its thisUpdate until its nextUpdate (which it
// must have); returns that nextUpdate.
fn current(crl: &LoadedCrl, now_ms: u64) -> Result<u64, Unavailable> {
    let next_update = crl
        .next_update_ms
        .ok_or_else(|| Unavailable::new("the CRL has no nextUpdate"))?;
    if now_ms > next_update {
        return Err(Unavailable::new("the CRL is past its nextUpdate"));
    }
    if now_ms < crl.this_update_ms {
        return Err(Unavailable::new("the CRL's thisUpdate is in the future"));
    }
    Ok(next_update)
}

impl RevocationSource for CrlSource {
    fn name(&self) -> &'static str {
        "crl"
    }

    fn is_networked(&self) -> bool {
        false
    }

    fn crypto_backend(&self) -> Option<CryptoBackend> {
        Some(self.backend)
    }

    fn check<'a>(
        &'a self,
        cert: CertificateRef<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<RevocationAnswer, Unavailable>> {
        let answer = self.status(&cert, now_ms);
        Box::pin(std::future::ready(answer))
    }
}

#[cfg(test)]
mod tests;
