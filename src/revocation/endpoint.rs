//! SPEC 7.1 "Verify endpoint": Kakunin's public status API as a
//! [`RevocationSource`].
//!
//! `GET {base}/v1/verify/{SERIAL}` (serial in uppercase hex) answering
//! `{"data": {"serial_number": S, "status": ..., "valid": ..., ...}}`.
//!
//! | answer | status |
//! |---|---|
//! | 200, `active` + `valid: true` | [`RevocationStatus::Valid`] |
//! | 200, `revoked` / `suspended` / `expired` + `valid: false` | [`RevocationStatus::Revoked`] |
//! | 404 | [`RevocationStatus::Unknown`] |
//! | another serial, `valid` contradicting `status`, another status, malformed or incomplete JSON, a bad `risk_score` / `risk_band`, any other HTTP status (3xx, 429, 5xx, ...), an `Age` beyond the age limit, timeout, transport error | [`Unavailable`] |
//!
//! `risk_score` and `risk_band` (SPEC 5.7) are passed on in the answer; a
//! JSON `null` for either counts as absent.

use serde::Deserialize;

use super::cache::normalize_serial_hex;
use super::http::{url_scheme_allowed, HttpClient};
use super::{
    BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, RiskBand,
    Unavailable,
};
use crate::error::ConfigError;

/// SPEC 7.2: default age limit of an endpoint answer (300 s: Kakunin's CDN
/// serves answers up to that old), `Age` header included. A certificate's
/// `revocationTimeout` tightens it.
pub const DEFAULT_MAX_AGE_MS: u64 = 300_000;
/// The name recorded as the answer's source.
pub const SOURCE_NAME: &str = "endpoint";
/// The path prefix of SPEC 7.1.
const VERIFY_PATH: &str = "/v1/verify/";

/// Kakunin's verify endpoint as a revocation source (SPEC 7.1).
///
/// ```
/// use kakunin_verify::revocation::endpoint::EndpointSource;
/// use kakunin_verify::revocation::http::{HttpClient, HttpConfig};
/// let client = HttpClient::new(HttpConfig::default()).unwrap();
/// let source = EndpointSource::new(client, "https://kakunin.example").unwrap();
/// assert!(EndpointSource::new(
///     HttpClient::new(HttpConfig::default()).unwrap(),
///     "http://kakunin.example", // plain http only to loopback
/// )
/// .is_err());
/// # let _ = source;
/// ```
#[derive(Debug, Clone)]
pub struct EndpointSource {
    client: HttpClient,
    base: String,
    max_age_ms: u64,
}

impl EndpointSource {
    /// A source asking `base_url` (e.g. `https://kakunin.example`; a trailing
    /// `/` is ignored). Fails when the URL is not `https://` (or `http://` to
    /// a loopback host) or carries a query or fragment.
    pub fn new(client: HttpClient, base_url: &str) -> Result<Self, ConfigError> {
        let base = base_url.trim_end_matches('/');
        if !url_scheme_allowed(base) || base.contains(['?', '#']) {
            return Err(ConfigError::new(
                "verify endpoint must be an https URL (http only to loopback) without query",
            ));
        }
        Ok(EndpointSource {
            client,
            base: base.to_owned(),
            max_age_ms: DEFAULT_MAX_AGE_MS,
        })
    }

    /// Sets the age limit of an answer (default 300 s, SPEC 7.2): an `Age`
    /// beyond it is unavailable at once, and the cache holds each use to it
    /// when the certificate's policy states no `revocationTimeout`.
    #[must_use]
    pub fn with_max_age_ms(mut self, max_age_ms: u64) -> Self {
        self.max_age_ms = max_age_ms;
        self
    }

    async fn fetch(
        &self,
        cert: CertificateRef<'_>,
        now_ms: u64,
    ) -> Result<RevocationAnswer, Unavailable> {
        let serial = normalize_serial_hex(cert.serial_hex)
            .ok_or_else(|| Unavailable::new("unusable serial"))?;
        let url = format!("{}{VERIFY_PATH}{}", self.base, serial.to_ascii_uppercase());
        let response = self.client.get(&url).await?;
        let produced_at_ms = produced_at(now_ms, response.age_seconds, self.max_age_ms)?;
        let answer = |status, risk_score, risk_band| RevocationAnswer {
            status,
            produced_at_ms,
            next_update_ms: None,
            risk_score,
            risk_band,
            source: SOURCE_NAME,
        };
        match response.status {
            200 => {
                let parsed = parse_answer(&response.body, &serial)?;
                Ok(answer(parsed.status, parsed.risk_score, parsed.risk_band))
            }
            404 => Ok(answer(RevocationStatus::Unknown, None, None)),
            _ => Err(unexpected_status(response.status)),
        }
    }
}

impl RevocationSource for EndpointSource {
    fn name(&self) -> &'static str {
        SOURCE_NAME
    }

    fn is_networked(&self) -> bool {
        true
    }

    fn max_answer_age_ms(&self) -> u64 {
        self.max_age_ms
    }

    fn check<'a>(
        &'a self,
        cert: CertificateRef<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<RevocationAnswer, Unavailable>> {
        Box::pin(self.fetch(cert, now_ms))
    }
}

// SPEC 7.1: 429, 5xx, redirects and any status but 200 / 404 are unavailable.
fn unexpected_status(status: u16) -> Unavailable {
    Unavailable::new(format!("verify endpoint answered HTTP {status}"))
}

// SPEC 7.1 / 7.2: the answer was made at the fetch time minus `Age` (0
// without one); one already older than the age limit is unavailable.
fn produced_at(now_ms: u64, age_seconds: Option<u64>, max_age_ms: u64) -> Result<u64, Unavailable> {
    let age_ms = age_seconds.unwrap_or(0).saturating_mul(1_000);
    if age_ms > max_age_ms {
        return Err(Unavailable::new(
            "verify endpoint answer older than its age limit",
        ));
    }
    Ok(now_ms.saturating_sub(age_ms))
}

/// The parts of a 200 answer the verifier uses.
#[derive(Debug, Clone, PartialEq)]
struct Parsed {
    status: RevocationStatus,
    risk_score: Option<f64>,
    risk_band: Option<RiskBand>,
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
fn parse_answer(body: &[u8], asked_serial: &str) -> Result<Parsed, Unavailable> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|_| Unavailable::new("malformed verify answer"))?;
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

    #[test]
    fn age_counts_against_the_age_limit() {
        assert_eq!(produced_at(10_000, None, 5_000), Ok(10_000));
        assert_eq!(produced_at(10_000, Some(5), 5_000), Ok(5_000));
        assert!(produced_at(10_000, Some(6), 5_000).is_err());
        assert!(produced_at(10_000, Some(u64::MAX), 5_000).is_err());
    }
}
