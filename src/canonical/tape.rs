//! The compact parsed form of a body: one byte buffer holding the tape and,
//! after it, the canonical bytes.
//!
//! SPEC 4.3 parses the body before any authentication, so the shape of this
//! representation is chosen for its worst case, not its average one. A
//! verified body is **one buffer** (at most one allocation):
//!
//! ```text
//! [ tape: records in source order (pre-order) | canonical bytes (RFC 8785) ]
//! ```
//!
//! Each value and each member name is one record: an 8-byte [`Node`] header
//! (a 32-bit payload, then the [`Kind`] in 3 bits and a 29-bit length),
//! followed for two kinds by inline text:
//!
//! - a string or number whose text appears verbatim in the canonical bytes
//!   (a string without escapes, a number JCS writes as written) stores no
//!   text: its payload is the offset of that text, in the input while
//!   parsing and writing, in the canonical bytes afterwards;
//! - a string with escapes stores its unescaped text after the header; a
//!   number JCS writes differently (`1.50`, `4.5e4`) stores its source text
//!   there, so that [`JsonNumber::source_text`](super::JsonNumber) stays the
//!   text as written.
//!
//! A container's payload is the offset one past its subtree, so siblings
//! are reached without a walk. An object's subtree ends with its member
//! index: the offsets of its member-name records **sorted in RFC 8785
//! order** (UTF-16 code units), the order of the canonical bytes and of
//! lookups, one little-endian `u32` each.
//!
//! The parser sizes the buffer from a pre-scan of the body (exactly for the
//! tape; an upper bound for inline text and the canonical bytes of any
//! well-formed body), so a well-formed body is never reallocated.

use std::cmp::Ordering;

/// Largest body the tape can index: lengths are 29 bits. Far above any
/// sensible `max_body_bytes`; a larger body is `body_too_large`.
pub const MAX_INPUT_BYTES: usize = LEN_MASK as usize;

const KIND_SHIFT: u32 = 29;
const LEN_MASK: u32 = (1 << KIND_SHIFT) - 1;

/// Bytes of a record header.
pub(super) const HEADER: usize = 8;
/// Bytes of one member-index entry.
pub(super) const WORD: usize = 4;

/// What a record is. Three bits of [`Node`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `len`: 0 for `null`, 1 for `false`, 2 for `true`.
    Literal = 0,
    /// A number JCS writes as written; `payload`: offset of its text
    /// (input while parsing, canonical bytes after), `len`: its length.
    Number = 1,
    /// A number JCS writes differently; its source text (`len` bytes)
    /// follows the header, `payload` is its offset.
    NumberInline = 2,
    /// A string without escapes; `payload`: offset of its text (input
    /// while parsing, canonical bytes after), `len`: its length.
    String = 3,
    /// A string with escapes; its unescaped text (`len` bytes) follows the
    /// header, `payload` is its offset.
    StringInline = 4,
    /// `payload`: offset one past the subtree; `len`: number of items.
    Array = 5,
    /// `payload`: offset one past the subtree (its member index is the last
    /// `len` words of it); `len`: number of members.
    Object = 6,
}

/// The `len` of a [`Kind::Literal`].
pub(super) const NULL: u32 = 0;
/// The `len` of a [`Kind::Literal`].
pub(super) const FALSE: u32 = 1;
/// The `len` of a [`Kind::Literal`].
pub(super) const TRUE: u32 = 2;

/// One record header: a payload, and the kind packed with a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Node {
    payload: u32,
    head: u32,
}

impl Node {
    /// `len` must be at most [`MAX_INPUT_BYTES`] (the parser checks the body
    /// length first, and every length and count is below it).
    pub(super) fn new(kind: Kind, payload: u32, len: u32) -> Node {
        Node {
            payload,
            head: ((kind as u32) << KIND_SHIFT) | (len & LEN_MASK),
        }
    }

    pub(super) fn kind(self) -> Kind {
        match self.head >> KIND_SHIFT {
            1 => Kind::Number,
            2 => Kind::NumberInline,
            3 => Kind::String,
            4 => Kind::StringInline,
            5 => Kind::Array,
            6 => Kind::Object,
            _ => Kind::Literal,
        }
    }

    pub(super) fn payload(self) -> u32 {
        self.payload
    }

    pub(super) fn len(self) -> u32 {
        self.head & LEN_MASK
    }

    pub(super) fn to_bytes(self) -> [u8; HEADER] {
        let [a, b, c, d] = self.payload.to_le_bytes();
        let [e, f, g, h] = self.head.to_le_bytes();
        [a, b, c, d, e, f, g, h]
    }

