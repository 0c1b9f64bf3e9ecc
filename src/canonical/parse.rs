//! The strict I-JSON (RFC 7493) parser of SPEC 4.3, writing a tape.
//!
//! Cost, whatever the body's shape: the body's one buffer is sized from
//! above (a flat factor for a small body, else a pre-scan,
//! [`estimate::capacity`]), one pass parses into it; per object one
//! in-place sort of its member index. No allocation per value, string or
//! member, and none at all beyond that buffer for a well-formed body.

use std::borrow::Cow;

use super::estimate;
use super::jcs::{short_integer_jcs, sort_members, Distinct, SMALL_OBJECT};
use super::number::same_decimal;
use super::rules::{check_case_twins, check_exact_duplicates};
use super::tape::{offset, Kind, Node, Tape, FALSE, HEADER, MAX_INPUT_BYTES, NULL, TRUE};
use super::{malformed, malformed_at, MAX_DEPTH};
use crate::error::Error;

mod strings;
use strings::{NAME_ESCAPED, NAME_HIGH, NAME_UPPER};

/// Which rule set a document is parsed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// SPEC 4.3 request body: a top-level object, exact numbers, no
    /// top-level case twins.
    RequestBody,
    /// Plain RFC 8785 over I-JSON.
    Rfc8785,
}

/// A verified document: its tape (texts of [`Kind::Number`] and
/// [`Kind::String`] records still in the input), and the exact length of
/// its RFC 8785 serialization.
#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) buf: Vec<u8>,
    pub(super) canonical_len: usize,
}

fn too_large() -> Error {
    Error::BodyTooLarge("the body is larger than the canonicalizer indexes".into())
}

/// Parses and verifies a whole document into a new buffer.
pub(super) fn parse_document(input: &[u8], mode: Mode) -> Result<Parsed, Error> {
    parse_document_into(input, mode, Vec::new())
}

/// Parses and verifies a whole document into `buf` (emptied first), which
/// is given the estimated capacity of [`estimate::capacity`] if it has less.
pub(super) fn parse_document_into(
    input: &[u8],
    mode: Mode,
    mut buf: Vec<u8>,
) -> Result<Parsed, Error> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(too_large());
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
        buf: {
            buf.clear();
            buf.reserve_exact(estimate::capacity(input));
            buf
        },
        canonical_len: 0,
        name_flags: 0,
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
        // Names at every depth: a superset of the top level's.
        let plain_lower_names = p.name_flags & (NAME_UPPER | NAME_HIGH | NAME_ESCAPED) == 0;
        check_case_twins(&mut p.buf, p.b, plain_lower_names)?;
    }
    // The canonical bytes follow the tape, and every offset is 32 bits.
    offset(p.buf.len().saturating_add(p.canonical_len)).ok_or_else(too_large)?;
    Ok(Parsed {
        buf: p.buf,
        canonical_len: p.canonical_len,
    })
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    exact_numbers: bool,
    buf: Vec<u8>,
    canonical_len: usize,
    /// [`NAME_UPPER`], [`NAME_HIGH`], [`NAME_ESCAPED`]: what any member
    /// name (at any depth) had.
    name_flags: u8,
}

