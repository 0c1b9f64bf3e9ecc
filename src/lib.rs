//! # kakunin-verify
//!
//! Verifies AI agents' cryptographic identity on every request ("KYC for AI
//! agents"), as specified by the Kakunin wire specification, version 1.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod canonical;
pub mod clock;
pub mod error;
pub mod revocation;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Code, ConfigError, Error};
