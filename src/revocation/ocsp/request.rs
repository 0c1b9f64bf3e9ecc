//! OCSP request helpers (RFC 6960 4.1.1, RFC 8954 nonces).

use super::*;

// ---------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------

// DER OCTET STRING view of a byte slice.
pub(super) fn octets(bytes: &[u8]) -> Result<&OctetStringRef, Unavailable> {
    OctetStringRef::new(bytes).map_err(|_| Unavailable::new("OCSP: cannot encode octets"))
}

// RFC 8954 2.1 / RFC 6960 4.4.1: the nonce extension; its extnValue holds the
// DER OCTET STRING of the nonce, 1 to 32 octets.
pub(super) fn nonce_extension(nonce: &[u8]) -> Result<Extension, Unavailable> {
    Ok(Extension {
        extn_id: OID_OCSP_NONCE,
        critical: false,
        extn_value: OctetString::new(encoded_nonce(nonce)?)
            .map_err(|_| Unavailable::new("OCSP: cannot encode nonce"))?,
    })
}

// RFC 8954 2.1: the nonce's encoding inside extnValue, length checked.
pub(super) fn encoded_nonce(nonce: &[u8]) -> Result<Vec<u8>, Unavailable> {
    if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN {
        return Err(Unavailable::new("OCSP: nonce must be 1 to 32 octets"));
    }
    octets(nonce)?
        .to_der()
        .map_err(|_| Unavailable::new("OCSP: cannot encode nonce"))
}
