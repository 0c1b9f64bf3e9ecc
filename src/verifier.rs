//! SPEC 5.1: the [`Verifier`], which runs the nine steps in order — the
//! first failing step decides the code — and yields a SPEC 8 audit record
//! for every decision.
//!
//! Cheap checks (headers, target, body, freshness) come before any
//! certificate or signature work, so junk traffic is cheap to refuse. A
//! leaf seen before is not parsed or path-validated again: validated
//! certificates are cached by their SHA-256 fingerprint until the earliest
//! notAfter of their path, and re-checked against the injected clock on
//! every use.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use rustls_pki_types::CertificateDer;

use crate::audit::sink::AuditSink;
use crate::audit::{AuditAction, AuditRecord, RevocationOutcome};
use crate::authorization::{self, ModelInventory, TradeFields};
use crate::canonical::{self, CanonicalBody};
use crate::certificate::profile::{self, ProfileOptions};
use crate::certificate::{AgentCertificate, ExtensionOids, AGENT_URN_PREFIX};
use crate::chain::{self, TrustStore, VerifiedChain};
use crate::clock::{Clock, SystemClock};
use crate::digest::sha256;
use crate::error::{Code, ConfigError, Error};
use crate::ratelimit::{MemoryRateLimiter, RateLimiter};
use crate::replay::{MemoryNonceStore, NonceRecord, NonceStore};
use crate::request::{self, AgentHeaders};
use crate::revocation::cache::{CacheConfig, RevocationCache};
use crate::revocation::RevocationSource;
use crate::routes::RouteTable;
use crate::signature::{self, SigningInput};

mod revocation;

/// SPEC 4.3: default body size limit (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// SPEC 4.5: default oldest accepted timestamp, `now − 60 000 ms`.
pub const DEFAULT_MAX_AGE_MS: u64 = 60_000;
/// SPEC 4.5: default newest accepted timestamp, `now + 5 000 ms`.
pub const DEFAULT_MAX_FUTURE_MS: u64 = 5_000;
/// SPEC 5.7: default risk threshold.
pub const DEFAULT_RISK_THRESHOLD: f64 = 0.85;
/// Default number of validated certificates kept (by fingerprint).
pub const DEFAULT_CERTIFICATE_CACHE_CAPACITY: u64 = 10_000;
/// Longest a validated certificate stays cached, whatever its notAfter:
/// a backstop so that configuration-independent state is refreshed.
pub const MAX_CERTIFICATE_CACHE_TTL: Duration = Duration::from_secs(3600);
/// Largest signature accepted, in bytes (RSA-8192 is 1024).
pub const MAX_SIGNATURE_BYTES: usize = 1024;

/// How revocation is checked (SPEC 7). There is no default: running
/// without revocation is an explicit, named opt-out.
#[derive(Clone)]
pub enum Revocation {
    /// No revocation checking at all (audit records say `not_checked`).
    Disabled,
    /// Ask this source (CRL, OCSP, Kakunin's endpoint).
    Source(Arc<dyn RevocationSource>),
}

impl std::fmt::Debug for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Revocation::Disabled => f.write_str("Revocation::Disabled"),
            Revocation::Source(s) => write!(f, "Revocation::Source({})", s.name()),
        }
    }
}

/// A framework-neutral HTTP request, as the verifier sees it.
///
/// ```
/// use kakunin_verify::verifier::HttpRequest;
/// let headers = [("X-Agent-Audience", &b"api.exchange.example"[..])];
/// let req = HttpRequest::new("GET", "/v1/orderbook", &headers, b"");
/// assert_eq!(req.method, "GET");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method as sent.
    pub method: &'a str,
    /// The request-target in origin form, exactly as received.
    pub target: &'a str,
    /// Every header, name and raw value, in order.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body bytes as sent.
    pub body: &'a [u8],
    /// The TLS client certificate (DER) when the agent connected with mutual
    /// TLS (SPEC 4.6) — from the TLS layer, never from a header.
    pub tls_client_certificate: Option<&'a [u8]>,
}

impl<'a> HttpRequest<'a> {
    /// A request without a TLS client certificate.
    pub fn new(
        method: &'a str,
        target: &'a str,
        headers: &'a [(&'a str, &'a [u8])],
        body: &'a [u8],
    ) -> Self {
        HttpRequest {
            method,
            target,
            headers,
            body,
            tls_client_certificate: None,
        }
    }
}

/// A request that passed all of SPEC 5.1.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    agent_id: String,
    scope: String,
    certificate: Arc<CachedCertificate>,
    body: CanonicalBody,
    audit: AuditRecord,
}

