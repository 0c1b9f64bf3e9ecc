//! The pre-scan that sizes a body's one buffer before parsing.
//!
//! One cheap pass that tracks strings (quotes and backslashes) and scalar
//! tokens, and bounds what the parser will write for a well-formed body:
//! the tape exactly (one header per value and member name, one index word
//! per member), and from above the inline text (strings with escapes,
//! numbers JCS rewrites) and the canonical bytes. For a malformed body the
//! bound may be off, which costs a reallocation before the parser refuses
//! it; a bound that misses for a well-formed body would cost one too (the
//! tests check that it does not), never correctness.

use super::tape::{HEADER, WORD};

/// The most bytes RFC 8785 writes for one number (ECMAScript's shortest
/// round-trip form, e.g. `-0.0000012345678901234567`).
const MAX_NUMBER_JCS: usize = 25;

/// Integers of at most this many characters are written by JCS as written
/// (the parser's short-integer fast path); so are decimals of at most this
/// many characters without a trailing zero or a tiny magnitude.
const SHORT_NUMBER: usize = 15;

/// Bodies up to this size skip the pre-scan: their buffer is sized by
/// [`SMALL_BODY_FACTOR`] alone. A scan costs about ten instructions per
/// byte, which on a typical order (~200 bytes) is more than the allocation
/// it would trim.
pub(super) const SMALL_BODY_BYTES: usize = 1024;

/// Bytes of buffer per body byte for a small body: above what any
/// well-formed shape needs per byte (a value per two bytes, `[0,0,…]`,
/// takes 5; a short number JCS writes long, `[9e20,…]`, about 6.6; see
/// `rule_tests`), so a small body never grows its buffer.
pub(super) const SMALL_BODY_FACTOR: usize = 8;

/// The capacity the parser allocates for `body`: a flat bound for a small
/// body, else the pre-scan's [`buffer_bound`]. Either way at most about 8
/// times the body, so the allocation before authentication stays bounded.
pub(super) fn capacity(body: &[u8]) -> usize {
    if body.len() <= SMALL_BODY_BYTES {
        body.len() * SMALL_BODY_FACTOR + 2 * HEADER
    } else {
        buffer_bound(body)
    }
}

/// The buffer capacity a well-formed `body` needs (tape, inline text and
/// canonical bytes), from above.
pub(super) fn buffer_bound(body: &[u8]) -> usize {
    let mut need = 0usize;
    let mut i = 0;
    while let Some(&x) = body.get(i) {
        let (bytes, next) = match x {
            b'"' => string(body, i),
            b'-' | b'0'..=b'9' => number(body, i),
            b't' | b'f' | b'n' => {
                let len = token_len(body, i, |c| c.is_ascii_alphabetic());
                (HEADER + len, i + len)
            }
            // A container: its header and its opening byte.
            b'{' | b'[' => (HEADER + 1, i + 1),
            // A member: its index word and its colon.
            b':' => (WORD + 1, i + 1),
            b' ' | b'\t' | b'\n' | b'\r' => (0, i + 1),
            // `,`, `}`, `]` (and, in a malformed body, anything else).
            _ => (1, i + 1),
        };
        need = need.saturating_add(bytes);
        i = next.max(i + 1);
    }
    need
}

/// The length of the run at `at` of bytes `f` accepts.
fn token_len(body: &[u8], at: usize, f: impl Fn(u8) -> bool) -> usize {
    body.get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&c| f(c))
        .count()
}

/// The string opening at `at`: its header, its unescaped text if it has
/// escapes, and its canonical form. Raw bytes are copied as they are; an
/// escape unescapes to at most as many bytes as it would take without its
/// backslash and JCS writes it back in at most its own length (`\u00xx`
/// controls) or, for any other `\uXXXX`, in at most 3 bytes. Returns the
/// bytes and where the string ends.
fn string(body: &[u8], at: usize) -> (usize, usize) {
    let mut end = at + 1;
    let (mut raw, mut inline, mut canonical) = (0usize, 0usize, 0usize);
    let mut escaped = false;
    loop {
        // Raw bytes up to the next quote or backslash, in one scan.
        let rest = body.get(end..).unwrap_or_default();
        let run = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\')
            .unwrap_or(rest.len());
        raw += run;
        end += run;
        if body.get(end) != Some(&b'\\') {
            break;
        }
        escaped = true;
        let (len, unescaped, written) = escape_bound(body.get(end + 1..).unwrap_or_default());
        inline += unescaped;
        canonical += written;
        end += len;
    }
    let inline = if escaped { raw + inline } else { 0 };
    (HEADER + inline + raw + canonical + 2, end + 1)
}

/// After a backslash: the escape's length with it, and bounds on its
/// unescaped and its canonical length.
fn escape_bound(after: &[u8]) -> (usize, usize, usize) {
    match after {
        // A C0 control: JCS writes `\u00xx` (or a two-byte short form).
        [b'u', b'0', b'0', b'0' | b'1', ..] => (6, 1, 6),
        // Up to U+FFFF: at most 3 UTF-8 bytes (half a surrogate pair: 2 of 4).
        [b'u', ..] => (6, 3, 3),
        // `\/` is written `/`; the others (`\n`, `\"`, ...) keep two bytes.
        [b'/', ..] => (2, 1, 1),
        _ => (2, 1, 2),
    }
}

/// The number starting at `at`: its header, its source text if JCS may
/// write it differently, and a bound on its canonical form.
fn number(body: &[u8], at: usize) -> (usize, usize) {
    // One pass over the token: its length, and whether it has a fraction
    // or an exponent.
    let (mut len, mut fraction, mut exponent) = (0, false, false);
    for &c in body.get(at..).unwrap_or_default() {
        match c {
            b'0'..=b'9' | b'-' | b'+' => {}
            b'.' => fraction = true,
            b'e' | b'E' => exponent = true,
            _ => break,
        }
        len += 1;
    }
    let text = body.get(at..at + len).unwrap_or_default();
    let canonical = if exponent {
        // Rare: the exact length, from the same formatting the writer uses.
        jcs_len(text).unwrap_or(MAX_NUMBER_JCS)
    } else if len > SHORT_NUMBER {
        // Rounding to 17 digits may carry into one more digit.
        len + 1
    } else {
        // Without an exponent and exact, JCS never writes more digits.
        len
    };
    let inline = if maybe_rewritten(text, fraction, exponent) {
        len
    } else {
        0
    };
    (HEADER + inline + canonical, at + len)
}

/// Whether JCS may write the number `text` differently from its source:
/// an exponent, a trailing fractional zero, `-0`, a magnitude below 10^-6
/// (exponent form; in JSON grammar such a number starts `0.000000` or
/// `-0.000000`), or too many digits for the fast paths.
fn maybe_rewritten(text: &[u8], fraction: bool, exponent: bool) -> bool {
    let unsigned = text.strip_prefix(b"-").unwrap_or(text);
    exponent
        || text.len() > SHORT_NUMBER
        || (fraction && (text.ends_with(b"0") || unsigned.starts_with(b"0.000000")))
        || text == b"-0"
}

/// The JCS length of a number token, `None` if it is not a finite number.
fn jcs_len(text: &[u8]) -> Option<usize> {
    let value: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    value
        .is_finite()
        .then(|| ryu_js::Buffer::new().format_finite(value).len())
}
