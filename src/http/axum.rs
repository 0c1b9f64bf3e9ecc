//! axum / tower integration (feature `axum`): [`KakuninLayer`] verifies
//! every request (SPEC 5.1) before the handler runs, the [`VerifiedAgent`]
//! and [`VerifiedJson`] extractors hand the handler what was verified, and
//! [`webhook_router`] serves Kakunin's revocation webhook (SPEC 7.3). With
//! the `tls` feature, [`serve_tls`] is a small mutual-TLS acceptor that
//! carries the agent's TLS leaf to the layer as a [`PeerCertificate`]
//! request extension (SPEC 4.6).
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{routing::post, Json, Router};
//! use kakunin_verify::http::axum::{KakuninLayer, VerifiedJson};
//! use kakunin_verify::http::VerifiedAgent;
//!
//! #[derive(serde::Deserialize)]
//! struct Order { market: String, size: f64 }
//!
//! async fn submit(agent: VerifiedAgent, VerifiedJson(order): VerifiedJson<Order>) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "agent_id": agent.agent_id(), "market": order.market, "size": order.size }))
//! }
//!
//! # fn build(verifier: Arc<kakunin_verify::Verifier>) -> Router {
//! let app = Router::new()
//!     .route("/v1/trades", post(submit))
//!     .layer(KakuninLayer::new(verifier.clone()))
//!     // the webhook route sits outside the layer: Kakunin signs it with HMAC, not an agent key
//!     .merge(kakunin_verify::http::axum::webhook_router("/kakunin/webhook", verifier, b"whsec_...".to_vec()));
//! # app }
//! ```
//!
//! Where the layer sits: `Router::layer` or `route_layer`, at any depth —
//! under `Router::nest` it reads the full request-target from axum's
//! `OriginalUri`, so the signed target is what the agent sent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::{
    body_too_large, check_declared_length, default_denial_mapper, webhook_headers, webhook_status,
    DenialMapper, DenialResponse, PeerCertificate, VerifiedAgent, WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER,
};
use crate::error::Error;
use crate::verifier::{Denial, HttpRequest, Verifier};

/// The `tower::Layer` that verifies every request with a shared
/// [`Verifier`] (SPEC 5.1) before the inner service sees it.
///
/// On allow, the request goes on with its body restored and a
/// [`VerifiedAgent`] in its extensions; on deny, the layer answers the
/// SPEC 6 status with `{"error": CODE, "message": TEXT}` and `Retry-After:
/// 1` on 503 (or whatever the [`denial mapper`](Self::denial_mapper) says).
/// A `Content-Length` over the verifier's body limit is refused (413)
/// without reading the body; a longer stream is cut at the limit (413).
#[derive(Clone)]
pub struct KakuninLayer {
    verifier: Arc<Verifier>,
    mapper: DenialMapper,
}

impl std::fmt::Debug for KakuninLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KakuninLayer").finish_non_exhaustive()
    }
}

impl KakuninLayer {
    /// A layer over `verifier` with the SPEC 6 denial answers.
    pub fn new(verifier: Arc<Verifier>) -> Self {
        KakuninLayer {
            verifier,
            mapper: default_denial_mapper(),
        }
    }

    /// Answers denials with `mapper` instead (the audit record is written
    /// either way).
    ///
    /// ```no_run
    /// # fn f(v: std::sync::Arc<kakunin_verify::Verifier>) {
    /// use kakunin_verify::http::{axum::KakuninLayer, DenialResponse};
    /// let layer = KakuninLayer::new(v).denial_mapper(|denial| {
    ///     let mut r = DenialResponse::from_denial(denial);
    ///     r.body = format!(r#"{{"code":"{}"}}"#, denial.error.code().as_str()).into_bytes();
    ///     r
    /// });
    /// # }
    /// ```
    pub fn denial_mapper(
        mut self,
        mapper: impl Fn(&Denial) -> DenialResponse + Send + Sync + 'static,
    ) -> Self {
        self.mapper = Arc::new(mapper);
        self
    }
}

impl<S> tower::Layer<S> for KakuninLayer {
    type Service = KakuninService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        KakuninService {
            inner,
            verifier: Arc::clone(&self.verifier),
            mapper: Arc::clone(&self.mapper),
        }
    }
}

/// The service [`KakuninLayer`] wraps around an inner service.
#[derive(Clone)]
pub struct KakuninService<S> {
    inner: S,
    verifier: Arc<Verifier>,
    mapper: DenialMapper,
}

impl<S> std::fmt::Debug for KakuninService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KakuninService").finish_non_exhaustive()
    }
}

/// The boxed future of [`KakuninService`].
pub type ResponseFuture<E> = Pin<Box<dyn Future<Output = Result<Response, E>> + Send>>;

impl<S> tower::Service<Request<Body>> for KakuninService<S>
where
    S: tower::Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this request (tower's rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = Arc::clone(&self.verifier);
        let mapper = Arc::clone(&self.mapper);
        Box::pin(async move {
            match verify(&verifier, req).await {
                Ok(req) => inner.call(req).await,
                Err(denial) => Ok(denial_into_response(&mapper(&denial))),
            }
        })
    }
}

// SPEC 4.2 / 4.4: the request-target exactly as received — axum's
// `OriginalUri` when the router nested or rewrote the URI.
fn original_target(req: &Request<Body>) -> String {
    let uri = req
        .extensions()
        .get::<OriginalUri>()
        .map_or(req.uri(), |o| &o.0);
    uri.path_and_query()
        .map_or_else(String::new, |pq| pq.as_str().to_owned())
}

