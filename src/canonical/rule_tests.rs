//! Unit tests for the SPEC 4.3 rules of revision 1.1 (noncharacters, top-level
//! Unicode case twins) and for the tape's internals (member order, exact
//! buffer sizing, views).

use super::tests::{canon, ok, rejected};
use super::*;

#[test]
fn spec_4_3_raw_noncharacters_rejected_in_values_and_names() {
    for c in [
        '\u{fdd0}',
        '\u{fde5}',
        '\u{fdef}',
        '\u{fffe}',
        '\u{ffff}',
        '\u{1fffe}',
        '\u{1ffff}',
        '\u{2fffe}',
        '\u{effff}',
        '\u{10fffe}',
        '\u{10ffff}',
    ] {
        rejected(format!("{{\"a\":\"x{c}y\"}}").as_bytes());
        rejected(format!("{{\"a\":[\"{c}\"]}}").as_bytes());
        rejected(format!("{{\"{c}\":1}}").as_bytes());
        rejected(format!("{{\"a\":{{\"b{c}\":1}}}}").as_bytes());
        // I-JSON (RFC 7493 2.1) forbids them in plain RFC 8785 too.
        assert!(canonicalize_rfc8785(format!("[\"{c}\"]").as_bytes()).is_err());
    }
    // Their neighbours are ordinary characters.
    for c in [
        '\u{fdcf}',
        '\u{fdf0}',
        '\u{fffd}',
        '\u{1fffd}',
        '\u{1f000}',
        '\u{1effe}',
        '\u{10fffd}',
        '\u{ef}',
    ] {
        let body = format!("{{\"{c}\":\"{c}\"}}");
        assert_eq!(canon(&body), body);
    }
}

