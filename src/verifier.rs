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

use crate::audit::sink::AuditSink;
use crate::audit::{AuditAction, AuditText};
use crate::authorization::{self, ModelInventory, TradeFields};
use crate::canonical::{self, CanonicalBody};
use crate::certificate::profile::ProfileOptions;
use crate::certificate::ExtensionOids;
use crate::chain::TrustStore;
use crate::clock::Clock;
use crate::digest::sha256;
use crate::error::Error;
use crate::replay::NonceRecord;
use crate::request::{self, AgentHeaders};
use crate::revocation::cache::RevocationCache;
use crate::routes::RouteTable;
use crate::signature::{self, SigningInput};

mod audit_trail;
mod builder;
mod leaf;
mod limits;
mod outcome;
mod revocation;

pub use builder::VerifierBuilder;
pub use outcome::{CachedCertificate, Denial, HttpRequest, Revocation, VerifiedRequest};

use audit_trail::Trace;
use builder::{Daily, Rate, Replay};
use leaf::{Leaf, Presented};
use limits::DailyCharge;

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
/// Signing inputs up to this size are built on the stack. The input is
/// bounded (SPEC 4.4: ten lines, of which the audience and the nonce are
/// header values, the target at most `MAX_TARGET_BYTES`, the rest fixed-size
/// hashes and a timestamp), but a 16 KiB audience header could make it
/// ~25 KiB: a longer input goes to the heap rather than a large stack frame.
const SIGNING_INPUT_STACK_BYTES: usize = 1024;

/// The request verifier: build once, share (it is `Send + Sync`), call
/// [`Verifier::verify`] for every request.
pub struct Verifier {
    trust: TrustStore,
    audiences: Vec<String>,
    routes: RouteTable,
    clock: Arc<dyn Clock>,
    oids: ExtensionOids,
    profile: ProfileOptions,
    cert_profile: Option<Arc<dyn crate::certificate::CertificateProfile>>,
    max_body_bytes: usize,
    max_age_ms: u64,
    max_future_ms: u64,
    replay: Replay,
    rate: Rate,
    daily: Daily,
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

impl Verifier {
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

    /// SPEC 4.6: a mutual-TLS `rustls::ServerConfig` whose handshake applies
    /// this verifier's own configuration — its pinned roots and configured
    /// intermediates, Kakunin extension arc and profile — so the handshake
    /// refuses the leaves [`verify`](Self::verify) would refuse for their
    /// certificate. `cert_chain`/`key` are the server's identity; the system
    /// clock checks validity during the handshake (every request is then
    /// verified at the verifier's clock). Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn tls_server_config(
        &self,
        cert_chain: Vec<rustls_pki_types::CertificateDer<'static>>,
        key: rustls_pki_types::PrivateKeyDer<'static>,
    ) -> Result<rustls::ServerConfig, crate::error::ConfigError> {
        let verifier = self.tls_client_cert_verifier()?;
        crate::tls::server_config_for(
            verifier,
            cert_chain,
            key,
            Arc::new(rustls::time_provider::DefaultTimeProvider),
        )
    }

