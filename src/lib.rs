//! # kakunin-verify
//!
//! Verifies AI agents' cryptographic identity on every request ("KYC for AI
//! agents"), as specified by the Kakunin wire specification, version 1.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audit;
pub mod authorization;
pub mod canonical;
pub mod certificate;
pub mod chain;
pub mod clock;
pub mod decimal;
pub mod error;
pub mod hex;
pub mod policy;
pub mod ratelimit;
pub mod rawhttp;
pub mod replay;
pub mod request;
pub mod revocation;
pub mod routes;
pub mod signature;
pub mod signer;
pub mod time;
#[cfg(feature = "tls")]
pub mod tls;
pub mod verifier;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Code, ConfigError, Error};
pub use verifier::{Denial, HttpRequest, Revocation, VerifiedRequest, Verifier, VerifierBuilder};
