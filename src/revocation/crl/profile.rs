//! SPEC 10 (profile `kakunin-2026`): the CRL rules for a certificate whose
//! [`CertificateRef::serial_form`] is [`SerialForm::Kakunin2026`].
//!
//! * Coverage: a CRL issued and signed by the pinned root the path ends at
//!   ([`CertificateRef::root_der`]) covers the certificate, beside the
//!   CRLs of its issuer (SPEC 7.1 scope rules apply to both).
//! * Decision: every covering CRL counts (not only the newest); one that
//!   cannot decide (uncertain scope, delta, indirect, unknown critical
//!   extension, entries that do not read) makes the answer unavailable.
//! * Status: revoked when any covering CRL lists the certificate — by the
//!   profile's serial text, or by the SPEC 7.1 magnitude (never fewer
//!   revocations than section 7.1 would find); a revocation never turns
//!   back into valid (SPEC 7.2), so a listing counts whatever the CRL's
//!   dates. Valid only when at least one covering CRL is current and none
//!   lists it.

use std::sync::Arc;

use der::Decode;

use super::{
    current, kakunin_crl, Candidate, CertScope, CertificateRef, Deciders, Decision, LoadedCrl,
    RevocationAnswer, RevocationStatus, SerialForm, Signer, Unavailable,
};

/// SPEC 10: the pinned root a profile certificate's path ends at, as a CRL
/// signer (`None` for any other certificate, or when the root is unknown).
pub(super) fn root_signer<'a>(
    cert: &CertificateRef<'a>,
) -> Result<Option<Signer<'a>>, Unavailable> {
    match (cert.serial_form, cert.root_der) {
        (SerialForm::Kakunin2026, Some(root)) => Signer::of(root).map(Some),
        _ => Ok(None),
    }
}

/// The certificate's scope facts (RFC 5280 6.3.3 (b)(2)); SPEC 10: a
/// profile certificate with a non-minimal serial is read with that serial
/// written minimally (as the certificate profile reads it).
pub(super) fn subject_facts(cert: &CertificateRef<'_>) -> Result<CertScope, Unavailable> {
    let parsed = x509_cert::Certificate::from_der(cert.der).or_else(|e| {
        match (
            cert.serial_form,
            crate::profile::kakunin::certificate::relaxed_der(cert.der),
        ) {
            (SerialForm::Kakunin2026, Some(relaxed)) => x509_cert::Certificate::from_der(&relaxed),
            _ => Err(e),
        }
    });
    parsed
        .map(|subject| CertScope::of(&subject))
        .map_err(|_| Unavailable::new("the certificate does not parse"))
}

/// SPEC 10: every covering CRL decides; any that cannot makes the answer
/// unavailable.
pub(super) fn decide(crls: &[LoadedCrl], candidates: &[Candidate]) -> Decision {
    if candidates.is_empty() {
        return Err(Unavailable::new(
            "no CRL of the certificate's issuer or the path's root covers it",
        ));
    }
    let mut deciders = Vec::with_capacity(candidates.len());
    for c in candidates {
        if let Some(reason) = c.uncertain {
            return Err(Unavailable::new(reason));
        }
        let crl = crls
            .get(c.index)
            .ok_or_else(|| Unavailable::new("CRL index"))?;
        crl.usable.map_err(Unavailable::new)?;
        crl.profile_serials
            .as_ref()
            .map_err(|e| Unavailable::new(*e))?;
        deciders.push(c.index);
    }
    Ok(Arc::new(Deciders(deciders.into_boxed_slice())))
}

// SPEC 10: entries compared by the profile's serial text; the SPEC 7.1
// magnitude as well, so that the profile never finds fewer revocations.
fn lists(crl: &LoadedCrl, cert: &CertificateRef<'_>) -> bool {
    let by_text = crl
        .profile_serials
        .as_ref()
        .is_ok_and(|serials| kakunin_crl::lists(serials, cert.serial));
    by_text
        || crl
            .revoked
            .contains(crate::certificate::serial_magnitude(cert.serial))
}

/// SPEC 10: revoked when any deciding CRL lists the certificate; else
/// valid when at least one is current at `now_ms`.
pub(super) fn status(
    crls: &[LoadedCrl],
    deciders: &Deciders,
    cert: &CertificateRef<'_>,
    now_ms: u64,
) -> Result<RevocationAnswer, Unavailable> {
    let mut listing = Vec::new();
    let mut current_ones = Vec::new();
    for index in deciders.0.iter() {
        let crl = crls
            .get(*index)
            .ok_or_else(|| Unavailable::new("CRL index"))?;
        if lists(crl, cert) {
            listing.push(crl);
        }
        if let Ok(next_update) = current(crl, now_ms) {
            current_ones.push((crl, next_update));
        }
    }
    if !listing.is_empty() {
        return Ok(answer(
            RevocationStatus::Revoked,
            listing.iter().map(|c| c.this_update_ms).max(),
            listing.iter().filter_map(|c| c.next_update_ms).min(),
        ));
    }
    if current_ones.is_empty() {
        return Err(Unavailable::new(
            "no CRL that covers the certificate is current",
        ));
    }
    Ok(answer(
        RevocationStatus::Valid,
        current_ones.iter().map(|(c, _)| c.this_update_ms).max(),
        current_ones.iter().map(|(_, next)| *next).min(),
    ))
}

fn answer(
    status: RevocationStatus,
    produced_at_ms: Option<u64>,
    next_update_ms: Option<u64>,
) -> RevocationAnswer {
    RevocationAnswer {
        status,
        produced_at_ms: produced_at_ms.unwrap_or(0),
        next_update_ms,
        risk_score: None,
        risk_band: None,
        source: "crl",
    }
}