impl VerifiedRequest {
    /// The agent id (from the validated URN).
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }
    /// The agent URN.
    pub fn agent_urn(&self) -> String {
        format!("{AGENT_URN_PREFIX}{}", self.agent_id)
    }
    /// The matched route's scope.
    pub fn scope(&self) -> &str {
        &self.scope
    }
    /// The agent's certificate.
    pub fn certificate(&self) -> &AgentCertificate {
        &self.certificate.cert
    }
    /// The verified body: hand the application this value, never the raw bytes.
    pub fn body(&self) -> &CanonicalBody {
        &self.body
    }
    /// The SPEC 8 audit record of the decision.
    pub fn audit(&self) -> &AuditRecord {
        &self.audit
    }
}

/// A refused request: the SPEC 6 error and the SPEC 8 audit record.
#[derive(Debug, Clone)]
pub struct Denial {
    /// Why.
    pub error: Error,
    /// The audit record of the decision (boxed: denials stay small to move).
    pub audit: Box<AuditRecord>,
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Denial {}

/// A leaf that parsed, chained to a pinned root and passed the profile.
#[derive(Debug)]
pub struct CachedCertificate {
    cert: AgentCertificate,
    chain: VerifiedChain,
    agent_id: String,
    /// `urn:kakunin:agent:{agent_id}`, the rate limiter's key.
    agent_urn: String,
    /// The canonical base64 of the DER, as `X-Agent-Certificate` carries it.
    der_base64: String,
}

/// Builds a [`Verifier`].
///
/// ```
/// use std::sync::Arc;
/// use kakunin_verify::{chain::TrustStore, routes::RouteTable, verifier::{Revocation, Verifier}, ManualClock};
/// let mut trust = TrustStore::new();
/// trust.add_roots_pem(&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/p256/root.pem")).unwrap()).unwrap();
/// let verifier = Verifier::builder(trust)
///     .audience("api.exchange.example")
///     .routes("POST /v1/trades submit_limit_order trade".parse::<RouteTable>().unwrap())
///     .clock(Arc::new(ManualClock::new(1_782_897_300_000)))
///     .revocation(Revocation::Disabled)
///     .build()
///     .unwrap();
/// # let _ = verifier;
/// ```
pub struct VerifierBuilder {
    trust: TrustStore,
    audiences: Vec<String>,
    routes: Option<RouteTable>,
    clock: Arc<dyn Clock>,
    oids: ExtensionOids,
    profile: ProfileOptions,
    max_body_bytes: usize,
    max_age_ms: u64,
    max_future_ms: u64,
    nonce_store: Option<Arc<dyn NonceStore>>,
    rate_limiter: Option<Arc<dyn RateLimiter>>,
    replay_optional_for_safe_methods: bool,
    revocation: Option<Revocation>,
    fail_open: bool,
    whole_chain: bool,
    inventory: Option<ModelInventory>,
    risk_threshold: f64,
    trade_fields: TradeFields,
    cache_capacity: u64,
    revocation_cache: CacheConfig,
    audit_sink: Option<Arc<dyn AuditSink>>,
}

impl VerifierBuilder {
    /// Accepts requests meant for `audience` (SPEC 4.1); repeatable.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }
    /// The route table (SPEC 5.2). Without one, every action is refused.
    pub fn routes(mut self, routes: RouteTable) -> Self {
        self.routes = Some(routes);
        self
    }
    /// The clock every time rule reads (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    /// The Kakunin extension OIDs (default: SPEC 1's arc).
    pub fn extension_oids(mut self, oids: ExtensionOids) -> Self {
        self.oids = oids;
        self
    }
    /// Profile options (validity period bound).
    pub fn profile(mut self, profile: ProfileOptions) -> Self {
        self.profile = profile;
        self
    }
    /// Body size limit (default 1 MiB).
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }
    /// Freshness bounds (default 60 000 ms old, 5 000 ms ahead).
    pub fn freshness(mut self, max_age_ms: u64, max_future_ms: u64) -> Self {
        self.max_age_ms = max_age_ms;
        self.max_future_ms = max_future_ms;
        self
    }
    /// A nonce store (default: in memory, 1 000 000 live nonces, 10 % per agent).
    /// Several verifier instances serving one audience must share one.
    pub fn nonce_store(mut self, store: Arc<dyn NonceStore>) -> Self {
        self.nonce_store = Some(store);
        self
    }
    /// A rate limiter (default: in memory). Shared like the nonce store.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.rate_limiter = Some(limiter);
        self
    }
    /// SPEC 4.5: GET and HEAD requests may then omit the nonce (replay
    /// protection off for them only). Off by default.
    pub fn replay_optional_for_safe_methods(mut self, on: bool) -> Self {
        self.replay_optional_for_safe_methods = on;
        self
    }
    /// The revocation choice (required: [`Revocation::Disabled`] is the named opt-out).
    pub fn revocation(mut self, revocation: Revocation) -> Self {
        self.revocation = Some(revocation);
        self
    }
    /// SPEC 7.1: continue when no revocation answer can be had. Off by
    /// default (fail closed); when on, records still say `unavailable`.
    pub fn fail_open_when_revocation_unavailable(mut self, on: bool) -> Self {
        self.fail_open = on;
        self
    }
    /// SPEC 7.1: check every certificate of the path, not only the leaf.
    pub fn check_whole_chain(mut self, on: bool) -> Self {
        self.whole_chain = on;
        self
    }
    /// SPEC 5.6: an inventory of authorized model hashes.
    pub fn model_inventory(mut self, inventory: ModelInventory) -> Self {
        self.inventory = Some(inventory);
        self
    }
    /// SPEC 5.7: the risk score threshold (default 0.85).
    pub fn risk_threshold(mut self, t: f64) -> Self {
        self.risk_threshold = t;
        self
    }
    /// SPEC 5.3: the body member names of market and size.
    pub fn trade_fields(mut self, fields: TradeFields) -> Self {
        self.trade_fields = fields;
        self
    }
    /// SPEC 7.2 / 7.3: the revocation cache (5 s reuse TTL from the fetch,
    /// 1 s failures, refresh-ahead) and the revoked set. A pushed revocation
    /// is kept at least the longest validity accepted (the profile's
    /// `max_validity_seconds`), whatever `pushed_retention_ms` says.
    pub fn revocation_cache(mut self, config: CacheConfig) -> Self {
        self.revocation_cache = config;
        self
    }
    /// How many validated certificates to keep cached.
    pub fn certificate_cache_capacity(mut self, n: u64) -> Self {
        self.cache_capacity = n;
        self
    }

    /// Sends every decision's SPEC 8 audit record to `sink` (e.g. a
    /// [`JsonLinesSink`](crate::audit::sink::JsonLinesSink) for the
    /// compliance trail). A sink that fails to record an allowed decision
    /// turns it into an `overloaded` denial.
    pub fn audit_sink(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit_sink = Some(sink);
        self
    }

    /// Builds the verifier; refuses a configuration that could not verify safely.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if self.trust.is_empty() {
            return Err(ConfigError::new(
                "no pinned root: the verifier would trust nothing",
            ));
        }
        if self.audiences.is_empty() {
            return Err(ConfigError::new("no audience configured"));
        }
        let revocation = self.revocation.ok_or_else(|| {
            ConfigError::new("choose a revocation source, or Revocation::Disabled explicitly")
        })?;
        if !(self.risk_threshold > 0.0 && self.risk_threshold <= 1.0) {
            return Err(ConfigError::new("risk threshold must be in (0, 1]"));
        }
        let replay = match self.nonce_store {
            Some(s) => Replay::Shared(s),
            None => Replay::Memory(Box::default()),
        };
        let rate = match self.rate_limiter {
            Some(r) => Rate::Shared(r),
            None => Rate::Memory(Box::default()),
        };
        let cert_cache = moka::sync::Cache::builder()
            .max_capacity(self.cache_capacity)
            .expire_after(UntilNotAfter)
            .build();
        let mut cache_config = self.revocation_cache;
        cache_config.pushed_retention_ms = cache_config
            .pushed_retention_ms
            .max(self.profile.max_validity_seconds.saturating_mul(1000));
        let revocation_cache = RevocationCache::new(cache_config, Arc::clone(&self.clock));
        Ok(Verifier {
            revocation_cache,
            trust: self.trust,
            audiences: self.audiences,
            routes: self.routes.unwrap_or_default(),
            clock: self.clock,
            oids: self.oids,
            profile: self.profile,
            max_body_bytes: self.max_body_bytes,
            max_age_ms: self.max_age_ms,
            max_future_ms: self.max_future_ms,
            replay,
            rate,
            replay_optional_for_safe_methods: self.replay_optional_for_safe_methods,
            revocation,
            fail_open: self.fail_open,
            whole_chain: self.whole_chain,
            inventory: self.inventory,
            risk_threshold: self.risk_threshold,
            trade_fields: self.trade_fields,
            cert_cache,
            cert_cache_keys: std::collections::hash_map::RandomState::new(),
            audit_sink: self.audit_sink,
        })
    }
}

