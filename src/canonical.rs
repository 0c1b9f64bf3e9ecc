//! SPEC section 4.3: the canonical body.
//!
//! A strict I-JSON (RFC 7493) parser and an RFC 8785 (JCS) canonicalizer for
//! request bodies. [`canonicalize`] parses the body once into a [`JsonValue`]
//! tree, rejecting everything SPEC 4.3 forbids, then writes the tree in its
//! JCS form. The verified tree is handed to the application, so it never
//! re-parses different bytes.
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
//! Number-to-string, comes from the `ryu-js` crate. Measured on a 194-byte
//! order body (release build): about 5.5 µs per call here, against about
//! 18 µs for `serde_json::from_slice` + `serde_json_canonicalizer::to_vec`,
//! which does none of the checks above.
//!
//! # The request-body rule versus plain RFC 8785
//!
//! [`canonicalize`] applies the request-body rule of SPEC 4.3: the body is a
//! JSON object, every number keeps its exact decimal value through JCS, and
//! top-level names may not differ only in letter case.
//! [`canonicalize_rfc8785`] is plain RFC 8785 over I-JSON: any top-level value,
//! numbers rounded to the nearest IEEE-754 double as RFC 8785 prescribes, no
//! letter-case rule. Both reject invalid UTF-8, a BOM, lone surrogates,
//! duplicate names, nesting deeper than [`MAX_DEPTH`] and non-finite numbers.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::error::Error;

/// The deepest nesting of objects and arrays accepted; the top-level value is
/// depth 1, so 64 nested containers are accepted and 65 are `malformed_body`.
pub const MAX_DEPTH: usize = 64;

/// Largest exponent magnitude tracked when comparing decimals; larger
/// exponents saturate here (no finite double comes anywhere close).
const EXP_CAP: i64 = 1_000_000_000_000_000;

/// A JSON number as written in the body, with its nearest IEEE-754 double.
///
/// ```
/// use kakunin_verify::canonical::canonicalize;
/// let body = canonicalize(br#"{"size": 50000.00}"#).unwrap();
/// let size = body.get("size").and_then(|v| v.as_number()).unwrap();
/// assert_eq!(size.source_text(), "50000.00");
/// assert_eq!(size.as_f64(), 50000.0);
/// assert_eq!(body.canonical_bytes(), br#"{"size":50000}"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct JsonNumber {
    text: String,
    value: f64,
}

impl JsonNumber {
    /// The number exactly as written in the body (JSON number grammar).
    ///
    /// Authorization compares amounts as exact decimals from this text, never
    /// through binary floating point (SPEC 5.3).
    pub fn source_text(&self) -> &str {
        &self.text
    }

    /// The nearest IEEE-754 double (always finite). Under the request-body
    /// rule it has exactly the decimal value of [`source_text`](Self::source_text).
    pub fn as_f64(&self) -> f64 {
        self.value
    }

    /// Whether the number is below zero. `-0` and `-0.00` are not negative.
    pub fn is_negative(&self) -> bool {
        self.text.starts_with('-')
            && self
                .text
                .bytes()
                .take_while(|b| !matches!(b, b'e' | b'E'))
                .any(|b| matches!(b, b'1'..=b'9'))
    }

    fn to_serde_number(&self) -> Option<serde_json::Number> {
        let t = self.text.as_str();
        if !t.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            if let Ok(u) = t.parse::<u64>() {
                return Some(u.into());
            }
            if let Ok(i) = t.parse::<i64>() {
                return Some(i.into());
            }
        }
        serde_json::Number::from_f64(self.value)
    }
}

