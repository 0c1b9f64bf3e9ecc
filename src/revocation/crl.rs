//! SPEC 7.1, CRL source: certificate revocation lists loaded by the integrator.
//!
//! A CRL counts for a certificate when it is signed by that certificate's
//! issuer (which, when it has keyUsage, has `cRLSign`) and names it as its
//! issuer; of several, the newest `thisUpdate` decides. It is used until its
//! `nextUpdate`. *Unavailable*: no CRL from the issuer, a CRL past its
//! `nextUpdate` or without one, delta or indirect CRLs, unknown critical CRL
//! extensions.
//!
//! rustls-webpki checks CRLs only inside its own path building (which would
//! re-validate the whole chain on every request), and its CRL parser refuses
//! CRLs without extensions, which the SPEC accepts. So the structure rules
//! are checked here on x509-cert's parse, and the signature once per (CRL,
//! issuer certificate) with webpki's own signature algorithms.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use der::{Decode, Encode, Reader};
use x509_cert::crl::CertificateList;

use super::{
    BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, Unavailable,
};
use crate::error::ConfigError;

/// Most CRLs one source holds.
pub const MAX_CRLS: usize = 256;
/// Most (CRL, issuer) signature results remembered.
pub const MAX_SIGNATURE_MEMO: usize = 4096;

struct LoadedCrl {
    der: Vec<u8>,
    issuer_name_der: Vec<u8>,
    this_update_ms: u64,
    next_update_ms: Option<u64>,
    usable: Result<(), &'static str>,
    revoked: HashSet<Vec<u8>>,
}

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
}

impl std::fmt::Debug for CrlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CrlSource({} CRLs)", self.crls.len())
    }
}

/// The DER contents (without tag and length) of a DER value.
fn der_contents(der: &[u8]) -> Option<&[u8]> {
    let mut r = der::SliceReader::new(der).ok()?;
    let header = der::Header::decode(&mut r).ok()?;
    let start = usize::try_from(r.position()).ok()?;
    let len = usize::try_from(header.length()).ok()?;
    der.get(start..start.checked_add(len)?)
}

