//! SPEC 10: the `.2` model-hash extension, a `UTF8String`. When it is
//! `sha256:` followed by 64 hex digits, those digits (lower-cased) are the
//! certified `weightsSha256` of SPEC 5.6; otherwise the certificate
//! certifies no weights hash.

use der::asn1::Utf8StringRef;
use der::Decode;

use crate::error::Error;
use crate::policy::ModelProvenance;

/// The prefix of a SHA-256 model hash.
pub const SHA256_PREFIX: &str = "sha256:";

/// SPEC 10: the certified weights hash of the extension's text, if it has
/// the `sha256:<64 hex>` form (either case).
///
/// ```
/// use kakunin_verify::profile::kakunin::model_hash::weights_sha256;
/// let h = format!("sha256:{}", "AB".repeat(32));
/// assert_eq!(weights_sha256(&h), Some([0xab; 32]));
/// assert_eq!(weights_sha256(&"ab".repeat(32)), None);
/// ```
pub fn weights_sha256(text: &str) -> Option<[u8; 32]> {
    let hex = text.strip_prefix(SHA256_PREFIX)?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    crate::hex::decode_sha256_lower(&hex.to_ascii_lowercase())
}

/// SPEC 10: the extension value (DER `UTF8String`) as the crate's
/// [`ModelProvenance`]: `model_name` is the text as written (informational),
/// `weights_sha256` the hash when the text has the `sha256:` form. A value
/// that is not a DER `UTF8String` is `policy_invalid` (SPEC 3: "for
/// ModelProvenance too").
pub fn decode(value: &[u8]) -> Result<ModelProvenance, Error> {
    let text = Utf8StringRef::from_der(value)
        .map_err(|_| Error::PolicyInvalid("model hash is not a DER UTF8String".into()))?
        .as_str();
    Ok(ModelProvenance {
        model_name: text.to_owned(),
        model_version: None,
        weights_sha256: weights_sha256(text),
        system_prompt_sha256: None,
    })
}
