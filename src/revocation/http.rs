//! SPEC 7.1 "Network sources": the one HTTP client every networked revocation
//! source (OCSP, Kakunin's verify endpoint) goes through.
//!
//! It follows no redirects, refuses plain `http://` except to loopback hosts
//! (checked before any connection), bounds the answer's size while reading it
//! and times out; each of these failures is [`Unavailable`].
//!
//! TLS is rustls with the *ring* provider passed explicitly to this client's
//! configuration: the library never installs a process-wide default provider.
//! HTTPS trusts exactly the root certificates the integrator passes in
//! [`HttpConfig::root_certificates`] (no built-in or system roots). System
//! proxy variables (`HTTP_PROXY`, ...) are ignored: a verifier talks to its
//! revocation sources directly. Requests must run inside a tokio runtime with
//! its time driver enabled (as reqwest itself requires for timeouts). No
//! response decompression is enabled, so the size bound is the bound on
//! what is buffered.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use rustls_pki_types::CertificateDer;

use super::Unavailable;
use crate::error::ConfigError;

/// SPEC 7.1: default connect timeout (2 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// SPEC 7.1: default total timeout of one exchange, body included (2 s).
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(2);
/// SPEC 7.1: default bound on an answer's body (64 KiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The longest `Age` header value accepted (digits); longer is unavailable.
const MAX_AGE_DIGITS: usize = 10;

/// Settings of an [`HttpClient`].
///
/// ```
/// use kakunin_verify::revocation::http::HttpConfig;
/// let config = HttpConfig::default();
/// assert_eq!(config.max_response_bytes, 64 * 1024);
/// assert!(config.root_certificates.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Bound on establishing the connection (TCP and TLS). Default 2 s.
    pub connect_timeout: Duration,
    /// Bound on the whole exchange, reading the body included. Default 2 s.
    pub total_timeout: Duration,
    /// Largest accepted body; a longer answer is unavailable. Default 64 KiB.
    pub max_response_bytes: usize,
    /// The trust anchors for HTTPS (DER). Empty means no HTTPS peer can be
    /// authenticated, so only `http://` to loopback works.
    pub root_certificates: Vec<CertificateDer<'static>>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            root_certificates: Vec::new(),
        }
    }
}

/// An answer read in full (within the size bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code (3xx included: redirects are never followed).
    pub status: u16,
    /// The `Age` header in seconds, when present.
    pub age_seconds: Option<u64>,
    /// The body, at most [`HttpConfig::max_response_bytes`] long.
    pub body: Vec<u8>,
}

/// The HTTP client of the networked revocation sources (SPEC 7.1).
///
/// Cheap to clone (shares one connection pool).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    total_timeout: Duration,
    max_response_bytes: usize,
}

