//! SPEC section 4.3: the canonical body.
//!
//! A strict I-JSON (RFC 7493) parser and an RFC 8785 (JCS) canonicalizer for
//! request bodies. [`canonicalize`] parses the body once into a compact tape,
//! rejecting everything SPEC 4.3 forbids, then writes the tape's JCS form
//! after it in the same buffer, hashing it (SHA-256) on the way. The
//! verified value is handed to the application as borrowing views
//! ([`JsonValue`]), so it never re-parses different bytes. A dropped
//! [`CanonicalBody`] leaves its buffer (up to 16 KiB) to its thread's next
//! body, so a server verifying request after request allocates none.
//!
//! # Bounded cost before authentication
//!
//! The body is parsed at step 1 of SPEC 5.1, before any authentication, so
//! its shape is the attacker's to choose. Nothing here allocates per value,
//! string or member: a verified body is **one buffer** (at most one
//! allocation; none when a dropped body left its thread a spare), sized from
//! above (a flat 8 bytes per body byte up to 1 KiB, past that by a
//! pre-scan), holding an 8-byte record per value and member name, a 4-byte
//! index entry per member, the text of strings with escapes and of numbers
//! JCS rewrites, and then the canonical bytes (strings and numbers written
//! as they are point into those). Time is linear in the body plus one
//! in-place sort of each object's members; the top-level case-twin rule
//! hashes each folded name once (and allocates only past 32 top-level
//! members). Peak heap while canonicalizing is at most about 7 times the
//! body's size for any shape past 1 KiB (`tests/preauth_memory.rs` measures
//! it through `Verifier::verify`), and at most 8 times plus 16 bytes below.
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

use crate::crypto::CryptoBackend;
use crate::error::Error;

mod estimate;
mod jcs;
mod number;
mod parse;
mod rules;
mod spare;
mod tape;
mod value;

pub use number::JsonNumber;
pub use tape::MAX_INPUT_BYTES;
pub use value::{JsonArray, JsonObject, JsonValue};

use parse::{parse_document, parse_document_into, Mode};
use tape::Tape;

/// The deepest nesting of objects and arrays accepted; the top-level value is
/// depth 1, so 64 nested containers are accepted and 65 are `malformed_body`.
pub const MAX_DEPTH: usize = 64;

/// A verified request body, its RFC 8785 canonical bytes and their SHA-256
/// (SPEC 4.3).
///
/// Owns everything it refers to (`Send + Sync + 'static`): one buffer
/// holding the compact parsed form and the canonical bytes, not the
/// original body.
#[derive(Clone, PartialEq)]
pub struct CanonicalBody {
    /// The tape (`..start`), then the canonical bytes (`start..`); empty
    /// for an empty body.
    buf: Vec<u8>,
    start: usize,
    sha256: [u8; 32],
}

impl CanonicalBody {
    /// The canonical bytes that enter the signing input (empty for an empty body).
    pub fn canonical_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// SHA-256 of [`canonical_bytes`](Self::canonical_bytes) (SPEC 4.4's
    /// `BODY_SHA256`), computed by the writer: in one call once written
    /// when shorter than one 8 KiB chunk, else chunk by chunk as written.
    ///
    /// ```
    /// use kakunin_verify::canonical::canonicalize;
    /// let body = canonicalize(br#"{ "b": 1, "a": 2 }"#).unwrap();
    /// assert_eq!(body.sha256(), kakunin_verify::digest::sha256(br#"{"a":2,"b":1}"#));
    /// assert_eq!(canonicalize(b"").unwrap().sha256(), kakunin_verify::digest::sha256(b""));
    /// ```
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// The verified top-level object; `None` for an empty body.
    pub fn value(&self) -> Option<JsonValue<'_>> {
        let tape = Tape {
            buf: self.buf.get(..self.start).filter(|t| !t.is_empty())?,
            refs: &self.buf,
        };
        Some(JsonValue::at(tape, 0))
    }

    /// The top-level member named `top_level_name` (exact, case-sensitive).
    pub fn get(&self, top_level_name: &str) -> Option<JsonValue<'_>> {
        self.value()?.get(top_level_name)
    }

    /// [`get`](Self::get) for two top-level names, in one pass over a small
    /// object.
    pub(crate) fn get_pair(
        &self,
        a: &str,
        b: &str,
    ) -> (Option<JsonValue<'_>>, Option<JsonValue<'_>>) {
        match self.value() {
            Some(JsonValue::Object(object)) => object.get_pair(a, b),
            _ => (None, None),
        }
    }

    /// The verified value for the application (`Value::Null` for an empty
    /// body). See [`JsonValue::to_serde_json`] for numbers.
    pub fn to_serde_json(&self) -> serde_json::Value {
        self.value()
            .map_or(serde_json::Value::Null, JsonValue::to_serde_json)
    }
}

impl Drop for CanonicalBody {
    // The buffer becomes this thread's spare for the next body.
    fn drop(&mut self) {
        spare::give_back(std::mem::take(&mut self.buf));
    }
}

impl std::fmt::Debug for CanonicalBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CanonicalBody")
            .field(
                "canonical",
                &String::from_utf8_lossy(self.canonical_bytes()),
            )
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
    canonicalize_with(body, CryptoBackend::default())
}

/// [`canonicalize`], with the SHA-256 computed by `backend` (the verifier
/// passes its own, so a request runs one library's hash code).
pub(crate) fn canonicalize_with(
    body: &[u8],
    backend: CryptoBackend,
) -> Result<CanonicalBody, Error> {
    if body.is_empty() {
        return Ok(CanonicalBody {
            buf: Vec::new(),
            start: 0,
            sha256: crate::digest::sha256_with(backend, b""),
        });
    }
    let parsed = parse_document_into(body, Mode::RequestBody, spare::take())?;
    let written = jcs::write(parsed, body, Some(backend));
    Ok(CanonicalBody {
        buf: written.buf,
        start: written.start,
        sha256: written.sha256.unwrap_or_default(),
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
    let parsed = parse_document(json, Mode::Rfc8785)?;
    let mut written = jcs::write(parsed, json, None);
    // The tape is not needed: shift the canonical bytes to the front.
    written.buf.drain(..written.start);
    Ok(written.buf)
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
