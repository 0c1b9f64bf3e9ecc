//! Lowercase hex, as the SPEC writes hashes and serials.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
///
/// ```
/// assert_eq!(kakunin_verify::hex::encode(&[0x0a, 0x3f]), "0a3f");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Writes lowercase hex of `bytes` into `out` (no allocation when `out` has room).
pub fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
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

fn nibble_lower(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}
