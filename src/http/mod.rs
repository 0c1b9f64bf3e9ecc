//! Framework-neutral HTTP glue: what every integration (the `axum` and
//! `actix` features) does the same way, so that each framework module only
//! converts its own request and response types.
//!
//! * requests in: [`check_declared_length`] (SPEC 4.3: refuse on
//!   `Content-Length` before reading a body), the request-target exactly as
//!   received, the TLS leaf as a [`PeerCertificate`] request extension set by
//!   the TLS acceptor (SPEC 4.6: never from a header);
//! * decisions out: [`VerifiedAgent`] (what a handler may know about the
//!   agent, and the verified body for [`VerifiedAgent::json`]) and
//!   [`DenialResponse`] (SPEC 6: status, `{"error","message"}`,
//!   `Retry-After: 1` on 503), customizable with a [`DenialMapper`];
//! * the webhook route (SPEC 7.3, SPEC 10): [`webhook_headers`] and
//!   [`webhook_status`].

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;

use std::sync::Arc;

use crate::audit::AuditRecord;
use crate::canonical::CanonicalBody;
use crate::certificate::Decoded;
use crate::error::Error;
use crate::policy::{AgentPolicy, ModelProvenance};
use crate::revocation::webhook::{WebhookError, WebhookEvent, WebhookHeaders};
use crate::verifier::{Denial, VerifiedRequest};

/// The agent's TLS client certificate (DER), as a request extension set by
/// the TLS acceptor from the connection (SPEC 4.6) — never from a header.
///
/// ```
/// use kakunin_verify::http::PeerCertificate;
/// let leaf = PeerCertificate::new(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
/// assert_eq!(leaf.der().len(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate(Arc<[u8]>);

impl PeerCertificate {
    /// Wraps the leaf's DER.
    pub fn new(der: impl Into<Arc<[u8]>>) -> Self {
        PeerCertificate(der.into())
    }

    /// The leaf's DER.
    pub fn der(&self) -> &[u8] {
        &self.0
    }
}

/// A request that passed SPEC 5.1, as a handler sees it (a request
/// extension set by the integration layer; cheap to clone).
#[derive(Debug, Clone)]
pub struct VerifiedAgent(Arc<VerifiedRequest>);

impl VerifiedAgent {
    /// Wraps a verified request.
    pub fn new(verified: VerifiedRequest) -> Self {
        VerifiedAgent(Arc::new(verified))
    }

    /// The agent id (from the validated URN).
    pub fn agent_id(&self) -> &str {
        self.0.agent_id()
    }

    /// The agent URN, `urn:kakunin:agent:{id}`.
    pub fn agent_urn(&self) -> String {
        self.0.agent_urn()
    }

    /// The leaf's serial, SPEC 7.1 text form.
    pub fn cert_serial(&self) -> &str {
        self.0.certificate().serial_hex()
    }

    /// The matched route's scope.
    pub fn scope(&self) -> &str {
        self.0.scope()
    }

    /// The certificate's policy (always present on an allowed request).
    pub fn policy(&self) -> Option<&AgentPolicy> {
        match self.0.certificate().policy() {
            Decoded::Present(p) => Some(p),
            _ => None,
        }
    }

    /// The certificate's model provenance, when it carries one.
    pub fn model_provenance(&self) -> Option<&ModelProvenance> {
        match self.0.certificate().provenance() {
            Decoded::Present(p) => Some(p),
            _ => None,
        }
    }

    /// The SPEC 8 audit record of the decision.
    pub fn audit(&self) -> &AuditRecord {
        self.0.audit()
    }

    /// The verified body (SPEC 4.3): the value the signature covers.
    pub fn body(&self) -> &CanonicalBody {
        self.0.body()
    }

    /// The whole verified request.
    pub fn request(&self) -> &VerifiedRequest {
        &self.0
    }

    /// SPEC 4.3: deserializes the **verified canonical value** — never the
    /// raw bytes — into `T`. An empty body is an error.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, JsonBodyError> {
        let bytes = self.body().canonical_bytes();
        if bytes.is_empty() {
            return Err(JsonBodyError("the request has no JSON body".into()));
        }
        serde_json::from_slice(bytes).map_err(|e| JsonBodyError(e.to_string()))
    }
}

/// The verified body does not have the shape the handler asked for
/// (answered 422 by the integrations).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the verified body does not fit the expected shape: {0}")]
pub struct JsonBodyError(pub String);

/// The HTTP answer to a denial (SPEC 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenialResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` of `body`.
    pub content_type: &'static str,
    /// The response body.
    pub body: Vec<u8>,
    /// `Retry-After`, in seconds (SPEC 6: 1 on every 503).
    pub retry_after_seconds: Option<u32>,
}

impl DenialResponse {
    /// SPEC 6: the code's status, `{"error": CODE, "message": TEXT}` as
    /// `application/json`, `Retry-After: 1` on 503.
    ///
    /// ```
    /// use kakunin_verify::{http::DenialResponse, Error};
    /// let r = DenialResponse::from_error(&Error::Overloaded("busy".into()));
    /// assert_eq!((r.status, r.retry_after_seconds), (503, Some(1)));
    /// assert_eq!(r.content_type, "application/json");
    /// ```
    pub fn from_error(error: &Error) -> Self {
        DenialResponse {
            status: error.http_status(),
            content_type: "application/json",
            body: error.to_json_body().into_bytes(),
            retry_after_seconds: error.retry_after_seconds(),
        }
    }

