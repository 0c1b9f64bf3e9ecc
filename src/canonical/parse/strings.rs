//! RFC 8259 strings for the parser (SPEC 4.3): the byte scanners, the
//! member-name scan that records what the case rule needs, escapes, and
//! the refused controls and noncharacters.

use super::{malformed_at, offset, too_large, Kind, Node, Parser};
use crate::canonical::jcs::escape_extra;
use crate::canonical::rules::{is_noncharacter, noncharacter_utf8};
use crate::error::Error;

/// Bytes the string scanner stops at: the closing quote, an escape, a C0
/// control (refused), and the lead bytes of characters that may be
/// noncharacters (`EF`–`F4`, checked).
// Indexing in a `const` block: evaluated by the compiler, never at run time.
#[allow(clippy::indexing_slicing)]
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
// Indexing in a `const` block: evaluated by the compiler, never at run time.
#[allow(clippy::indexing_slicing)]
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
pub(super) const NAME_UPPER: u8 = 2;
/// A member name had a non-ASCII byte.
pub(super) const NAME_HIGH: u8 = 4;
/// A member name had an escape (its text is not the bytes scanned).
pub(super) const NAME_ESCAPED: u8 = 8;

fn string_stop(c: u8) -> bool {
    // A `u8` always indexes a 256-entry table.
    STRING_STOPS.get(usize::from(c)).copied().unwrap_or(true)
}

impl Parser<'_> {
    /// Advances over string bytes that need no attention (no quote,
    /// backslash, control, or lead byte of a possible noncharacter).
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

    /// Parses a string at `"`: a record pointing into the input if it has
    /// no escape, else one followed by its unescaped text.
    pub(super) fn parse_string(&mut self) -> Result<(), Error> {
        self.parse_string_as::<false>()
    }

    /// [`parse_string`](Self::parse_string); for a member name (`NAME`)
    /// also recording what SPEC 4.3's case rule needs (`name_flags`).
    pub(super) fn parse_string_as<const NAME: bool>(&mut self) -> Result<(), Error> {
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
}