/// moka expiry: a cached chain leaves the cache no later than the earliest
/// notAfter of its path (by the system clock; the injected clock is checked
/// on every use as well), and after [`MAX_CERTIFICATE_CACHE_TTL`] at most.
struct UntilNotAfter;

impl moka::Expiry<u64, Arc<CachedCertificate>> for UntilNotAfter {
    fn expire_after_create(
        &self,
        _key: &u64,
        value: &Arc<CachedCertificate>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        let now_ms = SystemClock.now_ms();
        let left = Duration::from_millis(value.chain.not_after_ms().saturating_sub(now_ms));
        Some(left.min(MAX_CERTIFICATE_CACHE_TTL))
    }
}

enum Replay {
    Memory(Box<MemoryNonceStore>),
    Shared(Arc<dyn NonceStore>),
}

enum Rate {
    Memory(Box<MemoryRateLimiter>),
    Shared(Arc<dyn RateLimiter>),
}

/// The request verifier: build once, share (it is `Send + Sync`), call
/// [`Verifier::verify`] for every request.
pub struct Verifier {
    trust: TrustStore,
    audiences: Vec<String>,
    routes: RouteTable,
    clock: Arc<dyn Clock>,
    oids: ExtensionOids,
    profile: ProfileOptions,
    max_body_bytes: usize,
    max_age_ms: u64,
    max_future_ms: u64,
    replay: Replay,
    rate: Rate,
    replay_optional_for_safe_methods: bool,
    revocation: Revocation,
    fail_open: bool,
    whole_chain: bool,
    inventory: Option<ModelInventory>,
    risk_threshold: f64,
    trade_fields: TradeFields,
    cert_cache: moka::sync::Cache<u64, Arc<CachedCertificate>>,
    cert_cache_keys: std::collections::hash_map::RandomState,
    revocation_cache: RevocationCache,
    audit_sink: Option<Arc<dyn AuditSink>>,
}

