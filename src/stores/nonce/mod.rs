//! SPEC section 4.5: the nonce store that refuses replayed requests.
//!
//! The verifier records the pair (leaf SHA-256, nonce) at step 8 of SPEC 5.1,
//! atomically, and keeps it live until `timestamp + 60 000 ms`. A live pair
//! seen again is `replayed_request`. The store is bounded and never forgets a
//! live nonce to make room: a full store is `overloaded`, and an agent — its
//! URN, whatever the number of its certificates — that already holds its
//! share of the store is `rate_limited`.
//!
//! [`NonceStore`] is the trait a shared store (for a fleet of verifiers)
//! implements; [`MemoryNonceStore`] is the in-process default.
//!
//! ```
//! use kakunin_verify::replay::{MemoryNonceStore, NonceRecord};
//! use kakunin_verify::Code;
//!
//! let store = MemoryNonceStore::default();
//! let now = 1_700_000_000_000;
//! let record = NonceRecord {
//!     agent_urn: "urn:kakunin:agent:desk_bot_1",
//!     cert_sha256: &[7u8; 32],
//!     nonce: "nonce-0123456789ab",
//!     keep_until_ms: now + 60_000,
//! };
//! store.check_and_record_now(&record, now)?;
//! let again = store.check_and_record_now(&record, now + 1);
//! assert_eq!(again.unwrap_err().code(), Code::ReplayedRequest);
//! # Ok::<(), kakunin_verify::Error>(())
//! ```

mod agent_pairs;
mod memory;

pub use memory::MemoryNonceStore;
pub(crate) use memory::PreparedAgent;

use crate::error::Error;
use crate::future::BoxFuture;

/// Default capacity: live nonces the store may hold (SPEC 4.5).
pub const DEFAULT_NONCE_CAPACITY: usize = 1_000_000;
/// Default share of the capacity one agent may hold, in percent (SPEC 4.5).
pub const DEFAULT_AGENT_SHARE_PERCENT: u8 = 10;
/// Largest capacity [`MemoryNonceStore::new`] accepts.
pub const MAX_NONCE_CAPACITY: usize = 100_000_000;
/// Longest nonce accepted, in bytes (SPEC 4.1 allows 16 to 64 characters).
pub const MAX_NONCE_LEN: usize = 64;
/// Longest agent URN a store accepts, in bytes (`urn:kakunin:agent:` and an
/// id of at most 128 characters, SPEC 1).
pub const MAX_AGENT_URN_LEN: usize = 18 + 128;

/// One request's claim on the nonce store (SPEC 4.5): the pair
/// (`cert_sha256`, `nonce`) to record, the agent it counts against, and how
/// long it stays live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceRecord<'a> {
    /// The agent's URN (`urn:kakunin:agent:{id}`): the share of the store is
    /// counted per URN, across all of the agent's certificates.
    pub agent_urn: &'a str,
    /// SHA-256 of the leaf certificate that signed the request.
    pub cert_sha256: &'a [u8; 32],
    /// The `X-Agent-Nonce` value.
    pub nonce: &'a str,
    /// Keep the pair at least until this instant (Unix ms): the request's
    /// timestamp plus the verifier's maximum age.
    pub keep_until_ms: u64,
}

/// A store of recently seen (certificate, nonce) pairs (SPEC 4.5).
///
/// Implementations MUST insert-if-absent atomically (two concurrent copies of
/// one request cannot both pass), keep each pair at least until
/// `keep_until_ms`, never evict a live pair to make room, count an agent's
/// share by its URN (not by certificate), and fail closed. The method is
/// async so that a store shared by a fleet of verifiers (for example on
/// Redis) can implement it.
pub trait NonceStore: Send + Sync + 'static {
    /// Records the pair unless already recorded and live.
    ///
    /// * `Ok(())`: recorded now; the request may proceed.
    /// * [`Error::ReplayedRequest`]: the pair is already recorded and live.
    /// * [`Error::RateLimited`]: this agent (URN) already holds its maximum
    ///   share of the store.
    /// * [`Error::Overloaded`]: the store is full of live pairs (or a shared
    ///   store is unreachable).
    /// * [`Error::MalformedRequest`]: the nonce is longer than
    ///   [`MAX_NONCE_LEN`] or the URN longer than [`MAX_AGENT_URN_LEN`].
    fn check_and_record<'a>(
        &'a self,
        record: NonceRecord<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// Limits of a [`MemoryNonceStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceStoreConfig {
    /// Live nonces the store may hold; 1 to [`MAX_NONCE_CAPACITY`].
    pub capacity: usize,
    /// Share of `capacity` one agent URN may hold, 1 to 100 percent
    /// (rounded down, but at least one nonce).
    pub max_agent_share_percent: u8,
}

impl Default for NonceStoreConfig {
    fn default() -> Self {
        NonceStoreConfig {
            capacity: DEFAULT_NONCE_CAPACITY,
            max_agent_share_percent: DEFAULT_AGENT_SHARE_PERCENT,
        }
    }
}

impl NonceStoreConfig {
    /// SPEC 4.5: a capacity and a share in range.
    pub fn check(&self) -> Result<(), crate::error::ConfigError> {
        use crate::error::ConfigError;
        if self.capacity == 0 || self.capacity > MAX_NONCE_CAPACITY {
            return Err(ConfigError::new(format!(
                "nonce store capacity must be 1 to {MAX_NONCE_CAPACITY}"
            )));
        }
        if !(1..=100).contains(&self.max_agent_share_percent) {
            return Err(ConfigError::new(
                "nonce store agent share must be 1 to 100 percent",
            ));
        }
        Ok(())
    }

    /// SPEC 4.5: one agent's share in nonces, rounded down, at least one.
    ///
    /// ```
    /// use kakunin_verify::replay::NonceStoreConfig;
    /// let c = NonceStoreConfig { capacity: 1_000, max_agent_share_percent: 10 };
    /// assert_eq!(c.agent_quota(), 100);
    /// ```
    pub fn agent_quota(&self) -> usize {
        let quota = (self.capacity as u128 * u128::from(self.max_agent_share_percent)) / 100;
        usize::try_from(quota)
            .unwrap_or(self.capacity)
            .clamp(1, self.capacity.max(1))
    }
}

/// SPEC 4.1 / 4.5: the sizes a store relies on (checked earlier too, but a
/// store does not rely on that).
pub fn check_record(record: &NonceRecord<'_>) -> Result<(), Error> {
    if record.nonce.len() > MAX_NONCE_LEN {
        return Err(Error::MalformedRequest("nonce longer than 64 bytes".into()));
    }
    if record.agent_urn.len() > MAX_AGENT_URN_LEN {
        return Err(Error::MalformedRequest("agent URN too long".into()));
    }
    Ok(())
}