#[test]
fn spec_4_3_escaped_noncharacters_rejected_in_values_and_names() {
    for esc in [
        r"\uFDD0",
        r"\ufdef",
        r"\uFFFE",
        r"\uffff",
        r"\uD83F\uDFFE", // U+1FFFE
        r"\ud83f\udfff", // U+1FFFF
        r"\uDBFF\uDFFF", // U+10FFFF
        r"\uDBBF\uDFFE", // U+FFFFE
    ] {
        rejected(format!("{{\"a\":\"x{esc}\"}}").as_bytes());
        rejected(format!("{{\"{esc}\":1}}").as_bytes());
        rejected(format!("{{\"a\":[{{\"{esc}\":1}}]}}").as_bytes());
        assert!(canonicalize_rfc8785(format!("\"{esc}\"").as_bytes()).is_err());
    }
    assert_eq!(
        canon(r#"{"a":"\uFDCF\uD83F\uDFFD"}"#),
        "{\"a\":\"\u{fdcf}\u{1fffd}\"}"
    );
}

#[test]
fn spec_4_3_top_level_case_twins_rejected() {
    for (a, b) in [
        ("market", "MARKET"),
        ("size", "s\u{131}ze"), // dotless ı upper-cases to I
        ("size", "\u{17f}ize"), // long ſ upper-cases to S
        ("s\u{131}ze", "\u{17f}ize"),
        ("SIZE", "\u{17f}ize"),
        ("ss", "\u{df}"),        // ß upper-cases to SS
        ("kind", "\u{212a}ind"), // Kelvin sign lower-cases to k
        ("\u{3c3}", "\u{3c2}"),  // σ / final ς
    ] {
        rejected(format!("{{\"{a}\":1,\"{b}\":2}}").as_bytes());
        rejected(format!("{{\"{b}\":1,\"x\":[],\"{a}\":2}}").as_bytes());
    }
    // Escaped names are compared after unescaping.
    rejected(br#"{"size":1,"\u017fize":2}"#);
    // Long names: an ASCII name and a non-ASCII twin hash alike past the
    // folding hasher's 64-byte chunks.
    let long = "x".repeat(40);
    rejected(format!("{{\"{long}SIZE{long}\":1,\"{long}\u{17f}ize{long}\":2}}").as_bytes());
    // The v1 vector p24 body.
    rejected("{\"market\":\"EUR_USD\",\"size\":100,\"\u{17f}ize\":900000}".as_bytes());
    // Distinct names stay distinct.
    ok("{\"size\":1,\"sizes\":2,\"si\u{17e}e\":3,\"i\":4,\"\u{130}\":5}");
}

// SPEC 4.3 on the all-ASCII path (a few top-level members, ASCII names:
// compared ignoring ASCII case, no hashing): twins are found wherever they
// sit in the body and in RFC 8785 order, and near-twins pass.
#[test]
fn spec_4_3_ascii_case_twins_found_in_any_position() {
    rejected(br#"{"a":1,"Ab":2,"B":3,"aB":4}"#);
    rejected(br#"{"zz":1,"ORDER_ID":2,"b":[],"Order_Id":3}"#);
    rejected(br#"{"x":1,"y":2,"X":3}"#);
    ok(r#"{"ab":1,"abc":2,"ABD":3,"a":4,"b_":5,"B-":6}"#);
    ok(r#"{"":1,"a":2,"A ":3}"#);
    // No upper-case letter anywhere: no twins (exact duplicates are refused
    // on their own); an escaped capital still counts as one.
    ok(r#"{"market":1,"size":2,"price_1":3,"side-x":4}"#);
    rejected(br#"{"\u0041":1,"a":2}"#);
    rejected(br#"{"a":1,"a":2}"#);
}

// SPEC 4.3: the parser lets through without the case check only bodies
// whose member names are all ASCII, without an upper-case letter or an
// escape; every byte of every name counts, also past a byte its scanner
// stops at (a possible noncharacter's lead byte) or after an escape.
#[test]
fn spec_4_3_case_check_gate_sees_every_byte_of_each_name() {
    // The upper-case letter after a stop byte (U+FFFD: EF BF BD).
    rejected("{\"\u{fffd}A\":1,\"\u{fffd}a\":2}".as_bytes());
    rejected("{\"x\u{fffd}\u{fffd}yA\":1,\"x\u{fffd}\u{fffd}ya\":2}".as_bytes());
    // After an escape, and only there.
    rejected(br#"{"a\u0062C":1,"abc":2}"#);
    rejected(br#"{"\u004d":1,"m":2}"#);
    // Non-ASCII and not a stop byte (U+00E9: C3 A9; U+017F: C5 BF).
    rejected("{\"\u{e9}\u{17f}\":1,\"\u{e9}s\":2}".as_bytes());
    // The check itself still passes what is no twin.
    ok("{\"\u{fffd}A\":1,\"\u{fffd}b\":2,\"x\":{\"B\":1}}");
    // Lower-case ASCII names at the top, upper-case ones only below it:
    // checked, and allowed.
    ok(r#"{"market":1,"x":{"SIZE":1,"size":2}}"#);
}

// SPEC 4.3 case twins among many top-level members: found wherever their
// hashes are kept (a stack array up to 32 names; past that the buffer's
// spare capacity when the values leave enough room, else a vector).
#[test]
fn spec_4_3_top_level_case_twins_rejected_among_many_members() {
    let two_letters = |i: usize| {
        format!(
            "{}{}",
            char::from(b'a' + (i / 26) as u8),
            char::from(b'a' + (i % 26) as u8)
        )
    };
    for (members, value) in [(20, "0"), (200, "\"a long enough value\""), (200, "0")] {
        let names: Vec<String> = (0..members).map(two_letters).collect();
        let object = |extra: &str| {
            let mut all: Vec<String> = names.iter().map(|n| format!("\"{n}\":{value}")).collect();
            all.insert(members / 2, extra.to_owned());
            format!("{{{}}}", all.join(","))
        };
        ok(&object(r#""Market":1"#));
        rejected(object(r#""Market":1,"MARKET":2"#).as_bytes());
        rejected(object("\"SIZE\":1,\"\u{17f}ize\":2").as_bytes());
        // A name twin of one of the many.
        rejected(object(r#""AB":1"#).as_bytes());
    }
}

#[test]
fn spec_4_3_case_twins_below_the_top_level_are_allowed() {
    ok("{\"x\":{\"size\":1,\"\u{17f}ize\":2,\"s\u{131}ze\":3}}");
    ok(r#"{"x":[{"market":1,"MARKET":2}]}"#);
    // And plain RFC 8785 has no case rule at all.
    assert_eq!(
        canonicalize_rfc8785("{\"\u{17f}ize\":1,\"size\":2}".as_bytes()).unwrap(),
        "{\"size\":2,\"\u{17f}ize\":1}".as_bytes()
    );
}

#[test]
fn canonical_utf16_order_matches_encode_utf16() {
    let names = [
        "",
        "a",
        "ab",
        "b",
        "\u{7f}",
        "\u{80}",
        "\u{ff}",
        "\u{7ff}",
        "\u{800}",
        "\u{d7ff}",
        "\u{e000}",
        "\u{fb33}",
        "\u{ffef}",
        "\u{10000}",
        "\u{1f600}",
        "\u{1f601}",
        "\u{10fffd}",
        "a\u{1f600}",
        "a\u{fb33}",
        "a\u{e000}x",
        "a\u{10000}",
    ];
    for a in names {
        for b in names {
            assert_eq!(
                jcs::utf16_cmp(a.as_bytes(), b.as_bytes()),
                a.encode_utf16().cmp(b.encode_utf16()),
                "{a:?} vs {b:?}"
            );
        }
    }
}

/// SPEC 4.3 bounded cost: the pre-scan bounds the body's one buffer from
/// above for any well-formed body, so it is allocated once and never grown
/// (neither while parsing nor while writing the canonical bytes), the
/// parser counts the canonical length exactly, and the bound wastes at most
/// the body's size.
#[test]
fn canonical_buffer_is_allocated_once_and_never_grown() {
    let long_integer = format!(r#"{{"n":[{}, 99999999999999999]}}"#, "1".repeat(40));
    // Each number alone too, so that no other token's slack hides its own.
    let numbers = [
        "0",
        "-0",
        "1.5",
        "1.50",
        "0.0000001",
        "0.000001",
        "1E-7",
        "5e-324",
        "1e21",
        "1e20",
        "100e-2",
        "1.7976931348623157e308",
        "12345678901234568e4",
        "9007199254740992",
        "99999999999999999",
        "0.1000000000000000055511151231257827",
        "-1.25e-300",
    ];
    let alone: Vec<String> = numbers.iter().map(|n| format!(r#"{{"n":{n}}}"#)).collect();
    for body in alone.iter().map(String::as_str).chain([
        r#"{"a":[{},{},[],[[]],{"b":{}}]}"#,
        r#"{"a":[0,-1.5e3,true,false,null,"x"],"b":{"c":"\n\u0001\"","d":1e20}}"#,
        "{ \"k\" : \"\\u00e9\\ud83d\\ude00\\/\" , \"n\":[ 1 , 2 ] }",
        r#"{"z":{"y":{"x":{}}},"m":"a,b:c[d{e","e":""}"#,
        r#"{"n":[-0,1.50,0.0000001,1E-7,5e-324,1.7976931348623157e308,1e21,100e-2]}"#,
        r#"{"n":[12345678901234568e4,9007199254740992,0.1,-0.5,50000.00,1e1]}"#,
        r#"{"\u00e9":"\u0000\u001f","è":"\t","s\"q":{"k\\":"\/"}}"#,
        &long_integer,
    ]) {
        for mode in [parse::Mode::RequestBody, parse::Mode::Rfc8785] {
            let Ok(parsed) = parse::parse_document(body.as_bytes(), mode) else {
                // Inexact numbers are the request-body rule's to refuse.
                assert_eq!(mode, parse::Mode::RequestBody, "{body}");
                continue;
            };
            let bound = estimate::buffer_bound(body.as_bytes());
            let capacity = estimate::capacity(body.as_bytes());
            assert!(capacity >= bound, "{body}");
            assert_eq!(
                parsed.buf.capacity(),
                capacity,
                "grown while parsing: {body}"
            );
            let canonical_len = parsed.canonical_len;
            let written = jcs::write(parsed, body.as_bytes(), Some(CryptoBackend::default()));
            assert_eq!(
                written.buf.capacity(),
                capacity,
                "grown while writing: {body}"
            );
            assert_eq!(written.buf.len() - written.start, canonical_len, "{body}");
            // The pre-scan's bound is tight: above the need by less than the body.
            assert!(bound >= written.buf.len(), "{body}");
            assert!(bound - written.buf.len() <= body.len(), "{body}");
        }
    }
}

/// SPEC 4.3: the verified value handed to the application is the value of
/// the canonical bytes — every string and number view resolves to the right
/// text, whether it is kept after its record (escapes, rewritten numbers) or
/// read from the canonical bytes (everything else).
#[test]
fn canonical_views_read_the_same_value_as_the_canonical_bytes() {
    for body in [
        r#"{"a":[0,-1.5e3,true,false,null,"x"],"b":{"c":"\n\u0001\"","d":1e20}}"#,
        r#"{"\u00e9":"\u0000\u001f","è":"\t","s\"q":{"k\\":"\/"},"n":[1.50,-0,7]}"#,
        r#"{"z":{"y":{"x":{}}},"m":"a,b:c[d{e","e":"","\ud83d\ude00":["\u20ac",1E2]}"#,
    ] {
        let c = ok(body);
        // Written back by serde_json and canonicalized again: the same bytes.
        let from_views = serde_json::to_vec(&c.to_serde_json()).unwrap();
        assert_eq!(
            canonicalize_rfc8785(&from_views).unwrap(),
            c.canonical_bytes(),
            "{body}"
        );
    }
    let c = ok(r#"{"s\"q":{"k\\":"\/"},"n":1.50,"plain":"v"}"#);
    assert_eq!(
        c.get("s\"q")
            .and_then(|o| o.get("k\\"))
            .and_then(JsonValue::as_str),
        Some("/")
    );
    assert_eq!(
        c.get("n")
            .and_then(JsonValue::as_number)
            .map(|n| n.source_text()),
        Some("1.50")
    );
    assert_eq!(c.get("plain").and_then(JsonValue::as_str), Some("v"));
}

/// SPEC 4.4 `BODY_SHA256`: the hash computed by the writer is the SHA-256
/// of the canonical bytes, for bodies written in one chunk and in many.
#[test]
fn canonical_sha256_is_the_digest_of_the_canonical_bytes() {
    let big = format!(
        "{{\"a\":[{}],\"b\":\"{}\"}}",
        (0..5000)
            .map(|i| format!("{{\"k{i}\":\"v\\n{i}\",\"n\":{i}.50}}"))
            .collect::<Vec<_>>()
            .join(","),
        "x".repeat(20_000)
    );
    // Many compact members (each copied whole by the writer), past
    // several hash chunks.
    let flat = format!(
        "{{{}}}",
        (0..3000)
            .map(|i| format!("\"m{i:05}\":\"value-{i}\",\"c{i:05}\":{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    for body in [
        r#"{"a":1}"#,
        r#"{ "z": "\u00e9", "a": [1.50, true] }"#,
        &big,
        &flat,
    ] {
        let c = ok(body);
        assert!(!c.canonical_bytes().is_empty());
        let expected = ring::digest::digest(&ring::digest::SHA256, c.canonical_bytes());
        assert_eq!(c.sha256(), expected.as_ref(), "{body:.60}");
        // Whichever backend hashes, the digest is the same.
        for backend in CryptoBackend::ALL {
            let by = canonicalize_with(body.as_bytes(), *backend).unwrap();
            assert_eq!(by.canonical_bytes(), c.canonical_bytes());
            assert_eq!(by.sha256(), expected.as_ref(), "{}", backend.name());
        }
    }
    let empty = ring::digest::digest(&ring::digest::SHA256, b"");
    assert_eq!(ok("").sha256(), empty.as_ref());
    for backend in CryptoBackend::ALL {
        let by = canonicalize_with(b"", *backend).unwrap();
        assert_eq!(by.sha256(), empty.as_ref());
    }
}

#[test]
fn canonical_views_walk_arrays_and_objects() {
    let c = ok(r#"{"a":[1,{"k":[true,null]},"s",[]],"b":{}}"#);
    let a = c.get("a").and_then(JsonValue::as_array).unwrap();
    assert_eq!(a.len(), 4);
    let items: Vec<JsonValue<'_>> = a.iter().collect();
    assert_eq!(items.len(), 4);
    assert_eq!(items[2].as_str(), Some("s"));
    assert_eq!(
        a.get(1)
            .and_then(|o| o.get("k"))
            .and_then(JsonValue::as_array)
            .unwrap()
            .get(0),
        Some(JsonValue::Bool(true))
    );
    assert!(a.get(3).and_then(JsonValue::as_array).unwrap().is_empty());
    assert!(a.get(4).is_none());
    assert!(c
        .get("b")
        .and_then(JsonValue::as_object)
        .unwrap()
        .is_empty());
    assert_eq!(c.value().and_then(JsonValue::as_object).unwrap().len(), 2);
}

#[test]
fn canonical_short_integer_fast_path_matches_ryu() {
    for text in [
        "0",
        "-0",
        "7",
        "-7",
        "10",
        "123456789",
        "999999999999999",
        "-999999999999999",
        "100000000000000",
    ] {
        let f: f64 = text.parse().unwrap();
        assert_eq!(
            jcs::short_integer_jcs(text),
            jcs_number(f).as_deref(),
            "{text}"
        );
    }
    for text in ["1000000000000000", "1.5", "1e5", "-", ""] {
        assert_eq!(jcs::short_integer_jcs(text), None, "{text}");
    }
}

/// The flat capacity of a small body (no pre-scan) covers the shapes that
/// need the most buffer per byte, up to the small-body limit: values two
/// bytes apart, short numbers JCS writes long, members, nested empty
/// containers and escapes. A miss would only cost a reallocation; this
/// checks there is none.
#[test]
fn small_body_capacity_covers_the_densest_shapes() {
    let fill = |unit: &str| {
        let mut body = String::from(r#"{"a":["#);
        while body.len() + unit.len() + 3 <= estimate::SMALL_BODY_BYTES {
            if !body.ends_with('[') {
                body.push(',');
            }
            body.push_str(unit);
        }
        body.push_str("]}");
        body
    };
    let mut members = String::from("{");
    for i in 0.. {
        let m = format!(r#""{i:x}":0"#);
        if members.len() + m.len() + 2 > estimate::SMALL_BODY_BYTES {
            break;
        }
        if i > 0 {
            members.push(',');
        }
        members.push_str(&m);
    }
    members.push('}');
    let bodies = [
        fill("0"),
        fill("9e20"),
        fill("1e9"),
        fill("[]"),
        fill("{}"),
        fill(r#""\u0001""#),
        fill(r#""\"""#),
        fill("1.50"),
        members,
    ];
    for body in &bodies {
        assert!(body.len() <= estimate::SMALL_BODY_BYTES, "{}", body.len());
        let parsed = parse::parse_document(body.as_bytes(), parse::Mode::RequestBody)
            .unwrap_or_else(|e| panic!("{e}: {body}"));
        let capacity = estimate::capacity(body.as_bytes());
        let written = jcs::write(parsed, body.as_bytes(), Some(CryptoBackend::default()));
        assert!(
            written.buf.len() <= capacity && written.buf.capacity() == capacity,
            "{} bytes needed {} of {capacity}",
            body.len(),
            written.buf.len()
        );
    }
}

/// RFC 8785 3.2.3 member order, for objects sorted on the stack (with
/// integer prefix keys) and past that size: names that tie on their first
/// eight bytes, zero bytes against the zero padding, and the lead bytes
/// where UTF-8 byte order and UTF-16 order part (U+E000 and up against
/// supplementary characters), in every rotation.
#[test]
fn rfc_8785_member_order_is_utf16_order_in_small_and_large_objects() {
    let pool = [
        "",
        "a",
        "a\u{0}",
        "\u{0}",
        "abcdefgh",
        "abcdefgh0",
        "abcdefgh\u{0}",
        "abcdefgi",
        "ab\u{e000}",
        "ab\u{1f600}",
        "\u{fffd}",
        "\u{10000}",
        "\u{e9}",
        "Z",
        "zzzzzzzzz",
        "zzzzzzzz\u{e000}",
        "zzzzzzzz\u{10400}",
        "\u{7f}x",
    ];
    for size in [2, 5, 16, pool.len()] {
        for shift in 0..pool.len() {
            let names: Vec<&str> = pool
                .iter()
                .cycle()
                .skip(shift)
                .take(size)
                .copied()
                .collect();
            let json = |names: &[&str]| {
                let members: Vec<String> = names
                    .iter()
                    .map(|n| format!("{}:0", serde_json::to_string(n).unwrap()))
                    .collect();
                format!("{{{}}}", members.join(","))
            };
            let mut sorted = names.clone();
            sorted.sort_by_key(|n| n.encode_utf16().collect::<Vec<u16>>());
            assert_eq!(
                canonicalize_rfc8785(json(&names).as_bytes()).unwrap(),
                json(&sorted).into_bytes(),
                "{names:?}"
            );
        }
    }
}

/// RFC 7493 2.3: duplicate names are refused whichever way the object was
/// sorted: short names (zero-padded keys), names equal in their first 8
/// bytes, non-ASCII names (compared in full), a duplicate made by an
/// escape, in nested objects, and past the small-object size; and names
/// that differ only past their first 8 bytes or in their padding are not
/// duplicates.
#[test]
fn rfc_7493_duplicates_found_on_every_sort_path() {
    let filler = |n: usize| -> String { (0..n).map(|i| format!(r#""f{i:02}":0,"#)).collect() };
    for extra in [0, 20] {
        let object = |members: &str| format!("{{{}{members}}}", filler(extra));
        for dup in [
            r#""a":1,"a":2"#,
            r#""abcdefghX":1,"abcdefghX":2"#,
            r#""é":1,"é":2"#,
            r#""\u0061bc":1,"abc":2"#,
            r#""x":{"k":1,"k":2}"#,
        ] {
            rejected(object(dup).as_bytes());
            rejected(format!(r#"{{"z":{}}}"#, object(dup)).as_bytes());
        }
        for distinct in [
            r#""a":1,"a\u0000":2"#,
            r#""abcdefghX":1,"abcdefghY":2"#,
            r#""é":1,"è":2"#,
            r#""x":{"k":1,"K":2}"#,
        ] {
            ok(&object(distinct));
        }
    }
}