/// What is known so far about a request, for the audit record.
#[derive(Default)]
struct Trace {
    claimed_agent_id: Option<String>,
    agent_id: Option<String>,
    cert_serial: Option<String>,
    cert_sha256: Option<[u8; 32]>,
    audience: Option<String>,
    scope: Option<String>,
    action: Option<AuditAction>,
    nonce: Option<String>,
    body_sha256: Option<[u8; 32]>,
    signature_valid: Option<bool>,
    scope_check_passed: Option<bool>,
    revocation: RevocationOutcome,
    revocation_source: Option<&'static str>,
    revocation_age_ms: Option<u64>,
    request_timestamp_ms: Option<u64>,
}

impl Verifier {
    /// Starts a builder with the pinned roots (and configured intermediates).
    pub fn builder(trust: TrustStore) -> VerifierBuilder {
        VerifierBuilder {
            trust,
            audiences: Vec::new(),
            routes: None,
            clock: Arc::new(SystemClock),
            oids: ExtensionOids::default(),
            profile: ProfileOptions::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_age_ms: DEFAULT_MAX_AGE_MS,
            max_future_ms: DEFAULT_MAX_FUTURE_MS,
            nonce_store: None,
            rate_limiter: None,
            replay_optional_for_safe_methods: false,
            revocation: None,
            fail_open: false,
            whole_chain: false,
            inventory: None,
            risk_threshold: DEFAULT_RISK_THRESHOLD,
            trade_fields: TradeFields::default(),
            cache_capacity: DEFAULT_CERTIFICATE_CACHE_CAPACITY,
            revocation_cache: CacheConfig::default(),
            audit_sink: None,
        }
    }

    /// Forgets every cached certificate validation: the next request of each
    /// agent parses and path-validates its certificate again (e.g. after the
    /// trust configuration changed, or to measure the cold path).
    pub fn clear_certificate_cache(&self) {
        self.cert_cache.invalidate_all();
    }

