//! Stores shared by a fleet of verifiers in Redis (feature `redis`; SPEC 4.5,
//! 5.3, 5.5, 7.3): [`RedisNonceStore`], [`RedisRateLimiter`],
//! [`RedisDailyLimiter`] and the shared revoked set [`RedisRevokedSet`].
//!
//! [`RedisStores::connect`] opens one multiplexed connection (the `redis`
//! crate's `ConnectionManager`, which reconnects by itself) that every store
//! made from it shares. Each decision is one Lua script, so it is atomic
//! across every instance that talks to the same Redis.
//!
//! # Fail closed
//!
//! Every call is bounded by [`RedisStoreConfig::timeout`] (default
//! [`DEFAULT_TIMEOUT`], 50 ms), reconnection and script loading included.
//! Redis unreachable, slower than the timeout, answering an error or
//! anything unexpected: the request is denied with [`Error::Overloaded`]
//! (503, `Retry-After: 1`). A call that timed out may still have been applied
//! by Redis (a nonce recorded, an action counted): the request was denied
//! anyway, which is stricter, never looser. When Redis answers again the
//! connection manager reconnects and the stores work again; what Redis kept
//! (with persistence, across a restart) is still enforced.
//!
//! # Clocks
//!
//! The scripts never read Redis' clock: the verifier's `now_ms` is an
//! argument, so every instance decides on the same clock the memory stores
//! would use (and tests inject it). Keys also get a real expiry as a
//! backstop, so that idle keys vanish: set relative to the call
//! (`PEXPIRE`, `SET … PX`) to [`BACKSTOP_MARGIN_MS`] after the last instant
//! they are needed, and only ever lengthened. Being relative, it does not
//! depend on Redis' clock agreeing with the verifiers'.
//!
//! # Key layout
//!
//! `P` is the key prefix, `kakunin:{AUDIENCE}:` by default (the braces make
//! it a Redis Cluster hash tag: every key of one deployment in one slot, as
//! the scripts need). `A` is an agent id: the lowercase hex of the first 16
//! bytes of SHA-256(agent URN).
//!
//! | key | type | member / value | score | expiry (relative, lengthened only) |
//! |---|---|---|---|---|
//! | `P` `n:live` | sorted set | agent id (16 bytes) ‖ pair key (16 bytes) | keep-until (Unix ms) | latest keep-until + margin |
//! | `P` `n:a:` `A` | sorted set | pair key (16 bytes): first 16 bytes of SHA-256(leaf SHA-256 ‖ nonce) | keep-until | latest keep-until + margin |
//! | `P` `r:` `A` | sorted set | instance tag (8 bytes) ‖ counter (8 bytes), unique | action time (Unix ms) | latest action + period + margin |
//! | `P` `d:` `A` `:` `DAY` | string | the day's total, normalized decimal text (`"2.5"`) | — | end of UTC day `DAY` + margin |
//!
//! # Round trips and cost
//!
//! * Nonce: one `EVALSHA` per request (after a Redis restart, the first call
//!   also loads the script: two more). O(log n) in the live nonces, plus
//!   the expired entries it forgets: the [`NONCE_PRUNE_BATCH`] oldest ones
//!   on every call (so a full store is only ever full of live nonces: if
//!   any had expired, the oldest was just forgotten), and at most the
//!   agent's share before answering `rate_limited`. Since every call
//!   forgets up to 8 expired entries and adds at most one, the backlog of
//!   expired entries stays small.
//! * Rate: one `EVALSHA`, only when the policy has a `rateLimit`.
//! * Daily: one `EVALSHA` (compare-and-set) per trade when this instance's
//!   last-seen total is current; each concurrent change by another instance
//!   costs one more, at most [`DAILY_MAX_ATTEMPTS`], then `overloaded`.
//!
//! # Memory
//!
//! Measured with Redis 7.0 (`tests/redis_stores.rs`,
//! `redis_memory_per_live_nonce`, `used_memory` before and after 100 000
//! live nonces over 1 000 agents, 100 each): **178 bytes per live nonce**.
//! The default capacity (1 000 000 live nonces) thus needs about 180 MB.
//! (An agent set of up to 128 entries is a compact listpack; a larger one
//! is a skip list and costs more per entry.)
//!
//! # Redis configuration
//!
//! Tested with Redis 7.0. Run it with
//! `maxmemory-policy noeviction`: an evicting policy could forget a live
//! nonce (a replay accepted); with `noeviction` a full Redis answers errors,
//! which deny. Persistence (AOF) keeps nonces across a Redis restart; without
//! it, a restart forgets live nonces for up to the freshness window.
//!
//! ```no_run
//! use std::sync::Arc;
//! use kakunin_verify::replay::NonceStoreConfig;
//! use kakunin_verify::stores::redis::{RedisStoreConfig, RedisStores};
//! # async fn run() -> Result<(), kakunin_verify::ConfigError> {
//! let config = RedisStoreConfig::new("redis://127.0.0.1:6379", "api.exchange.example");
//! let stores = RedisStores::connect(config).await?;
//! let nonces = Arc::new(stores.nonce_store(NonceStoreConfig::default())?);
//! let rate = Arc::new(stores.rate_limiter());
//! # let _ = (nonces, rate);
//! # Ok(()) }
//! ```

