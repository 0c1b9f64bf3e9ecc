//! RFC 8785 (JCS) serialization of a tape, written after it in the same
//! buffer with its SHA-256 computed on the way, and the RFC's member order.

use std::cmp::Ordering;

use crate::crypto::CryptoBackend;
use crate::digest::Sha256;

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

/// Objects of up to this many members are sorted by integer keys on the
/// stack (and the parser notes their member-name offsets as it goes).
pub(super) const SMALL_OBJECT: usize = 16;

/// A name's first 8 bytes, big-endian and zero-padded, when they are
/// ASCII. Where two names differ within those bytes, the keys' numeric
/// order is their RFC 8785 order (for ASCII, UTF-8 byte order is UTF-16
/// order); where they do not, the keys are equal and the names are compared
/// in full. `None` for a name with a non-ASCII byte among its first 8.
fn ascii_prefix_key(name: &[u8]) -> Option<u64> {
    let key = match name.first_chunk::<8>() {
        Some(first) => u64::from_be_bytes(*first),
        // Shorter: byte `i` (`i < 8`) into its big-endian place.
        None => name
            .iter()
            .enumerate()
            .fold(0, |key, (i, &c)| key | u64::from(c) << (56 - 8 * i)),
    };
    (key & 0x8080_8080_8080_8080 == 0).then_some(key)
}

/// Whether a sorted member index may hold two equal names: `Unknown`
/// unless the sort saw every pair of neighbours differ in their keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Distinct {
    /// Every name differs from its neighbours within its first 8 bytes.
    Proven,
    /// The names must be compared for duplicates.
    Unknown,
}

/// RFC 8785 3.2.3: sorts an object's member index (the offsets of its
/// member-name records) by the names' UTF-16 code units, in place, without
/// allocating. A small object whose names start with ASCII (the usual
/// case) is insertion-sorted on integer keys ([`ascii_prefix_key`]), the
/// names compared in full only when two keys tie; any other object by
/// comparing the names.
pub(super) fn sort_members(tape: Tape<'_>, index: &mut [[u8; WORD]]) -> Distinct {
    let mut keys = [0u64; SMALL_OBJECT];
    if let Some(keys) = keys.get_mut(..index.len()) {
        if sort_by_prefix_keys(tape, index, keys) {
            return if keys.windows(2).all(|pair| matches!(pair, [a, b] if a != b)) {
                Distinct::Proven
            } else {
                Distinct::Unknown
            };
        }
    }
    index.sort_unstable_by(|&x, &y| utf16_cmp(tape.bytes_at(member(x)), tape.bytes_at(member(y))));
    Distinct::Unknown
}

/// The integer-key insertion sort of [`sort_members`], leaving the sorted
/// keys in `keys` (as long as `index`); `false`, the index untouched, when
/// a name has no key.
fn sort_by_prefix_keys(tape: Tape<'_>, index: &mut [[u8; WORD]], keys: &mut [u64]) -> bool {
    for (key, &m) in keys.iter_mut().zip(index.iter()) {
        let Some(k) = ascii_prefix_key(tape.bytes_at(member(m))) else {
            return false;
        };
        *key = k;
    }
    let before = |a: (u64, [u8; WORD]), b: (u64, [u8; WORD])| {
        a.0 < b.0
            || (a.0 == b.0
                && utf16_cmp(tape.bytes_at(member(a.1)), tape.bytes_at(member(b.1)))
                    == Ordering::Less)
    };
    for i in 1..index.len() {
        let (Some(&key), Some(&m)) = (keys.get(i), index.get(i)) else {
            break;
        };
        let mut j = i;
        // Shift the greater entries one place up.
        while j > 0 {
            let (Some(&pk), Some(&pm)) = (keys.get(j - 1), index.get(j - 1)) else {
                break;
            };
            if !before((key, m), (pk, pm)) {
                break;
            }
            if let (Some(k), Some(x)) = (keys.get_mut(j), index.get_mut(j)) {
                *k = pk;
                *x = pm;
            }
            j -= 1;
        }
        if let (Some(k), Some(x)) = (keys.get_mut(j), index.get_mut(j)) {
            *k = key;
            *x = m;
        }
    }
    true
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
/// while still in cache; a shorter text (every usual request body) is
/// hashed in one call once written, without a streaming context to set up.
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
/// by that backend while they are written.
pub(super) fn write(parsed: Parsed, input: &[u8], hash: Option<CryptoBackend>) -> Written {
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
        hash,
        ctx: None,
        hashed: start,
    };
    w.value(0);
    let sha256 = w.finish_hash(start);
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
    /// The backend that hashes the canonical bytes, if they are hashed.
    hash: Option<CryptoBackend>,
    /// The streaming hash, begun with the first full chunk.
    ctx: Option<Sha256>,
    /// Canonical bytes before this offset are in `ctx` already.
    hashed: usize,
}

