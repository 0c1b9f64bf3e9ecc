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

use super::cache::normalize_serial_hex;
use super::endpoint_answer::parse_answer;
use super::http::{url_scheme_allowed, HttpClient};
use super::{
    BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, Unavailable,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_against_the_age_limit() {
        assert_eq!(produced_at(10_000, None, 5_000), Ok(10_000));
        assert_eq!(produced_at(10_000, Some(5), 5_000), Ok(5_000));
        assert!(produced_at(10_000, Some(6), 5_000).is_err());
        assert!(produced_at(10_000, Some(u64::MAX), 5_000).is_err());
    }
}
