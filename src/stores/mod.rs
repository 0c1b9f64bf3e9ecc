//! The state a verifier keeps between requests, each behind a trait so that
//! a fleet of verifier instances can share it (SPEC 4.5, 5.3, 5.5, 7.3):
//!
//! | store | trait | one instance | a fleet (feature `redis`) | what it holds |
//! |---|---|---|---|---|
//! | [`nonce`] | [`nonce::NonceStore`] | [`nonce::MemoryNonceStore`] | `redis::RedisNonceStore` | live (certificate, nonce) pairs, per agent URN |
//! | [`rate`] | [`rate::RateLimiter`] | [`rate::MemoryRateLimiter`] | `redis::RedisRateLimiter` | each agent URN's sliding window |
//! | [`daily`] | [`daily::DailyLimiter`] | [`daily::MemoryDailyLimiter`] | `redis::RedisDailyLimiter` | each agent URN's total of allowed trade sizes today (UTC; revision 1.2) |
//! | [`revoked`] | [`revoked::SharedRevokedSet`] | the revocation cache's own set | `redis::RedisRevokedSet` | revoked serials until their notAfter, mirrored into every instance |
//!
//! An in-memory store serves one instance; when several instances serve one
//! audience, the SPEC requires a shared implementation.

pub mod daily;
pub mod nonce;
pub mod rate;
#[cfg(feature = "redis")]
pub mod redis;
pub mod revoked;
pub(crate) mod sharded;
