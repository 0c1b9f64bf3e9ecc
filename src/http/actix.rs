//! actix-web 4 integration (feature `actix`): the [`KakuninMiddleware`]
//! that runs SPEC 5.1 on every request of the routes it wraps, the
//! [`VerifiedAgent`] and [`VerifiedJson`] extractors, the SPEC 7.3
//! [`webhook_resource`], and (with feature `tls`) [`peer_certificate_on_connect`]
//! for mutual TLS (SPEC 4.6).
//!
//! Per request the middleware
//! 1. refuses a `Content-Length` over [`Verifier::max_body_bytes`] with
//!    `body_too_large` (413) before reading a byte of the body, and a body
//!    that streams past the limit the same way (SPEC 4.3) — both through
//!    [`Verifier::refuse`], so they are audited like any decision;
//! 2. verifies the method, the request-target exactly as received (path and
//!    query as sent, whatever scope the middleware is mounted on; SPEC 4.2,
//!    4.4), every header, the body, and the TLS client certificate taken
//!    from the connection (never from a header; SPEC 4.6);
//! 3. on allow, inserts the [`VerifiedAgent`] into the request extensions,
//!    puts the body back for the handler and calls it; on deny, answers the
//!    [`DenialResponse`] of its [`DenialMapper`] (SPEC 6: status,
//!    `{"error","message"}` as `application/json`, `Retry-After: 1` on 503).
//!
//! The [`Verifier`] sends every decision to its audit sink; the middleware
//! writes no audit record of its own.
//!
//! Place the middleware inside any middleware that rewrites the request
//! (e.g. `NormalizePath`, registered with a later `.wrap`): a rewritten
//! target no longer matches its signature, and the request is denied.
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{web, App, HttpServer};
//! use kakunin_verify::http::{actix::KakuninMiddleware, VerifiedAgent};
//! # fn verifier() -> kakunin_verify::Verifier {
//! #     let mut trust = kakunin_verify::chain::TrustStore::new();
//! #     trust.add_roots_pem(include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/p256/root.pem"))).unwrap();
//! #     kakunin_verify::Verifier::builder(trust).audience("api.exchange.example")
//! #         .revocation(kakunin_verify::Revocation::Disabled).build().unwrap()
//! # }
//!
//! async fn trade(agent: VerifiedAgent) -> String {
//!     format!("order from {} ({})", agent.agent_id(), agent.scope())
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let verifier = Arc::new(verifier());
//! HttpServer::new(move || {
//!     App::new()
//!         .wrap(KakuninMiddleware::new(Arc::clone(&verifier)))
//!         .route("/v1/trades", web::post().to(trade))
//! })
//! .bind(("127.0.0.1", 8080))?
//! .run()
//! .await
//! # }
//! ```

use std::future::{poll_fn, ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{StatusCode, Uri};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use futures_core::Stream;

use super::{
    body_too_large, check_declared_length, default_denial_mapper, webhook_headers, webhook_status,
    DenialMapper, DenialResponse, PeerCertificate, VerifiedAgent,
};
use crate::error::Error;
use crate::revocation::webhook::{self, WebhookError, WebhookEvent};
use crate::verifier::{Denial, HttpRequest as VerifyInput, Verifier};

/// The webhook's headers (SPEC 7.3 and 10), where this module has always
/// named the signature header.
pub use super::{WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER};

// ---------------------------------------------------------------- middleware

/// actix-web middleware that verifies every request of the routes it wraps
/// (SPEC 5.1) with an [`Arc<Verifier>`]; see the [module](self) documentation.
///
/// ```
/// use std::sync::Arc;
/// use kakunin_verify::http::{actix::KakuninMiddleware, DenialResponse};
/// # fn verifier() -> kakunin_verify::Verifier {
/// #     let mut trust = kakunin_verify::chain::TrustStore::new();
/// #     trust.add_roots_pem(include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/p256/root.pem"))).unwrap();
/// #     kakunin_verify::Verifier::builder(trust).audience("api.exchange.example")
/// #         .revocation(kakunin_verify::Revocation::Disabled).build().unwrap()
/// # }
/// # fn build() {
/// // Answer every denial 403 with the SPEC 6 body (the audit record is unchanged).
/// let mw = KakuninMiddleware::new(Arc::new(verifier())).denial_mapper(Arc::new(|d| {
///     DenialResponse { status: 403, ..DenialResponse::from_denial(d) }
/// }));
/// let _app = actix_web::App::new().wrap(mw);
/// # }
/// ```
#[derive(Clone)]
pub struct KakuninMiddleware {
    verifier: Arc<Verifier>,
    mapper: DenialMapper,
}

impl std::fmt::Debug for KakuninMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KakuninMiddleware").finish_non_exhaustive()
    }
}

