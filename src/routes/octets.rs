//! RFC 3986 2.1 and 6.2.2.1: the octets a path segment denotes. A valid
//! percent escape (`%` and two hex digits, in either case) stands for the
//! octet it encodes; every other byte stands for itself.
//!
//! Patterns (SPEC 5.2, and `dataAccess` rules, SPEC 5.4) compare segments by
//! these octets, because the server behind the verifier resolves
//! `/d/caf%C3%A9`, `/d/caf%c3%a9` and a pattern written `/d/café` to the
//! same resource: compared as text, a `dataAccess` deny written one way
//! would let the other spelling through to an allow rule. SPEC 4.2 has
//! already refused every escape that could change a path's shape (`%2f`,
//! `%2e`, `%5c`, `%00`, escaped unreserved characters, broken escapes), so
//! decoding a checked path never makes a separator or a dot segment.

/// The octets `text` denotes.
fn octets(text: &str) -> impl Iterator<Item = u8> + '_ {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let c = *b.get(i)?;
        if c == b'%' {
            let hi = b.get(i + 1).copied().and_then(crate::hex::nibble);
            let lo = b.get(i + 2).copied().and_then(crate::hex::nibble);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                i += 3;
                return Some(hi << 4 | lo);
            }
        }
        i += 1;
        Some(c)
    })
}

/// The octets of a pattern's literal segment, decoded once when the
/// pattern is parsed.
pub(super) fn decode(text: &str) -> Box<[u8]> {
    octets(text).collect()
}

/// `true` when the path segment `part` denotes exactly `expected`
/// (without allocating).
pub(super) fn denotes(part: &str, expected: &[u8]) -> bool {
    let mut got = octets(part);
    expected.iter().all(|&o| got.next() == Some(o)) && got.next().is_none()
}

/// `true` when `text` has no escape, so its octets are its bytes.
pub(super) fn is_plain(text: &str) -> bool {
    !text.as_bytes().contains(&b'%')
}