impl Writer<'_> {
    fn tape(&self) -> Tape<'_> {
        Tape {
            buf: &self.buf,
            refs: self.input,
        }
    }

    /// Feeds the canonical bytes written since the last call to the
    /// streaming hash, beginning it on the first chunk.
    fn hash_written(&mut self) {
        if let Some(backend) = self.hash {
            self.ctx
                .get_or_insert_with(|| Sha256::new(backend))
                .update(self.buf.get(self.hashed..).unwrap_or_default());
        }
        self.hashed = self.buf.len();
    }

    /// The SHA-256 of the canonical bytes (from `start`): in one call when
    /// they never filled a chunk, else the streaming hash fed the rest.
    fn finish_hash(&mut self, start: usize) -> Option<[u8; 32]> {
        let backend = self.hash?;
        Some(match self.ctx.take() {
            None => crate::digest::sha256_with(backend, self.buf.get(start..).unwrap_or_default()),
            Some(mut ctx) => {
                ctx.update(self.buf.get(self.hashed..).unwrap_or_default());
                ctx.finish()
            }
        })
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
        self.hash_full_chunk();
    }

    /// Hashes what was written since the last chunk, once it fills one
    /// ([`HASH_CHUNK`]), while it is still in cache. Always inlined: left
    /// to the compiler, the call after every value cost ≈ 150 instructions
    /// per request.
    #[inline(always)]
    fn hash_full_chunk(&mut self) {
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
        let at = self.buf.len();
        self.buf.extend_from_slice(text);
        if quoted {
            self.buf.push(b'"');
        }
        self.repoint(i, at);
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
            let value = self.tape().next(name);
            if self.compact_member(name, value) {
                self.hash_full_chunk();
            } else {
                self.value(name);
                self.buf.push(b':');
                self.value(value);
            }
        }
        self.buf.push(b'}');
    }

    /// A member the input holds exactly as JCS writes it: a name without
    /// escapes, a colon right after it, and right after that a string
    /// without escapes or a number JCS writes as written (`"size":45000`,
    /// the usual compact body). Copied as one piece, both records
    /// repointed at their text in the copy; `false`, nothing written,
    /// for any other member.
    fn compact_member(&mut self, name: u32, value: u32) -> bool {
        let tape = self.tape();
        let (Some(n), Some(v)) = (tape.node(name), tape.node(value)) else {
            return false;
        };
        if n.kind() != Kind::String {
            return false;
        }
        let (v_text, v_len) = (v.payload() as usize, v.len() as usize);
        let (v_start, v_end) = match v.kind() {
            Kind::String => (v_text.wrapping_sub(1), v_text + v_len + 1),
            Kind::Number => (v_text, v_text + v_len),
            _ => return false,
        };
        // From the name's opening quote to past its closing one.
        let n_text = n.payload() as usize;
        let (Some(n_start), n_end) = (n_text.checked_sub(1), n_text + n.len() as usize + 1) else {
            return false;
        };
        if v_start != n_end + 1 || self.input.get(n_end) != Some(&b':') {
            return false;
        }
        let Some(text) = self.input.get(n_start..v_end) else {
            return false;
        };
        let at = self.buf.len();
        self.buf.extend_from_slice(text);
        self.repoint(name, at + 1);
        self.repoint(value, at + (v_text - n_start));
        true
    }

    /// Points the string or number record at `i` at its text at `at` in
    /// the canonical bytes.
    fn repoint(&mut self, i: u32, at: usize) {
        let at = u32::try_from(at).unwrap_or(u32::MAX);
        let i = i as usize;
        if let Some(slot) = self.buf.get_mut(i..i + WORD) {
            slot.copy_from_slice(&at.to_le_bytes());
        }
    }
}
