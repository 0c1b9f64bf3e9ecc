//! SPEC section 10 (revision 1.2): the Kakunin CA compatibility profile
//! `kakunin-2026` — certificates, CRLs, the verify endpoint and webhooks as
//! Kakunin's service produces them today.

pub mod certificate;
pub mod crl;
pub mod model_hash;
pub mod scope;
pub mod serial;
pub mod webhook;

pub use certificate::KakuninProfile;

/// The profile's name, as `--profile` takes it.
pub const PROFILE_NAME: &str = "kakunin-2026";

/// SPEC 10: the default arc of the profile's extensions (configurable).
pub const DEFAULT_PROFILE_ARC: &str = "1.3.6.1.4.1.99999";

#[cfg(test)]
mod tests;