    /// The verifier's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The body size limit (SPEC 4.3; default 1 MiB): an HTTP layer refuses
    /// a longer body with `body_too_large` before reading it all.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// SPEC 5.1: verifies one request. Every outcome carries a SPEC 8 audit
    /// record (and reaches the audit sink, when one is configured). With the
    /// feature `tracing`, each verification runs in a `kakunin.verify` span
    /// that records the decision, code, agent and duration.
    pub async fn verify(&self, req: &HttpRequest<'_>) -> Result<VerifiedRequest, Denial> {
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument;
            let span = tracing::info_span!(
                "kakunin.verify",
                method = req.method,
                target_path = req.target,
                decision = tracing::field::Empty,
                code = tracing::field::Empty,
                agent_id = tracing::field::Empty,
                duration_us = tracing::field::Empty,
            );
            let result = self.verify_inner(req).instrument(span.clone()).await;
            let audit = match &result {
                Ok(ok) => ok.audit(),
                Err(denial) => &*denial.audit,
            };
            span.record("decision", audit.decision);
            if let Some(code) = audit.code {
                span.record("code", code.as_str());
            }
            if let Some(agent) = &audit.agent_id {
                span.record("agent_id", agent.as_str());
            }
            span.record("duration_us", audit.duration_us);
            result
        }
        #[cfg(not(feature = "tracing"))]
        self.verify_inner(req).await
    }

    async fn verify_inner(&self, req: &HttpRequest<'_>) -> Result<VerifiedRequest, Denial> {
        let started = Instant::now();
        let now_ms = self.clock.now_ms();
        let mut trace = Trace::default();
        let outcome = self.run(req, now_ms, &mut trace).await;
        let code = outcome.as_ref().err().map(Error::code);
        let audit = self.audit_record(req, trace, code, now_ms, started);
        let (result, audit) = self.record_audit(outcome, audit);
        match result {
            Ok((cached, scope, body)) => Ok(VerifiedRequest {
                agent_id: cached.agent_id.clone(),
                scope,
                certificate: cached,
                body,
                audit,
            }),
            Err(error) => Err(Denial {
                error,
                audit: Box::new(audit),
            }),
        }
    }

    /// Refuses a request before it reaches [`verify`](Self::verify) — e.g. an
    /// HTTP layer answering `body_too_large` on its `Content-Length` without
    /// reading the body — with the audit record every decision has (method
    /// and target only), which goes to the audit sink like any other.
    pub fn refuse(&self, req: &HttpRequest<'_>, error: Error) -> Denial {
        let started = Instant::now();
        let now_ms = self.clock.now_ms();
        let audit = self.audit_record(req, Trace::default(), Some(error.code()), now_ms, started);
        let (result, audit) = self.record_audit::<()>(Err(error), audit);
        let error = match result {
            Err(e) => e,
            Ok(()) => Error::Overloaded("unreachable: a refusal is never allowed".into()),
        };
        Denial {
            error,
            audit: Box::new(audit),
        }
    }

    // SPEC 8: the record of one decision, from what the steps established.
    fn audit_record(
        &self,
        req: &HttpRequest<'_>,
        trace: Trace,
        code: Option<Code>,
        now_ms: u64,
        started: Instant,
    ) -> AuditRecord {
        let allowed = code.is_none();
        AuditRecord {
            event_type: if allowed {
                "action.allowed"
            } else {
                "action.denied"
            },
            decision: if allowed { "allow" } else { "deny" },
            code,
            http_status: code.map_or(200, Code::http_status),
            agent_id: trace.agent_id,
            claimed_agent_id: trace.claimed_agent_id,
            cert_serial: trace.cert_serial,
            cert_sha256: trace.cert_sha256.map(|h| crate::hex::encode(&h)),
            audience: trace.audience,
            method: Some(req.method.to_owned()),
            target: Some(req.target.to_owned()),
            scope: trace.scope,
            action: trace.action,
            nonce: trace.nonce,
            body_sha256: trace.body_sha256.map(|h| crate::hex::encode(&h)),
            signature_valid: trace.signature_valid,
            scope_check_passed: trace.scope_check_passed,
            revocation: trace.revocation,
            revocation_source: trace.revocation_source,
            revocation_age_ms: trace.revocation_age_ms,
            request_timestamp_ms: trace.request_timestamp_ms,
            verified_at: crate::time::rfc3339_millis(now_ms),
            duration_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        }
    }

    // SPEC 8: every decision's record to the sink; an allowed decision the
    // trail cannot show is denied instead (fail closed), and that denial is
    // offered to the sink in turn.
    fn record_audit<T>(
        &self,
        result: Result<T, Error>,
        mut audit: AuditRecord,
    ) -> (Result<T, Error>, AuditRecord) {
        let Some(sink) = &self.audit_sink else {
            return (result, audit);
        };
        match sink.record(&audit) {
            Ok(()) => (result, audit),
            Err(_) if result.is_err() => (result, audit),
            Err(_) => {
                let error = Error::Overloaded("the audit trail could not be written".into());
                audit.event_type = "action.denied";
                audit.decision = "deny";
                audit.code = Some(error.code());
                audit.http_status = error.http_status();
                // Best effort: the sink just failed once.
                let _ = sink.record(&audit);
                (Err(error), audit)
            }
        }
    }

    async fn run(
        &self,
        req: &HttpRequest<'_>,
        now_ms: u64,
        trace: &mut Trace,
    ) -> Result<(Arc<CachedCertificate>, String, CanonicalBody), Error> {
        // Step 1 (SPEC 5.1, 1.1 order): every malformed_request rule of 4.1
        // (each header's syntax and canonical base64, each X-Agent-Chain
        // element, presence, Content-Type); then the audience; then the
        // target; then the body.
        let headers = AgentHeaders::parse(req.headers.iter().map(|(n, v)| (*n, *v)))?;
        let parts = self.required_headers(req, &headers)?;
        trace.audience = Some(parts.audience.to_owned());
        trace.nonce = headers.nonce.map(str::to_owned);
        trace.request_timestamp_ms = Some(parts.timestamp_ms);
        request::check_content_type(headers.content_type, req.body)?;
        let presented_chain = headers.chain.map(request::decode_chain).transpose()?;
        // SPEC 4.1: the certificate and signature headers are canonical base64
        // (a certificate seen before is recognised without decoding it).
        let leaf = self.presented_leaf(Presented::of(req, &headers)?, now_ms)?;
        let sig = request::decode_base64(parts.signature)?;
        self.check_audience(parts.audience)?;
        let path = request::check_target(req.target)?;
        let body = self.check_body(req.body)?;
        let body_sha256 = sha256(body.canonical_bytes());
        trace.body_sha256 = Some(body_sha256);

        // Step 2: freshness.
        self.check_freshness(parts.timestamp_ms, now_ms)?;

        // Steps 3-5: the leaf, its chain and its profile (cached).
        let cached = match leaf {
            Leaf::Cached(hit) => {
                trace.claimed_agent_id = Some(hit.agent_id.clone());
                trace.cert_serial = Some(hit.cert.serial_hex().to_owned());
                hit
            }
            Leaf::New { der, key } => {
                self.validate_leaf(&der, key, presented_chain, now_ms, trace)?
            }
        };
        let cert_sha256 = *cached.cert.sha256();
        trace.cert_sha256 = Some(cert_sha256);
        trace.agent_id = Some(cached.agent_id.clone());

        // Step 6: signature.
        let algorithm = signature::choose_algorithm(cached.cert.key_algorithm(), headers.algorithm)
            .inspect_err(|_| trace.signature_valid = Some(false))?;
        if sig.len() > MAX_SIGNATURE_BYTES {
            trace.signature_valid = Some(false);
            return Err(Error::SignatureInvalid("the signature is too long".into()));
        }
        let mut input = Vec::new();
        SigningInput {
            audience: parts.audience,
            method: req.method,
            target: req.target,
            timestamp: parts.timestamp,
            nonce: headers.nonce.unwrap_or(""),
            cert_sha256: &cert_sha256,
            body_sha256: &body_sha256,
            model_sha256: headers.model_sha256.unwrap_or(""),
            prompt_sha256: headers.prompt_sha256.unwrap_or(""),
        }
        .write_to(&mut input);
        let verified =
            signature::verify_signature(algorithm, cached.cert.public_key(), &input, &sig);
        trace.signature_valid = Some(verified.is_ok());
        verified?;

        // Step 7: revocation (only after the signature verified).
        self.check_revocation(&cached, now_ms, trace).await?;

        // Step 8: replay.
        if let Some(nonce) = headers.nonce {
            let keep_until = parts.timestamp_ms.saturating_add(self.max_age_ms);
            let record = NonceRecord {
                agent_urn: &cached.agent_urn,
                cert_sha256: &cert_sha256,
                nonce,
                keep_until_ms: keep_until,
            };
            self.record_nonce(record, now_ms).await?;
        }

        // Step 9: authorization.
        let scope = self
            .authorize(req, path, &headers, &body, &cached, now_ms, trace)
            .await;
        trace.scope_check_passed = Some(scope.is_ok());
        Ok((cached, scope?, body))
    }

    // SPEC 4.1 / 4.5 / 4.6: required headers are present.
    fn required_headers<'h>(
        &self,
        req: &HttpRequest<'_>,
        h: &AgentHeaders<'h>,
    ) -> Result<RequiredParts<'h>, Error> {
        let missing =
            |name: &'static str| Error::MalformedRequest(format!("{name} is missing").into());
        if h.certificate.is_none() && req.tls_client_certificate.is_none() {
            return Err(missing("X-Agent-Certificate"));
        }
        let audience = h.audience.ok_or_else(|| missing("X-Agent-Audience"))?;
        let timestamp = h.timestamp.ok_or_else(|| missing("X-Agent-Timestamp"))?;
        let signature = h.signature.ok_or_else(|| missing("X-Agent-Signature"))?;
        let safe = req.method == "GET" || req.method == "HEAD";
        if h.nonce.is_none() && !(safe && self.replay_optional_for_safe_methods) {
            return Err(missing("X-Agent-Nonce"));
        }
        Ok(RequiredParts {
            audience,
            timestamp,
            timestamp_ms: h.timestamp_ms()?,
            signature,
        })
    }

    // SPEC 4.1: the audience must be one the verifier is configured with.
    fn check_audience(&self, audience: &str) -> Result<(), Error> {
        if !self.audiences.iter().any(|a| a == audience) {
            return Err(Error::AudienceMismatch(
                "the request was signed for another audience".into(),
            ));
        }
        Ok(())
    }

    // SPEC 4.3: size limit, then the canonical form.
    fn check_body(&self, body: &[u8]) -> Result<CanonicalBody, Error> {
        if body.len() > self.max_body_bytes {
            return Err(Error::BodyTooLarge(
                "the body exceeds the verifier's limit".into(),
            ));
        }
        canonical::canonicalize(body)
    }

    // SPEC 4.5: now − max_age ≤ timestamp ≤ now + max_future.
    fn check_freshness(&self, timestamp_ms: u64, now_ms: u64) -> Result<(), Error> {
        if timestamp_ms < now_ms.saturating_sub(self.max_age_ms) {
            return Err(Error::TimestampExpired(
                "the request timestamp is too old".into(),
            ));
        }
        if timestamp_ms > now_ms.saturating_add(self.max_future_ms) {
            return Err(Error::TimestampInFuture(
                "the request timestamp is in the future".into(),
            ));
        }
        Ok(())
    }

    /// The certificate cache's key: a keyed (per-process random) hash of
    /// the presented certificate's length and last bytes — its signature, so
    /// distinct certificates differ there. A hit is confirmed by comparing
    /// the whole presented certificate, so a collision only costs a miss;
    /// a cached request thus skips the base64 decode and the SHA-256 of the
    /// certificate, which the entry already holds.
    fn cache_key(&self, presented: &Presented<'_>) -> u64 {
        use std::hash::BuildHasher;
        let (tag, bytes) = match presented {
            Presented::Header { base64, .. } => (0u8, base64.as_bytes()),
            Presented::Tls { der, .. } => (1u8, *der),
        };
        let tail = bytes
            .get(bytes.len().saturating_sub(CACHE_KEY_TAIL_BYTES)..)
            .unwrap_or(bytes);
        self.cert_cache_keys.hash_one((tag, bytes.len(), tail))
    }

    // SPEC 5.1 steps 3-5 are cached by the presented certificate (and so by
    // its SHA-256 fingerprint, which the entry holds) until the path's
    // earliest notAfter, and re-checked against the injected clock on every
    // use. A miss decodes the certificate here, at step 1 (SPEC 4.1).
    fn presented_leaf<'p>(&self, presented: Presented<'p>, now_ms: u64) -> Result<Leaf<'p>, Error> {
        let key = self.cache_key(&presented);
        if let Some(hit) = self.cert_cache.get(&key) {
            if presented.matches(&hit)? && hit.chain.is_valid_at(now_ms) {
                return Ok(Leaf::Cached(hit));
            }
        }
        Ok(Leaf::New {
            der: presented.der()?,
            key,
        })
    }

    // SPEC 5.1 steps 3-5 for a certificate not (or no longer) cached.
    fn validate_leaf(
        &self,
        leaf_der: &[u8],
        key: u64,
        presented_chain: Option<Vec<Vec<u8>>>,
        now_ms: u64,
        trace: &mut Trace,
    ) -> Result<Arc<CachedCertificate>, Error> {
        // Step 3: the leaf parses.
        let cert = AgentCertificate::from_der(leaf_der, &self.oids)?;
        trace.cert_sha256 = Some(*cert.sha256());
        trace.claimed_agent_id = cert.claimed_agent_id().map(str::to_owned);
        trace.cert_serial = Some(cert.serial_hex().to_owned());
        // Step 4: validity, then the chain.
        let presented_chain: Vec<CertificateDer<'_>> = presented_chain
            .unwrap_or_default()
            .into_iter()
            .map(CertificateDer::from)
            .collect();
        let chain = chain::verify_chain(&self.trust, &cert, &presented_chain, now_ms)?;
        // Step 5: profile and extensions.
        profile::check_profile(&cert, &self.profile)?;
        let agent_id = cert.agent_id()?.to_owned();
        let cached = Arc::new(CachedCertificate {
            agent_urn: format!("{AGENT_URN_PREFIX}{agent_id}"),
            der_base64: base64::engine::general_purpose::STANDARD.encode(cert.der()),
            cert,
            chain,
            agent_id,
        });
        self.cert_cache.insert(key, Arc::clone(&cached));
        Ok(cached)
    }

    // SPEC 4.5 / 5.1 step 8: the agent's share counted by its URN.
    async fn record_nonce(&self, record: NonceRecord<'_>, now_ms: u64) -> Result<(), Error> {
        match &self.replay {
            Replay::Memory(m) => m.check_and_record_now(&record, now_ms),
            Replay::Shared(s) => s.check_and_record(record, now_ms).await,
        }
    }

    // SPEC 5.1 step 9, in order.
    #[allow(clippy::too_many_arguments)]
    async fn authorize(
        &self,
        req: &HttpRequest<'_>,
        path: &str,
        h: &AgentHeaders<'_>,
        body: &CanonicalBody,
        cached: &CachedCertificate,
        now_ms: u64,
        trace: &mut Trace,
    ) -> Result<String, Error> {
        let policy = authorization::require_policy(&cached.cert)?;
        let route = authorization::find_route(&self.routes, req.method, path)?;
        trace.scope = Some(route.scope.clone());
        authorization::check_scope(policy, route)?;
        let provenance = cached.cert.provenance().as_result()?;
        authorization::check_provenance(
            provenance,
            self.inventory.as_ref(),
            h.model_sha256,
            h.prompt_sha256,
        )?;
        let trade = authorization::read_trade_fields(body, &self.trade_fields, route.trade)?;
        if trade.market.is_some() || trade.size_text.is_some() {
            trace.action = Some(AuditAction {
                market: trade.market.map(str::to_owned),
                size: trade.size_text.map(str::to_owned),
            });
        }
        authorization::check_market(policy, trade.market)?;
        authorization::check_size(policy, trade.size_text)?;
        if route.resource {
            authorization::check_data_path(policy, req.method, path)?;
        }
        authorization::check_hours(policy, now_ms)?;
        if let Some(rl) = policy.rate_limit {
            let urn = cached.agent_urn.as_str();
            let period_ms = rl.period_seconds.saturating_mul(1000);
            match &self.rate {
                Rate::Memory(m) => m.try_acquire_now(urn, rl.max_actions, period_ms, now_ms)?,
                Rate::Shared(s) => {
                    s.try_acquire(urn, rl.max_actions, period_ms, now_ms)
                        .await?
                }
            }
        }
        Ok(route.scope.clone())
    }
}