impl KakuninMiddleware {
    /// Verifies with `verifier`; denials answered by
    /// [`DenialResponse::from_denial`].
    ///
    /// ```
    /// # fn verifier() -> kakunin_verify::Verifier {
    /// #     let mut trust = kakunin_verify::chain::TrustStore::new();
    /// #     trust.add_roots_pem(include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/p256/root.pem"))).unwrap();
    /// #     kakunin_verify::Verifier::builder(trust).audience("api.exchange.example")
    /// #         .revocation(kakunin_verify::Revocation::Disabled).build().unwrap()
    /// # }
    /// # fn build() {
    /// use kakunin_verify::http::actix::KakuninMiddleware;
    /// let _mw = KakuninMiddleware::new(std::sync::Arc::new(verifier()));
    /// # }
    /// ```
    pub fn new(verifier: Arc<Verifier>) -> Self {
        KakuninMiddleware {
            verifier,
            mapper: default_denial_mapper(),
        }
    }

    /// Answers denials with `mapper` instead (see the type's example).
    pub fn denial_mapper(mut self, mapper: DenialMapper) -> Self {
        self.mapper = mapper;
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for KakuninMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = KakuninService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(KakuninService {
            service: Rc::new(service),
            verifier: Arc::clone(&self.verifier),
            mapper: Arc::clone(&self.mapper),
        }))
    }
}

/// The service [`KakuninMiddleware`] wraps around the inner service (made by
/// actix-web; not built directly).
pub struct KakuninService<S> {
    service: Rc<S>,
    verifier: Arc<Verifier>,
    mapper: DenialMapper,
}

impl<S> std::fmt::Debug for KakuninService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KakuninService").finish_non_exhaustive()
    }
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for KakuninService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let verifier = Arc::clone(&self.verifier);
        let mapper = Arc::clone(&self.mapper);
        Box::pin(async move {
            match admit(&verifier, req).await {
                Ok(req) => service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body),
                Err((req, denial)) => {
                    let answer = denial_http_response(&mapper(&denial));
                    Ok(req.into_response(answer).map_into_right_body())
                }
            }
        })
    }
}

/// SPEC 5.1 on one request: `Ok` with the [`VerifiedAgent`] in its
/// extensions and its body restored, or the request with its denial.
async fn admit(
    verifier: &Verifier,
    mut req: ServiceRequest,
) -> Result<ServiceRequest, (ServiceRequest, Denial)> {
    let limit = verifier.max_body_bytes();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .map(|v| v.as_bytes());
    if let Err(e) = check_declared_length(declared, limit) {
        let denial = refuse(verifier, &req, e);
        return Err((req, denial));
    }
    let body = match read_body(&mut req.take_payload(), limit).await {
        Ok(body) => body,
        Err(e) => {
            let denial = refuse(verifier, &req, e);
            return Err((req, denial));
        }
    };
    let outcome = {
        let headers = header_pairs(req.headers());
        let input = verify_input(&req, &headers, &body);
        verifier.verify(&input).await
    };
    match outcome {
        Ok(verified) => {
            req.extensions_mut().insert(VerifiedAgent::new(verified));
            req.set_payload(Payload::from(body));
            Ok(req)
        }
        Err(denial) => Err((req, denial)),
    }
}

// SPEC 4.3: an early refusal (before `verify`) with its audit record.
fn refuse(verifier: &Verifier, req: &ServiceRequest, error: Error) -> Denial {
    let headers = header_pairs(req.headers());
    verifier.refuse(&verify_input(req, &headers, &[]), error)
}

// SPEC 5.1 input: method, target, headers and body as received; the TLS
// leaf from the connection (SPEC 4.6), never from a header.
fn verify_input<'a>(
    req: &'a ServiceRequest,
    headers: &'a [(&'a str, &'a [u8])],
    body: &'a [u8],
) -> VerifyInput<'a> {
    VerifyInput {
        method: req.method().as_str(),
        target: request_target(req.uri()),
        headers,
        body,
        tls_client_certificate: req.conn_data::<PeerCertificate>().map(PeerCertificate::der),
    }
}

// SPEC 4.4: the request-target in origin form exactly as received: the
// URI's path and query as sent — not actix's re-quoted `path()`, not the
// part a scope left unmatched. No path (authority form): empty, which the
// verifier refuses.
fn request_target(uri: &Uri) -> &str {
    uri.path_and_query().map_or("", |pq| pq.as_str())
}

// SPEC 4.1: every header as (name, raw value); a repeated name yields each
// of its values, so the verifier sees the repetition.
fn header_pairs(headers: &HeaderMap) -> Vec<(&str, &[u8])> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect()
}

