//! SPEC 5.1: the [`Verifier`], which runs the nine steps in order — the
//! first failing step decides the code — and yields a SPEC 8 audit record
//! for every decision.
//!
//! Cheap checks (headers, target, body, freshness) come before any
//! certificate or signature work, so junk traffic is cheap to refuse. A
//! leaf seen before is not parsed or path-validated again: validated
//! certificates are cached, keyed by the certificate as presented, until
//! the earliest notAfter of their path and for at most
//! [`MAX_CERTIFICATE_CACHE_TTL`], both by the injected clock, which every
//! use re-checks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::audit::sink::AuditSink;
use crate::audit::{AuditAction, AuditRecord, AuditText};
use crate::authorization::{self, ModelInventory, TradeFields};
use crate::canonical::CanonicalBody;
use crate::certificate::profile::ProfileOptions;
use crate::certificate::ExtensionOids;
use crate::chain::TrustStore;
use crate::clock::Clock;
use crate::error::Error;
use crate::replay::NonceRecord;
use crate::revocation::cache::RevocationCache;
use crate::routes::RouteTable;
use crate::stores::nonce::PreparedAgent;

mod audit_trail;
mod authenticate;
mod builder;
mod cert_cache;
mod leaf;
mod limits;
mod outcome;
mod revocation;

pub use builder::VerifierBuilder;
pub use outcome::{CachedCertificate, Denial, HttpRequest, Revocation, VerifiedRequest};

use authenticate::Authenticated;
use builder::{Daily, Rate, Replay};
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
/// Longest a validated certificate stays cached, whatever its notAfter (by
/// the verifier's clock): a backstop so that configuration-independent
/// state is refreshed.
pub const MAX_CERTIFICATE_CACHE_TTL: Duration = Duration::from_secs(3600);
/// Largest signature accepted, in bytes (RSA-8192 is 1024).
pub const MAX_SIGNATURE_BYTES: usize = 1024;

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
    cert_cache: cert_cache::CertificateCache,
    cert_cache_keys: crate::keyed::FastState,
    revocation_cache: RevocationCache,
    audit_sink: Option<Arc<dyn AuditSink>>,
}

impl Verifier {
    /// Forgets every cached certificate validation: the next request of each
    /// agent parses and path-validates its certificate again (e.g. after the
    /// trust configuration changed, or to measure the cold path). The
    /// entries are dropped before it returns.
    pub fn clear_certificate_cache(&self) {
        self.cert_cache.clear();
    }

    /// How many validated certificates are cached now: at most
    /// [`VerifierBuilder::certificate_cache_capacity`] (default
    /// [`DEFAULT_CERTIFICATE_CACHE_CAPACITY`]), a figure to export as a
    /// gauge beside the request counters.
    pub fn cached_certificates(&self) -> usize {
        self.cert_cache.len()
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
        crate::tls::server_config_with(
            self.trust.crypto_backend(),
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
        let mut audit = AuditRecord::default();
        let (outcome, daily_charge) = match self.run(req, now_ms, &mut audit).await {
            Ok((cached, body, charge)) => (Ok((cached, body)), charge),
            Err(error) => (Err(error), None),
        };
        let code = outcome.as_ref().err().map(Error::code);
        self.conclude_record(&mut audit, req, code, now_ms, started);
        let result = self.record_audit(outcome, &mut audit);
        if let (Err(_), Some(charge)) = (&result, daily_charge) {
            // SPEC 5.3 (1.2): only allowed trades count.
            self.refund_daily(charge).await;
        }
        match result {
            Ok((cached, body)) => Ok(VerifiedRequest {
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
        record: &mut AuditRecord,
    ) -> Result<Allowed, Error> {
        // Steps 1-6 (no I/O): form, freshness, leaf, signature.
        let signed = self.authenticate(req, now_ms, record)?;
        let cached = &signed.certificate;

        // Step 7: revocation (only after the signature verified).
        self.check_revocation(cached, now_ms, record).await?;

        // Step 8: replay.
        if let Some(nonce) = signed.headers.nonce {
            let record = NonceRecord {
                agent_urn: &cached.agent_urn,
                cert_sha256: cached.cert.sha256(),
                nonce,
                keep_until_ms: signed.timestamp_ms.saturating_add(self.max_age_ms),
            };
            self.record_nonce(record, cached.nonce_agent, now_ms)
                .await?;
        }

        // Step 9: authorization.
        let charge = self.authorize(req, &signed, now_ms, record).await;
        record.scope_check_passed = Some(charge.is_ok());
        let daily_charge = charge?;
        Ok((signed.certificate, signed.body, daily_charge))
    }

    // SPEC 4.5 / 5.1 step 8: the agent's share counted by its URN.
    // The in-memory store takes the agent's key it prepared when the
    // certificate was cached.
    async fn record_nonce(
        &self,
        record: NonceRecord<'_>,
        agent: Option<PreparedAgent>,
        now_ms: u64,
    ) -> Result<(), Error> {
        match &self.replay {
            Replay::Memory(m) => match agent {
                Some(agent) => m.check_and_record_prepared(agent, &record, now_ms),
                None => m.check_and_record_now(&record, now_ms),
            },
            Replay::Shared(s) => s.check_and_record(record, now_ms).await,
        }
    }

    // SPEC 5.1 step 9, in order; a trade counted in its agent's daily total
    // comes back with its charge, taken back if the decision ends denied.
    async fn authorize(
        &self,
        req: &HttpRequest<'_>,
        signed: &Authenticated<'_>,
        now_ms: u64,
        record: &mut AuditRecord,
    ) -> Result<Option<DailyCharge>, Error> {
        let (path, h, body) = (signed.path, &signed.headers, &signed.body);
        let cached = &signed.certificate;
        let policy = authorization::require_policy(&cached.cert)?;
        let route = authorization::find_route(&self.routes, req.method, path)?;
        record.scope = Some(AuditText::from(route.scope.as_str()));
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
            record.action = Some(AuditAction {
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
        Ok(charge)
    }
}

/// What [`Verifier::run`] hands back for an allowed request: the certificate,
/// the body, and the daily-limit charge to take back if the
/// decision still ends denied (SPEC 5.3, 1.2).
type Allowed = (Arc<CachedCertificate>, CanonicalBody, Option<DailyCharge>);

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Verifier>();
}
