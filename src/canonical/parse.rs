//! The strict I-JSON (RFC 7493) parser of SPEC 4.3, writing a tape.
//!
//! Cost, whatever the body's shape: the body's one buffer is sized from
//! above (a flat factor for a small body, else a pre-scan,
//! [`estimate::capacity`]), one pass parses into it; per object one
//! in-place sort of its member index. No allocation per value, string or
//! member, and none at all beyond that buffer for a well-formed body.

use std::borrow::Cow;

use super::estimate;
use super::jcs::{escape_extra, short_integer_jcs, sort_members, Distinct};
use super::number::same_decimal;
use super::rules::{check_case_twins, check_exact_duplicates, is_noncharacter, noncharacter_utf8};
use super::tape::{offset, Kind, Node, Tape, FALSE, HEADER, MAX_INPUT_BYTES, NULL, TRUE};
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
    // SPEC 4.3: member names that are all ASCII without an upper-case
    // letter or an escape (the usual body; here names at every depth, a
    // superset of the top level's) are their own Unicode case mapping, so
    // distinct ones — equal names were refused — cannot be twins.
    if mode == Mode::RequestBody && p.name_flags & (NAME_UPPER | NAME_HIGH | NAME_ESCAPED) != 0 {
        check_case_twins(&mut p.buf, p.b)?;
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

/// Objects of up to this many members have their member-name offsets noted
/// while they are parsed.
const SMALL_INDEX: usize = 16;

/// Bytes the string scanner stops at: the closing quote, an escape, a C0
/// control (refused), and the lead bytes of characters that may be
/// noncharacters (`EF`–`F4`, checked).
const STRING_STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i < 0x20 || i == b'"' as usize || i == b'\\' as usize || (i >= 0xEF && i <= 0xF4);
        i += 1;
    }
    t
};

/// What the member-name scan records of a byte, beside [`STRING_STOPS`]:
/// bit [`NAME_STOP`] as there, [`NAME_UPPER`] for `A`–`Z`, [`NAME_HIGH`]
/// for any non-ASCII byte.
const NAME_SCAN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if STRING_STOPS[i] { NAME_STOP } else { 0 }
            | if i >= b'A' as usize && i <= b'Z' as usize {
                NAME_UPPER
            } else {
                0
            }
            | if i >= 0x80 { NAME_HIGH } else { 0 };
        i += 1;
    }
    t
};
const NAME_STOP: u8 = 1;
/// A member name had an upper-case ASCII letter.
const NAME_UPPER: u8 = 2;
/// A member name had a non-ASCII byte.
const NAME_HIGH: u8 = 4;
/// A member name had an escape (its text is not the bytes scanned).
const NAME_ESCAPED: u8 = 8;

fn string_stop(c: u8) -> bool {
    // A `u8` always indexes a 256-entry table.
    STRING_STOPS.get(usize::from(c)).copied().unwrap_or(true)
}

impl<'a> Parser<'a> {
    /// Advances over string bytes that need no attention (no quote,
    /// backslash, control or non-ASCII byte).
    fn skip_plain_string_bytes(&mut self) {
        let rest = self.b.get(self.pos..).unwrap_or_default();
        self.pos += rest
            .iter()
            .position(|&c| string_stop(c))
            .unwrap_or(rest.len());
    }

    /// [`skip_plain_string_bytes`](Self::skip_plain_string_bytes) for a
    /// member name, recording in `name_flags` whether it had an upper-case
    /// or a non-ASCII byte (one table load per byte in place of two
    /// comparisons, folded into the scan it makes anyway).
    fn skip_plain_name_bytes(&mut self) {
        let rest = self.b.get(self.pos..).unwrap_or_default();
        let mut seen = 0u8;
        self.pos += rest
            .iter()
            .position(|&c| {
                let flags = NAME_SCAN.get(usize::from(c)).copied().unwrap_or(NAME_STOP);
                seen |= flags;
                flags & NAME_STOP != 0
            })
            .unwrap_or(rest.len());
        self.name_flags |= seen;
    }

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
        let mut names = [0u32; SMALL_INDEX];
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

    /// Parses a string at `"`: a record pointing into the input if it has
    /// no escape, else one followed by its unescaped text.
    fn parse_string(&mut self) -> Result<(), Error> {
        self.parse_string_as::<false>()
    }

    /// [`parse_string`](Self::parse_string); for a member name (`NAME`)
    /// also recording what SPEC 4.3's case rule needs (`name_flags`).
    fn parse_string_as<const NAME: bool>(&mut self) -> Result<(), Error> {
        let open = self.pos;
        let start = open + 1;
        self.pos = start;
        loop {
            if NAME {
                self.skip_plain_name_bytes();
            } else {
                self.skip_plain_string_bytes();
            }
            match self.peek() {
                None => return Err(malformed_at("unterminated string", open)),
                Some(b'"') => {
                    let len = self.pos - start;
                    let at = offset(start).ok_or_else(too_large)?;
                    self.push(Node::new(
                        Kind::String,
                        at,
                        offset(len).ok_or_else(too_large)?,
                    ))?;
                    self.pos += 1;
                    self.count(2 + len);
                    return Ok(());
                }
                Some(b'\\') => {
                    if NAME {
                        self.name_flags |= NAME_ESCAPED;
                    }
                    return self.escaped_string(open, start);
                }
                Some(c) => self.string_byte(c)?,
            }
        }
    }

    /// At a stop byte other than `"` or `\` inside a string: a control
    /// character is refused, a noncharacter too; otherwise step over it.
    fn string_byte(&mut self, c: u8) -> Result<(), Error> {
        if c < 0x20 {
            return Err(malformed_at(
                "unescaped control character in string",
                self.pos,
            ));
        }
        if noncharacter_utf8(self.b.get(self.pos..).unwrap_or_default()) {
            return Err(malformed_at("noncharacter in string", self.pos));
        }
        self.pos += 1;
        Ok(())
    }

    /// The rest of a string that has an escape at `self.pos`: its text is
    /// unescaped into the tape after its record.
    fn escaped_string(&mut self, open: usize, start: usize) -> Result<(), Error> {
        let at = self.push(Node::new(Kind::StringInline, 0, 0))?;
        let text_start = self.buf.len();
        let mut run = start;
        let mut extra = 0usize; // bytes JCS adds when escaping
        loop {
            self.skip_plain_string_bytes();
            match self.peek() {
                None => return Err(malformed_at("unterminated string", open)),
                Some(b'"') => {
                    let tail = self.slice(run, self.pos)?;
                    self.buf.extend_from_slice(tail.as_bytes());
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    let chunk = self.slice(run, self.pos)?;
                    self.buf.extend_from_slice(chunk.as_bytes());
                    let esc = self.pos;
                    self.pos += 1;
                    let c = self.parse_escape(esc)?;
                    if is_noncharacter(c) {
                        return Err(malformed_at("escaped noncharacter in string", esc));
                    }
                    extra += escape_extra(c);
                    self.buf
                        .extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    run = self.pos;
                }
                Some(c) => self.string_byte(c)?,
            }
        }
        let len = self.buf.len() - text_start;
        let text = offset(text_start).ok_or_else(too_large)?;
        self.set(
            at,
            Node::new(Kind::StringInline, text, offset(len).ok_or_else(too_large)?),
        );
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
