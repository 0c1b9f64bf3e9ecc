//! SPEC 7.3: the revoked set shared by a fleet of verifier instances.
//!
//! Each instance keeps its own [`RevokedSet`](crate::revocation::cache::RevokedSet),
//! so the hot path answers "is this serial revoked?" without a round trip.
//! A [`SharedRevokedSet`] keeps those local sets equal across the fleet: a
//! revocation one instance learns — pushed by webhook, or fetched from a
//! source — is recorded in the shared store until the certificate's
//! notAfter and announced to every instance, which adds it to its local set
//! through the [`RevokedMirror`] it was given; on every (re)subscription an
//! instance resynchronizes the whole set. While an instance cannot vouch
//! that its local set is current ([`SharedRevokedSet::is_current`] is
//! false: the subscription is down or not yet resynchronized), the verifier
//! denies every request `overloaded` rather than decide on local state
//! alone.
//!
//! The verifier calls [`SharedRevokedSet::attach`] once, when it is built,
//! with the mirror of its own cache; a pushed revocation is
//! [`published`](SharedRevokedSet::publish) before the webhook is answered
//! (a failure answers 503 so that the sender retries), a fetched one is
//! [`announced`](SharedRevokedSet::announce) without waiting.

use crate::error::Error;
use crate::future::BoxFuture;

pub use crate::revocation::cache::RevokedMirror;

/// One revocation as a fleet shares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationNotice {
    /// SHA-256 of the issuing CA's certificate when a source scoped the
    /// revocation to one issuer; `None` for a pushed revocation, which
    /// names only the serial and so applies whatever the issuer.
    pub issuer_sha256: Option<[u8; 32]>,
    /// The serial, normalized (see
    /// [`normalize_serial_hex`](crate::revocation::cache::normalize_serial_hex)).
    pub serial_hex: String,
    /// Revoked until this instant (Unix ms): the certificate's notAfter, or
    /// the pushed retention when that is unknown.
    pub until_ms: u64,
    /// When the revocation was learnt, Unix ms.
    pub marked_at_ms: u64,
    /// Who said so (`push`, `crl`, `ocsp`, `endpoint`, ...).
    pub source: &'static str,
}

/// Source names a shared store may carry back; anything else reads as
/// `shared`.
pub const KNOWN_SOURCES: [&str; 5] = ["push", "crl", "ocsp", "endpoint", "shared"];

/// The `&'static` name for a source read back from a shared store.
///
/// ```
/// use kakunin_verify::stores::revoked::source_name;
/// assert_eq!(source_name("ocsp"), "ocsp");
/// assert_eq!(source_name("anything else"), "shared");
/// ```
pub fn source_name(text: &str) -> &'static str {
    KNOWN_SOURCES
        .iter()
        .copied()
        .find(|s| *s == text)
        .unwrap_or("shared")
}

/// A revoked set shared by the instances that serve one audience (SPEC 7.3).
pub trait SharedRevokedSet: Send + Sync + 'static {
    /// Called once by [`VerifierBuilder::build`](crate::VerifierBuilder::build):
    /// from now on, every revocation the fleet announces (and, at every
    /// (re)subscription, every revocation the shared store holds) is added
    /// to this verifier's local set through `mirror`.
    fn attach(&self, mirror: RevokedMirror);

    /// Records `notice` in the shared store (kept until `until_ms`) and
    /// announces it to every instance; `Ok` only once it is recorded.
    /// [`Error::Overloaded`] when the store cannot be reached in time.
    fn publish<'a>(&'a self, notice: &'a RevocationNotice) -> BoxFuture<'a, Result<(), Error>>;

    /// Like [`publish`](Self::publish), without waiting for the outcome
    /// (for revocations a source answered: this instance already holds
    /// them, and the others would fetch them themselves).
    fn announce(&self, notice: RevocationNotice);

    /// `true` while this instance's local set is known to mirror the shared
    /// one: subscribed, and resynchronized since the last time it was not.
    fn is_current(&self) -> bool;
}
