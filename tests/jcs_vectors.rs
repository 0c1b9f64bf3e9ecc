//! RFC 8785 interoperability vectors (`../shared/testvectors/jcs`, beside the
//! checkout): the RFC author's input/output pairs and 20 030 doubles.

use std::fs;
use std::path::{Path, PathBuf};

use kakunin_verify::canonical::{canonicalize, canonicalize_rfc8785, jcs_number};
use kakunin_verify::Code;

fn jcs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testvectors/jcs")
}

/// Whether the request-body rule of SPEC 4.3 accepts each RFC input. The
/// RFC vectors are plain RFC 8785, which is looser than a request body:
/// `arrays.json` is not an object, `structures.json` has top-level `a`/`A`,
/// and `values.json` has `333333333.33333329`, which JCS rounds to
/// `333333333.3333333` (not the same decimal).
const REQUEST_RULE: &[(&str, bool)] = &[
    ("arrays.json", false),
    ("french.json", true),
    ("structures.json", false),
    ("unicode.json", true),
    ("values.json", false),
    ("weird.json", true),
];

#[test]
fn rfc8785_author_vectors_byte_for_byte() {
    let dir = jcs_dir();
    let mut names: Vec<String> = fs::read_dir(dir.join("input"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut run = 0;
    for name in &names {
        let input = fs::read(dir.join("input").join(name)).unwrap();
        let expected = fs::read(dir.join("output").join(name)).unwrap();
        let got = canonicalize_rfc8785(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "{name}"
        );
        assert_eq!(got, expected, "{name}");

        let accepted = REQUEST_RULE
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name}: not in REQUEST_RULE"))
            .1;
        match canonicalize(&input) {
            Ok(body) => {
                assert!(accepted, "{name}: request rule should refuse it");
                assert_eq!(body.canonical_bytes(), expected, "{name}");
            }
            Err(e) => {
                assert!(!accepted, "{name}: request rule refused it: {e}");
                assert_eq!(e.code(), Code::MalformedBody);
            }
        }
        run += 1;
    }
    assert_eq!(run, REQUEST_RULE.len(), "vector files missing or added");
}

#[test]
fn rfc8785_numbers_txt() {
    let path = jcs_dir().join("numbers.txt");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut run = 0;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (hex, expected) = line
            .split_once(',')
            .unwrap_or_else(|| panic!("line {}: {line:?}", i + 1));
        let bits = u64::from_str_radix(hex, 16).unwrap();
        let f = f64::from_bits(bits);
        assert_eq!(
            jcs_number(f).as_deref(),
            Some(expected),
            "line {}: {hex}",
            i + 1
        );
        // The serialization is its own exact decimal: a body carrying it
        // passes the request rule and canonicalizes to the same text.
        let body = format!("{{\"n\":{expected}}}");
        let c = canonicalize(body.as_bytes()).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        assert_eq!(c.canonical_bytes(), body.as_bytes(), "line {}", i + 1);
        let n = c.get("n").and_then(|v| v.as_number()).unwrap();
        assert_eq!(n.as_f64().to_bits(), if f == 0.0 { 0 } else { bits });
        run += 1;
    }
    assert_eq!(run, 20_030, "numbers.txt cases run");
}
