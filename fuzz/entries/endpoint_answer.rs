//! `revocation::endpoint_answer::parse_verify_answer` (SPEC 7.1): the JSON
//! body of a 200 answer from Kakunin's verify endpoint.
//!
//! Input: the first byte picks the serial asked about (from a fixed list of
//! normalized serials); the rest is the body.
//!
//! Invariants (fail closed): an accepted body is JSON of the SPEC 7.1 shape
//! (but see the known finding below about UTF-8 in ignored members) whose
//! `data.serial_number` is the asked serial (SPEC 7.1 text form), whose
//! `data.status` / `data.valid` agree with the answer (`active` + `true` is
//! Valid; `revoked`, `suspended`, `expired` + `false` is Revoked; a 200
//! never says Unknown), which carries `issued_at`, `expires_at` and an
//! `agent` object, and whose risk score is within 0..=1; the same body about
//! any other serial is refused.

use kakunin_verify::revocation::cache::normalize_serial_hex;
use kakunin_verify::revocation::endpoint_answer::parse_verify_answer;
use kakunin_verify::revocation::RevocationStatus;

/// The SPEC 7.1 answer, as this harness reads it (unknown members skipped).
#[derive(serde::Deserialize)]
struct Answer {
    data: Data,
}

#[derive(serde::Deserialize)]
struct Data {
    serial_number: String,
    status: String,
    valid: bool,
    issued_at: Option<serde_json::Value>,
    expires_at: Option<serde_json::Value>,
    agent: serde_json::Value,
}

/// Serials asked about, as `normalize_serial_hex` gives them.
const SERIALS: [&str; 4] = ["0a3f", "01", "80ff", "5f3a9c0e1d2b4a6877665544332211ff"];

/// The fuzz target's body (see the module documentation).
pub fn endpoint_answer(data: &[u8]) {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let asked = SERIALS[usize::from(*selector) % SERIALS.len()];
    let Ok((status, risk_score, _band)) = parse_verify_answer(body, asked) else {
        return;
    };
    // SPEC 7.1: an accepted answer is well-formed JSON, so UTF-8 throughout
    // (the finding regressions/endpoint_answer/invalid_utf8_in_ignored_member-*).
    let text = std::str::from_utf8(body).expect("accepted answer is UTF-8");
    // Read with unknown members skipped (numbers beyond f64 inside them are
    // valid JSON grammar, so not a finding).
    let answer: Answer =
        serde_json::from_str(text).expect("accepted answer has the SPEC 7.1 shape");
    let d = answer.data;
    assert_eq!(
        normalize_serial_hex(&d.serial_number).as_deref(),
        Some(asked),
        "answer about another serial accepted"
    );
    match (status, d.status.as_str(), d.valid) {
        (RevocationStatus::Valid, "active", true) => {}
        (RevocationStatus::Revoked, "revoked" | "suspended" | "expired", false) => {}
        (s, text, valid) => panic!("status {s:?} from {text:?}, valid {valid}"),
    }
    assert!(d.issued_at.is_some() && d.expires_at.is_some());
    assert!(d.agent.is_object());
    if let Some(score) = risk_score {
        assert!((0.0..=1.0).contains(&score), "risk_score {score}");
    }
    for other in SERIALS.iter().filter(|s| **s != asked) {
        assert!(
            parse_verify_answer(body, other).is_err(),
            "also accepted for {other}"
        );
    }
}
