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

mod scope;
mod signature;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use der::{Decode, Encode};
use x509_cert::crl::CertificateList;

use scope::{CertScope, Coverage, CrlScope};
pub use scope::{MAX_DISTRIBUTION_POINTS, MAX_POINT_NAMES};

use super::{
    BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, Unavailable,
};
use crate::error::ConfigError;

/// Most CRLs one source holds.
pub const MAX_CRLS: usize = 256;
/// Most (CRL, issuer) signature results remembered.
pub const MAX_SIGNATURE_MEMO: usize = 4096;
/// Most (certificate, issuer) pairs whose deciding CRLs are remembered.
pub const MAX_DECISION_MEMO: usize = 16_384;

type CrlList = CertificateList<x509_cert::certificate::Rfc5280>;

struct LoadedCrl {
    der: Vec<u8>,
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

/// The decision memo's key: SHA-256 of the certificate (length-prefixed)
/// and its issuer.
fn pair_key(cert: &CertificateRef<'_>) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(&(cert.der.len() as u64).to_be_bytes());
    ctx.update(cert.der);
    ctx.update(cert.issuer_der);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
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
            signature_memo: Mutex::new(HashMap::new()),
            decision_memo: Mutex::new(HashMap::new()),
        })
    }

    fn load_one(der: Vec<u8>) -> Result<LoadedCrl, ConfigError> {
        let list = CrlList::from_der(&der).map_err(|_| ConfigError::new("a CRL does not parse"))?;
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
        let ok = signature::verify_crl_signature(&crl.der, issuer_der);
        if let Ok(mut memo) = self.signature_memo.lock() {
            if memo.len() >= MAX_SIGNATURE_MEMO {
                memo.clear();
            }
            memo.insert(key, ok);
        }
        ok
    }

    // SPEC 7.1: the CRLs from the certificate's issuer (name matching,
    // signed by it) that cover the certificate or whose scope is uncertain.
    fn candidates(&self, cert: &CertificateRef<'_>) -> Result<Vec<Candidate>, Unavailable> {
        let issuer = x509_cert::Certificate::from_der(cert.issuer_der)
            .map_err(|_| Unavailable::new("the issuer certificate does not parse"))?;
        let issuer_name = issuer
            .tbs_certificate()
            .subject()
            .to_der()
            .map_err(|_| Unavailable::new("issuer name"))?;
        let subject = x509_cert::Certificate::from_der(cert.der)
            .map_err(|_| Unavailable::new("the certificate does not parse"))?;
        let facts = CertScope::of(&subject);
        let issuer_sha256 = crate::digest::sha256(cert.issuer_der);
        Ok(self
            .crls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.issuer_name_der == issuer_name)
            .filter(|(i, c)| self.signed_by(*i, c, cert.issuer_der, issuer_sha256))
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

    // SPEC 7.1: of the CRLs that cover the certificate, the newest
    // thisUpdate decides (ties decide together); one that cannot decide
    // (uncertain scope, delta, indirect, unknown critical extension) makes
    // the answer unavailable.
    fn decide(&self, cert: &CertificateRef<'_>) -> Decision {
        let candidates = self.candidates(cert)?;
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
mod tests {
    use super::*;
    use std::str::FromStr;
    use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
    use x509_cert::ext::Extension;

    fn ext(oid: &str, critical: bool, value: &[u8]) -> Extension {
        Extension {
            extn_id: der::asn1::ObjectIdentifier::new_unwrap(oid),
            critical,
            extn_value: der::asn1::OctetString::new(value).unwrap(),
        }
    }

    fn idp(f: impl FnOnce(&mut IssuingDistributionPoint)) -> Vec<u8> {
        let mut v = IssuingDistributionPoint {
            distribution_point: None,
            only_contains_user_certs: false,
            only_contains_ca_certs: false,
            only_some_reasons: None,
            indirect_crl: false,
            only_contains_attribute_certs: false,
        };
        f(&mut v);
        v.to_der().unwrap()
    }

    fn only_ca() -> Extension {
        ext("2.5.29.28", true, &idp(|i| i.only_contains_ca_certs = true))
    }

    fn crl(exts: Vec<Extension>, entry_exts: Option<Vec<Extension>>) -> CrlList {
        let alg = x509_cert::spki::AlgorithmIdentifierOwned {
            oid: der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2"),
            parameters: None,
        };
        let time = x509_cert::time::Time::UtcTime(
            der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(1_800_000_000))
                .unwrap(),
        );
        let entries = entry_exts.map(|e| {
            vec![x509_cert::crl::RevokedCert {
                serial_number: x509_cert::serial_number::SerialNumber::new(&[0x5b]).unwrap(),
                revocation_date: time,
                crl_entry_extensions: Some(e),
            }]
        });
        CertificateList {
            tbs_cert_list: x509_cert::crl::TbsCertList {
                version: x509_cert::certificate::Version::V2,
                signature: alg.clone(),
                issuer: x509_cert::name::Name::from_str("CN=CA").unwrap(),
                this_update: time,
                next_update: None,
                revoked_certificates: entries,
                crl_extensions: (!exts.is_empty()).then_some(exts),
            },
            signature_algorithm: alg,
            signature: der::asn1::BitString::from_bytes(&[]).unwrap(),
        }
    }

    fn restricted(e: &Examined) -> bool {
        matches!(e.scope, CrlScope::Restricted(_))
    }

    fn unknown(e: &Examined) -> bool {
        matches!(e.scope, CrlScope::Unknown(_))
    }

    #[test]
    fn spec_7_1_full_crl_and_known_extensions_are_usable() {
        let e = examine(&crl(vec![], None));
        assert_eq!((e.scope, e.usable), (CrlScope::Full, Ok(())));
        let e = examine(&crl(
            vec![ext("2.5.29.20", false, &[2, 1, 1])],
            Some(vec![ext("2.5.29.21", true, &[10, 1, 1])]),
        ));
        assert_eq!((e.scope, e.usable), (CrlScope::Full, Ok(())));
        // An unknown non-critical extension is ignored.
        let e = examine(&crl(vec![ext("1.2.3.4", false, &[5, 0])], None));
        assert_eq!((e.scope, e.usable), (CrlScope::Full, Ok(())));
    }

    #[test]
    fn rfc5280_5_2_5_idp_restricts_critical_or_not() {
        let e = examine(&crl(vec![only_ca()], None));
        assert!(restricted(&e) && e.usable.is_ok());
        let mut non_critical = only_ca();
        non_critical.critical = false;
        let e = examine(&crl(vec![non_critical], None));
        assert!(restricted(&e) && e.usable.is_ok());
    }

    #[test]
    fn spec_7_1_malformed_or_repeated_idp_leaves_the_scope_unknown() {
        let e = examine(&crl(vec![ext("2.5.29.28", true, &[5, 0])], None));
        assert!(unknown(&e) && e.usable.is_err());
        let e = examine(&crl(vec![only_ca(), only_ca()], None));
        assert!(unknown(&e) && e.usable.is_err());
    }

    #[test]
    fn spec_7_1_unknown_critical_extension_leaves_the_scope_unknown() {
        // Whatever the IDP says, before or after it.
        for exts in [
            vec![only_ca(), ext("1.2.3.4", true, &[5, 0])],
            vec![ext("1.2.3.4", true, &[5, 0]), only_ca()],
        ] {
            let e = examine(&crl(exts, None));
            assert!(unknown(&e) && e.usable.is_err());
        }
    }

    #[test]
    fn spec_7_1_delta_and_indirect_crls_keep_their_scope_but_cannot_decide() {
        let e = examine(&crl(
            vec![ext("2.5.29.27", true, &[2, 1, 1]), only_ca()],
            None,
        ));
        assert!(restricted(&e) && e.usable.is_err());
        let indirect = ext("2.5.29.28", true, &idp(|i| i.indirect_crl = true));
        let e = examine(&crl(vec![indirect], None));
        assert!(restricted(&e) && e.usable.is_err());
        // An entry naming a certificate issuer (indirect), or an entry
        // extension no one knows, critical.
        for entry in [
            ext("2.5.29.29", true, &[0x30, 0]),
            ext("1.2.3.4", true, &[5, 0]),
        ] {
            let e = examine(&crl(vec![only_ca()], Some(vec![entry])));
            assert!(restricted(&e) && e.usable.is_err());
        }
    }
}