    /// [`from_error`](Self::from_error) for a denial: the default mapping.
    pub fn from_denial(denial: &Denial) -> Self {
        Self::from_error(&denial.error)
    }

    /// A plain error answer of the integration itself (e.g. a missing layer).
    pub fn plain(status: u16, message: &str) -> Self {
        DenialResponse {
            status,
            content_type: "application/json",
            body: serde_json::json!({ "error": "integration_error", "message": message })
                .to_string()
                .into_bytes(),
            retry_after_seconds: None,
        }
    }
}

/// Maps a denial onto the HTTP answer; the default is
/// [`DenialResponse::from_denial`]. Replace it to change the status or
/// body shape (the audit record is written either way).
pub type DenialMapper = Arc<dyn Fn(&Denial) -> DenialResponse + Send + Sync>;

/// The default [`DenialMapper`].
pub fn default_denial_mapper() -> DenialMapper {
    Arc::new(DenialResponse::from_denial)
}

/// SPEC 4.3: a declared `Content-Length` over `limit` is refused with
/// `body_too_large` before a byte of the body is read; an unreadable one
/// with `malformed_request`. No header: the body is read up to the limit.
///
/// ```
/// use kakunin_verify::http::check_declared_length;
/// assert!(check_declared_length(Some(b"1024"), 1024).is_ok());
/// assert_eq!(check_declared_length(Some(b"1025"), 1024).unwrap_err().http_status(), 413);
/// assert_eq!(check_declared_length(Some(b"-1"), 1024).unwrap_err().http_status(), 400);
/// assert!(check_declared_length(None, 1024).is_ok());
/// ```
pub fn check_declared_length(content_length: Option<&[u8]>, limit: usize) -> Result<(), Error> {
    let Some(raw) = content_length else {
        return Ok(());
    };
    let text = std::str::from_utf8(raw)
        .ok()
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| Error::MalformedRequest("Content-Length is not a number".into()))?;
    // Longer than any usize: certainly over the limit.
    let declared = text.parse::<usize>().unwrap_or(usize::MAX);
    if declared > limit {
        return Err(body_too_large());
    }
    Ok(())
}

/// SPEC 4.3: the `body_too_large` error of a body over the limit.
pub fn body_too_large() -> Error {
    Error::BodyTooLarge("the body exceeds the verifier's limit".into())
}

/// SPEC 7.3: the status of the webhook route for a delivery's outcome —
/// 204 applied; 401 not authentic (missing, malformed or stale signature
/// header, or a signature that does not verify); 400 an authentic but
/// malformed event; 413 a body over the webhook limit; 503 an event that
/// could not be recorded (the sender retries); 500 a configuration error.
pub fn webhook_status(outcome: &Result<WebhookEvent, WebhookError>) -> u16 {
    match outcome {
        Ok(_) => 204,
        Err(e) => e.http_status(),
    }
}

/// `X-Kakunin-Signature` (SPEC 7.3 and 10).
pub const WEBHOOK_SIGNATURE_HEADER: &str = "X-Kakunin-Signature";
/// `X-Kakunin-Timestamp` (SPEC 10's form).
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "X-Kakunin-Timestamp";

/// SPEC 7.3 / 10: a delivery's [`WebhookHeaders`] from every value received
/// for each header — each at most once and text, else
/// [`WebhookError::MalformedHeader`] (401). Which form they make, and
/// whether they mix forms, is decided by
/// [`crate::revocation::webhook::verify_webhook_headers`].
///
/// ```
/// use kakunin_verify::http::webhook_headers;
/// let h = webhook_headers([&b"sha256=ab"[..]], [&b"1782897300123"[..]]).unwrap();
/// assert_eq!((h.signature, h.timestamp), (Some("sha256=ab"), Some("1782897300123")));
/// assert!(webhook_headers([&b"a"[..], &b"b"[..]], []).is_err());
/// assert!(webhook_headers([&b"t=1,v1=ab"[..]], [&b"1"[..], &b"2"[..]]).is_err());
/// ```
pub fn webhook_headers<'a>(
    signature: impl IntoIterator<Item = &'a [u8]>,
    timestamp: impl IntoIterator<Item = &'a [u8]>,
) -> Result<WebhookHeaders<'a>, WebhookError> {
    Ok(WebhookHeaders {
        signature: at_most_one(signature, "repeated or non-text X-Kakunin-Signature")?,
        timestamp: at_most_one(timestamp, "repeated or non-text X-Kakunin-Timestamp")?,
    })
}

// SPEC 7.3 / 10: a webhook header appears at most once, as text.
fn at_most_one<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
    refusal: &'static str,
) -> Result<Option<&'a str>, WebhookError> {
    let mut values = values.into_iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(WebhookError::MalformedHeader(refusal));
    }
    std::str::from_utf8(first)
        .map(Some)
        .map_err(|_| WebhookError::MalformedHeader(refusal))
}