    /// SPEC 4.6: the client-certificate verifier of
    /// [`tls_server_config`](Self::tls_server_config) — this verifier's
    /// roots, intermediates, extension arc, profile options and, when
    /// configured, the `kakunin-2026` profile (SPEC 10). Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn tls_client_cert_verifier(
        &self,
    ) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, crate::error::ConfigError>
    {
        crate::tls::client_cert_verifier_for(
            &self.trust,
            self.oids,
            self.profile,
            self.cert_profile.clone(),
        )
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
        let (outcome, daily_charge) = match self.run(req, now_ms, &mut trace).await {
            Ok((cached, scope, body, charge)) => (Ok((cached, scope, body)), charge),
            Err(error) => (Err(error), None),
        };
        let code = outcome.as_ref().err().map(Error::code);
        let audit = self.audit_record(req, trace, code, now_ms, started);
        let (result, audit) = self.record_audit(outcome, audit);
        if let (Err(_), Some(charge)) = (&result, daily_charge) {
            // SPEC 5.3 (1.2): only allowed trades count.
            self.refund_daily(charge).await;
        }
        match result {
            Ok((cached, scope, body)) => Ok(VerifiedRequest {
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

    async fn run(
        &self,
        req: &HttpRequest<'_>,
        now_ms: u64,
        trace: &mut Trace,
    ) -> Result<Allowed, Error> {
        // Step 1 (SPEC 5.1, 1.1 order): every malformed_request rule of 4.1
        // (each header's syntax and canonical base64, each X-Agent-Chain
        // element, presence, Content-Type); then the audience; then the
        // target; then the body.
        let headers = AgentHeaders::parse(req.headers.iter().map(|(n, v)| (*n, *v)))?;
        let parts = self.required_headers(req, &headers)?;
        trace.audience = Some(AuditText::from(parts.audience));
        trace.nonce = headers.nonce.map(AuditText::from);
        trace.request_timestamp_ms = Some(parts.timestamp_ms);
        request::check_content_type(headers.content_type, req.body)?;
        let presented_chain = headers.chain.map(request::decode_chain).transpose()?;
        // SPEC 4.1: the certificate and signature headers are canonical base64
        // (a certificate seen before is recognised without decoding it).
        let leaf = self.presented_leaf(Presented::of(req, &headers)?, now_ms)?;
        let mut sig_buffer = [0u8; MAX_SIGNATURE_BYTES];
        let sig = request::decode_base64_into(parts.signature, &mut sig_buffer)?;
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
                trace.claimed_agent_id = Some(AuditText::from(hit.agent_id.as_str()));
                trace.cert_serial = Some(AuditText::from(hit.cert.serial_hex()));
                hit
            }
            Leaf::New { der, key } => {
                self.validate_leaf(&der, key, presented_chain, now_ms, trace)?
            }
        };
        let cert_sha256 = *cached.cert.sha256();
        trace.cert_sha256 = Some(cert_sha256);
        trace.agent_id = Some(AuditText::from(cached.agent_id.as_str()));

        // Step 6: signature.
        let algorithm = signature::choose_algorithm(cached.cert.key_algorithm(), headers.algorithm)
            .inspect_err(|_| trace.signature_valid = Some(false))?;
        let sig = sig.as_bytes();
        if sig.len() > MAX_SIGNATURE_BYTES {
            trace.signature_valid = Some(false);
            return Err(Error::SignatureInvalid("the signature is too long".into()));
        }
        let mut stack = [0u8; SIGNING_INPUT_STACK_BYTES];
        let mut heap = Vec::new();
        let input = SigningInput {
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
        .write_to_buffer(&mut stack, &mut heap);
        let verified = cached.verify_signature(algorithm, input, sig);
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
        let (scope, daily_charge) = scope?;
        Ok((cached, scope, body, daily_charge))
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

    // SPEC 4.5 / 5.1 step 8: the agent's share counted by its URN.
    async fn record_nonce(&self, record: NonceRecord<'_>, now_ms: u64) -> Result<(), Error> {
        match &self.replay {
            Replay::Memory(m) => m.check_and_record_now(&record, now_ms),
            Replay::Shared(s) => s.check_and_record(record, now_ms).await,
        }
    }

    // SPEC 5.1 step 9, in order; a trade counted in its agent's daily total
    // comes back with its charge, taken back if the decision ends denied.
    #[allow(clippy::too_many_arguments)]
    async fn authorize(
        &self,
        req: &HttpRequest<'_>,
        path: &str,
        h: &AgentHeaders<'_>,
        body: &CanonicalBody,
        cached: &Arc<CachedCertificate>,
        now_ms: u64,
        trace: &mut Trace,
    ) -> Result<(AuditText, Option<DailyCharge>), Error> {
        let policy = authorization::require_policy(&cached.cert)?;
        let route = authorization::find_route(&self.routes, req.method, path)?;
        let scope = AuditText::from(route.scope.as_str());
        trace.scope = Some(scope.clone());
        authorization::check_scope(policy, route)?;
        authorization::check_venue(policy)?;
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
                market: trade.market.map(AuditText::from),
                size: trade.size_text.map(AuditText::from),
            });
        }
        authorization::check_market(policy, trade.market)?;
        let size = authorization::check_size(policy, trade.size_text)?;
        authorization::check_leverage(policy, body, &self.trade_fields, route.trade)?;
        if route.resource {
            authorization::check_data_path(policy, req.method, path)?;
        }
        authorization::check_hours(policy, now_ms)?;
        let charge = self
            .add_to_daily_total(policy, route.trade, size, cached, now_ms)
            .await?;
        let urn = cached.agent_urn.as_str();
        if let Err(denied) = self.acquire_rate(policy, urn, now_ms).await {
            if let Some(charge) = charge {
                self.refund_daily(charge).await;
            }
            return Err(denied);
        }
        Ok((scope, charge))
    }
}

/// What [`Verifier::run`] hands back for an allowed request: the certificate,
/// the route's scope, the body, and the daily-limit charge to take back if the
/// decision still ends denied (SPEC 5.3, 1.2).
type Allowed = (
    Arc<CachedCertificate>,
    AuditText,
    CanonicalBody,
    Option<DailyCharge>,
);

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