/// A parsed, verified JSON value.
///
/// The members of an [`JsonValue::Object`] are kept **sorted in RFC 8785
/// order** (by the UTF-16 code units of their unescaped names), the order of
/// the canonical bytes, not the order of the source text. Names are unique.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, with its source text.
    Number(JsonNumber),
    /// A string, unescaped.
    String(String),
    /// An array, in source order.
    Array(Vec<JsonValue>),
    /// An object: members sorted in RFC 8785 order, names unique.
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is a number.
    pub fn as_number(&self) -> Option<&JsonNumber> {
        match self {
            JsonValue::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The members, if this is an object (sorted in RFC 8785 order).
    pub fn as_object(&self) -> Option<&[(String, JsonValue)]> {
        match self {
            JsonValue::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The member named `name` (exact, case-sensitive), if this is an object.
    pub fn get(&self, name: &str) -> Option<&JsonValue> {
        let members = self.as_object()?;
        members
            .binary_search_by(|(k, _)| utf16_cmp(k, name))
            .ok()
            .and_then(|i| members.get(i))
            .map(|(_, v)| v)
    }

    /// Converts to a `serde_json::Value`. Numbers become integers when their
    /// source text is an integer that fits `u64`/`i64`, else the double.
    pub fn to_serde_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            JsonValue::Null => Value::Null,
            JsonValue::Bool(b) => Value::Bool(*b),
            JsonValue::Number(n) => n.to_serde_number().map_or(Value::Null, Value::Number),
            JsonValue::String(s) => Value::String(s.clone()),
            JsonValue::Array(items) => {
                Value::Array(items.iter().map(Self::to_serde_json).collect())
            }
            JsonValue::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_serde_json()))
                    .collect(),
            ),
        }
    }
}

/// A verified request body and its RFC 8785 canonical bytes (SPEC 4.3).
#[derive(Debug, Clone, PartialEq)]
pub struct CanonicalBody {
    bytes: Vec<u8>,
    value: Option<JsonValue>,
}

impl CanonicalBody {
    /// The canonical bytes that enter the signing input (empty for an empty body).
    pub fn canonical_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The verified top-level object; `None` for an empty body.
    pub fn value(&self) -> Option<&JsonValue> {
        self.value.as_ref()
    }

    /// The top-level member named `top_level_name` (exact, case-sensitive).
    pub fn get(&self, top_level_name: &str) -> Option<&JsonValue> {
        self.value.as_ref()?.get(top_level_name)
    }

    /// The verified value for the application (`Value::Null` for an empty
    /// body). See [`JsonValue::to_serde_json`] for numbers.
    pub fn to_serde_json(&self) -> serde_json::Value {
        self.value
            .as_ref()
            .map_or(serde_json::Value::Null, JsonValue::to_serde_json)
    }
}

/// Verifies a request body under SPEC 4.3 and returns its canonical form.
///
/// An empty body is canonically empty. Anything else must be one I-JSON
/// object (see the [module documentation](self)); every violation is
/// [`Error::MalformedBody`]. The size limit (`body_too_large`) is the
/// caller's to enforce before calling.
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
/// ```
pub fn canonicalize(body: &[u8]) -> Result<CanonicalBody, Error> {
    if body.is_empty() {
        return Ok(CanonicalBody {
            bytes: Vec::new(),
            value: None,
        });
    }
    let value = parse_document(body, true)?;
    let bytes = serialize(&value, body.len());
    Ok(CanonicalBody {
        bytes,
        value: Some(value),
    })
}

/// Plain RFC 8785 canonicalization of any I-JSON text (not the request-body
/// rule): any top-level value, numbers rounded to the nearest double as RFC
/// 8785 prescribes, no letter-case rule. Still rejects invalid UTF-8, a BOM,
/// lone surrogates, duplicate names, nesting deeper than [`MAX_DEPTH`],
/// non-finite numbers and an empty text. Used for the RFC's own test vectors.
///
/// ```
/// use kakunin_verify::canonical::canonicalize_rfc8785;
/// assert_eq!(canonicalize_rfc8785(b"[1E30, 4.50]").unwrap(), b"[1e+30,4.5]");
/// ```
pub fn canonicalize_rfc8785(json: &[u8]) -> Result<Vec<u8>, Error> {
    let value = parse_document(json, false)?;
    Ok(serialize(&value, json.len()))
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

// ---------------------------------------------------------------------------
// Parsing

fn malformed(msg: &'static str) -> Error {
    Error::MalformedBody(Cow::Borrowed(msg))
}

fn malformed_at(msg: &'static str, pos: usize) -> Error {
    Error::MalformedBody(Cow::Owned(format!("{msg} at byte {pos}")))
}

/// Parses a whole document. `request_body` selects the SPEC 4.3 rule
/// (top-level object, exact numbers, no case-only duplicate names).
fn parse_document(input: &[u8], request_body: bool) -> Result<JsonValue, Error> {
    if input.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(malformed("body starts with a byte order mark"));
    }
    let text = std::str::from_utf8(input).map_err(|e| {
        Error::MalformedBody(Cow::Owned(format!(
            "body is not UTF-8 (byte {})",
            e.valid_up_to()
        )))
    })?;
    let mut p = Parser {
        s: text,
        b: input,
        pos: 0,
        exact_numbers: request_body,
    };
    p.skip_ws();
    if request_body && p.peek() != Some(b'{') {
        return Err(malformed("body is not a JSON object"));
    }
    let value = p.parse_value(1)?;
    p.skip_ws();
    if p.pos != p.b.len() {
        return Err(malformed_at("trailing data after the JSON value", p.pos));
    }
    if request_body {
        if let JsonValue::Object(members) = &value {
            check_case_only_duplicates(members)?;
        }
    }
    Ok(value)
}

