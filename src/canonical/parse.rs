//! The strict I-JSON (RFC 7493) parser of SPEC 4.3, writing a [`Tape`].
//!
//! Cost, whatever the body's shape: one pre-scan sizes the tape's buffers
//! exactly, one pass parses into them; per object one in-place sort of its
//! member indices. No allocation per value, string or member.

use std::borrow::Cow;

use super::jcs::{escape_extra, short_integer_jcs, sort_members};
use super::number::same_decimal;
use super::rules::{check_case_twins, check_exact_duplicates, is_noncharacter, noncharacter_utf8};
use super::tape::{Kind, Node, Tape, MAX_INPUT_BYTES};
use super::{malformed, malformed_at, MAX_DEPTH};
use crate::error::Error;

/// Which rule set a document is parsed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// SPEC 4.3 request body: a top-level object, exact numbers, no
    /// top-level case twins.
    RequestBody,
    /// Plain RFC 8785 over I-JSON.
    Rfc8785,
}

/// Parses and verifies a whole document.
pub(super) fn parse_document(input: &[u8], mode: Mode) -> Result<Tape, Error> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(Error::BodyTooLarge(
            "the body is larger than the canonicalizer indexes".into(),
        ));
    }
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
        exact_numbers: mode == Mode::RequestBody,
        tape: Capacity::scan(input).tape(),
    };
    p.skip_ws();
    if mode == Mode::RequestBody && p.peek() != Some(b'{') {
        return Err(malformed("body is not a JSON object"));
    }
    p.parse_value(1)?;
    p.skip_ws();
    if p.pos != p.b.len() {
        return Err(malformed_at("trailing data after the JSON value", p.pos));
    }
    if mode == Mode::RequestBody {
        check_case_twins(&p.tape)?;
    }
    Ok(p.tape)
}

/// Exact buffer sizes for a well-formed body, from one cheap pass that only
/// tracks strings (quotes and backslashes). For a malformed body they may be
/// off, which costs a reallocation before the parser refuses it.
#[derive(Debug, Default)]
struct Capacity {
    nodes: usize,
    index: usize,
    data: usize,
}

impl Capacity {
    fn scan(b: &[u8]) -> Capacity {
        let mut c = Capacity::default();
        let mut i = 0;
        let mut after_open_brace = false;
        let mut in_scalar = false;
        let mut scalar_is_number = false;
        while let Some(&x) = b.get(i) {
            let ws = matches!(x, b' ' | b'\t' | b'\n' | b'\r');
            if after_open_brace && !ws {
                // A non-empty object: its count and sorted names in `index`.
                c.index += usize::from(x != b'}');
                after_open_brace = false;
            }
            let scalar_byte = x.is_ascii_alphanumeric() || matches!(x, b'-' | b'+' | b'.');
            if scalar_byte && !in_scalar {
                c.nodes += 1;
                scalar_is_number = x == b'-' || x.is_ascii_digit();
            }
            in_scalar = scalar_byte;
            c.data += usize::from(scalar_byte && scalar_is_number);
            match x {
                b'"' => {
                    let start = i + 1;
                    i = start;
                    loop {
                        match b.get(i) {
                            None | Some(b'"') => break,
                            Some(b'\\') => i += 2,
                            Some(_) => i += 1,
                        }
                    }
                    // Unescaping never makes a string longer.
                    c.data += i.min(b.len()).saturating_sub(start);
                    c.nodes += 1;
                }
                b'{' => {
                    c.nodes += 1;
                    after_open_brace = true;
                }
                b'[' => c.nodes += 1,
                b':' => c.index += 1,
                _ => {}
            }
            i += 1;
        }
        c
    }

    fn tape(&self) -> Tape {
        Tape {
            nodes: Vec::with_capacity(self.nodes),
            index: Vec::with_capacity(self.index),
            data: String::with_capacity(self.data),
            canonical_len: 0,
        }
    }
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    exact_numbers: bool,
    tape: Tape,
}