impl<'a> Parser<'a> {
    /// The tape so far, texts still in the input.
    fn tape(&self) -> Tape<'_> {
        Tape {
            buf: &self.buf,
            refs: self.b,
        }
    }

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

    /// Appends a record header; returns its offset.
    fn push(&mut self, node: Node) -> Result<u32, Error> {
        let at = offset(self.buf.len()).ok_or_else(too_large)?;
        self.buf.extend_from_slice(&node.to_bytes());
        Ok(at)
    }

    /// Rewrites the header at `at` (a container's, once its end is known).
    fn set(&mut self, at: u32, node: Node) {
        let at = at as usize;
        if let Some(slot) = self.buf.get_mut(at..at + HEADER) {
            slot.copy_from_slice(&node.to_bytes());
        }
    }

    fn end(&self) -> Result<u32, Error> {
        offset(self.buf.len()).ok_or_else(too_large)
    }

    fn count(&mut self, canonical_bytes: usize) {
        self.canonical_len = self.canonical_len.saturating_add(canonical_bytes);
    }

    /// Parses one value; `depth` is the depth a container here would have.
    fn parse_value(&mut self, depth: usize) -> Result<(), Error> {
        match self.peek() {
            Some(b'{') => self.parse_object(depth),
            Some(b'[') => self.parse_array(depth),
            Some(b'"') => self.parse_string(),
            Some(b't') => self.literal("true", TRUE),
            Some(b'f') => self.literal("false", FALSE),
            Some(b'n') => self.literal("null", NULL),
            Some(b'-' | b'0'..=b'9') => self.parse_number(),
            Some(_) => Err(malformed_at("unexpected character", self.pos)),
            None => Err(malformed_at("unexpected end of body", self.pos)),
        }
    }

    fn literal(&mut self, word: &'static str, which: u32) -> Result<(), Error> {
        if !self
            .b
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()))
        {
            return Err(malformed_at("invalid literal", self.pos));
        }
        self.pos += word.len();
        self.push(Node::new(Kind::Literal, 0, which))?;
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
        let at = self.push(Node::new(Kind::Array, 0, 0))?;
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
        let end = self.end()?;
        self.set(at, Node::new(Kind::Array, end, items));
        // `[`, `]` and the commas.
        self.count(2 + (items as usize).saturating_sub(1));
        Ok(())
    }

    fn parse_object(&mut self, depth: usize) -> Result<(), Error> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        let at = self.push(Node::new(Kind::Object, 0, 0))?;
        let mut members: u32 = 0;
        // A small object's member-name offsets, noted as they are parsed
        // (a larger one's are found again by walking its tape).
        let mut names = [0u32; SMALL_OBJECT];
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                if self.peek() != Some(b'"') {
                    return Err(malformed_at("expected a member name", self.pos));
                }
                let name = offset(self.buf.len()).ok_or_else(too_large)?;
                self.parse_string_as::<true>()?;
                if let Some(slot) = names.get_mut(members as usize) {
                    *slot = name;
                }
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
        self.index_members(at, members, names.get(..members as usize))?;
        let end = self.end()?;
        self.set(at, Node::new(Kind::Object, end, members));
        // `{`, `}`, the colons and the commas.
        let n = members as usize;
        self.count(2 + n + n.saturating_sub(1));
        Ok(())
    }

    /// Appends the object's member index (the offsets of its member names,
    /// sorted in RFC 8785 order) and refuses duplicate names. `noted`: the
    /// offsets, when the object was small enough to note them all.
    fn index_members(
        &mut self,
        object: u32,
        members: u32,
        noted: Option<&[u32]>,
    ) -> Result<(), Error> {
        let start = self.buf.len();
        if let Some(names) = noted {
            for name in names {
                self.buf.extend_from_slice(&name.to_le_bytes());
            }
        } else {
            let mut name = object.saturating_add(HEADER as u32);
            for _ in 0..members {
                self.buf.extend_from_slice(&name.to_le_bytes());
                let value = self.tape().next(name);
                name = self.tape().next(value);
            }
        }
        // The names lie before the index: sort the index in place while
        // reading them.
        let Some((names, index)) = self.buf.split_at_mut_checked(start) else {
            return Ok(());
        };
        let tape = Tape {
            buf: names,
            refs: self.b,
        };
        let sorted = index.as_chunks_mut().0;
        match sort_members(tape, sorted) {
            // Equal names have equal prefix keys: none to look for.
            Distinct::Proven => Ok(()),
            Distinct::Unknown => check_exact_duplicates(tape, sorted)
                .map_err(|_| malformed_at("duplicate member name", self.pos)),
        }
    }

    fn digits(&mut self) -> usize {
        let rest = self.b.get(self.pos..).unwrap_or_default();
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        self.pos += n;
        n
    }

    /// A number beyond the short-integer fast path: finite, and under the
    /// request-body rule exact through JCS. Returns its JCS length and
    /// whether JCS writes it exactly as written.
    fn check_number(&self, text: &str, start: usize) -> Result<(usize, bool), Error> {
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
        if self.exact_numbers && jcs != text && !same_decimal(text, jcs) {
            return Err(malformed_at(
                "number does not keep its exact decimal value through JCS",
                start,
            ));
        }
        Ok((jcs.len(), jcs == text))
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
        let (jcs_len, as_written) = match short_integer_jcs(text) {
            // Exact as written: no parse, no formatting (`-0` becomes `0`).
            Some(jcs) => (jcs.len(), jcs.len() == text.len()),
            None => self.check_number(text, start)?,
        };
        let len = offset(text.len()).ok_or_else(too_large)?;
        if as_written {
            let at = offset(start).ok_or_else(too_large)?;
            self.push(Node::new(Kind::Number, at, len))?;
        } else {
            let at = offset(self.buf.len().saturating_add(HEADER)).ok_or_else(too_large)?;
            self.push(Node::new(Kind::NumberInline, at, len))?;
            self.buf.extend_from_slice(text.as_bytes());
        }
        self.count(jcs_len);
        Ok(())
    }
}
