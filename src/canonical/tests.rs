//! Unit tests for SPEC 4.3: every rejection rule, and the accepted cases
//! beside it.

use super::number::same_decimal;
use super::*;
use crate::error::Code;

fn ok(body: &str) -> CanonicalBody {
    match canonicalize(body.as_bytes()) {
        Ok(c) => c,
        Err(e) => panic!("{body:?} should be accepted, got {e}"),
    }
}

fn canon(body: &str) -> String {
    String::from_utf8(ok(body).canonical_bytes().to_vec()).unwrap()
}

fn rejected(body: &[u8]) -> Error {
    match canonicalize(body) {
        Ok(c) => panic!(
            "{:?} should be rejected, got {:?}",
            String::from_utf8_lossy(body),
            String::from_utf8_lossy(c.canonical_bytes())
        ),
        Err(e) => {
            assert_eq!(e.code(), Code::MalformedBody, "{e}");
            e
        }
    }
}

fn nested(depth: usize) -> String {
    // `depth` nested objects: {"a":{"a":...{}...}}
    let mut s = String::new();
    for _ in 1..depth {
        s.push_str("{\"a\":");
    }
    s.push_str("{}");
    for _ in 1..depth {
        s.push('}');
    }
    s
}

#[test]
fn canonical_empty_body_is_empty_with_no_value() {
    let c = canonicalize(b"").unwrap();
    assert!(c.canonical_bytes().is_empty());
    assert!(c.value().is_none());
    assert!(c.get("a").is_none());
    assert_eq!(c.to_serde_json(), serde_json::Value::Null);
}

#[test]
fn canonical_sorts_and_strips_whitespace() {
    assert_eq!(
        canon(" {\n\t\"b\" : [1, 2.50, true, false, null],\r\n \"a\": {\"z\":\"\", \"y\": {}} } "),
        r#"{"a":{"y":{},"z":""},"b":[1,2.5,true,false,null]}"#
    );
}

#[test]
fn canonical_sorts_by_utf16_code_units_not_code_points() {
    // U+FB33 (one UTF-16 unit 0xFB33) sorts after U+1F602 (0xD83D 0xDE02).
    assert_eq!(
        canon("{\"\u{fb33}\":1,\"\u{1f602}\":2,\"a\":3}"),
        "{\"a\":3,\"\u{1f602}\":2,\"\u{fb33}\":1}"
    );
}

