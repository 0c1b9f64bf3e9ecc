//! SPEC 7.1: the answer of Kakunin's verify endpoint
//! (`GET {base}/v1/verify/{SERIAL}`, 200 body), read strictly. Pure — no
//! network — so it is compiled without the `fetch` feature and fuzzed
//! directly (target `endpoint_answer`); the networked source is
//! `revocation::endpoint` (feature `fetch`).

use serde::Deserialize;

use super::cache::normalize_serial_hex;
use super::{RevocationStatus, RiskBand, Unavailable};

/// The parts of a 200 answer the verifier uses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub(crate) status: RevocationStatus,
    pub(crate) risk_score: Option<f64>,
    pub(crate) risk_band: Option<RiskBand>,
}

#[derive(Deserialize)]
struct Envelope {
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    serial_number: Option<String>,
    status: Option<String>,
    valid: Option<bool>,
    issued_at: Option<serde_json::Value>,
    expires_at: Option<serde_json::Value>,
    agent: Option<serde_json::Value>,
    risk_score: Option<serde_json::Value>,
    risk_band: Option<serde_json::Value>,
}

/// SPEC 7.1: reads the body of a 200 answer about `asked_serial` (in the
/// form [`normalize_serial_hex`] gives) as the source does: its status, risk
/// score and risk band, or [`Unavailable`]. Pure; public for the fuzz target
/// `endpoint_answer` and its regression replay.
pub fn parse_verify_answer(
    body: &[u8],
    asked_serial: &str,
) -> Result<(RevocationStatus, Option<f64>, Option<RiskBand>), Unavailable> {
    parse_answer(body, asked_serial).map(|p| (p.status, p.risk_score, p.risk_band))
}

// SPEC 7.1: exactly Kakunin's answer shape; anything else is unavailable.
// The whole body must be UTF-8 (RFC 8259 8.1): serde_json's struct decoding
// skips unknown members without checking their bytes, so the text is
// checked first — a malformed answer is never read as a valid one.
pub(crate) fn parse_answer(body: &[u8], asked_serial: &str) -> Result<Parsed, Unavailable> {
    let text =
        std::str::from_utf8(body).map_err(|_| Unavailable::new("verify answer is not UTF-8"))?;
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|_| Unavailable::new("malformed verify answer"))?;
    let data = envelope
        .data
        .ok_or_else(|| Unavailable::new("verify answer without data"))?;
    check_required_fields(&data)?;
    check_serial(data.serial_number.as_deref(), asked_serial)?;
    let status = map_status(data.status.as_deref(), data.valid)?;
    Ok(Parsed {
        status,
        risk_score: risk_score(data.risk_score.as_ref())?,
        risk_band: risk_band(data.risk_band.as_ref())?,
    })
}

// SPEC 7.1: the fields without `?` must be present (and the agent an object).
fn check_required_fields(data: &Data) -> Result<(), Unavailable> {
    let agent_is_object = data.agent.as_ref().is_some_and(|a| a.is_object());
    if data.issued_at.is_none() || data.expires_at.is_none() || !agent_is_object {
        return Err(Unavailable::new("verify answer missing fields"));
    }
    Ok(())
}

// SPEC 7.1: a serial that differs (case-insensitively, ignoring `:`) from
// the one asked is unavailable. Both sides are compared in the SPEC 7.1 text
// form, so a leading `00` sign octet in the answer is not a difference.
fn check_serial(answered: Option<&str>, asked: &str) -> Result<(), Unavailable> {
    let answered = answered.and_then(normalize_serial_hex);
    if answered.as_deref() == Some(asked) {
        Ok(())
    } else {
        Err(Unavailable::new("verify answer is about another serial"))
    }
}

// SPEC 7.1: active+valid → valid; revoked / suspended / expired (not valid)
// → revoked; `valid` contradicting `status` or another status → unavailable.
fn map_status(status: Option<&str>, valid: Option<bool>) -> Result<RevocationStatus, Unavailable> {
    let valid = valid.ok_or_else(|| Unavailable::new("verify answer missing fields"))?;
    match (status, valid) {
        (Some("active"), true) => Ok(RevocationStatus::Valid),
        (Some("revoked" | "suspended" | "expired"), false) => Ok(RevocationStatus::Revoked),
        (Some("active" | "revoked" | "suspended" | "expired"), _) => {
            Err(Unavailable::new("verify answer: valid contradicts status"))
        }
        (Some(_), _) => Err(Unavailable::new("verify answer: unknown status")),
        (None, _) => Err(Unavailable::new("verify answer missing fields")),
    }
}

