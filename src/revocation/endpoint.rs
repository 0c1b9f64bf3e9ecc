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
//!
//! Every request sends `Accept: application/json` (Kakunin's service
//! answers HTML to browsers). SPEC 10: for a `kakunin-2026` profile
//! certificate ([`SerialForm::Kakunin2026`]) the URL carries the profile's
//! 32-digit serial text in uppercase — the form Kakunin's database looks
//! up — and a 400 (a serial the service refuses) is unavailable, as every
//! status but 200 and 404 is.

use super::cache::normalize_serial_hex;
use super::endpoint_answer::parse_answer;
use super::http::{url_scheme_allowed, HttpClient};
use super::{
    BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, SerialForm,
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
/// SPEC 10: the media type every endpoint request accepts.
pub const ACCEPT: &str = "application/json";

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
    /// (or to the certificate's `revocationTimeout` when that is shorter).
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
        let asked = AskedSerial::of(&cert)?;
        let url = format!("{}{VERIFY_PATH}{}", self.base, asked.in_url);
        let response = self.client.get_accepting(&url, ACCEPT).await?;
        let serial = asked.compared;
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
            400 => Err(Unavailable::new(
                "verify endpoint refused the serial (HTTP 400)",
            )),
            _ => Err(unexpected_status(response.status)),
        }
    }
}

/// The serial as the endpoint is asked about it.
#[derive(Debug, PartialEq, Eq)]
struct AskedSerial {
    /// The URL's path segment (uppercase hex).
    in_url: String,
    /// The form the answer's `serial_number` is compared in
    /// ([`normalize_serial_hex`]).
    compared: String,
}

impl AskedSerial {
    // SPEC 7.1: the SPEC 7.1 text in uppercase; SPEC 10: for a profile
    // certificate, the profile's 32-digit text in uppercase (its leading
    // `00` kept: Kakunin's database stores all 32 digits).
    fn of(cert: &CertificateRef<'_>) -> Result<Self, Unavailable> {
        let text = match cert.serial_form {
            SerialForm::Rfc5280 => cert.serial_hex.to_owned(),
            SerialForm::Kakunin2026 => crate::profile::kakunin::serial::serial_text(cert.serial)
                .ok_or_else(|| Unavailable::new("the serial has no kakunin-2026 text"))?,
        };
        let compared =
            normalize_serial_hex(&text).ok_or_else(|| Unavailable::new("unusable serial"))?;
        let in_url = match cert.serial_form {
            SerialForm::Rfc5280 => compared.to_ascii_uppercase(),
            SerialForm::Kakunin2026 => text.to_ascii_uppercase(),
        };
        Ok(AskedSerial { in_url, compared })
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

    fn cert(serial: &[u8], serial_hex: &str, serial_form: SerialForm) -> AskedSerial {
        let cert = CertificateRef {
            der: b"leaf",
            issuer_der: b"issuer",
            serial,
            serial_hex,
            not_after_ms: 0,
            serial_form,
            root_der: None,
        };
        AskedSerial::of(&cert).unwrap_or(AskedSerial {
            in_url: String::new(),
            compared: String::new(),
        })
    }

    // SPEC 10: a profile certificate is asked by its 32-digit text in
    // uppercase, the leading 00 of a 15-octet serial kept; SPEC 7.1's
    // form is unchanged.
    #[test]
    fn spec_10_profile_url_carries_the_32_digit_text() {
        let fifteen = [0x12_u8; 15];
        let text = format!("00{}", "12".repeat(15));
        let asked = cert(&fifteen, &text, SerialForm::Kakunin2026);
        assert_eq!(asked.in_url, text.to_ascii_uppercase());
        assert_eq!(asked.compared, "12".repeat(15));
        let negative = [0x9c_u8; 15];
        let asked = cert(&negative, "", SerialForm::Kakunin2026);
        assert_eq!(asked.in_url, format!("FF{}", "9C".repeat(15)));
        // SPEC 7.1: no sign octet, uppercase.
        let asked = cert(&[0x00, 0x8a, 0x01], "8a01", SerialForm::Rfc5280);
        assert_eq!(asked.in_url, "8A01");
        // No profile text (over 17 octets): unavailable, never another serial.
        let long = [0x01_u8; 18];
        let c = CertificateRef {
            der: b"leaf",
            issuer_der: b"issuer",
            serial: &long,
            serial_hex: "",
            not_after_ms: 0,
            serial_form: SerialForm::Kakunin2026,
            root_der: None,
        };
        assert!(AskedSerial::of(&c).is_err());
    }

    #[test]
    fn age_counts_against_the_age_limit() {
        assert_eq!(produced_at(10_000, None, 5_000), Ok(10_000));
        assert_eq!(produced_at(10_000, Some(5), 5_000), Ok(5_000));
        assert!(produced_at(10_000, Some(6), 5_000).is_err());
        assert!(produced_at(10_000, Some(u64::MAX), 5_000).is_err());
    }
}