mod daily;
mod nonce;
mod rate;
mod revoked;

pub use daily::RedisDailyLimiter;
pub use nonce::RedisNonceStore;
pub use rate::RedisRateLimiter;
pub use revoked::{RedisRevokedSet, MAX_SHARED_REVOKED, PROBE_INTERVAL, RESYNC_PAGE};

use std::fmt;
use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::{ConfigError, Error};

/// Default bound on one store call, reconnection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);
/// Longest timeout accepted: a verifier waiting longer on its store would
/// hold requests rather than deny them.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest key prefix accepted, in bytes.
pub const MAX_KEY_PREFIX_LEN: usize = 256;
/// How long after the last instant a key is needed Redis' own expiry drops it.
pub const BACKSTOP_MARGIN_MS: u64 = 300_000;
/// Expired nonces each call forgets before its own work.
pub const NONCE_PRUNE_BATCH: u32 = 8;
/// Compare-and-set attempts for one daily total before `overloaded`.
pub const DAILY_MAX_ATTEMPTS: usize = 8;
/// Largest integer a Lua number (a double) and a sorted-set score hold
/// exactly: times and periods are capped here (later, never earlier).
pub(crate) const MAX_EXACT: u64 = (1 << 53) - 1;
/// Reconnection attempts the connection manager makes in a row; a failed
/// series is started again by the next call that finds Redis unreachable.
const RECONNECT_RETRIES: usize = 2;
/// First delay between reconnection attempts.
const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(10);
/// Longest delay between reconnection attempts.
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(500);

/// Where the shared stores live and how long a call may take.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisStoreConfig {
    /// `redis://[user:password@]host:port[/db]` (or `rediss://`, `unix://`).
    pub url: String,
    /// Prefix of every key; `kakunin:{AUDIENCE}:` from [`RedisStoreConfig::new`].
    pub key_prefix: String,
    /// Bound on one store call; past it the request is `overloaded`.
    pub timeout: Duration,
}