    fn from_bytes(b: [u8; HEADER]) -> Node {
        let [a, b, c, d, e, f, g, h] = b;
        Node {
            payload: u32::from_le_bytes([a, b, c, d]),
            head: u32::from_le_bytes([e, f, g, h]),
        }
    }
}

/// The little-endian `u32` at `at`, if the buffer holds one there.
pub(super) fn word(buf: &[u8], at: usize) -> Option<u32> {
    let bytes = buf.get(at..at.checked_add(WORD)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// Offset `n` as a tape `u32`; `None` past what 32 bits index.
pub(super) fn offset(n: usize) -> Option<u32> {
    u32::try_from(n).ok()
}

/// A read-only view of a tape: its buffer, and where the texts of
/// [`Kind::Number`] and [`Kind::String`] records live (the input while
/// parsing, the same buffer once the canonical bytes are written).
#[derive(Debug, Clone, Copy)]
pub(super) struct Tape<'a> {
    pub(super) buf: &'a [u8],
    pub(super) refs: &'a [u8],
}

impl<'a> Tape<'a> {
    pub(super) fn node(self, i: u32) -> Option<Node> {
        let at = i as usize;
        let bytes = self.buf.get(at..at.checked_add(HEADER)?)?;
        Some(Node::from_bytes(bytes.try_into().ok()?))
    }

    /// The offset just past the record at `i` and its subtree (its next
    /// sibling, if any). Always beyond `i`, so every walk ends.
    pub(super) fn next(self, i: u32) -> u32 {
        let header_end = i.saturating_add(HEADER as u32);
        match self.node(i) {
            Some(n) => match n.kind() {
                Kind::Array | Kind::Object => n.payload().max(header_end),
                Kind::NumberInline | Kind::StringInline => header_end.saturating_add(n.len()),
                _ => header_end,
            },
            None => header_end,
        }
    }

    /// The bytes of a string or number record (unescaped string, number
    /// source text).
    pub(super) fn bytes(self, node: Node) -> &'a [u8] {
        let source = match node.kind() {
            Kind::Number | Kind::String => self.refs,
            Kind::NumberInline | Kind::StringInline => self.buf,
            _ => return &[],
        };
        let start = node.payload() as usize;
        source
            .get(start..start.saturating_add(node.len() as usize))
            .unwrap_or_default()
    }

    /// [`bytes`](Self::bytes) as text. Always UTF-8 the parser verified
    /// (split only at ASCII bytes), so the check never fails.
    pub(super) fn text(self, node: Node) -> &'a str {
        std::str::from_utf8(self.bytes(node)).unwrap_or_default()
    }

    /// The bytes of the string or number record at `i`.
    pub(super) fn bytes_at(self, i: u32) -> &'a [u8] {
        self.node(i).map_or(&[], |n| self.bytes(n))
    }

    /// The text of the string or number record at `i`.
    pub(super) fn text_at(self, i: u32) -> &'a str {
        self.node(i).map_or("", |n| self.text(n))
    }

    /// The member-name offsets of the object at `i`, sorted in RFC 8785
    /// order (read each with [`member`]); each member's value is the record
    /// right after its name.
    pub(super) fn members(self, i: u32) -> &'a [[u8; WORD]] {
        let Some(node) = self.node(i).filter(|n| n.kind() == Kind::Object) else {
            return &[];
        };
        let end = node.payload() as usize;
        let start = end.saturating_sub((node.len() as usize).saturating_mul(WORD));
        if start < (i as usize).saturating_add(HEADER) {
            return &[];
        }
        self.buf
            .get(start..end)
            .map_or(&[], |index| index.as_chunks::<WORD>().0)
    }

    /// Whether the name at member entry `m` is `name`: its length, kept in
    /// the record's header, compared before its bytes are looked up.
    pub(super) fn name_is(self, m: [u8; WORD], name: &[u8]) -> bool {
        self.node(member(m))
            .is_some_and(|n| n.len() as usize == name.len() && self.bytes(n) == name)
    }

    /// Compares the name at member entry `m` with `name` in RFC 8785 order.
    pub(super) fn cmp_name(self, m: [u8; WORD], name: &[u8]) -> Ordering {
        super::jcs::utf16_cmp(self.bytes_at(member(m)), name)
    }
}

/// The name-record offset of one member-index entry.
pub(super) fn member(m: [u8; WORD]) -> u32 {
    u32::from_le_bytes(m)
}