#[test]
fn canonical_string_escaping() {
    assert_eq!(
        canon(r#"{"s":"\u0000\u001f\b\t\n\f\r\"\\\/\u007f\u00e9\u2028\ud83d\ude00"}"#),
        "{\"s\":\"\\u0000\\u001f\\b\\t\\n\\f\\r\\\"\\\\/\u{7f}\u{e9}\u{2028}\u{1f600}\"}"
    );
}

#[test]
fn canonical_object_members_are_sorted_and_get_finds_them() {
    let c = ok(r#"{"size":"1","market":"BTC-USD","nested":{"b":1,"a":2}}"#);
    let names: Vec<&str> = c
        .value()
        .and_then(JsonValue::as_object)
        .unwrap()
        .iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(names, ["market", "nested", "size"]);
    assert_eq!(c.get("market").and_then(JsonValue::as_str), Some("BTC-USD"));
    assert_eq!(c.get("size").and_then(JsonValue::as_str), Some("1"));
    assert!(c.get("MARKET").is_none());
    assert!(c.get("missing").is_none());
    let nested = c.get("nested").unwrap();
    assert!(nested.get("a").is_some() && nested.get("c").is_none());
}

#[test]
fn canonical_numbers_keep_source_text_and_sign() {
    let c = ok(r#"{"a":50000.00,"b":-0,"c":-1.5e3,"d":-0.000e5,"e":1E2}"#);
    let n = |k: &str| c.get(k).and_then(JsonValue::as_number).unwrap();
    assert_eq!(n("a").source_text(), "50000.00");
    assert_eq!(n("a").as_f64(), 50000.0);
    assert!(!n("a").is_negative());
    assert_eq!(n("b").source_text(), "-0");
    assert!(!n("b").is_negative());
    assert!(n("c").is_negative());
    assert_eq!(n("c").as_f64(), -1500.0);
    assert!(!n("d").is_negative());
    assert_eq!(
        c.canonical_bytes(),
        br#"{"a":50000,"b":0,"c":-1500,"d":0,"e":100}"#
    );
}

#[test]
fn canonical_exact_numbers_accepted() {
    for (text, jcs) in [
        ("50000.00", "50000"),
        ("-0", "0"),
        ("0.1", "0.1"),
        ("1e21", "1e+21"),
        ("1E-7", "1e-7"),
        ("12345678901234568e4", "123456789012345680000"),
        ("9007199254740992", "9007199254740992"),
        ("5e-324", "5e-324"),
        ("0e999999999999999999999", "0"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("100e-2", "1"),
    ] {
        assert_eq!(
            canon(&format!("{{\"n\":{text}}}")),
            format!("{{\"n\":{jcs}}}"),
            "{text}"
        );
    }
}

#[test]
fn canonical_rejects_inexact_numbers() {
    for text in [
        "45000.00000000000001",
        "2305843009213693951",
        "9007199254740993",
        "0.1000000000000000055511151231257827",
        "1e-400",
        "-1e-400",
        "333333333.33333329",
        // 2^64 is exactly a double, but JCS writes it 18446744073709552000.
        "18446744073709551616",
        // JCS writes this double 123456789012345680000.
        "123456789012345678e3",
    ] {
        rejected(format!("{{\"n\":{text}}}").as_bytes());
    }
}

#[test]
fn canonical_rejects_infinite_numbers() {
    rejected(br#"{"n":1e400}"#);
    rejected(br#"{"n":-1e400}"#);
    // Also in plain RFC 8785 mode.
    assert!(canonicalize_rfc8785(b"1e400").is_err());
}

#[test]
fn canonical_huge_exponents_are_cheap_and_safe() {
    rejected(br#"{"n":1e999999999999}"#);
    rejected(br#"{"n":1e-999999999999}"#);
    rejected(br#"{"n":1e99999999999999999999999999999999999999}"#);
    ok(r#"{"n":0e-99999999999999999999999999999999999999}"#);
    // A very long mantissa is parsed in bounded memory.
    let long = format!("{{\"n\":1.{}1}}", "0".repeat(200_000));
    rejected(long.as_bytes());
    let zeros = format!("{{\"n\":1.{}}}", "0".repeat(200_000));
    assert_eq!(canon(&zeros), r#"{"n":1}"#);
}

#[test]
fn canonical_rejects_number_grammar_violations() {
    for text in [
        "01",
        "-01",
        "00",
        "+1",
        ".5",
        "5.",
        "-",
        "1e",
        "1e+",
        "1.e5",
        "NaN",
        "Infinity",
        "-Infinity",
        "0x10",
        "1_000",
        "--1",
        "1.5.5",
    ] {
        rejected(format!("{{\"n\":{text}}}").as_bytes());
    }
}

#[test]
fn canonical_rejects_non_object_top_level() {
    for body in ["[]", "[1]", "\"s\"", "1", "true", "null", " "] {
        rejected(body.as_bytes());
    }
    // ... which plain RFC 8785 accepts (except whitespace only).
    assert_eq!(
        canonicalize_rfc8785(b" [1, \"x\"] ").unwrap(),
        br#"[1,"x"]"#
    );
    assert!(canonicalize_rfc8785(b" ").is_err());
    assert!(canonicalize_rfc8785(b"").is_err());
}

#[test]
fn canonical_rejects_trailing_garbage() {
    rejected(br#"{"a":1}x"#);
    rejected(br#"{"a":1}{}"#);
    rejected(br#"{"a":1},"#);
    rejected(b"{\"a\":1}\x00");
    rejected(b"{\"a\":1} \x0c"); // form feed is not JSON whitespace
    ok("\t\r\n {\"a\":1} \t\r\n");
}

#[test]
fn canonical_rejects_structural_errors() {
    for body in [
        r#"{"a":1,}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":[,1]}"#,
        r#"{,"a":1}"#,
        r#"{"a" 1}"#,
        r#"{a:1}"#,
        r#"{'a':1}"#,
        r#"{"a":1"b":2}"#,
        r#"{"a":tru}"#,
        r#"{"a":True}"#,
        r#"{"a":nul}"#,
        r#"{"a":1"#,
        r#"{"a":"x"#,
        r#"{"a":[1}"#,
        r#"{"a":1]"#,
        r#"{"a":"\x"}"#,
        r#"{"a":"\u12"}"#,
        r#"{"a":"\u12G4"}"#,
        r#"{"a":1 /* c */}"#,
        "{",
    ] {
        rejected(body.as_bytes());
    }
}

#[test]
fn canonical_rejects_duplicate_names() {
    rejected(br#"{"a":1,"a":2}"#);
    rejected(br#"{"x":{"a":1,"b":2,"a":3}}"#);
    rejected(br#"{"x":[{"a":1,"a":1}]}"#);
}

#[test]
fn canonical_rejects_duplicates_after_unescaping() {
    rejected(br#"{"market":"BTC","m\u0061rket":"ETH"}"#);
    rejected(br#"{"x":{"\/":1,"/":2}}"#);
    let raw = "{\"\\ud83d\\ude00\":1,\"\u{1f600}\":2}";
    rejected(raw.as_bytes());
}

#[test]
fn canonical_rejects_case_only_duplicates_at_top_level() {
    rejected(br#"{"market":"BTC","MARKET":"ETH"}"#);
    rejected(br#"{"Size":1,"sIZE":2}"#);
    rejected("{\"\u{c9}t\u{e9}\":1,\"\u{e9}T\u{c9}\":2}".as_bytes()); // Été / éTÉ
    rejected("{\"\u{3a3}\":1,\"\u{3c3}\":2}".as_bytes()); // Σ / σ
                                                          // Nested deeper, names differing only in case are fine.
    ok(r#"{"x":{"a":1,"A":2}}"#);
    ok(r#"{"x":[{"market":1,"MARKET":2}]}"#);
    // Plain RFC 8785 has no case rule.
    assert_eq!(
        canonicalize_rfc8785(br#"{"a":1,"A":2}"#).unwrap(),
        br#"{"A":2,"a":1}"#
    );
}

#[test]
fn canonical_rejects_bom() {
    rejected(b"\xEF\xBB\xBF{\"a\":1}");
    assert!(canonicalize_rfc8785(b"\xEF\xBB\xBF{}").is_err());
}

#[test]
fn canonical_rejects_invalid_utf8() {
    rejected(b"{\"a\":\"\xFF\"}");
    rejected(b"{\"a\":\"\xC3\"}"); // truncated sequence
    rejected(b"{\"a\":\"\xC0\xAF\"}"); // overlong
    rejected(b"{\"a\":\"\xED\xA0\x80\"}"); // UTF-8-encoded surrogate
    rejected(b"{\"\xFE\":1}");
}

#[test]
fn canonical_rejects_lone_surrogates() {
    rejected(br#"{"a":"\ud83d"}"#); // lone high at end
    rejected(br#"{"a":"\ud83dx"}"#); // high then a char
    rejected(br#"{"a":"\ud83d\u0041"}"#); // high then a non-low escape
    rejected(br#"{"a":"\ud83d\ud83d"}"#); // high then high
    rejected(br#"{"a":"\ude00"}"#); // lone low
    rejected(br#"{"a":"\ude00\ud83d"}"#); // reversed pair
    rejected(br#"{"\udc00":1}"#); // in a name
    assert_eq!(canon(r#"{"a":"\uD83D\uDE00"}"#), "{\"a\":\"\u{1f600}\"}");
}

#[test]
fn canonical_rejects_unescaped_control_characters() {
    rejected(b"{\"a\":\"x\ny\"}");
    rejected(b"{\"a\":\"\x00\"}");
    rejected(b"{\"a\":\"\x1f\"}");
    rejected(b"{\"a\tb\":1}");
    // DEL and escaped controls are fine.
    ok("{\"a\":\"\u{7f}\\n\\u0001\"}");
}

#[test]
fn canonical_depth_64_ok_65_rejected() {
    let c = ok(&nested(MAX_DEPTH));
    assert!(c.canonical_bytes().starts_with(b"{\"a\":{\"a\":"));
    rejected(nested(MAX_DEPTH + 1).as_bytes());
    // Arrays count too: top-level object (1) + 63 arrays = 64.
    let arrays = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
    ok(&arrays(MAX_DEPTH - 1));
    rejected(arrays(MAX_DEPTH).as_bytes());
}

#[test]
fn canonical_one_megabyte_deep_input_rejected_quickly() {
    let start = std::time::Instant::now();
    let deep = "[".repeat(1 << 20);
    rejected(deep.as_bytes());
    assert!(canonicalize_rfc8785(deep.as_bytes()).is_err());
    let deep_in_object = format!("{{\"a\":{}", "[".repeat(1 << 20));
    rejected(deep_in_object.as_bytes());
    let deep_objects = "{\"a\":".repeat(1 << 18);
    rejected(deep_objects.as_bytes());
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn canonical_never_panics_on_prefixes_and_bytes() {
    let body = br#"{"a":[1,-2.5e-3,"x\u00e9\ud83d\ude00",{"b":null,"c":true}],"d":false}"#;
    for i in 0..=body.len() {
        let _ = canonicalize(&body[..i]);
        let _ = canonicalize_rfc8785(&body[..i]);
        for b in [0u8, b'"', b'\\', b'{', b'[', b'-', b'e', 0x80, 0xFF] {
            let mut v = body.to_vec();
            if let Some(slot) = v.get_mut(i) {
                *slot = b;
            }
            let _ = canonicalize(&v);
        }
    }
    assert!(canonicalize(body).is_ok());
}

#[test]
fn canonical_output_reparses_to_the_same_bytes() {
    let c = ok(r#"{"z":[{"y":"\u0007","x":1e-7}],"a":"é","A2":0.000001}"#);
    let again = ok(std::str::from_utf8(c.canonical_bytes()).unwrap());
    assert_eq!(again.canonical_bytes(), c.canonical_bytes());
    assert_eq!(again.value(), c.value());
}

#[test]
fn canonical_to_serde_json_keeps_integers_and_values() {
    let c = ok(
        r#"{"i":9007199254740992,"big":18446744073709552000,"n":-9007199254740992,"f":1.5,"z":-0,"e":1e2,"s":"x","a":[null,true]}"#,
    );
    let v = c.to_serde_json();
    assert_eq!(v["i"].as_u64(), Some(1 << 53));
    // Beyond u64: it stays a double.
    assert_eq!(v["big"].as_u64(), None);
    assert_eq!(v["big"].as_f64(), Some(18446744073709551616.0));
    assert_eq!(v["n"].as_i64(), Some(-(1 << 53)));
    assert_eq!(v["f"].as_f64(), Some(1.5));
    assert_eq!(v["z"].as_i64(), Some(0));
    assert_eq!(v["e"].as_f64(), Some(100.0));
    assert_eq!(v["s"], "x");
    assert_eq!(v["a"], serde_json::json!([null, true]));
}

#[test]
fn canonical_same_decimal_compares_values_not_text() {
    assert!(same_decimal("50000.00", "50000"));
    assert!(same_decimal("-0.0e10", "0"));
    assert!(same_decimal("1.5e3", "1500"));
    assert!(same_decimal("0.00150", "1.5e-3"));
    assert!(same_decimal("123e-2", "1.23"));
    assert!(!same_decimal("1.5", "-1.5"));
    assert!(!same_decimal("1.5", "15"));
    assert!(!same_decimal("1", "0"));
    assert!(!same_decimal("12", "1.2e+1000000000000000000000"));
}

#[test]
fn canonical_jcs_number_formats() {
    assert_eq!(jcs_number(f64::INFINITY), None);
    assert_eq!(jcs_number(f64::NEG_INFINITY), None);
    assert_eq!(jcs_number(f64::NAN), None);
    assert_eq!(jcs_number(1e-7).as_deref(), Some("1e-7"));
    assert_eq!(
        jcs_number(333333333.3333333).as_deref(),
        Some("333333333.3333333")
    );
}

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
