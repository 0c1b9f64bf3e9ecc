//! The SPEC 4.3 string and member-name rules beyond JSON grammar.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use super::malformed;
use super::tape::{member, Tape, WORD};
use crate::error::Error;

// SPEC 4.3 / RFC 7493 2.1: a noncharacter is U+FDD0–U+FDEF or any code point
// whose low 16 bits are FFFE or FFFF (U+FFFE, U+FFFF, U+1FFFE, …, U+10FFFF).
pub(super) fn is_noncharacter(c: char) -> bool {
    let cp = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&cp) || cp & 0xFFFE == 0xFFFE
}

// SPEC 4.3: the same rule on raw UTF-8, at the lead byte of a character of
// well-formed UTF-8. Three-byte forms: U+FDD0–U+FDEF are EF B7 90–AF and
// U+FFFE/U+FFFF are EF BF BE/BF; four-byte forms carry the low 16 bits in the
// low nibble of the second byte (must be F) and the last two bytes (BF BE/BF).
pub(super) fn noncharacter_utf8(at: &[u8]) -> bool {
    match at {
        [0xEF, 0xB7, 0x90..=0xAF, ..] | [0xEF, 0xBF, 0xBE | 0xBF, ..] => true,
        [0xF0..=0xF4, b1, 0xBF, 0xBE | 0xBF, ..] => b1 & 0x0F == 0x0F,
        _ => false,
    }
}

// SPEC 4.3 / RFC 7493 2.3: no two members of one object with the same name
// after unescaping. `members` is sorted in RFC 8785 order, so equal names are
// neighbours.
pub(super) fn check_exact_duplicates(tape: Tape<'_>, members: &[[u8; WORD]]) -> Result<(), Error> {
    let mut names = members.iter().map(|&m| tape.bytes_at(member(m)));
    let Some(mut prev) = names.next() else {
        return Ok(());
    };
    for name in names {
        if name == prev {
            return Err(malformed("duplicate member name"));
        }
        prev = name;
    }
    Ok(())
}

/// A name upper-cased, then lower-cased, with `char`'s full mappings.
fn case_fold(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars()
        .flat_map(char::to_uppercase)
        .flat_map(char::to_lowercase)
}

/// Feeds folded characters to a keyed hasher in fixed 64-byte chunks, so
/// that equal folded sequences always make identical `write` calls, whichever
/// path produced them.
struct FoldHasher<H: Hasher> {
    hasher: H,
    buf: [u8; 64],
    len: usize,
}

impl<H: Hasher> FoldHasher<H> {
    fn push(&mut self, c: char) {
        if self.len + 4 > self.buf.len() {
            self.hasher
                .write(self.buf.get(..self.len).unwrap_or_default());
            self.len = 0;
        }
        if let Some(slot) = self.buf.get_mut(self.len..self.len + 4) {
            slot.copy_from_slice(&u32::from(c).to_le_bytes());
        }
        self.len += 4;
    }

    fn finish(mut self) -> u64 {
        self.hasher
            .write(self.buf.get(..self.len).unwrap_or_default());
        self.hasher.finish()
    }
}

/// The hash of [`case_fold`]`(name)`. ASCII names (the usual case) fold to
/// their ASCII lower case without the Unicode tables.
fn fold_hash(state: &RandomState, name: &str) -> u64 {
    let mut h = FoldHasher {
        hasher: state.build_hasher(),
        buf: [0; 64],
        len: 0,
    };
    if name.is_ascii() {
        for b in name.bytes() {
            h.push(char::from(b.to_ascii_lowercase()));
        }
    } else {
        for c in case_fold(name) {
            h.push(c);
        }
    }
    h.finish()
}

/// Top-level member counts up to which the case-twin hashes go in a stack
/// array.
const INLINE_NAMES: usize = 32;

/// A folded name's hash, big-endian, so that byte order is numeric order.
type FoldedHash = [u8; 8];

