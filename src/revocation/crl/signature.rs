//! RFC 5280 5.1.1.2 / 6.3.3 (f)-(g): a CRL's signature, checked with
//! webpki's signature algorithms on x509-cert's parse.

use der::{Decode, Encode, Reader};
use x509_cert::crl::CertificateList;

use crate::crypto::CryptoBackend;

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

/// RFC 5280 5.1.1.2 / 6.3.3 (f)-(g): the CRL signature, with the issuer's key
/// (and keyUsage cRLSign when the issuer has keyUsage), over the
/// `tbsCertList` of `crl_der` as given; the algorithm and signature are
/// read from `canonical` when the CRL was read from a canonical copy (SPEC
/// 10: a non-minimal entry serial); verified by `backend`'s algorithms.
pub(super) fn verify_crl_signature(
    crl_der: &[u8],
    canonical: Option<&[u8]>,
    issuer_der: &[u8],
    backend: CryptoBackend,
) -> bool {
    let (Ok(list), Ok(issuer)) = (
        CertificateList::<x509_cert::certificate::Rfc5280>::from_der(canonical.unwrap_or(crl_der)),
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
    crate::chain::signature_algorithms(backend)
        .iter()
        .filter(|a| {
            a.signature_alg_id().as_ref() == sig_alg && a.public_key_alg_id().as_ref() == key_alg
        })
        .any(|a| a.verify_signature(key, tbs, sig).is_ok())
}