/// SPEC 4.3: top-level names that differ only in letter case, compared after
/// Unicode lower-casing (`str::to_lowercase`, with its final-sigma rule).
/// Exact duplicates were already refused, so equal lowered names here differ
/// only in case.
fn check_case_only_duplicates(members: &[(String, JsonValue)]) -> Result<(), Error> {
    let mut lowered: Vec<Cow<'_, str>> = members
        .iter()
        .map(|(k, _)| {
            if k.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
                Cow::Owned(k.to_lowercase())
            } else {
                Cow::Borrowed(k.as_str())
            }
        })
        .collect();
    lowered.sort_unstable();
    if lowered.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
        return Err(malformed(
            "top-level member names differ only in letter case",
        ));
    }
    Ok(())
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    exact_numbers: bool,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn slice(&self, start: usize, end: usize) -> Result<&'a str, Error> {
        // Only ever split at ASCII bytes, so always char boundaries.
        self.s
            .get(start..end)
            .ok_or_else(|| malformed_at("internal slicing error", start))
    }

    /// Parses one value; `depth` is the depth a container here would have.
    fn parse_value(&mut self, depth: usize) -> Result<JsonValue, Error> {
        match self.peek() {
            Some(b'{') => self.parse_object(depth),
            Some(b'[') => self.parse_array(depth),
            Some(b'"') => self.parse_string().map(JsonValue::String),
            Some(b't') => self.literal("true", JsonValue::Bool(true)),
            Some(b'f') => self.literal("false", JsonValue::Bool(false)),
            Some(b'n') => self.literal("null", JsonValue::Null),
            Some(b'-' | b'0'..=b'9') => self.parse_number().map(JsonValue::Number),
            Some(_) => Err(malformed_at("unexpected character", self.pos)),
            None => Err(malformed_at("unexpected end of body", self.pos)),
        }
    }

    fn literal(&mut self, word: &'static str, value: JsonValue) -> Result<JsonValue, Error> {
        if self
            .b
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()))
        {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(malformed_at("invalid literal", self.pos))
        }
    }

    fn enter(&self, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            Err(malformed_at("nesting deeper than 64", self.pos))
        } else {
            Ok(())
        }
    }

    fn parse_array(&mut self, depth: usize) -> Result<JsonValue, Error> {
        self.enter(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(JsonValue::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.parse_value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JsonValue::Array(items));
                }
                _ => return Err(malformed_at("expected ',' or ']'", self.pos)),
            }
        }
    }

    fn parse_object(&mut self, depth: usize) -> Result<JsonValue, Error> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        let mut members: Vec<(String, JsonValue)> = Vec::with_capacity(8);
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(JsonValue::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(malformed_at("expected a member name", self.pos));
            }
            let name = self.parse_string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(malformed_at("expected ':'", self.pos));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.parse_value(depth + 1)?;
            members.push((name, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(malformed_at("expected ',' or '}'", self.pos)),
            }
        }
        members.sort_unstable_by(|a, b| utf16_cmp(&a.0, &b.0));
        if members
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.0 == b.0))
        {
            return Err(malformed_at("duplicate member name", self.pos));
        }
        Ok(JsonValue::Object(members))
    }

    /// Parses a string at `"`, returning it unescaped.
    fn parse_string(&mut self) -> Result<String, Error> {
        let open = self.pos;
        self.pos += 1; // '"'
        let mut run = self.pos;
        let mut out: Option<String> = None; // allocated lazily at the first escape
        loop {
            match self.peek() {
                None => return Err(malformed_at("unterminated string", open)),
                Some(b'"') => {
                    let tail = self.slice(run, self.pos)?;
                    self.pos += 1;
                    return Ok(match out {
                        Some(mut s) => {
                            s.push_str(tail);
                            s
                        }
                        None => tail.to_owned(),
                    });
                }
                Some(b'\\') => {
                    let chunk = self.slice(run, self.pos)?;
                    let s = out.get_or_insert_with(String::new);
                    s.push_str(chunk);
                    let at = self.pos;
                    self.pos += 1;
                    let c = self.parse_escape(at)?;
                    if let Some(s) = out.as_mut() {
                        s.push(c);
                    }
                    run = self.pos;
                }
                Some(0x00..=0x1F) => {
                    return Err(malformed_at(
                        "unescaped control character in string",
                        self.pos,
                    ))
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// After a backslash: one escape, as a char.
    fn parse_escape(&mut self, at: usize) -> Result<char, Error> {
        let c = self
            .peek()
            .ok_or_else(|| malformed_at("unterminated string", at))?;
        self.pos += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{08}',
            b'f' => '\u{0C}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4(at)?;
                match unit {
                    0xD800..=0xDBFF => {
                        if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(malformed_at("lone high surrogate", at));
                        }
                        self.pos += 2;
                        let low = self.hex4(at)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(malformed_at("lone high surrogate", at));
                        }
                        let cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        char::from_u32(cp).ok_or_else(|| malformed_at("bad surrogate pair", at))?
                    }
                    0xDC00..=0xDFFF => return Err(malformed_at("lone low surrogate", at)),
                    _ => char::from_u32(unit).ok_or_else(|| malformed_at("bad escape", at))?,
                }
            }
            _ => return Err(malformed_at("invalid escape", at)),
        })
    }

    fn hex4(&mut self, at: usize) -> Result<u32, Error> {
        let digits = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| malformed_at("truncated \\u escape", at))?;
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| malformed_at("invalid \\u escape", at))?;
            v = (v << 4) | n;
        }
        self.pos += 4;
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn parse_number(&mut self) -> Result<JsonNumber, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(malformed_at("number with a leading zero", start));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(malformed_at("invalid number", start)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(malformed_at("invalid number fraction", start));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(malformed_at("invalid number exponent", start));
            }
        }
        let text = self.slice(start, self.pos)?;
        // `str::parse::<f64>` is correctly rounded and handles any length or
        // exponent in bounded memory (huge exponents give 0 or infinity).
        let value: f64 = text
            .parse()
            .map_err(|_| malformed_at("invalid number", start))?;
        if !value.is_finite() {
            return Err(malformed_at("number out of IEEE-754 range", start));
        }
        if self.exact_numbers {
            let mut buf = ryu_js::Buffer::new();
            if !same_decimal(text, buf.format_finite(value)) {
                return Err(malformed_at(
                    "number does not keep its exact decimal value through JCS",
                    start,
                ));
            }
        }
        Ok(JsonNumber {
            text: text.to_owned(),
            value,
        })
    }
}