// SPEC 4.3: no two top-level members whose names are equal after Unicode
// upper-casing followed by lower-casing (`market`/`MARKET`, `size`/`sıze`/
// `ſize`). Linear: each name is folded once into a keyed (SipHash, random
// key) 64-bit hash; only names whose hashes collide are compared in full.
//
// `buf` is the tape; its texts of names without escapes are in `refs`. The
// hashes go in a stack array for a typical body (a handful of top-level
// members), else in the buffer's spare capacity (reserved for the canonical
// bytes, which are written later), and only when that is too small in a
// vector of their own.
//
// `plain_lower_names`: the parser saw every member name and none had an
// upper-case letter, a non-ASCII byte or an escape. Such names are their
// own Unicode case mapping, so distinct ones (equal names were refused,
// RFC 7493 2.3) cannot be twins, and nothing is read.
pub(super) fn check_case_twins(
    buf: &mut Vec<u8>,
    refs: &[u8],
    plain_lower_names: bool,
) -> Result<(), Error> {
    if plain_lower_names {
        return Ok(());
    }
    let tape_len = buf.len();
    let n = Tape { buf, refs }.members(0).len();
    if n < 2 {
        return Ok(());
    }
    if let Some(checked) = check_ascii_twins(Tape { buf, refs }) {
        return checked;
    }
    let bytes = n.saturating_mul(std::mem::size_of::<FoldedHash>());
    let mut inline = [FoldedHash::default(); INLINE_NAMES];
    let mut heap = Vec::new();
    let in_buffer = n > INLINE_NAMES && buf.capacity() - tape_len >= bytes;
    if in_buffer {
        // Within capacity: no allocation.
        buf.resize(tape_len + bytes, 0);
    } else if n > INLINE_NAMES {
        heap.resize(n, FoldedHash::default());
    }
    let (tape, spare) = buf.split_at_mut(tape_len);
    let hashes: &mut [FoldedHash] = if in_buffer {
        spare.as_chunks_mut().0
    } else if n > INLINE_NAMES {
        &mut heap
    } else {
        inline.get_mut(..n).unwrap_or_default()
    };
    let checked = check_hashes(Tape { buf: tape, refs }, hashes);
    buf.truncate(tape_len);
    checked
}

// SPEC 4.3, the usual body: at most `INLINE_NAMES` top-level members, all
// with ASCII names. Unicode upper- then lower-casing maps an ASCII name to
// its ASCII lower case, and no non-ASCII name is present to fold onto it, so
// twins are names equal ignoring ASCII case. With no upper-case letter in
// any name there are none (equal names were refused already, RFC 7493
// 2.3); otherwise the names are compared pairwise (at most 496 pairs,
// nearly all settled by their lengths). No hashing, no sort, no
// allocation; `None` when the body is not of this kind (the general check
// then runs).
fn check_ascii_twins(tape: Tape<'_>) -> Option<Result<(), Error>> {
    let names = tape.members(0);
    if names.len() > INLINE_NAMES {
        return None;
    }
    // One branch-free pass over the names: any byte with bit 7 set (not
    // ASCII), any upper-case letter.
    let (high, upper) = names.iter().fold((0u8, false), |(high, upper), &m| {
        tape.bytes_at(member(m))
            .iter()
            .fold((high, upper), |(h, u), &c| {
                (h | (c & 0x80), u | c.is_ascii_uppercase())
            })
    });
    if high != 0 {
        return None;
    }
    if !upper {
        return Some(Ok(()));
    }
    let twins = names.iter().enumerate().any(|(i, &a)| {
        let a = tape.bytes_at(member(a));
        names.iter().skip(i + 1).any(|&b| {
            let b = tape.bytes_at(member(b));
            a.len() == b.len() && a.eq_ignore_ascii_case(b)
        })
    });
    Some(if twins { Err(twin_error()) } else { Ok(()) })
}

fn twin_error() -> Error {
    malformed("top-level member names are equal after Unicode case mapping")
}

/// Fills `hashes` with the folded hashes of the top-level names, sorts
/// them, and compares in full the names of any hash seen twice.
fn check_hashes(tape: Tape<'_>, hashes: &mut [FoldedHash]) -> Result<(), Error> {
    let names = tape.members(0);
    let state = RandomState::new();
    for (slot, &m) in hashes.iter_mut().zip(names) {
        *slot = fold_hash(&state, tape.text_at(member(m))).to_be_bytes();
    }
    hashes.sort_unstable();
    let mut prev = None;
    for &h in hashes.iter() {
        if prev == Some(h) {
            confirm_twins(tape, names, &state, u64::from_be_bytes(h))?;
        }
        prev = Some(h);
    }
    Ok(())
}

/// The names whose folded hash is `h`, compared in full (a twin, or a 2^-64
/// hash collision that is then let through).
fn confirm_twins(
    tape: Tape<'_>,
    names: &[[u8; WORD]],
    state: &RandomState,
    h: u64,
) -> Result<(), Error> {
    let group: Vec<&str> = names
        .iter()
        .map(|&m| tape.text_at(member(m)))
        .filter(|n| fold_hash(state, n) == h)
        .collect();
    for (i, a) in group.iter().enumerate() {
        for b in group.iter().skip(i + 1) {
            if case_fold(a).eq(case_fold(b)) {
                return Err(twin_error());
            }
        }
    }
    Ok(())
}
