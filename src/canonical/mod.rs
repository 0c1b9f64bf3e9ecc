//! SPEC section 4.3: the canonical body.
//!
//! A strict I-JSON (RFC 7493) parser and an RFC 8785 (JCS) canonicalizer for
//! request bodies. [`canonicalize`] parses the body once into a compact tape,
//! rejecting everything SPEC 4.3 forbids, then writes the tape in its JCS
//! form into one exactly sized buffer. The verified value is handed to the
//! application as borrowing views ([`JsonValue`]), so it never re-parses
//! different bytes.
//!
//! # Bounded cost before authentication
//!
//! The body is parsed at step 1 of SPEC 5.1, before any authentication, so
//! its shape is the attacker's to choose. Nothing here allocates per value,
//! string or member: the parsed form is one vector of 8-byte nodes, one
//! string buffer holding every string (unescaped) and number text, and one
//! vector of sorted member indices, each sized exactly by a pre-scan. Time is
//! linear in the body plus one in-place sort of each object's members; the
//! top-level case-twin rule hashes each folded name once. Peak heap while
//! canonicalizing is at most about 7 times the body's size for any shape
//! (`tests/preauth_memory.rs` measures it through `Verifier::verify`).
//!
//! # Why the parser is ours
//!
//! `serde_json` cannot report duplicate member names (it keeps the last one,
//! after unescaping), cannot tell `market` from `MARKET` collisions, and keeps
//! a number's source text only with the crate-wide `arbitrary_precision`
//! feature, which would change number handling for every other user of
//! `serde_json` in the program. `serde_json_canonicalizer` serializes an
//! already-parsed `serde_json` value, so it inherits those limits (and it
//! formats numbers with `ryu-js` too). So parsing and the JCS writer are
//! hand-written here; the one part that is hard to get right, ECMAScript
//! Number-to-string, comes from the `ryu-js` crate.
//!
//! # The request-body rule versus plain RFC 8785
//!
//! [`canonicalize`] applies the request-body rule of SPEC 4.3: the body is a
//! JSON object, every number keeps its exact decimal value through JCS, and
//! no two top-level names are equal after Unicode upper-casing then
//! lower-casing. [`canonicalize_rfc8785`] is plain RFC 8785 over I-JSON: any
//! top-level value, numbers rounded to the nearest IEEE-754 double as RFC 8785
//! prescribes, no letter-case rule. Both reject what I-JSON (RFC 7493 2.1,
//! 2.3) forbids — invalid UTF-8, a BOM, lone surrogates, noncharacters
//! (U+FDD0–U+FDEF and every code point ending in FFFE or FFFF, raw or
//! escaped), duplicate names after unescaping — and nesting deeper than
//! [`MAX_DEPTH`] and non-finite numbers.

use std::borrow::Cow;

use crate::error::Error;

mod jcs;
mod number;
mod parse;
mod rules;
mod tape;
mod value;

pub use number::JsonNumber;
pub use tape::MAX_INPUT_BYTES;
pub use value::{JsonArray, JsonObject, JsonValue};

use parse::{parse_document, Mode};
use tape::Tape;

/// The deepest nesting of objects and arrays accepted; the top-level value is
/// depth 1, so 64 nested containers are accepted and 65 are `malformed_body`.
pub const MAX_DEPTH: usize = 64;

/// A verified request body and its RFC 8785 canonical bytes (SPEC 4.3).
///
/// Owns everything it refers to (`Send + Sync + 'static`): the canonical
/// bytes and the compact parsed form, not the original body.
#[derive(Clone, PartialEq)]
pub struct CanonicalBody {
    bytes: Vec<u8>,
    tape: Option<Tape>,
}

impl CanonicalBody {
    /// The canonical bytes that enter the signing input (empty for an empty body).
    pub fn canonical_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The verified top-level object; `None` for an empty body.
    pub fn value(&self) -> Option<JsonValue<'_>> {
        self.tape.as_ref().map(|t| JsonValue::at(t, 0))
    }

    /// The top-level member named `top_level_name` (exact, case-sensitive).
    pub fn get(&self, top_level_name: &str) -> Option<JsonValue<'_>> {
        self.value()?.get(top_level_name)
    }

    /// The verified value for the application (`Value::Null` for an empty
    /// body). See [`JsonValue::to_serde_json`] for numbers.
    pub fn to_serde_json(&self) -> serde_json::Value {
        self.value()
            .map_or(serde_json::Value::Null, JsonValue::to_serde_json)
    }
}