/// The exact bytes of the first element inside an outer SEQUENCE (the
/// signed `tbsCertList`).
fn first_inner_element(der: &[u8]) -> Option<&[u8]> {
    let inner = der_contents(der)?;
    let mut r = der::SliceReader::new(inner).ok()?;
    let header = der::Header::decode(&mut r).ok()?;
    let hdr_len = usize::try_from(r.position()).ok()?;
    let len = usize::try_from(header.length()).ok()?;
    inner.get(..hdr_len.checked_add(len)?)
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

#[derive(der::Sequence)]
#[asn1(tag_mode = "IMPLICIT")]
struct IssuingDistributionPointFlags {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    distribution_point: Option<der::asn1::Any>,
    #[asn1(context_specific = "1", default = "Default::default")]
    only_contains_user_certs: bool,
    #[asn1(context_specific = "2", default = "Default::default")]
    only_contains_ca_certs: bool,
    #[asn1(context_specific = "3", optional = "true")]
    only_some_reasons: Option<der::asn1::BitString>,
    #[asn1(context_specific = "4", default = "Default::default")]
    indirect_crl: bool,
    #[asn1(context_specific = "5", default = "Default::default")]
    only_contains_attribute_certs: bool,
}

// SPEC 7.1 / RFC 5280 5.2: delta CRLs, indirect CRLs, partitioned-by-reason
// CRLs and unknown critical extensions make a CRL unusable (unavailable).
// (webpki's CRL parser would also refuse a CRL with no extensions at all,
// which the SPEC accepts; so this check is ours, on x509-cert's parse.)
fn structure_check(
    list: &CertificateList<x509_cert::certificate::Rfc5280>,
) -> Result<(), &'static str> {
    for ext in list.tbs_cert_list.crl_extensions.iter().flatten() {
        if ext.extn_id == DELTA_CRL_INDICATOR {
            return Err("delta CRLs are not supported");
        }
        if ext.extn_id == ISSUING_DISTRIBUTION_POINT {
            let idp = IssuingDistributionPointFlags::from_der(ext.extn_value.as_bytes())
                .map_err(|_| "the CRL's issuingDistributionPoint does not decode")?;
            if idp.indirect_crl {
                return Err("indirect CRLs are not supported");
            }
            if idp.only_some_reasons.is_some() || idp.only_contains_attribute_certs {
                return Err("the CRL covers only some reasons or attribute certificates");
            }
            continue;
        }
        if ext.critical && !KNOWN_CRL_EXTENSIONS.contains(&ext.extn_id) {
            return Err("the CRL has an unknown critical extension");
        }
    }
    for entry in list.tbs_cert_list.revoked_certificates.iter().flatten() {
        for ext in entry.crl_entry_extensions.iter().flatten() {
            if ext.extn_id == CERTIFICATE_ISSUER {
                return Err("indirect CRLs are not supported");
            }
            if ext.critical && !KNOWN_CRL_EXTENSIONS.contains(&ext.extn_id) {
                return Err("a CRL entry has an unknown critical extension");
            }
        }
    }
    Ok(())
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
        })
    }

    fn load_one(der: Vec<u8>) -> Result<LoadedCrl, ConfigError> {
        let list = CertificateList::<x509_cert::certificate::Rfc5280>::from_der(&der)
            .map_err(|_| ConfigError::new("a CRL does not parse"))?;
        let tbs = &list.tbs_cert_list;
        let revoked = tbs
            .revoked_certificates
            .iter()
            .flatten()
            .map(|r| crate::certificate::serial_magnitude(r.serial_number.as_bytes()).to_vec())
            .collect();
        Ok(LoadedCrl {
            issuer_name_der: tbs
                .issuer
                .to_der()
                .map_err(|_| ConfigError::new("CRL issuer"))?,
            this_update_ms: crate::time::x509_ms(&tbs.this_update),
            next_update_ms: tbs.next_update.as_ref().map(crate::time::x509_ms),
            usable: structure_check(&list),
            revoked,
            der,
        })
    }

    // SPEC 7.1: signed by the certificate's issuer, which has cRLSign.
    fn signed_by(&self, index: usize, crl: &LoadedCrl, issuer_der: &[u8]) -> bool {
        let key = (index, crate::signature::sha256(issuer_der));
        if let Ok(memo) = self.signature_memo.lock() {
            if let Some(v) = memo.get(&key) {
                return *v;
            }
        }
        let ok = verify_crl_signature(&crl.der, issuer_der);
        if let Ok(mut memo) = self.signature_memo.lock() {
            if memo.len() >= MAX_SIGNATURE_MEMO {
                memo.clear();
            }
            memo.insert(key, ok);
        }
        ok
    }

    /// SPEC 7.1: the answer for one certificate at `now_ms`.
    pub fn status(
        &self,
        cert: &CertificateRef<'_>,
        now_ms: u64,
    ) -> Result<RevocationAnswer, Unavailable> {
        let issuer = x509_cert::Certificate::from_der(cert.issuer_der)
            .map_err(|_| Unavailable::new("the issuer certificate does not parse"))?;
        let issuer_name = issuer
            .tbs_certificate()
            .subject()
            .to_der()
            .map_err(|_| Unavailable::new("issuer name"))?;
        // The newest CRL (by thisUpdate) from this issuer that the issuer signed.
        let newest = self
            .crls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.issuer_name_der == issuer_name)
            .filter(|(i, c)| self.signed_by(*i, c, cert.issuer_der))
            .max_by_key(|(_, c)| c.this_update_ms)
            .map(|(_, c)| c)
            .ok_or_else(|| Unavailable::new("no CRL from the certificate's issuer"))?;
        newest.usable.map_err(Unavailable::new)?;
        let next_update = newest
            .next_update_ms
            .ok_or_else(|| Unavailable::new("the CRL has no nextUpdate"))?;
        if now_ms > next_update {
            return Err(Unavailable::new("the CRL is past its nextUpdate"));
        }
        if now_ms < newest.this_update_ms {
            return Err(Unavailable::new("the CRL's thisUpdate is in the future"));
        }
        let status = if newest
            .revoked
            .contains(crate::certificate::serial_magnitude(cert.serial))
        {
            RevocationStatus::Revoked
        } else {
            RevocationStatus::Valid
        };
        Ok(RevocationAnswer {
            status,
            produced_at_ms: newest.this_update_ms,
            next_update_ms: Some(next_update),
            risk_score: None,
            risk_band: None,
            source: "crl",
        })
    }
}

/// RFC 5280 5.1.1.2 / 6.3.3 (f)-(g): the CRL signature, with the issuer's key
/// (and keyUsage cRLSign when the issuer has keyUsage).
fn verify_crl_signature(crl_der: &[u8], issuer_der: &[u8]) -> bool {
    let (Ok(list), Ok(issuer)) = (
        CertificateList::<x509_cert::certificate::Rfc5280>::from_der(crl_der),
        x509_cert::Certificate::from_der(issuer_der),
    ) else {
        return false;
    };
    if let Ok(Some(ku)) = issuer
        .tbs_certificate()
        .get_extension::<x509_cert::ext::pkix::KeyUsage>()
    {
        if !ku.1.crl_sign() {
            return false;
        }
    }
    let Some(tbs) = first_inner_element(crl_der) else {
        return false;
    };
    let spki = issuer.tbs_certificate().subject_public_key_info();
    let (Ok(sig_alg), Ok(key_alg)) = (list.signature_algorithm.to_der(), spki.algorithm.to_der())
    else {
        return false;
    };
    let (Some(sig_alg), Some(key_alg)) = (der_contents(&sig_alg), der_contents(&key_alg)) else {
        return false;
    };
    let (Some(key), Some(sig)) = (
        spki.subject_public_key.as_bytes(),
        list.signature.as_bytes(),
    ) else {
        return false;
    };
    crate::chain::SUPPORTED_SIGNATURE_ALGORITHMS
        .iter()
        .filter(|a| {
            a.signature_alg_id().as_ref() == sig_alg && a.public_key_alg_id().as_ref() == key_alg
        })
        .any(|a| a.verify_signature(key, tbs, sig).is_ok())
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
