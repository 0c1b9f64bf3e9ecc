//! `canonical::canonicalize` (SPEC 4.3) and plain `canonicalize_rfc8785`.
//!
//! Invariants: every refusal is `malformed_body` (400); accepted output is
//! UTF-8 JSON that serde_json reads, and `sha256()` is its SHA-256;
//! canonicalization is idempotent (the canonical bytes re-canonicalize to
//! themselves, through both entry points); a body accepted under the
//! request-body rule canonicalizes to the same bytes under plain RFC 8785
//! (its numbers are exact doubles); and the views read back from the
//! verified body (`JsonValue`) say what serde_json reads in the canonical
//! bytes, so every record points at its own text.

use kakunin_verify::canonical::{canonicalize, canonicalize_rfc8785, JsonValue};
use kakunin_verify::Code;

/// Whether the view `ours` holds what serde_json read in the canonical
/// bytes: the same strings, names, literals and structure, and numbers of
/// the same value (accepted numbers are exact doubles).
fn same_as_serde(ours: JsonValue<'_>, theirs: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (ours, theirs) {
        (JsonValue::Null, Value::Null) => true,
        (JsonValue::Bool(a), Value::Bool(b)) => a == *b,
        (JsonValue::String(a), Value::String(b)) => a == b,
        // Within an ulp or two: serde_json (without `float_roundtrip`) may
        // round a long decimal differently; a view pointing at the wrong
        // text is far off, or no number at all.
        (JsonValue::Number(a), Value::Number(b)) => {
            match (a.source_text().parse::<f64>(), b.as_f64()) {
                (Ok(x), Some(y)) => {
                    x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
                }
                _ => false,
            }
        }
        (JsonValue::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_as_serde(x, y))
        }
        (JsonValue::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| same_as_serde(x, y)))
        }
        _ => false,
    }
}

/// The fuzz target's body (see the module documentation).
pub fn canonical_body(data: &[u8]) {
    match canonicalize(data) {
        Ok(body) => {
            let bytes = body.canonical_bytes();
            assert_eq!(
                body.sha256(),
                kakunin_verify::digest::sha256(bytes),
                "the hash computed while writing is not the canonical bytes' SHA-256"
            );
            if data.is_empty() {
                assert!(bytes.is_empty() && body.value().is_none());
            } else {
                assert!(body.value().is_some());
                let text = std::str::from_utf8(bytes).expect("canonical bytes are UTF-8");
                let parsed: serde_json::Value =
                    serde_json::from_str(text).expect("canonical bytes are JSON");
                assert!(parsed.is_object(), "canonical body is not an object");
                assert!(
                    body.value().is_some_and(|v| same_as_serde(v, &parsed)),
                    "a view does not read what the canonical bytes hold: {text}"
                );
                let _ = body.to_serde_json();
                // SPEC 4.3: an accepted body has no two top-level names equal
                // after Unicode upper- then lower-casing (a naive oracle for
                // the parser's shortcut and the check's own fast paths).
                if let serde_json::Value::Object(members) = &parsed {
                    let folded: Vec<String> = members
                        .keys()
                        .map(|k| {
                            k.chars()
                                .flat_map(char::to_uppercase)
                                .flat_map(char::to_lowercase)
                                .collect()
                        })
                        .collect();
                    let mut sorted = folded.clone();
                    sorted.sort();
                    sorted.dedup();
                    assert_eq!(sorted.len(), folded.len(), "accepted case twins: {text}");
                }
                let again = canonicalize(bytes).expect("canonical bytes re-canonicalize");
                assert_eq!(
                    again.canonical_bytes(),
                    bytes,
                    "canonicalize is not idempotent"
                );
                let plain = canonicalize_rfc8785(data).expect("accepted body fails plain JCS");
                assert_eq!(plain, bytes, "request-body rule and RFC 8785 disagree");
            }
        }
        Err(e) => {
            assert_eq!(e.code(), Code::MalformedBody, "{e:?}");
            assert_eq!(e.http_status(), 400);
        }
    }
    if let Ok(plain) = canonicalize_rfc8785(data) {
        let again = canonicalize_rfc8785(&plain).expect("RFC 8785 output re-canonicalizes");
        assert_eq!(again, plain, "canonicalize_rfc8785 is not idempotent");
    }
}
