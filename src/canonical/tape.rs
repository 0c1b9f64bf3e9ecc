//! The compact parsed form of a body: one flat tape of 8-byte nodes.
//!
//! SPEC 4.3 parses the body before any authentication, so the shape of this
//! representation is chosen for its worst case, not its average one:
//!
//! - [`Tape::nodes`]: one [`Node`] (two `u32`) per value and per member name,
//!   in source order (pre-order). A container's node records the index one
//!   past its subtree, so siblings are reached without a walk.
//! - [`Tape::data`]: every string (unescaped) and every number's source text,
//!   back to back. Strings and numbers are slices of it: no allocation per
//!   string, number or member.
//! - [`Tape::index`]: for each non-empty object, its member count followed by
//!   the tape indices of its member names **sorted in RFC 8785 order**
//!   (UTF-16 code units), the order of the canonical bytes and of lookups.
//!
//! The parser sizes the three buffers exactly from a pre-scan of the body, so
//! none of them is ever reallocated while parsing a well-formed body.

/// Largest body the tape can index: offsets and node indices are 29 bits.
/// Far above any sensible `max_body_bytes`; a larger body is `body_too_large`.
pub const MAX_INPUT_BYTES: usize = PAYLOAD_MASK as usize;

const KIND_SHIFT: u32 = 29;
const PAYLOAD_MASK: u32 = (1 << KIND_SHIFT) - 1;

/// What a node is. Three bits of [`Node::head`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Null = 0,
    False = 1,
    True = 2,
    /// `payload`: offset of the source text in `data`; `len`: its length.
    Number = 3,
    /// `payload`: offset of the unescaped string in `data`; `len`: its length.
    String = 4,
    /// `payload`: index one past the subtree; `len`: number of items.
    Array = 5,
    /// `payload`: index one past the subtree; `len`: start of its entry in
    /// `index` (unused when the object is empty).
    Object = 6,
}

/// One tape entry: kind and payload packed in `head`, a length in `len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Node {
    head: u32,
    len: u32,
}

impl Node {
    /// `payload` must be at most [`MAX_INPUT_BYTES`] (the parser checks the
    /// body length first, and every offset and index is below it).
    pub(super) fn new(kind: Kind, payload: u32, len: u32) -> Node {
        Node {
            head: ((kind as u32) << KIND_SHIFT) | (payload & PAYLOAD_MASK),
            len,
        }
    }

    pub(super) fn kind(self) -> Kind {
        match self.head >> KIND_SHIFT {
            1 => Kind::False,
            2 => Kind::True,
            3 => Kind::Number,
            4 => Kind::String,
            5 => Kind::Array,
            6 => Kind::Object,
            _ => Kind::Null,
        }
    }

    pub(super) fn payload(self) -> u32 {
        self.head & PAYLOAD_MASK
    }

    pub(super) fn len(self) -> u32 {
        self.len
    }
}

/// A parsed, verified JSON document (see the module documentation).
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Tape {
    pub(super) nodes: Vec<Node>,
    pub(super) index: Vec<u32>,
    pub(super) data: String,
    /// Exact length of the RFC 8785 serialization, counted while parsing.
    pub(super) canonical_len: usize,
}

impl Tape {
    pub(super) fn node(&self, i: u32) -> Option<Node> {
        self.nodes.get(i as usize).copied()
    }

    /// The index just past the value at `i` (its next sibling, if any).
    pub(super) fn next(&self, i: u32) -> u32 {
        match self.node(i) {
            Some(n) if matches!(n.kind(), Kind::Array | Kind::Object) => {
                n.payload().max(i.saturating_add(1))
            }
            _ => i.saturating_add(1),
        }
    }

    /// The text of a string or number node (unescaped string, number source).
    pub(super) fn text(&self, node: Node) -> &str {
        let start = node.payload() as usize;
        let end = start.saturating_add(node.len() as usize);
        // Always a range the parser wrote, on char boundaries.
        self.data.get(start..end).unwrap_or_default()
    }

    /// The text of the string or number node at `i`.
    pub(super) fn text_at(&self, i: u32) -> &str {
        self.node(i).map_or("", |n| self.text(n))
    }

    /// The member-name indices of the object at `i`, sorted in RFC 8785
    /// order; each member's value is the node right after its name.
    pub(super) fn members(&self, i: u32) -> &[u32] {
        let Some(node) = self.node(i) else {
            return &[];
        };
        if node.kind() != Kind::Object || node.payload() <= i.saturating_add(1) {
            return &[];
        }
        let start = node.len() as usize;
        let count = self.index.get(start).map_or(0, |&c| c as usize);
        let first = start.saturating_add(1);
        self.index
            .get(first..first.saturating_add(count))
            .unwrap_or_default()
    }
}
