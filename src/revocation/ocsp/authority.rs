//! Who may sign an OCSP answer (RFC 6960 4.2.2.2, SPEC 7.1): the issuing CA or its delegated responder.

use super::*;

// ---------------------------------------------------------------------------
// Responder authority (RFC 6960 4.2.2.2, SPEC 7.1)
// ---------------------------------------------------------------------------

// RFC 6960 4.2.2.2: the signer is the CA itself, or a delegated responder
// from `certs` that the CA issued, named by the ResponderID.
pub(super) fn find_signer(
    id: &ResponderId<'_>,
    issuer: &Issuer<'_>,
    certs: &[&[u8]],
    now_ms: u64,
    backend: CryptoBackend,
) -> Result<Signer, Unavailable> {
    if responder_id_matches(id, issuer.subject_der, &issuer.spki) {
        return Ok(Signer {
            spki: issuer.spki.clone(),
        });
    }
    for cert_der in certs {
        let Ok(signed) = parse_signed(cert_der) else {
            continue;
        };
        let Ok(subject_der) = raw_subject(signed.tbs) else {
            continue;
        };
        let Ok(tbs) = TbsCertificate::from_der(signed.tbs) else {
            continue;
        };
        if responder_id_matches(id, subject_der, tbs.subject_public_key_info()) {
            check_delegated_responder(&signed, &tbs, issuer, now_ms, backend)?;
            return Ok(Signer {
                spki: tbs.subject_public_key_info().clone(),
            });
        }
    }
    Err(Unavailable::new(
        "OCSP: responder is not the CA nor an included responder",
    ))
}

// RFC 6960 4.2.1: byName equals the signer's subject (exact DER); byKey is
// the SHA-1 of the signer's subjectPublicKey BIT STRING contents.
pub(super) fn responder_id_matches(
    id: &ResponderId<'_>,
    subject_der: &[u8],
    spki: &SubjectPublicKeyInfoOwned,
) -> bool {
    match id {
        ResponderId::ByName(name) => *name == subject_der,
        ResponderId::ByKey(hash) => {
            let key_hash = digest::digest(
                &digest::SHA1_FOR_LEGACY_USE_ONLY,
                spki.subject_public_key.raw_bytes(),
            );
            *hash == key_hash.as_ref()
        }
    }
}

// RFC 6960 4.2.2.2 / SPEC 7.1: a delegated responder certificate is issued
// by the CA, signed with its key, has id-kp-OCSPSigning, and is valid at now.
pub(super) fn check_delegated_responder(
    signed: &Signed<'_>,
    tbs: &TbsCertificate,
    issuer: &Issuer<'_>,
    now_ms: u64,
    backend: CryptoBackend,
) -> Result<(), Unavailable> {
    if tbs.issuer() != &issuer.subject {
        return Err(Unavailable::new(
            "OCSP: responder certificate not issued by the CA",
        ));
    }
    check_inner_algorithm(signed, tbs)?;
    verify_signature(
        &issuer.spki,
        &signed.algorithm,
        signed.tbs,
        signed.signature,
        backend,
    )
    .map_err(|_| Unavailable::new("OCSP: responder certificate not signed by the CA"))?;
    check_ocsp_signing_eku(tbs)?;
    check_key_usage(tbs)?;
    check_cert_critical_extensions(tbs)?;
    check_validity(tbs, now_ms)
}

// RFC 5280 4.2.1.3: a keyUsage, when present, allows digitalSignature.
pub(super) fn check_key_usage(tbs: &TbsCertificate) -> Result<(), Unavailable> {
    match tbs.get_extension::<KeyUsage>() {
        Ok(None) => Ok(()),
        Ok(Some((_, usage))) if usage.digital_signature() => Ok(()),
        _ => Err(Unavailable::new(
            "OCSP: responder key usage lacks digitalSignature",
        )),
    }
}

// RFC 5280 4.2: a certificate with an unrecognised critical extension is refused.
pub(super) fn check_cert_critical_extensions(tbs: &TbsCertificate) -> Result<(), Unavailable> {
    let unknown = tbs
        .extensions()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .any(|e| e.critical && !KNOWN_CRITICAL_CERT_EXTENSIONS.contains(&e.extn_id));
    if unknown {
        return Err(Unavailable::new(
            "OCSP: responder certificate has an unknown critical extension",
        ));
    }
    Ok(())
}

// RFC 5280 4.1.1.2: signatureAlgorithm equals the TBSCertificate's signature field.
pub(super) fn check_inner_algorithm(
    signed: &Signed<'_>,
    tbs: &TbsCertificate,
) -> Result<(), Unavailable> {
    let inner = tbs.signature();
    let same_params = match (&inner.parameters, &signed.algorithm.parameters) {
        (None, None) => true,
        (Some(a), Some(b)) => a.tag() == b.tag() && a.value() == b.value(),
        _ => false,
    };
    if inner.oid != signed.algorithm.oid || !same_params {
        return Err(Unavailable::new(
            "OCSP: responder certificate algorithm mismatch",
        ));
    }
    Ok(())
}

// RFC 6960 4.2.2.2: the delegate carries id-kp-OCSPSigning in its EKU.
pub(super) fn check_ocsp_signing_eku(tbs: &TbsCertificate) -> Result<(), Unavailable> {
    match tbs.get_extension::<ExtendedKeyUsage>() {
        Ok(Some((_, eku))) if eku.0.contains(&OID_KP_OCSP_SIGNING) => Ok(()),
        _ => Err(Unavailable::new("OCSP: responder lacks id-kp-OCSPSigning")),
    }
}

// SPEC 7.1: the delegated responder certificate is valid at now.
pub(super) fn check_validity(tbs: &TbsCertificate, now_ms: u64) -> Result<(), Unavailable> {
    let validity = tbs.validity();
    let not_before = duration_ms(validity.not_before.to_unix_duration())?;
    let not_after = duration_ms(validity.not_after.to_unix_duration())?;
    if now_ms < not_before || now_ms > not_after {
        return Err(Unavailable::new(
            "OCSP: responder certificate not valid now",
        ));
    }
    Ok(())
}

// Unix milliseconds from a duration since the epoch.
pub(super) fn duration_ms(d: core::time::Duration) -> Result<u64, Unavailable> {
    u64::try_from(d.as_millis()).map_err(|_| Unavailable::new("OCSP: time out of range"))
}
