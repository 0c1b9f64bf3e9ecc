//! Unit tests for SPEC 4.3: every rejection rule, and the accepted cases
//! beside it.

use super::number::same_decimal;
use super::*;
use crate::error::Code;

pub(super) fn ok(body: &str) -> CanonicalBody {
    match canonicalize(body.as_bytes()) {
        Ok(c) => c,
        Err(e) => panic!("{body:?} should be accepted, got {e}"),
    }
}

pub(super) fn canon(body: &str) -> String {
    String::from_utf8(ok(body).canonical_bytes().to_vec()).unwrap()
}

pub(super) fn rejected(body: &[u8]) -> Error {
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
fn get_finds_every_member_of_small_and_large_objects_alike() {
    // Names whose byte order and UTF-16 order differ (U+FF61 against
    // U+1F600), prefixes of each other, escapes and plain ASCII; the small
    // object is searched linearly, the large one (with 20 more members) by
    // binary search, and both must answer the same.
    let names = [
        ("a", "a"),
        ("ab", "ab"),
        ("b", "b"),
        ("\\uff61", "\u{ff61}"),
        ("\\ud83d\\ude00", "\u{1f600}"),
        ("é", "é"),
        ("\\u0000x", "\u{0}x"),
        ("Z", "Z"),
    ];
    for extra in [0, 20] {
        let mut members: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, (json, _))| format!("\"{json}\":{i}"))
            .collect();
        members.extend((0..extra).map(|i| format!("\"pad{i:02}\":true")));
        let c = ok(&format!("{{{}}}", members.join(",")));
        for (i, (_, name)) in names.iter().enumerate() {
            let got = c.get(name).and_then(JsonValue::as_number);
            let want = i.to_string();
            assert_eq!(
                got.map(|n| n.source_text()),
                Some(want.as_str()),
                "{name:?} among {extra} more"
            );
        }
        for missing in ["", "A", "abc", "\u{ff60}", "\u{1f601}", "pad", "pad20"] {
            assert!(c.get(missing).is_none(), "{missing:?} among {extra} more");
        }
        let pad = c.get("pad00").and_then(JsonValue::as_bool);
        assert_eq!(pad, (extra > 0).then_some(true));
    }
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
fn members_copied_whole_or_piece_by_piece_read_back_alike() {
    // The writer copies a compact member (`"name":value`, a plain name and
    // a plain string or as-written number) in one piece and writes every
    // other member piece by piece. Each member here appears compact and
    // with whitespace around its colon (always piece by piece): the
    // canonical bytes, and every view read back from them, must agree.
    let members = [
        (r#""size""#, "45000"),
        (r#""price""#, r#""1.08245""#),
        (r#""""#, r#""""#),
        (r#""e""#, r#""""#),
        (r#""n\u0061me""#, r#""v""#),
        (r#""q""#, r#""a\"b""#),
        (r#""x""#, "1.50"),
        (r#""neg""#, "-0"),
        (r#""t""#, "true"),
        (r#""nil""#, "null"),
        (r#""arr""#, r#"["s",2,{"in":"ner"}]"#),
        (r#""obj""#, r#"{"k":"v","j":7}"#),
        (r#""é""#, r#""ü""#),
    ];
    let body = |sep: &str| {
        let inner: Vec<String> = members
            .iter()
            .map(|(n, v)| format!("{n}{sep}{v}"))
            .collect();
        format!("{{{}}}", inner.join(","))
    };
    let (compact, spaced) = (ok(&body(":")), ok(&body(" : ")));
    let want = r#"{"":"","arr":["s",2,{"in":"ner"}],"e":"","name":"v","neg":0,"nil":null,"obj":{"j":7,"k":"v"},"price":"1.08245","q":"a\"b","size":45000,"t":true,"x":1.5,"é":"ü"}"#;
    assert_eq!(std::str::from_utf8(compact.canonical_bytes()), Ok(want));
    assert_eq!(compact.canonical_bytes(), spaced.canonical_bytes());
    assert_eq!(compact.sha256(), spaced.sha256());
    assert_eq!(compact.value(), spaced.value());
    assert_eq!(compact.to_serde_json(), spaced.to_serde_json());
    fn text<'c>(c: &'c CanonicalBody, name: &str) -> Option<&'c str> {
        c.get(name).and_then(JsonValue::as_str)
    }
    fn number<'c>(c: &'c CanonicalBody, name: &str) -> Option<&'c str> {
        c.get(name)
            .and_then(JsonValue::as_number)
            .map(|n| n.source_text())
    }
    for c in [&compact, &spaced] {
        assert_eq!(text(c, "price"), Some("1.08245"));
        assert_eq!((text(c, ""), text(c, "e")), (Some(""), Some("")));
        assert_eq!((text(c, "name"), text(c, "q")), (Some("v"), Some("a\"b")));
        assert_eq!(text(c, "é"), Some("ü"));
        assert_eq!(number(c, "size"), Some("45000"));
        assert_eq!(
            (number(c, "x"), number(c, "neg")),
            (Some("1.50"), Some("-0"))
        );
        let names: Vec<&str> = c
            .value()
            .and_then(JsonValue::as_object)
            .map(|o| o.iter().map(|(k, _)| k).collect())
            .unwrap_or_default();
        assert_eq!(names.len(), members.len());
        assert_eq!(names.first().copied(), Some(""));
    }
}
