//! SPEC 5.1's configuration: [`VerifierBuilder`] and the checks that
//! refuse a verifier that could not verify safely.

use std::sync::Arc;

use super::{
    Revocation, Verifier, DEFAULT_CERTIFICATE_CACHE_CAPACITY, DEFAULT_MAX_AGE_MS,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_FUTURE_MS, DEFAULT_RISK_THRESHOLD,
};
use crate::audit::sink::AuditSink;
use crate::authorization::{ModelInventory, TradeFields};
use crate::certificate::profile::ProfileOptions;
use crate::certificate::{CertificateProfile, ExtensionOids};
use crate::chain::TrustStore;
use crate::clock::{Clock, SystemClock};
use crate::crypto::CryptoBackend;
use crate::error::ConfigError;
use crate::ratelimit::{MemoryRateLimiter, RateLimiter};
use crate::replay::{MemoryNonceStore, NonceStore};
use crate::revocation::cache::{CacheConfig, RevocationCache};
use crate::routes::RouteTable;
use crate::stores::daily::{DailyLimiter, MemoryDailyLimiter};
use crate::stores::revoked::SharedRevokedSet;

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
    cert_profile: Option<Arc<dyn CertificateProfile>>,
    max_body_bytes: usize,
    max_age_ms: u64,
    max_future_ms: u64,
    nonce_store: Option<Arc<dyn NonceStore>>,
    rate_limiter: Option<Arc<dyn RateLimiter>>,
    daily_limiter: Option<Arc<dyn DailyLimiter>>,
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
    shared_revoked: Option<Arc<dyn SharedRevokedSet>>,
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
    /// The crypto backend of request signatures, path signatures and the
    /// mutual-TLS handshake. Sets the trust store's backend
    /// ([`TrustStore::set_crypto_backend`]); by default the store's, which is
    /// [`CryptoBackend::default`] unless set: `AwsLcRs` with feature
    /// `aws-lc-rs`, else `Ring`.
    pub fn crypto_backend(mut self, backend: CryptoBackend) -> Self {
        self.trust.set_crypto_backend(backend);
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
    /// SPEC 10: also accept certificates of the Kakunin CA compatibility
    /// profile `kakunin-2026` (additive: section 2 certificates are verified
    /// as before). Without it, such certificates fail as sections 2–3 say.
    pub fn kakunin_profile(mut self, profile: crate::profile::kakunin::KakuninProfile) -> Self {
        self.cert_profile = Some(Arc::new(profile));
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
    /// SPEC 5.3 (revision 1.2): the store of each agent's daily total of
    /// allowed trade sizes, for policies with `dailyLimit` (default: a
    /// [`MemoryDailyLimiter`]). Shared like the nonce store: several
    /// instances serving one audience must use one.
    pub fn daily_limiter(mut self, limiter: Arc<dyn DailyLimiter>) -> Self {
        self.daily_limiter = Some(limiter);
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
    /// How many validated certificates to keep cached (default
    /// [`DEFAULT_CERTIFICATE_CACHE_CAPACITY`]): the cache never holds more,
    /// and evicts agents seen once before agents that come back. Each entry
    /// is used for at most
    /// [`MAX_CERTIFICATE_CACHE_TTL`](super::MAX_CERTIFICATE_CACHE_TTL) by the verifier's
    /// clock, and never past its path's earliest notAfter. `0` caches
    /// nothing (every request validates its certificate's path).
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

    /// SPEC 7.3 with a fleet: keeps this verifier's revoked set equal to the
    /// fleet's (for example `stores::redis::RedisRevokedSet`, feature
    /// `redis`). Pushed revocations are recorded there before the
    /// webhook is answered, fetched ones announced; while the shared set
    /// cannot vouch that the local one is current, every request is
    /// `overloaded`.
    pub fn shared_revoked_set(mut self, shared: Arc<dyn SharedRevokedSet>) -> Self {
        self.shared_revoked = Some(shared);
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
        check_source_backend(&revocation, self.trust.crypto_backend())?;
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
        let daily = match self.daily_limiter {
            Some(d) => Daily::Shared(d),
            None => Daily::Memory(Box::default()),
        };
        let cert_cache = super::cert_cache::CertificateCache::new(self.cache_capacity);
        let mut cache_config = self.revocation_cache;
        cache_config.pushed_retention_ms = cache_config
            .pushed_retention_ms
            .max(self.profile.max_validity_seconds.saturating_mul(1000));
        let revocation_cache = RevocationCache::new(cache_config, Arc::clone(&self.clock));
        if let Some(shared) = self.shared_revoked {
            revocation_cache.attach_shared(shared)?;
        }
        Ok(Verifier {
            revocation_cache,
            trust: self.trust,
            audiences: self.audiences,
            routes: self.routes.unwrap_or_default(),
            clock: self.clock,
            oids: self.oids,
            profile: self.profile,
            cert_profile: self.cert_profile,
            max_body_bytes: self.max_body_bytes,
            max_age_ms: self.max_age_ms,
            max_future_ms: self.max_future_ms,
            replay,
            rate,
            daily,
            replay_optional_for_safe_methods: self.replay_optional_for_safe_methods,
            revocation,
            fail_open: self.fail_open,
            whole_chain: self.whole_chain,
            inventory: self.inventory,
            risk_threshold: self.risk_threshold,
            trade_fields: self.trade_fields,
            cert_cache,
            cert_cache_keys: crate::keyed::FastState::default(),
            audit_sink: self.audit_sink,
        })
    }
}

pub(super) enum Replay {
    Memory(Box<MemoryNonceStore>),
    Shared(Arc<dyn NonceStore>),
}

pub(super) enum Rate {
    Memory(Box<MemoryRateLimiter>),
    Shared(Arc<dyn RateLimiter>),
}

pub(super) enum Daily {
    Memory(Box<MemoryDailyLimiter>),
    Shared(Arc<dyn DailyLimiter>),
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
            cert_profile: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_age_ms: DEFAULT_MAX_AGE_MS,
            max_future_ms: DEFAULT_MAX_FUTURE_MS,
            nonce_store: None,
            rate_limiter: None,
            daily_limiter: None,
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
            shared_revoked: None,
        }
    }
}

// Issue 11 (one backend): a source that verifies signatures itself (CRLs,
// OCSP answers) does so with the verifier's backend, never silently with
// another.
fn check_source_backend(
    revocation: &Revocation,
    backend: CryptoBackend,
) -> Result<(), ConfigError> {
    let Revocation::Source(source) = revocation else {
        return Ok(());
    };
    match source.crypto_backend() {
        Some(other) if other != backend => Err(ConfigError::new(format!(
            "the revocation source verifies signatures with {}, the verifier with {}: \
             give the source the verifier's backend (with_crypto_backend)",
            other.name(),
            backend.name()
        ))),
        _ => Ok(()),
    }
}
