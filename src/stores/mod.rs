//! The state a verifier keeps between requests, each behind a trait so that
//! a fleet of verifier instances can share it (SPEC 4.5, 5.5):
//!
//! | store | trait | in memory | what it holds |
//! |---|---|---|---|
//! | [`nonce`] | [`nonce::NonceStore`] | [`nonce::MemoryNonceStore`] | live (certificate, nonce) pairs, per agent URN |
//! | [`rate`] | [`rate::RateLimiter`] | [`rate::MemoryRateLimiter`] | each agent URN's sliding window |
//! | `redis` (feature `redis`) | all three | — | the shared implementations, for a fleet |
//!
//! An in-memory store serves one instance; when several instances serve one
//! audience, the SPEC requires a shared implementation.

pub mod daily;
pub mod nonce;
pub mod rate;
#[cfg(feature = "redis")]
pub mod redis;