impl std::fmt::Debug for CanonicalBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CanonicalBody")
            .field("canonical", &String::from_utf8_lossy(&self.bytes))
            .finish()
    }
}

/// Verifies a request body under SPEC 4.3 and returns its canonical form.
///
/// An empty body is canonically empty. Anything else must be one I-JSON
/// object (see the [module documentation](self)); every violation is
/// [`Error::MalformedBody`]. The size limit (`body_too_large`) is the
/// caller's to enforce before calling; a body over [`MAX_INPUT_BYTES`] is
/// `body_too_large` here too.
///
/// ```
/// use kakunin_verify::canonical::canonicalize;
/// use kakunin_verify::Code;
///
/// let body = canonicalize(br#"{ "size": 1.50, "market": "BTC-USD" }"#).unwrap();
/// assert_eq!(body.canonical_bytes(), br#"{"market":"BTC-USD","size":1.5}"#);
/// assert_eq!(body.get("market").and_then(|v| v.as_str()), Some("BTC-USD"));
///
/// // 45000.00000000000001 would become 45000 in JCS: refused.
/// let err = canonicalize(br#"{"size": 45000.00000000000001}"#).unwrap_err();
/// assert_eq!(err.code(), Code::MalformedBody);
///
/// // Top-level names equal after upper- then lower-casing: refused.
/// let err = canonicalize("{\"size\":1,\"\u{17f}ize\":2}".as_bytes()).unwrap_err();
/// assert_eq!(err.code(), Code::MalformedBody);
/// ```
pub fn canonicalize(body: &[u8]) -> Result<CanonicalBody, Error> {
    if body.is_empty() {
        return Ok(CanonicalBody {
            bytes: Vec::new(),
            tape: None,
        });
    }
    let tape = parse_document(body, Mode::RequestBody)?;
    let bytes = jcs::serialize(&tape);
    Ok(CanonicalBody {
        bytes,
        tape: Some(tape),
    })
}

/// Plain RFC 8785 canonicalization of any I-JSON text (not the request-body
/// rule): any top-level value, numbers rounded to the nearest double as RFC
/// 8785 prescribes, no letter-case rule. Still rejects what I-JSON forbids
/// (invalid UTF-8, a BOM, lone surrogates, noncharacters, duplicate names),
/// nesting deeper than [`MAX_DEPTH`], non-finite numbers and an empty text.
/// Used for the RFC's own test vectors.
///
/// ```
/// use kakunin_verify::canonical::canonicalize_rfc8785;
/// assert_eq!(canonicalize_rfc8785(b"[1E30, 4.50]").unwrap(), b"[1e+30,4.5]");
/// ```
pub fn canonicalize_rfc8785(json: &[u8]) -> Result<Vec<u8>, Error> {
    let tape = parse_document(json, Mode::Rfc8785)?;
    Ok(jcs::serialize(&tape))
}

/// The RFC 8785 (ECMAScript `Number.prototype.toString`) form of a double;
/// `None` for NaN and infinities, which JSON cannot express.
///
/// ```
/// use kakunin_verify::canonical::jcs_number;
/// assert_eq!(jcs_number(1e21).as_deref(), Some("1e+21"));
/// assert_eq!(jcs_number(-0.0).as_deref(), Some("0"));
/// assert_eq!(jcs_number(f64::NAN), None);
/// ```
pub fn jcs_number(f: f64) -> Option<String> {
    f.is_finite()
        .then(|| ryu_js::Buffer::new().format_finite(f).to_owned())
}

fn malformed(msg: &'static str) -> Error {
    Error::MalformedBody(Cow::Borrowed(msg))
}

fn malformed_at(msg: &'static str, pos: usize) -> Error {
    Error::MalformedBody(Cow::Owned(format!("{msg} at byte {pos}")))
}

#[cfg(test)]
mod rule_tests;
#[cfg(test)]
mod tests;