/// The leaf after step 1: validated before (cached), or its DER to validate.
enum Leaf<'a> {
    Cached(Arc<CachedCertificate>),
    New {
        der: std::borrow::Cow<'a, [u8]>,
        key: u64,
    },
}

/// How many trailing bytes of a presented certificate key the cache.
const CACHE_KEY_TAIL_BYTES: usize = 64;

/// The leaf as presented: the `X-Agent-Certificate` header, or the TLS
/// client certificate (SPEC 4.6) with the header it may also carry.
enum Presented<'a> {
    Header {
        base64: &'a str,
    },
    Tls {
        der: &'a [u8],
        header: Option<&'a str>,
    },
}

impl<'a> Presented<'a> {
    // SPEC 4.1 / 4.6: the TLS certificate when there is one, else the header.
    fn of(req: &HttpRequest<'a>, h: &AgentHeaders<'a>) -> Result<Self, Error> {
        match (req.tls_client_certificate, h.certificate) {
            (Some(der), header) => Ok(Presented::Tls { der, header }),
            (None, Some(base64)) => Ok(Presented::Header { base64 }),
            (None, None) => Err(Error::MalformedRequest(
                "X-Agent-Certificate is missing".into(),
            )),
        }
    }

    /// Whether a cache entry is this very certificate. SPEC 4.6: a header
    /// beside a TLS certificate must name the same certificate.
    fn matches(&self, entry: &CachedCertificate) -> Result<bool, Error> {
        match self {
            Presented::Header { base64 } => Ok(entry.der_base64 == *base64),
            Presented::Tls { der, header } => {
                if entry.cert.der() != *der {
                    return Ok(false);
                }
                match header {
                    Some(h) if *h != entry.der_base64 => Err(tls_header_mismatch()),
                    _ => Ok(true),
                }
            }
        }
    }

    /// The DER (decoding the header; checking it against the TLS certificate).
    fn der(&self) -> Result<std::borrow::Cow<'a, [u8]>, Error> {
        match self {
            Presented::Header { base64 } => Ok(request::decode_base64(base64)?.into()),
            Presented::Tls { der, header } => {
                if let Some(h) = header {
                    if request::decode_base64(h)? != *der {
                        return Err(tls_header_mismatch());
                    }
                }
                Ok(std::borrow::Cow::Borrowed(der))
            }
        }
    }
}

fn tls_header_mismatch() -> Error {
    Error::MalformedRequest("X-Agent-Certificate differs from the TLS client certificate".into())
}

struct RequiredParts<'h> {
    audience: &'h str,
    timestamp: &'h str,
    timestamp_ms: u64,
    signature: &'h str,
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Verifier>();
}

#[allow(dead_code)]
fn _b64_engine_is_strict() -> bool {
    base64::engine::general_purpose::STANDARD
        .decode("AAF=")
        .is_err()
}
