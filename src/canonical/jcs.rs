//! RFC 8785 (JCS) serialization of a [`Tape`], and the RFC's member order.

use std::cmp::Ordering;

use super::tape::{Kind, Tape};

/// RFC 8785 3.2.3: member names sorted by their UTF-16 code units.
///
/// UTF-8 byte order is code point order, which is UTF-16 order except
/// between a BMP character at or above U+E000 (lead byte `EE`/`EF`) and a
/// supplementary one (lead byte `F0`–`F4`, surrogates `D800`–`DBFF` in
/// UTF-16). Equal prefixes share character boundaries, so only the first
/// differing byte decides, and only that pair of lead bytes is reversed.
pub(super) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
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

/// Sorts an object's member-name indices in RFC 8785 order (in place, no
/// allocation). `tape.index` is not read.
pub(super) fn sort_members(tape: &Tape, members: &mut [u32]) {
    members.sort_unstable_by(|&a, &b| utf16_cmp(tape.text_at(a), tape.text_at(b)));
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

/// Writes the tape's RFC 8785 serialization into one exactly sized buffer.
pub(super) fn serialize(tape: &Tape) -> Vec<u8> {
    let mut out = Vec::with_capacity(tape.canonical_len);
    let mut buf = ryu_js::Buffer::new();
    write_value(&mut out, tape, 0, &mut buf);
    out
}

/// Recursion is bounded by the tape's depth (the parser's `MAX_DEPTH`).
fn write_value(out: &mut Vec<u8>, tape: &Tape, i: u32, buf: &mut ryu_js::Buffer) {
    let Some(node) = tape.node(i) else { return };
    match node.kind() {
        Kind::Null => out.extend_from_slice(b"null"),
        Kind::True => out.extend_from_slice(b"true"),
        Kind::False => out.extend_from_slice(b"false"),
        Kind::Number => {
            let text = tape.text(node);
            if let Some(same) = short_integer_jcs(text) {
                out.extend_from_slice(same.as_bytes());
            } else {
                // The parser refused the text unless it parses to a finite double.
                let value: f64 = text.parse().unwrap_or(0.0);
                out.extend_from_slice(buf.format_finite(value).as_bytes());
            }
        }
        Kind::String => write_string(out, tape.text(node)),
        Kind::Array => {
            out.push(b'[');
            let mut item = i.saturating_add(1);
            while item < node.payload() {
                if item > i.saturating_add(1) {
                    out.push(b',');
                }
                write_value(out, tape, item, buf);
                item = tape.next(item);
            }
            out.push(b']');
        }
        Kind::Object => {
            out.push(b'{');
            for (k, &name) in tape.members(i).iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                write_string(out, tape.text_at(name));
                out.push(b':');
                write_value(out, tape, name.saturating_add(1), buf);
            }
            out.push(b'}');
        }
    }
}

/// RFC 8785 3.2.2.2: escape `"`, `\` and C0 controls (short forms where JSON
/// has them, else `\u00xx` in lower case); everything else as raw UTF-8.
fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &c) in bytes.iter().enumerate() {
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
        out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            // Both indexes are below 16 (c < 0x20), so `get` never misses.
            out.extend(HEX.get(usize::from(c >> 4)));
            out.extend(HEX.get(usize::from(c & 0xF)));
        } else {
            out.extend_from_slice(short);
        }
        run = i + 1;
    }
    out.extend_from_slice(bytes.get(run..).unwrap_or_default());
    out.push(b'"');
}
