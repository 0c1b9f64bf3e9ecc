//! RFC 8785 (JCS) serialization of a [`Tape`], and the RFC's member order.

use std::cmp::Ordering;

use super::tape::{Kind, Tape};

/// RFC 8785 3.2.3: member names sorted by their UTF-16 code units.
///
/// UTF-8 byte order equals code point order, which equals UTF-16 order
/// except between a supplementary character (surrogates `D800`–`DFFF`) and a
/// BMP character at or above `E000`. So the common prefix is compared as
/// bytes and only the first differing characters are looked at.
pub(super) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    let common = a
        .bytes()
        .zip(b.bytes())
        .take_while(|(x, y)| x == y)
        .count();
    // Back up to the start of the character that differs.
    let mut at = common;
    while at > 0 && !a.is_char_boundary(at) {
        at -= 1;
    }
    let ca = a.get(at..).and_then(|s| s.chars().next());
    let cb = b.get(at..).and_then(|s| s.chars().next());
    match (ca, cb) {
        (Some(x), Some(y)) => utf16_first_unit_cmp(x, y),
        (x, y) => x.is_some().cmp(&y.is_some()),
    }
}

/// Sorts an object's member-name indices in RFC 8785 order (in place, no
/// allocation). `tape.index` is not read.
pub(super) fn sort_members(tape: &Tape, members: &mut [u32]) {
    members.sort_unstable_by(|&a, &b| utf16_cmp(tape.text_at(a), tape.text_at(b)));
}

/// Order of two characters by their UTF-16 encodings.
fn utf16_first_unit_cmp(x: char, y: char) -> Ordering {
    let unit = |c: char| {
        let mut buf = [0u16; 2];
        c.encode_utf16(&mut buf).first().copied().unwrap_or(0)
    };
    match unit(x).cmp(&unit(y)) {
        // Same first unit: both supplementary with one lead surrogate, so
        // the code points order them.
        Ordering::Equal => x.cmp(&y),
        o => o,
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
            // The parser refused the text unless it parses to a finite double.
            let value: f64 = tape.text(node).parse().unwrap_or(0.0);
            out.extend_from_slice(buf.format_finite(value).as_bytes());
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
