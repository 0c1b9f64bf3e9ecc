//! RFC 8785 (JCS) serialization of a tape, written after it in the same
//! buffer with its SHA-256 computed on the way, and the RFC's member order.

use std::cmp::Ordering;

use ring::digest::{Context, SHA256};

use super::parse::Parsed;
use super::tape::{member, word, Kind, Node, Tape, FALSE, HEADER, TRUE, WORD};

/// RFC 8785 3.2.3: member names sorted by their UTF-16 code units, on the
/// names' UTF-8 bytes.
///
/// UTF-8 byte order is code point order, which is UTF-16 order except
/// between a BMP character at or above U+E000 (lead byte `EE`/`EF`) and a
/// supplementary one (lead byte `F0`–`F4`, surrogates `D800`–`DBFF` in
/// UTF-16). Equal prefixes share character boundaries, so only the first
/// differing byte decides, and only that pair of lead bytes is reversed.
pub(super) fn utf16_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let Some((x, y)) = a.iter().zip(b).find(|(x, y)| x != y) else {
        return a.len().cmp(&b.len());
    };
    let high_bmp_vs_supplementary = |p: u8, q: u8| matches!(p, 0xEE | 0xEF) && q >= 0xF0;
    if high_bmp_vs_supplementary(*x, *y) {
        Ordering::Greater
    } else if high_bmp_vs_supplementary(*y, *x) {
        Ordering::Less
    } else {
        x.cmp(y)
    }
}

/// Objects of up to this many members are sorted on a stack array of their
/// names (each name's record read once, not on every comparison).
const SMALL_OBJECT: usize = 16;

/// A name's first 8 bytes, big-endian (zero-padded), whose numeric order is
/// the names' RFC 8785 order wherever the two differ in those bytes; `None`
/// if one of them is a lead byte `EE`–`F4`, where byte order and UTF-16
/// order part (see [`utf16_cmp`]).
fn prefix_key(name: &[u8]) -> Option<u64> {
    let mut key = [0u8; 8];
    for (slot, &c) in key.iter_mut().zip(name) {
        if c >= 0xEE {
            return None;
        }
        *slot = c;
    }
    Some(u64::from_be_bytes(key))
}

/// RFC 8785 3.2.3: sorts an object's member index (the offsets of its
/// member-name records) by the names' UTF-16 code units, in place, without
/// allocating. A small object is sorted on a stack array of its names with
/// their [`prefix_key`]s, so most comparisons are one integer compare (a
/// tie, e.g. a zero-padded prefix, falls back to the full comparison).
pub(super) fn sort_members(tape: Tape<'_>, index: &mut [[u8; WORD]]) {
    let mut small: [(u64, &[u8], [u8; WORD]); SMALL_OBJECT] = [(0, &[], [0; WORD]); SMALL_OBJECT];
    match small.get_mut(..index.len()) {
        Some(names) => {
            let mut keyed = true;
            for (slot, &m) in names.iter_mut().zip(index.iter()) {
                let name = tape.bytes_at(member(m));
                let key = prefix_key(name);
                keyed &= key.is_some();
                *slot = (key.unwrap_or(0), name, m);
            }
            if keyed {
                names.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| utf16_cmp(a.1, b.1)));
            } else {
                names.sort_unstable_by(|a, b| utf16_cmp(a.1, b.1));
            }
            for (m, &(_, _, sorted)) in index.iter_mut().zip(names.iter()) {
                *m = sorted;
            }
        }
        None => index.sort_unstable_by(|&x, &y| {
            utf16_cmp(tape.bytes_at(member(x)), tape.bytes_at(member(y)))
        }),
    }
}

/// How many bytes RFC 8785 3.2.2.2 adds when it writes `c` (1 byte stored):
/// `\"`, `\\` and the short control escapes add 1, `\u00xx` adds 5.
pub(super) fn escape_extra(c: char) -> usize {
    match c {
        '"' | '\\' | '\u{08}' | '\t' | '\n' | '\u{0C}' | '\r' => 1,
        '\u{00}'..='\u{1F}' => 5,
        _ => 0,
    }
}

/// The JCS form of an integer of at most 15 digits, without parsing it:
/// such an integer is exactly a double, and ECMAScript writes it as its
/// digits (`-0` as `0`). `None` for any other number text.
pub(super) fn short_integer_jcs(text: &str) -> Option<&str> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(if digits == "0" { digits } else { text })
}

/// Canonical bytes are hashed in chunks of this size as they are written,
/// while still in cache.
const HASH_CHUNK: usize = 8192;

/// A document written out: its buffer (the tape, then the canonical bytes
/// from `start`) and, when asked for, the SHA-256 of the canonical bytes.
pub(super) struct Written {
    pub(super) buf: Vec<u8>,
    pub(super) start: usize,
    pub(super) sha256: Option<[u8; 32]>,
}