// SPEC 5.1 through the verifier; the body is read (up to the limit) once and
// handed on.
async fn verify(verifier: &Verifier, req: Request<Body>) -> Result<Request<Body>, Denial> {
    let target = original_target(&req);
    let (mut parts, body) = req.into_parts();
    let limit = verifier.max_body_bytes();
    let early = check_declared_length(
        parts
            .headers
            .get(header::CONTENT_LENGTH)
            .map(HeaderValue::as_bytes),
        limit,
    );
    let bytes = match early {
        Ok(()) => read_body(body, limit).await,
        Err(e) => Err(e),
    };
    let outcome = {
        let pairs: Vec<(&str, &[u8])> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        let peer = parts.extensions.get::<PeerCertificate>();
        let empty = Bytes::new();
        let http_req = HttpRequest {
            method: parts.method.as_str(),
            target: &target,
            headers: &pairs,
            body: bytes.as_ref().unwrap_or(&empty),
            tls_client_certificate: peer.map(PeerCertificate::der),
        };
        match &bytes {
            Ok(_) => verifier.verify(&http_req).await,
            Err(e) => Err(verifier.refuse(&http_req, e.clone())),
        }
    };
    let verified = outcome?;
    parts.extensions.insert(VerifiedAgent::new(verified));
    let body = bytes.map_or_else(|_| Body::empty(), Body::from);
    Ok(Request::from_parts(parts, body))
}

// SPEC 4.3: at most `limit` bytes, with http-body-util's limited collection.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, Error> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(body_too_large()),
        Err(_) => Err(Error::MalformedRequest(
            "the request body could not be read".into(),
        )),
    }
}

/// A [`DenialResponse`] as an axum response.
pub fn denial_into_response(d: &DenialResponse) -> Response {
    let status = StatusCode::from_u16(d.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, d.body.clone()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(d.content_type),
    );
    if let Some(seconds) = d.retry_after_seconds {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn missing_layer() -> Response {
    denial_into_response(&DenialResponse::plain(
        500,
        "this route is not behind KakuninLayer: the request was not verified",
    ))
}

impl<S: Send + Sync> FromRequestParts<S> for VerifiedAgent {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<VerifiedAgent>()
            .cloned()
            .ok_or_else(missing_layer)
    }
}

/// Extracts the **verified** body as `T` (SPEC 4.3): it deserializes the
/// canonical value the signature covers, never the raw bytes. A request
/// that did not pass [`KakuninLayer`] is answered 500; a verified body that
/// does not fit `T`, 422.
#[derive(Debug, Clone)]
pub struct VerifiedJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for VerifiedJson<T> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let agent = parts
            .extensions
            .get::<VerifiedAgent>()
            .ok_or_else(missing_layer)?;
        agent
            .json()
            .map(VerifiedJson)
            .map_err(|e| denial_into_response(&DenialResponse::plain(422, &e.to_string())))
    }
}

/// SPEC 7.3 / 10: a router with `POST {path}` receiving Kakunin's
/// revocation webhooks for `verifier`, in either form (`X-Kakunin-Signature:
/// t=,v1=`, or `X-Kakunin-Timestamp` + `X-Kakunin-Signature: sha256=`; a
/// mixed delivery is refused) — 204 applied, 401 not authentic, 400 malformed
/// event, 503 not recorded (the sender retries). Merge it beside (not
/// under) the [`KakuninLayer`]. The secret is never logged.
pub fn webhook_router<S>(
    path: &str,
    verifier: Arc<Verifier>,
    secret: impl Into<Arc<[u8]>>,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let secret: Arc<[u8]> = secret.into();
    Router::new().route(
        path,
        post(move |headers: HeaderMap, body: Bytes| {
            let verifier = Arc::clone(&verifier);
            let secret = Arc::clone(&secret);
            async move { webhook(&verifier, &secret, &headers, &body).await }
        }),
    )
}

// SPEC 7.3 / 10: each webhook header at most once; the status of the
// outcome, with `Retry-After: 1` on 503 (SPEC 6) so that the sender retries.
async fn webhook(verifier: &Verifier, secret: &[u8], headers: &HeaderMap, body: &[u8]) -> Response {
    let values = |name| headers.get_all(name).into_iter().map(HeaderValue::as_bytes);
    let outcome = match webhook_headers(
        values(WEBHOOK_SIGNATURE_HEADER),
        values(WEBHOOK_TIMESTAMP_HEADER),
    ) {
        Ok(h) => verifier.apply_revocation_webhook(secret, h, body).await,
        Err(e) => Err(e),
    };
    let status = webhook_status(&outcome);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = status.into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(1u32));
    }
    response
}

/// Serves `app` over TLS on `listener` until the task is dropped — SPEC 4.6
/// mutual TLS when `config` requires client certificates (build it with
/// [`crate::tls::server_config`], which refuses agents outside the pinned
/// roots at the handshake). The agent's leaf, when the client presented
/// one, is put into every request's extensions as a [`PeerCertificate`] —
/// taken from the connection, never from a header — for [`KakuninLayer`]
/// to verify with. HTTP/1.1 over tokio-rustls and hyper.
#[cfg(feature = "tls")]
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    app: Router,
) -> std::io::Result<std::convert::Infallible> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let (tcp, _) = listener.accept().await?;
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            // A refused handshake ends the connection here.
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let peer = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(|leaf| PeerCertificate::new(leaf.as_ref()));
            let service =
                hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                    if let Some(peer) = &peer {
                        req.extensions_mut().insert(peer.clone());
                    }
                    tower::ServiceExt::oneshot(app.clone(), req.map(Body::new))
                });
            let io = hyper_util::rt::TokioIo::new(tls);
            // A connection error only ends this connection.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}
