//! Content checks of an OCSP answer: extensions, nonce, CertID, times, status (RFC 6960, RFC 5019, SPEC 7.1).

use super::*;

// ---------------------------------------------------------------------------
// Content checks
// ---------------------------------------------------------------------------

// RFC 6960 4.4 / RFC 5280 4.2: an unrecognised critical extension fails.
// The only recognised one is the nonce, and only among responseExtensions.
pub(super) fn check_critical_extensions(
    extensions: Option<&[Extension]>,
    response_level: bool,
) -> Result<(), Unavailable> {
    let known = |e: &Extension| response_level && e.extn_id == OID_OCSP_NONCE;
    if extensions
        .unwrap_or_default()
        .iter()
        .any(|e| e.critical && !known(e))
    {
        return Err(Unavailable::new("OCSP: unknown critical extension"));
    }
    Ok(())
}

// RFC 6960 4.4.1 / RFC 8954: an echoed nonce equals the one sent. A sent
// nonce that is not echoed is accepted (RFC 5019 2.2: pre-produced answers);
// freshness then rests on thisUpdate/nextUpdate.
pub(super) fn check_nonce(
    extensions: Option<&[Extension]>,
    expected: Option<&[u8]>,
) -> Result<(), Unavailable> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let want = encoded_nonce(expected)?;
    let mut echoed = extensions
        .unwrap_or_default()
        .iter()
        .filter(|e| e.extn_id == OID_OCSP_NONCE);
    match (echoed.next(), echoed.next()) {
        (None, _) => Ok(()),
        (Some(e), None) if e.extn_value.as_bytes() == want.as_slice() => Ok(()),
        _ => Err(Unavailable::new("OCSP: nonce mismatch")),
    }
}

// RFC 6960 4.1.1 / 4.2.2.3: exactly one SingleResponse whose CertID names the
// certificate asked about (SHA-1 or SHA-256 hashes, serial equal).
pub(super) fn find_single_response<'r, 'a>(
    responses: &'r [SingleResponse<'a>],
    issuer: &Issuer<'_>,
    serial: &[u8],
) -> Result<&'r SingleResponse<'a>, Unavailable> {
    let mut matching = responses
        .iter()
        .filter(|r| cert_id_matches(&r.cert_id, issuer, serial));
    match (matching.next(), matching.next()) {
        (Some(single), None) => Ok(single),
        (None, _) => Err(Unavailable::new("OCSP: no response for this certificate")),
        _ => Err(Unavailable::new(
            "OCSP: several responses for this certificate",
        )),
    }
}

// RFC 6960 4.1.1: hashAlgorithm recognised, issuerNameHash over the issuer's
// Name DER, issuerKeyHash over its public key bits, serialNumber equal.
pub(super) fn cert_id_matches(id: &CertId<'_>, issuer: &Issuer<'_>, serial: &[u8]) -> bool {
    let Some(alg) = cert_id_digest(&id.hash_algorithm) else {
        return false;
    };
    let name_hash = digest::digest(alg, issuer.subject_der);
    let key_hash = digest::digest(alg, issuer.spki.subject_public_key.raw_bytes());
    id.issuer_name_hash.as_bytes() == name_hash.as_ref()
        && id.issuer_key_hash.as_bytes() == key_hash.as_ref()
        && id.serial_number.as_bytes() == serial
}

// RFC 5019 2.1.1 / RFC 6960 4.1.1: the CertID hashes accepted (SHA-1, SHA-256).
pub(super) fn cert_id_digest(
    algorithm: &AlgorithmIdentifierRef<'_>,
) -> Option<&'static digest::Algorithm> {
    if !absent_or_null(algorithm.parameters) {
        return None;
    }
    if algorithm.oid == OID_SHA1 {
        Some(&digest::SHA1_FOR_LEGACY_USE_ONLY)
    } else if algorithm.oid == OID_SHA256 {
        Some(&digest::SHA256)
    } else {
        None
    }
}

// SPEC 7.1 / RFC 5019 4: thisUpdate not in the future beyond the skew and not
// older than max_age; nextUpdate present, after thisUpdate, and not passed.
pub(super) fn check_times(
    single: &SingleResponse<'_>,
    now_ms: u64,
    config: &OcspConfig,
) -> Result<(u64, u64), Unavailable> {
    let this_update = duration_ms(single.this_update.to_unix_duration())?;
    let next_update = single
        .next_update
        .ok_or_else(|| Unavailable::new("OCSP: no nextUpdate"))?;
    let next_update = duration_ms(next_update.to_unix_duration())?;
    if this_update > now_ms.saturating_add(config.clock_skew_ms) {
        return Err(Unavailable::new("OCSP: thisUpdate in the future"));
    }
    if now_ms.saturating_sub(this_update) > config.max_age_ms {
        return Err(Unavailable::new("OCSP: thisUpdate too old"));
    }
    if next_update < this_update {
        return Err(Unavailable::new("OCSP: nextUpdate before thisUpdate"));
    }
    if now_ms >= next_update {
        return Err(Unavailable::new("OCSP: nextUpdate passed"));
    }
    Ok((this_update, next_update))
}

// SPEC 7.1: good / revoked / unknown map to valid / revoked / unknown.
pub(super) fn map_status(status: &CertStatus) -> RevocationStatus {
    match status {
        CertStatus::Good(_) => RevocationStatus::Valid,
        CertStatus::Revoked(_) => RevocationStatus::Revoked,
        CertStatus::Unknown(_) => RevocationStatus::Unknown,
    }
}
