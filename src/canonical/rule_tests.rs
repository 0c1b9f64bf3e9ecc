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
                jcs::utf16_cmp(a, b),
                a.encode_utf16().cmp(b.encode_utf16()),
                "{a:?} vs {b:?}"
            );
        }
    }
}

/// The pre-scan sizes every buffer exactly and the parser counts the
/// canonical length exactly: nothing is reallocated or over-reserved.
#[test]
fn canonical_buffers_are_sized_exactly() {
    for body in [
        r#"{"a":[{},{},[],[[]],{"b":{}}]}"#,
        r#"{"a":[0,-1.5e3,true,false,null,"x"],"b":{"c":"\n\u0001\"","d":1e20}}"#,
        "{ \"k\" : \"\\u00e9\\ud83d\\ude00\\/\" , \"n\":[ 1 , 2 ] }",
        r#"{"z":{"y":{"x":{}}},"m":"a,b:c[d{e","e":""}"#,
    ] {
        let tape = parse::parse_document(body.as_bytes(), parse::Mode::RequestBody).unwrap();
        assert_eq!(tape.nodes.capacity(), tape.nodes.len(), "{body}");
        assert_eq!(tape.index.capacity(), tape.index.len(), "{body}");
        let bytes = jcs::serialize(&tape);
        assert_eq!(bytes.len(), tape.canonical_len, "{body}");
        assert_eq!(bytes.capacity(), bytes.len(), "{body}");
        assert!(tape.data.capacity() <= body.len());
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