impl RedisStoreConfig {
    /// Redis at `url`, keys under `kakunin:{audience}:`, the default timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kakunin_verify::stores::redis::RedisStoreConfig;
    /// let c = RedisStoreConfig::new("redis://127.0.0.1:6379", "api.exchange.example")
    ///     .with_timeout(Duration::from_millis(20));
    /// assert_eq!(c.key_prefix, "kakunin:{api.exchange.example}:");
    /// ```
    pub fn new(url: impl Into<String>, audience: &str) -> Self {
        RedisStoreConfig {
            url: url.into(),
            key_prefix: format!("kakunin:{{{audience}}}:"),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Another key prefix (for example one per environment).
    pub fn with_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Another bound on one call (1 ms to [`MAX_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    // A timeout and a prefix in range.
    fn check(&self) -> Result<(), ConfigError> {
        if self.timeout < Duration::from_millis(1) || self.timeout > MAX_TIMEOUT {
            return Err(ConfigError::new("redis store timeout must be 1 ms to 10 s"));
        }
        if self.key_prefix.is_empty() || self.key_prefix.len() > MAX_KEY_PREFIX_LEN {
            return Err(ConfigError::new(format!(
                "redis key prefix must be 1 to {MAX_KEY_PREFIX_LEN} bytes"
            )));
        }
        Ok(())
    }
}

impl fmt::Debug for RedisStoreConfig {
    /// The URL is left out: it may carry a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreConfig")
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// One Redis connection (multiplexed, reconnecting) and the stores on it.
///
/// Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct RedisStores {
    client: redis::Client,
    connection: ConnectionManager,
    key_prefix: String,
    timeout: Duration,
}

impl RedisStores {
    /// Checks `config`, then connects (within the configured timeout, at
    /// least one second for the first connection). Needs a Tokio runtime.
    ///
    /// A bad URL, a bad prefix or timeout, or a Redis that does not answer
    /// is a [`ConfigError`]: a verifier does not start without its shared
    /// store.
    pub async fn connect(config: RedisStoreConfig) -> Result<RedisStores, ConfigError> {
        config.check()?;
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| ConfigError::new(format!("redis URL: {:?}", e.kind())))?;
        let manager_config = manager_config(&config);
        let first = config.timeout.max(Duration::from_secs(1));
        let connecting = ConnectionManager::new_with_config(client.clone(), manager_config);
        let connection = match tokio::time::timeout(first, connecting).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(e)) => return Err(ConfigError::new(format!("redis connect: {:?}", e.kind()))),
            Err(_) => return Err(ConfigError::new("redis connect: timed out")),
        };
        Ok(RedisStores {
            client,
            connection,
            key_prefix: config.key_prefix,
            timeout: config.timeout,
        })
    }

    /// Like [`connect`](Self::connect), but without waiting for Redis: the
    /// connection is made on first use, so an unreachable Redis is not an
    /// error here — every call fails closed (`overloaded`) until it answers
    /// (the CLI's `--shared-store`, SPEC 9). Inside a tokio runtime.
    pub fn connect_lazy(config: RedisStoreConfig) -> Result<RedisStores, ConfigError> {
        config.check()?;
        tokio::runtime::Handle::try_current()
            .map_err(|_| ConfigError::new("the redis stores need a tokio runtime"))?;
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| ConfigError::new(format!("redis URL: {:?}", e.kind())))?;
        let connection =
            ConnectionManager::new_lazy_with_config(client.clone(), manager_config(&config))
                .map_err(|e| ConfigError::new(format!("redis connect: {:?}", e.kind())))?;
        Ok(RedisStores {
            client,
            connection,
            key_prefix: config.key_prefix,
            timeout: config.timeout,
        })
    }

    /// A nonce store (SPEC 4.5) with these limits, enforced across every
    /// instance on this Redis and prefix (all instances must use the same).
    pub fn nonce_store(
        &self,
        config: crate::stores::nonce::NonceStoreConfig,
    ) -> Result<RedisNonceStore, ConfigError> {
        config.check()?;
        Ok(RedisNonceStore::new(self.clone(), config))
    }

    /// A sliding-window rate limiter (SPEC 5.5).
    pub fn rate_limiter(&self) -> RedisRateLimiter {
        RedisRateLimiter::new(self.clone())
    }

    /// A daily-total limiter (SPEC 5.3 `dailyLimit`).
    pub fn daily_limiter(&self) -> RedisDailyLimiter {
        RedisDailyLimiter::new(self.clone())
    }

    /// The client (for example to open a pub/sub connection).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The shared, reconnecting connection (cheap to clone).
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// The prefix of every key.
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// The bound on one call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    // Fail closed: a call that errs or outlasts the timeout is `overloaded`.
    pub(crate) async fn call<T, F>(&self, what: &str, call: F) -> Result<T, Error>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(unreachable_store(what)),
            Err(_) => Err(Error::Overloaded(
                format!("{what}: shared store timed out").into(),
            )),
        }
    }
}

impl fmt::Debug for RedisStores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStores")
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

// Reconnects by itself, every step bounded by the call timeout.
fn manager_config(config: &RedisStoreConfig) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_response_timeout(Some(config.timeout))
        .set_connection_timeout(Some(config.timeout))
        .set_number_of_retries(RECONNECT_RETRIES)
        .set_min_delay(RECONNECT_MIN_DELAY)
        .set_max_delay(RECONNECT_MAX_DELAY)
}

fn unreachable_store(what: &str) -> Error {
    Error::Overloaded(format!("{what}: shared store unavailable").into())
}

/// An agent URN's fixed-size id: the first 16 bytes of SHA-256(URN).
pub(crate) fn agent_id(urn: &str) -> [u8; 16] {
    let digest = crate::digest::sha256(urn.as_bytes());
    let mut id = [0u8; 16];
    for (i, d) in id.iter_mut().zip(digest.iter()) {
        *i = *d;
    }
    id
}

/// The backstop lifetime (ms from now) of a key needed until `until_ms`.
pub(crate) fn backstop(until_ms: u64, now_ms: u64) -> u64 {
    until_ms
        .saturating_sub(now_ms)
        .saturating_add(BACKSTOP_MARGIN_MS)
        .min(MAX_EXACT)
}

/// A script's unexpected answer: deny.
pub(crate) fn unexpected(what: &str) -> Error {
    Error::Overloaded(format!("{what}: unexpected answer from the shared store").into())
}