// SPEC 5.7: a risk score is a number from 0 to 1.
fn risk_score(value: Option<&serde_json::Value>) -> Result<Option<f64>, Unavailable> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(score) if (0.0..=1.0).contains(&score) => Ok(Some(score)),
            _ => Err(Unavailable::new("verify answer: bad risk_score")),
        },
    }
}

// SPEC 5.7: a risk band is `low`, `medium` or `high`.
fn risk_band(value: Option<&serde_json::Value>) -> Result<Option<RiskBand>, Unavailable> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => match v.as_str() {
            Some("low") => Ok(Some(RiskBand::Low)),
            Some("medium") => Ok(Some(RiskBand::Medium)),
            Some("high") => Ok(Some(RiskBand::High)),
            _ => Err(Unavailable::new("verify answer: bad risk_band")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(serial: &str, status: &str, valid: bool, extra: &str) -> Vec<u8> {
        format!(
            r#"{{"data":{{"serial_number":"{serial}","status":"{status}","valid":{valid},
            "issued_at":"2026-01-01T00:00:00Z","expires_at":"2026-12-01T00:00:00Z",
            "agent":{{"name":"a"}}{extra}}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn statuses_map_as_spec_7_1() {
        let ok = |s, v| parse_answer(&body("0A:3F", s, v, ""), "0a3f").map(|p| p.status);
        assert_eq!(ok("active", true), Ok(RevocationStatus::Valid));
        assert_eq!(ok("revoked", false), Ok(RevocationStatus::Revoked));
        assert_eq!(ok("suspended", false), Ok(RevocationStatus::Revoked));
        assert_eq!(ok("expired", false), Ok(RevocationStatus::Revoked));
        assert!(ok("active", false).is_err());
        assert!(ok("revoked", true).is_err());
        assert!(ok("pending", false).is_err());
    }

    #[test]
    fn risk_fields_are_checked() {
        let p = |extra: &str| parse_answer(&body("0a3f", "active", true, extra), "0a3f");
        let high = p(r#","risk_score":0.9,"risk_band":"high""#).unwrap();
        assert_eq!(high.risk_score, Some(0.9));
        assert_eq!(high.risk_band, Some(RiskBand::High));
        assert_eq!(p(r#","risk_score":null"#).unwrap().risk_score, None);
        assert!(p(r#","risk_score":1.5"#).is_err());
        assert!(p(r#","risk_score":-0.1"#).is_err());
        assert!(p(r#","risk_score":"0.2""#).is_err());
        assert!(p(r#","risk_band":"extreme""#).is_err());
    }

    // SPEC 7.1: malformed JSON is unavailable, including invalid UTF-8 in a
    // member the verifier does not read (found by the fuzz target
    // `endpoint_answer`).
    #[test]
    fn invalid_utf8_anywhere_is_unavailable() {
        let mut b = body("0a3f", "active", true, r#","x":"?""#);
        let q = b.iter().rposition(|c| *c == b'?').unwrap();
        b[q] = 0xff;
        assert!(parse_answer(&b, "0a3f").is_err());
        b[q] = b'y';
        assert!(parse_answer(&b, "0a3f").is_ok());
    }

    #[test]
    fn shape_violations_are_unavailable() {
        assert!(parse_answer(b"{", "0a3f").is_err());
        assert!(parse_answer(b"{}", "0a3f").is_err());
        assert!(parse_answer(
            br#"{"data":{"serial_number":"0a3f","status":"active","valid":true}}"#,
            "0a3f"
        )
        .is_err());
        assert!(parse_answer(&body("0a40", "active", true, ""), "0a3f").is_err());
        assert!(parse_answer(&body("0a3f", "active", true, r#","valid":"yes""#), "0a3f").is_err());
    }
}
