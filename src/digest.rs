//! SHA-256, the one digest every layer uses: certificate fingerprints (SPEC
//! 4.4 `CERT_SHA256`), body digests, nonce keys and revocation cache keys
//! (7.2). It lives at the ground so that no layer reaches into another
//! (certificates and chains into signatures) for it.

/// SHA-256 of `data`.
///
/// ```
/// let h = kakunin_verify::digest::sha256(b"");
/// assert_eq!(kakunin_verify::hex::encode(&h)[..8], *"e3b0c442");
/// ```
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, data).as_ref());
    out
}