/// Writes the RFC 8785 serialization of a parsed document after its tape,
/// in the same buffer (grown only if the pre-scan's bound fell short), and
/// repoints every string and number record whose text JCS writes as written
/// at that text in the canonical bytes, so the result no longer refers to
/// the input. With `hash`, the SHA-256 of the canonical bytes is computed
/// while they are written.
pub(super) fn write(parsed: Parsed, input: &[u8], hash: bool) -> Written {
    let Parsed {
        mut buf,
        canonical_len,
    } = parsed;
    buf.reserve_exact(canonical_len);
    let start = buf.len();
    let mut w = Writer {
        buf,
        input,
        ryu: ryu_js::Buffer::new(),
        hash: hash.then(|| Context::new(&SHA256)),
        hashed: start,
    };
    w.value(0);
    w.hash_written();
    let sha256 = w.hash.map(|ctx| {
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    });
    Written {
        buf: w.buf,
        start,
        sha256,
    }
}

struct Writer<'i> {
    buf: Vec<u8>,
    input: &'i [u8],
    ryu: ryu_js::Buffer,
    hash: Option<Context>,
    /// Canonical bytes before this offset are in `hash` already.
    hashed: usize,
}

impl Writer<'_> {
    fn tape(&self) -> Tape<'_> {
        Tape {
            buf: &self.buf,
            refs: self.input,
        }
    }

    /// Feeds the canonical bytes written since the last call to the hash.
    fn hash_written(&mut self) {
        if let Some(ctx) = &mut self.hash {
            ctx.update(self.buf.get(self.hashed..).unwrap_or_default());
        }
        self.hashed = self.buf.len();
    }

    /// Writes the value at `i`. Recursion is bounded by the tape's depth
    /// (the parser's `MAX_DEPTH`).
    fn value(&mut self, i: u32) {
        let Some(node) = self.tape().node(i) else {
            return;
        };
        match node.kind() {
            Kind::Literal => self.buf.extend_from_slice(match node.len() {
                TRUE => b"true",
                FALSE => b"false",
                _ => b"null",
            }),
            Kind::Number => self.verbatim(i, node, false),
            Kind::String => self.verbatim(i, node, true),
            Kind::NumberInline => self.number(node),
            Kind::StringInline => self.escaped(node),
            Kind::Array => self.array(i, node),
            Kind::Object => self.object(node),
        }
        if self.buf.len() - self.hashed >= HASH_CHUNK {
            self.hash_written();
        }
    }

    /// A string or number JCS writes as written: copied from the input, and
    /// its record repointed at the copy.
    fn verbatim(&mut self, i: u32, node: Node, quoted: bool) {
        let from = node.payload() as usize;
        let text = self
            .input
            .get(from..from.saturating_add(node.len() as usize))
            .unwrap_or_default();
        if quoted {
            self.buf.push(b'"');
        }
        let at = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        self.buf.extend_from_slice(text);
        if quoted {
            self.buf.push(b'"');
        }
        let i = i as usize;
        if let Some(slot) = self.buf.get_mut(i..i + WORD) {
            slot.copy_from_slice(&at.to_le_bytes());
        }
    }

    /// A number JCS writes differently: its ECMAScript form.
    fn number(&mut self, node: Node) {
        // The parser refused the text unless it parses to a finite double.
        let value: f64 = std::str::from_utf8(self.tape().bytes(node))
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0.0);
        self.buf
            .extend_from_slice(self.ryu.format_finite(value).as_bytes());
    }

    /// RFC 8785 3.2.2.2: a string with escapes, from its unescaped text
    /// (earlier in the same buffer): `"`, `\` and C0 controls escaped
    /// (short forms where JSON has them, else `\u00xx` in lower case),
    /// everything else as raw UTF-8.
    fn escaped(&mut self, node: Node) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let start = node.payload() as usize;
        let end = start
            .saturating_add(node.len() as usize)
            .min(self.buf.len());
        self.buf.push(b'"');
        let first = start.min(end);
        let mut run = first;
        for j in first..end {
            let Some(&c) = self.buf.get(j) else { break };
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
            // `run <= j < end <= len`: in range.
            self.buf.extend_from_within(run..j);
            if short.is_empty() {
                self.buf.extend_from_slice(b"\\u00");
                // Both indexes are below 16 (c < 0x20), so `get` never misses.
                self.buf.extend(HEX.get(usize::from(c >> 4)));
                self.buf.extend(HEX.get(usize::from(c & 0xF)));
            } else {
                self.buf.extend_from_slice(short);
            }
            run = j + 1;
        }
        self.buf.extend_from_within(run..end);
        self.buf.push(b'"');
    }

    fn array(&mut self, i: u32, node: Node) {
        self.buf.push(b'[');
        let first = i.saturating_add(HEADER as u32);
        let mut item = first;
        while item < node.payload() {
            if item > first {
                self.buf.push(b',');
            }
            self.value(item);
            item = self.tape().next(item);
        }
        self.buf.push(b']');
    }

    /// Members in the order of the object's member index (RFC 8785 order).
    fn object(&mut self, node: Node) {
        self.buf.push(b'{');
        let count = node.len() as usize;
        let index = (node.payload() as usize).saturating_sub(count.saturating_mul(WORD));
        for k in 0..count {
            let Some(name) = word(&self.buf, index + k * WORD) else {
                break;
            };
            if k > 0 {
                self.buf.push(b',');
            }
            self.value(name);
            self.buf.push(b':');
            let value = self.tape().next(name);
            self.value(value);
        }
        self.buf.push(b'}');
    }
}