// ---------------------------------------------------------------------------
// Exact decimal comparison (no allocation, no floats)

/// A decimal in JSON number grammar (exponent may have `+`), split in parts.
struct Decimal<'a> {
    negative: bool,
    int: &'a [u8],
    frac: &'a [u8],
    exp: i64,
}

fn scan_decimal(t: &str) -> Option<Decimal<'_>> {
    fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
        let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
        s.split_at(n.min(s.len()))
    }
    let t = t.as_bytes();
    let (negative, rest) = match t.split_first() {
        Some((b'-', r)) => (true, r),
        _ => (false, t),
    };
    let (int, rest) = split_digits(rest);
    if int.is_empty() {
        return None;
    }
    let (frac, rest) = match rest.split_first() {
        Some((b'.', r)) => split_digits(r),
        _ => (&[][..], rest),
    };
    let exp = match rest.split_first() {
        None => 0,
        Some((b'e' | b'E', r)) => {
            let (neg, r) = match r.split_first() {
                Some((b'-', r)) => (true, r),
                Some((b'+', r)) => (false, r),
                _ => (false, r),
            };
            if r.is_empty() || !r.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let mag = r.iter().fold(0i64, |acc, d| {
                acc.saturating_mul(10)
                    .saturating_add(i64::from(d - b'0'))
                    .min(EXP_CAP)
            });
            if neg {
                -mag
            } else {
                mag
            }
        }
        Some(_) => return None,
    };
    Some(Decimal {
        negative,
        int,
        frac,
        exp,
    })
}