impl HttpClient {
    /// Builds a client; fails when a root certificate cannot be used or the
    /// TLS configuration cannot be built.
    ///
    /// ```
    /// use kakunin_verify::revocation::http::{HttpClient, HttpConfig};
    /// let client = HttpClient::new(HttpConfig::default()).unwrap();
    /// # let _ = client;
    /// ```
    pub fn new(config: HttpConfig) -> Result<Self, ConfigError> {
        let tls = tls_config(&config.root_certificates)?;
        let inner = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .tls_built_in_root_certs(false)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(config.connect_timeout)
            .timeout(config.total_timeout)
            .user_agent(concat!("kakunin-verify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| ConfigError::new("cannot build the HTTP client"))?;
        Ok(HttpClient {
            inner,
            total_timeout: config.total_timeout,
            max_response_bytes: config.max_response_bytes,
        })
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> Result<HttpResponse, Unavailable> {
        let url = checked_url(url)?;
        self.send(self.inner.get(url)).await
    }

    /// `GET url` with an `Accept` header (SPEC 10: the verify endpoint is
    /// asked for `application/json`).
    pub async fn get_accepting(
        &self,
        url: &str,
        accept: &str,
    ) -> Result<HttpResponse, Unavailable> {
        let url = checked_url(url)?;
        self.send(self.inner.get(url).header(reqwest::header::ACCEPT, accept))
            .await
    }

    /// `POST url` with the given `Content-Type` and body.
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<HttpResponse, Unavailable> {
        let url = checked_url(url)?;
        let request = self
            .inner
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self.send(request).await
    }

    // SPEC 7.1: time out (default 2 s), every failure is unavailable.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<HttpResponse, Unavailable> {
        match tokio::time::timeout(self.total_timeout, self.exchange(request)).await {
            Ok(result) => result,
            Err(_) => Err(Unavailable::new("timed out")),
        }
    }

    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<HttpResponse, Unavailable> {
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let age_seconds = age_header(response.headers())?;
        let body = read_bounded(&mut response, self.max_response_bytes).await?;
        Ok(HttpResponse {
            status,
            age_seconds,
            body,
        })
    }
}

// The TLS configuration: rustls with the ring provider passed explicitly and
// the integrator's roots only.
fn tls_config(roots: &[CertificateDer<'static>]) -> Result<rustls::ClientConfig, ConfigError> {
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store
            .add(root.clone())
            .map_err(|_| ConfigError::new("unusable HTTPS root certificate"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| ConfigError::new("cannot build the TLS configuration"))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(config)
}

// SPEC 7.1: HTTPS except to loopback, checked before any connection.
fn checked_url(url: &str) -> Result<Url, Unavailable> {
    let parsed = Url::parse(url).map_err(|_| Unavailable::new("invalid URL"))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback_url(&parsed) => Ok(parsed),
        "http" => Err(Unavailable::new("plain http to a non-loopback host")),
        _ => Err(Unavailable::new("unsupported URL scheme")),
    }
}

/// `true` when `url` is `http://` or `https://` and acceptable to
/// [`HttpClient`]: HTTPS to any host, plain HTTP only to a loopback host
/// (`127.0.0.0/8`, `::1`, `localhost`).
///
/// ```
/// use kakunin_verify::revocation::http::url_scheme_allowed;
/// assert!(url_scheme_allowed("https://verify.example/v1"));
/// assert!(url_scheme_allowed("http://127.0.0.1:8080/"));
/// assert!(!url_scheme_allowed("http://verify.example/"));
/// ```
pub fn url_scheme_allowed(url: &str) -> bool {
    checked_url(url).is_ok()
}

// SPEC 7.1: loopback hosts are 127.0.0.0/8, ::1 and `localhost`.
fn is_loopback_url(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => {
            let name = name.strip_suffix('.').unwrap_or(name);
            name.eq_ignore_ascii_case("localhost")
        }
        None => false,
    }
}

/// SPEC 7.1 (OCSP): `true` when `url`'s host is exactly (ASCII
/// case-insensitively) one of `allowlist`, so that a certificate's AIA cannot
/// make the verifier call arbitrary URLs. Ports and paths are not compared;
/// IPv6 hosts are written in brackets (`[2001:db8::1]`), as in URLs.
///
/// ```
/// use kakunin_verify::revocation::http::url_host_allowed;
/// let allow = ["ocsp.kakunin.example"];
/// assert!(url_host_allowed("http://OCSP.kakunin.example/", &allow));
/// assert!(!url_host_allowed("http://ocsp.kakunin.example.evil/", &allow));
/// assert!(!url_host_allowed("not a url", &allow));
/// ```
pub fn url_host_allowed<S: AsRef<str>>(url: &str, allowlist: &[S]) -> bool {
    let Ok(parsed) = Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    allowlist
        .iter()
        .any(|allowed| host.eq_ignore_ascii_case(allowed.as_ref()))
}

// SPEC 7.1 / 7.2: the `Age` header counts against the age limit; an
// unreadable or repeated one leaves the answer's age unknown: unavailable.
fn age_header(headers: &reqwest::header::HeaderMap) -> Result<Option<u64>, Unavailable> {
    let mut values = headers.get_all(reqwest::header::AGE).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Unavailable::new("repeated Age header"));
    }
    let text = first
        .to_str()
        .map_err(|_| Unavailable::new("invalid Age header"))?
        .trim();
    let well_formed = !text.is_empty()
        && text.len() <= MAX_AGE_DIGITS
        && text.bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(Unavailable::new("invalid Age header"));
    }
    text.parse::<u64>()
        .map(Some)
        .map_err(|_| Unavailable::new("invalid Age header"))
}

// SPEC 7.1: bound the answer's size; read in chunks, never buffering more
// than the limit.
async fn read_bounded(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Unavailable> {
    if let Some(declared) = response.content_length() {
        if declared > u64::try_from(limit).unwrap_or(u64::MAX) {
            return Err(Unavailable::new("answer too large"));
        }
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if chunk.len() > limit.saturating_sub(body.len()) {
            return Err(Unavailable::new("answer too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

// Every transport failure is unavailable, with a short reason.
fn transport_error(error: reqwest::Error) -> Unavailable {
    if error.is_timeout() {
        Unavailable::new("timed out")
    } else if error.is_connect() {
        Unavailable::new("connection failed")
    } else {
        Unavailable::new("transport error")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_may_use_plain_http() {
        for url in [
            "http://127.0.0.1/",
            "http://127.9.8.7:81/x",
            "http://[::1]:8080/",
            "http://localhost/",
            "http://LOCALHOST./",
        ] {
            assert!(checked_url(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn other_hosts_need_https() {
        for url in [
            "http://verify.example/",
            "http://128.0.0.1/",
            "http://[::2]/",
            "http://localhost.example/",
            "ftp://127.0.0.1/",
            "not a url",
        ] {
            assert!(checked_url(url).is_err(), "{url}");
        }
        assert!(checked_url("https://verify.example/").is_ok());
    }

    #[test]
    fn host_allowlist_is_exact_and_case_insensitive() {
        let allow = vec!["ocsp.example".to_string()];
        assert!(url_host_allowed("http://OCSP.Example:8080/x", &allow));
        assert!(!url_host_allowed("http://sub.ocsp.example/", &allow));
        assert!(!url_host_allowed("http://ocsp.example.com/", &allow));
        assert!(!url_host_allowed("http://user@other.example/", &allow));
    }
}