// SPEC 4.3: the body, read up to `limit` bytes; a stream that goes past it
// is `body_too_large` (nothing past the limit is kept), one that breaks off
// is `malformed_request`.
async fn read_body<S, E>(payload: &mut S, limit: usize) -> Result<Bytes, Error>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut body = BytesMut::new();
    while let Some(chunk) = poll_fn(|cx| Pin::new(&mut *payload).poll_next(cx)).await {
        let chunk =
            chunk.map_err(|_| Error::MalformedRequest("the body could not be read".into()))?;
        if chunk.len() > limit.saturating_sub(body.len()) {
            return Err(body_too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

// SPEC 6: the denial as an actix response (status, Content-Type,
// Retry-After). A status actix cannot represent is answered 500.
fn denial_http_response(answer: &DenialResponse) -> HttpResponse<BoxBody> {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, answer.content_type));
    if let Some(seconds) = answer.retry_after_seconds {
        builder.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    builder.body(answer.body.clone())
}

// ---------------------------------------------------------------- extractors

/// Why an extractor could not give the handler what it asked for: the
/// route is not wrapped by [`KakuninMiddleware`] (500), or the verified body
/// does not have the handler's shape (422). Answered as JSON
/// `{"error","message"}`.
///
/// ```
/// use actix_web::ResponseError;
/// use kakunin_verify::http::actix::ExtractError;
/// assert_eq!(ExtractError::MissingMiddleware.status_code().as_u16(), 500);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// No [`VerifiedAgent`] in the request: a configuration error.
    #[error("no verified agent on this request: the route is not wrapped by KakuninMiddleware")]
    MissingMiddleware,
    /// The verified body does not deserialize into the handler's type.
    #[error(transparent)]
    Shape(#[from] super::JsonBodyError),
}

impl ResponseError for ExtractError {
    fn status_code(&self) -> StatusCode {
        match self {
            ExtractError::MissingMiddleware => StatusCode::INTERNAL_SERVER_ERROR,
            ExtractError::Shape(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let status = self.status_code().as_u16();
        denial_http_response(&DenialResponse::plain(status, &self.to_string()))
    }
}

// The agent the middleware verified; a request it did not pass has none.
fn verified_agent(req: &HttpRequest) -> Result<VerifiedAgent, ExtractError> {
    req.extensions()
        .get::<VerifiedAgent>()
        .cloned()
        .ok_or(ExtractError::MissingMiddleware)
}

/// The agent of a request that passed [`KakuninMiddleware`]; without the
/// middleware, a 500 naming it.
///
/// ```
/// use kakunin_verify::http::VerifiedAgent;
/// async fn handler(agent: VerifiedAgent) -> String {
///     format!("{} {}", agent.agent_id(), agent.scope())
/// }
/// ```
impl FromRequest for VerifiedAgent {
    type Error = ExtractError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(verified_agent(req))
    }
}

/// The **verified canonical body** (SPEC 4.3) deserialized into `T` — never
/// the raw bytes. 422 when it does not fit `T` (or is empty); 500 without
/// [`KakuninMiddleware`].
///
/// ```
/// use kakunin_verify::http::actix::VerifiedJson;
/// #[derive(serde::Deserialize)]
/// struct Order { market: String, size: f64 }
/// async fn trade(VerifiedJson(order): VerifiedJson<Order>) -> String {
///     format!("{} {}", order.market, order.size)
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedJson<T>(pub T);

impl<T> VerifiedJson<T> {
    /// The deserialized value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: serde::de::DeserializeOwned> FromRequest for VerifiedJson<T> {
    type Error = ExtractError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(verified_agent(req).and_then(|agent| Ok(VerifiedJson(agent.json::<T>()?))))
    }
}

// ------------------------------------------------------------------- webhook

/// SPEC 7.3 / 10: an actix resource at `path` that answers Kakunin's
/// revocation webhook on POST: [`webhook_status`] of
/// [`Verifier::apply_revocation_webhook`] with the `X-Kakunin-Signature` and
/// `X-Kakunin-Timestamp` headers (either form; a mixed delivery is refused)
/// and the raw body (at most [`webhook::MAX_BODY_BYTES`]) — 204
/// applied, 401 not authentic, 400 malformed event, 413 too large, 503 not
/// recorded (`Retry-After: 1`, the sender retries). The secret is never
/// logged nor echoed.
///
/// ```no_run
/// use std::sync::Arc;
/// use actix_web::{App, HttpServer};
/// use kakunin_verify::http::actix::webhook_resource;
/// # fn verifier() -> kakunin_verify::Verifier {
/// #     let mut trust = kakunin_verify::chain::TrustStore::new();
/// #     trust.add_roots_pem(include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/p256/root.pem"))).unwrap();
/// #     kakunin_verify::Verifier::builder(trust).audience("api.exchange.example")
/// #         .revocation(kakunin_verify::Revocation::Disabled).build().unwrap()
/// # }
/// # async fn run() -> std::io::Result<()> {
/// let verifier = Arc::new(verifier());
/// let secret: Arc<[u8]> = Arc::from(&b"whsec_from_your_vault"[..]);
/// HttpServer::new(move || {
///     App::new().service(webhook_resource(
///         "/kakunin/webhook",
///         Arc::clone(&verifier),
///         Arc::clone(&secret),
///     ))
/// })
/// .bind(("127.0.0.1", 8080))?
/// .run()
/// .await
/// # }
/// ```
pub fn webhook_resource(
    path: &str,
    verifier: Arc<Verifier>,
    secret: Arc<[u8]>,
) -> actix_web::Resource {
    actix_web::web::resource(path).route(actix_web::web::post().to(
        move |req: HttpRequest, mut payload: actix_web::web::Payload| {
            let verifier = Arc::clone(&verifier);
            let secret = Arc::clone(&secret);
            async move {
                let outcome = receive_webhook(&verifier, &secret, &req, &mut payload).await;
                webhook_response(&outcome)
            }
        },
    ))
}

// SPEC 7.3: header and raw body of one delivery, then the verifier.
async fn receive_webhook(
    verifier: &Verifier,
    secret: &[u8],
    req: &HttpRequest,
    payload: &mut actix_web::web::Payload,
) -> Result<WebhookEvent, WebhookError> {
    let limit = webhook::MAX_BODY_BYTES;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .map(|v| v.as_bytes());
    check_declared_length(declared, limit).map_err(|e| webhook_length_error(&e))?;
    let values = |name| req.headers().get_all(name).map(|v| v.as_bytes());
    let headers = webhook_headers(
        values(WEBHOOK_SIGNATURE_HEADER),
        values(WEBHOOK_TIMESTAMP_HEADER),
    )?;
    let body = read_body(payload, limit)
        .await
        .map_err(|e| webhook_length_error(&e))?;
    verifier
        .apply_revocation_webhook(secret, headers, &body)
        .await
}

// SPEC 7.3: a body over the limit is 413; one that cannot be read is not an
// event.
fn webhook_length_error(e: &Error) -> WebhookError {
    match e.http_status() {
        413 => WebhookError::BodyTooLarge,
        _ => WebhookError::MalformedEvent("the body could not be read"),
    }
}

// SPEC 7.3 / 6: the status, a JSON reason on refusal, `Retry-After: 1` on 503.
fn webhook_response(outcome: &Result<WebhookEvent, WebhookError>) -> HttpResponse<BoxBody> {
    let status = webhook_status(outcome);
    match outcome {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => {
            #[cfg(feature = "tracing")]
            tracing::warn!(status, reason = %e, "kakunin webhook delivery refused");
            let mut answer = DenialResponse::plain(status, &e.to_string());
            if status == 503 {
                answer.retry_after_seconds = Some(1);
            }
            denial_http_response(&answer)
        }
    }
}

// ---------------------------------------------------------------- mutual TLS

/// SPEC 4.6: an `HttpServer::on_connect` callback that takes the agent's TLS
/// client certificate from a rustls connection
/// (`actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>`,
/// as `bind_rustls_0_23` makes) and stores it as the connection's
/// [`PeerCertificate`], which [`KakuninMiddleware`] passes to the verifier.
/// Any other connection (plain TCP) gets none, and its requests need
/// `X-Agent-Certificate`.
///
/// ```no_run
/// use std::sync::Arc;
/// use actix_web::{App, HttpServer};
/// use kakunin_verify::http::actix::{peer_certificate_on_connect, KakuninMiddleware};
/// # async fn run(
/// #     verifier: kakunin_verify::Verifier,
/// #     server_chain: Vec<rustls_pki_types::CertificateDer<'static>>,
/// #     server_key: rustls_pki_types::PrivateKeyDer<'static>,
/// # ) -> Result<(), Box<dyn std::error::Error>> {
/// // The handshake applies the verifier's own roots, intermediates, arc and profile.
/// let tls = verifier.tls_server_config(server_chain, server_key)?;
/// let verifier = Arc::new(verifier);
/// HttpServer::new(move || App::new().wrap(KakuninMiddleware::new(Arc::clone(&verifier))))
///     .on_connect(peer_certificate_on_connect)
///     .bind_rustls_0_23(("127.0.0.1", 8443), tls)?
///     .run()
///     .await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "tls")]
pub fn peer_certificate_on_connect(
    connection: &dyn std::any::Any,
    data: &mut actix_web::dev::Extensions,
) {
    type RustlsStream = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    let leaf = connection
        .downcast_ref::<RustlsStream>()
        .and_then(|stream| crate::tls::peer_certificate(stream.get_ref().1));
    if let Some(der) = leaf {
        data.insert(PeerCertificate::new(der.to_vec()));
    }
}
