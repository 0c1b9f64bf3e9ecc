//! Lowercase hex, as the SPEC writes hashes and serials.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Every byte's two digits, built at compile time: one table load per byte
/// (two digests are written per request, SPEC 4.4).
// Indexing in a `const` block: evaluated by the compiler, never at run time.
#[allow(clippy::indexing_slicing)]
const PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [DIGITS[i >> 4], DIGITS[i & 0x0f]];
        i += 1;
    }
    table
};

/// A byte's two digits (a `u8` always indexes the 256-entry table).
fn pair(b: u8) -> [u8; 2] {
    PAIRS.get(usize::from(b)).copied().unwrap_or_default()
}

/// A SHA-256 digest as 64 lowercase hex digits, on the stack.
pub(crate) fn sha256_hex(digest: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (digits, &b) in out.as_chunks_mut::<2>().0.iter_mut().zip(digest) {
        *digits = pair(b);
    }
    out
}

/// Lowercase hex of `bytes`.
///
/// ```
/// assert_eq!(kakunin_verify::hex::encode(&[0x0a, 0x3f]), "0a3f");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        let [hi, lo] = pair(b);
        s.push(char::from(hi));
        s.push(char::from(lo));
    }
    s
}

/// Writes lowercase hex of `bytes` into `out` (no allocation when `out` has room).
pub fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        out.extend_from_slice(&pair(b));
    }
}

/// Decodes exactly 64 lowercase hex digits into 32 bytes (SPEC 4.1 hash headers).
pub fn decode_sha256_lower(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let hi = nibble_lower(*pair.first()?)?;
        let lo = nibble_lower(*pair.get(1)?)?;
        *o = (hi << 4) | lo;
    }
    Some(out)
}

/// The value of one hex digit, either case (percent escapes, RFC 3986 2.1).
pub(crate) fn nibble(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => nibble_lower(c),
    }
}

fn nibble_lower(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    // Every byte value, against the formatter's lowercase hex.
    #[test]
    fn every_byte_encodes_as_two_lowercase_digits() {
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::encode(&all), expected);
        let mut v = Vec::new();
        super::encode_into(&all, &mut v);
        assert_eq!(v, expected.as_bytes());
        let digest: [u8; 32] = std::array::from_fn(|i| (i * 8 + 7) as u8);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::sha256_hex(&digest).as_slice(), hex.as_bytes());
        assert_eq!(super::decode_sha256_lower(&hex), Some(digest));
    }

    // Every byte value: a hex digit of either case, as `from_str_radix`
    // reads it; nothing else.
    #[test]
    fn nibble_reads_a_digit_of_either_case() {
        for c in 0..=255u8 {
            let expected = char::from(c)
                .is_ascii_hexdigit()
                .then(|| u8::from_str_radix(&char::from(c).to_string(), 16).ok())
                .flatten();
            assert_eq!(super::nibble(c), expected, "{c}");
        }
    }
}