/// A decimal normalized to `±0.d1d2…dn × 10^point` with `d1` and `dn` non-zero.
struct Normal<'a> {
    dec: Decimal<'a>,
    lead: usize,
    len: usize,
    point: i64,
}

impl<'a> Normal<'a> {
    fn new(dec: Decimal<'a>) -> Option<Self> {
        let digits = || dec.int.iter().chain(dec.frac.iter());
        let total = dec.int.len() + dec.frac.len();
        let lead = digits().take_while(|&&d| d == b'0').count();
        if lead >= total {
            return None; // zero
        }
        let trail = digits().rev().take_while(|&&d| d == b'0').count();
        let len = total.saturating_sub(lead).saturating_sub(trail);
        let point = (dec.int.len() as i64)
            .saturating_sub(lead as i64)
            .saturating_add(dec.exp);
        Some(Normal {
            dec,
            lead,
            len,
            point,
        })
    }

    fn significant(&self) -> impl Iterator<Item = &u8> + '_ {
        self.dec
            .int
            .iter()
            .chain(self.dec.frac.iter())
            .skip(self.lead)
            .take(self.len)
    }
}

/// Whether two decimal texts have exactly the same value (`-0` equals `0`).
fn same_decimal(a: &str, b: &str) -> bool {
    let (Some(a), Some(b)) = (scan_decimal(a), scan_decimal(b)) else {
        return false;
    };
    match (Normal::new(a), Normal::new(b)) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x.dec.negative == y.dec.negative
                && x.point == y.point
                && x.len == y.len
                && x.significant().eq(y.significant())
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Writing

/// RFC 8785 3.2.3: member names sorted by their UTF-16 code units.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.as_bytes().cmp(b.as_bytes());
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn serialize(value: &JsonValue, size_hint: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size_hint);
    let mut buf = ryu_js::Buffer::new();
    write_value(&mut out, value, &mut buf);
    out
}

fn write_value(out: &mut Vec<u8>, value: &JsonValue, buf: &mut ryu_js::Buffer) {
    match value {
        JsonValue::Null => out.extend_from_slice(b"null"),
        JsonValue::Bool(true) => out.extend_from_slice(b"true"),
        JsonValue::Bool(false) => out.extend_from_slice(b"false"),
        // Only finite numbers are ever stored (the parser refuses others).
        JsonValue::Number(n) => out.extend_from_slice(buf.format_finite(n.value).as_bytes()),
        JsonValue::String(s) => write_string(out, s),
        JsonValue::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, buf);
            }
            out.push(b']');
        }
        JsonValue::Object(members) => {
            out.push(b'{');
            for (i, (name, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, name);
                out.push(b':');
                write_value(out, item, buf);
            }
            out.push(b'}');
        }
    }
}

/// RFC 8785 3.2.2.2: escape `"`, `\` and C0 controls (short forms where JSON
/// has them, else `\u00xx` in lower case); everything else as raw UTF-8.
fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let short: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0A => b"\\n",
            0x0C => b"\\f",
            0x0D => b"\\r",
            0x00..=0x1F => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            // Both indexes are below 16 (c < 0x20), so `get` never misses.
            out.extend(HEX.get(usize::from(c >> 4)));
            out.extend(HEX.get(usize::from(c & 0xF)));
        } else {
            out.extend_from_slice(short);
        }
        run = i + 1;
    }
    out.extend_from_slice(bytes.get(run..).unwrap_or_default());
    out.push(b'"');
}

#[cfg(test)]
mod tests;