/// A position or length below [`MAX_INPUT_BYTES`] as a tape `u32`.
fn to_u32(n: usize) -> Result<u32, Error> {
    u32::try_from(n)
        .ok()
        .filter(|&v| v as usize <= MAX_INPUT_BYTES)
        .ok_or_else(|| malformed("body too large to index"))
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

    fn push(&mut self, kind: Kind, payload: u32, len: u32) -> Result<u32, Error> {
        let at = to_u32(self.tape.nodes.len())?;
        self.tape.nodes.push(Node::new(kind, payload, len));
        Ok(at)
    }

    fn count(&mut self, canonical_bytes: usize) {
        self.tape.canonical_len = self.tape.canonical_len.saturating_add(canonical_bytes);
    }

    /// Parses one value; `depth` is the depth a container here would have.
    fn parse_value(&mut self, depth: usize) -> Result<(), Error> {
        match self.peek() {
            Some(b'{') => self.parse_object(depth),
            Some(b'[') => self.parse_array(depth),
            Some(b'"') => self.parse_string(),
            Some(b't') => self.literal("true", Kind::True),
            Some(b'f') => self.literal("false", Kind::False),
            Some(b'n') => self.literal("null", Kind::Null),
            Some(b'-' | b'0'..=b'9') => self.parse_number(),
            Some(_) => Err(malformed_at("unexpected character", self.pos)),
            None => Err(malformed_at("unexpected end of body", self.pos)),
        }
    }

    fn literal(&mut self, word: &'static str, kind: Kind) -> Result<(), Error> {
        if !self
            .b
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()))
        {
            return Err(malformed_at("invalid literal", self.pos));
        }
        self.pos += word.len();
        self.push(kind, 0, 0)?;
        self.count(word.len());
        Ok(())
    }

    // SPEC 4.3: nesting at most 64 deep, the top-level value at depth 1.
    fn enter(&self, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            Err(malformed_at("nesting deeper than 64", self.pos))
        } else {
            Ok(())
        }
    }

    fn parse_array(&mut self, depth: usize) -> Result<(), Error> {
        self.enter(depth)?;
        self.pos += 1; // '['
        let at = self.push(Kind::Array, 0, 0)?;
        let mut items: u32 = 0;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                self.parse_value(depth + 1)?;
                items = items.saturating_add(1);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(malformed_at("expected ',' or ']'", self.pos)),
                }
            }
        }
        let end = to_u32(self.tape.nodes.len())?;
        self.set(at, Node::new(Kind::Array, end, items));
        // `[`, `]` and the commas.
        self.count(2 + (items as usize).saturating_sub(1));
        Ok(())
    }

    fn set(&mut self, at: u32, node: Node) {
        if let Some(slot) = self.tape.nodes.get_mut(at as usize) {
            *slot = node;
        }
    }

    fn parse_object(&mut self, depth: usize) -> Result<(), Error> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        let at = self.push(Kind::Object, 0, 0)?;
        let mut members: u32 = 0;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                if self.peek() != Some(b'"') {
                    return Err(malformed_at("expected a member name", self.pos));
                }
                self.parse_string()?;
                self.skip_ws();
                if self.peek() != Some(b':') {
                    return Err(malformed_at("expected ':'", self.pos));
                }
                self.pos += 1;
                self.skip_ws();
                self.parse_value(depth + 1)?;
                members = members.saturating_add(1);
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
        }
        let end = to_u32(self.tape.nodes.len())?;
        let start = if members == 0 {
            0
        } else {
            self.index_members(at, members)?
        };
        self.set(at, Node::new(Kind::Object, end, start));
        // `{`, `}`, the colons and the commas.
        let n = members as usize;
        self.count(2 + n + n.saturating_sub(1));
        Ok(())
    }

    /// Appends the object's entry to `index` (count, then its member names
    /// sorted in RFC 8785 order) and refuses duplicate names. Returns where
    /// the entry starts.
    fn index_members(&mut self, object: u32, members: u32) -> Result<u32, Error> {
        let mut index = std::mem::take(&mut self.tape.index);
        let start = index.len();
        index.push(members);
        let mut name = object.saturating_add(1);
        for _ in 0..members {
            index.push(name);
            name = self.tape.next(name.saturating_add(1));
        }
        let sorted = index.get_mut(start + 1..).unwrap_or_default();
        sort_members(&self.tape, sorted);
        let checked = check_exact_duplicates(&self.tape, sorted);
        self.tape.index = index;
        checked.map_err(|_| malformed_at("duplicate member name", self.pos))?;
        to_u32(start)
    }

    /// Parses a string at `"` and appends it, unescaped, to the tape.
    fn parse_string(&mut self) -> Result<(), Error> {
        let open = self.pos;
        self.pos += 1; // '"'
        let start = self.tape.data.len();
        let mut run = self.pos;
        let mut extra = 0usize; // bytes JCS adds when escaping
        loop {
            match self.peek() {
                None => return Err(malformed_at("unterminated string", open)),
                Some(b'"') => {
                    let tail = self.slice(run, self.pos)?;
                    self.tape.data.push_str(tail);
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    let chunk = self.slice(run, self.pos)?;
                    self.tape.data.push_str(chunk);
                    let at = self.pos;
                    self.pos += 1;
                    let c = self.parse_escape(at)?;
                    if is_noncharacter(c) {
                        return Err(malformed_at("escaped noncharacter in string", at));
                    }
                    extra += escape_extra(c);
                    self.tape.data.push(c);
                    run = self.pos;
                }
                Some(0x00..=0x1F) => {
                    return Err(malformed_at(
                        "unescaped control character in string",
                        self.pos,
                    ))
                }
                Some(0xEF..=0xF4) => {
                    if noncharacter_utf8(self.b.get(self.pos..).unwrap_or_default()) {
                        return Err(malformed_at("noncharacter in string", self.pos));
                    }
                    self.pos += 1;
                }
                Some(_) => self.pos += 1,
            }
        }
        let len = self.tape.data.len() - start;
        self.push(Kind::String, to_u32(start)?, to_u32(len)?)?;
        self.count(2 + len + extra);
        Ok(())
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

    /// A number beyond the short-integer fast path: finite, and under the
    /// request-body rule exact through JCS. Returns its JCS length.
    fn check_number(&self, text: &str, start: usize) -> Result<usize, Error> {
        // `str::parse::<f64>` is correctly rounded and handles any length or
        // exponent in bounded memory (huge exponents give 0 or infinity).
        let value: f64 = text
            .parse()
            .map_err(|_| malformed_at("invalid number", start))?;
        if !value.is_finite() {
            return Err(malformed_at("number out of IEEE-754 range", start));
        }
        let mut buf = ryu_js::Buffer::new();
        let jcs = buf.format_finite(value);
        // SPEC 4.3: the number keeps its exact decimal value through JCS.
        if self.exact_numbers && !same_decimal(text, jcs) {
            return Err(malformed_at(
                "number does not keep its exact decimal value through JCS",
                start,
            ));
        }
        Ok(jcs.len())
    }

    fn parse_number(&mut self) -> Result<(), Error> {
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
        let jcs_len = match short_integer_jcs(text) {
            // Exact as written: no parse, no formatting.
            Some(jcs) => jcs.len(),
            None => self.check_number(text, start)?,
        };
        let offset = self.tape.data.len();
        self.tape.data.push_str(text);
        self.push(Kind::Number, to_u32(offset)?, to_u32(text.len())?)?;
        self.count(jcs_len);
        Ok(())
    }
}
