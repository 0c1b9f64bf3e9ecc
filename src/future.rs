//! The boxed future of the crate's async traits (revocation sources, nonce
//! stores, rate limiters): one definition at the ground, so a store does not
//! depend on the revocation module for it.

use std::future::Future;
use std::pin::Pin;

/// A boxed, `Send` future, as returned by the crate's async trait methods
/// ([`crate::revocation::RevocationSource::check`],
/// [`crate::replay::NonceStore::check_and_record`],
/// [`crate::ratelimit::RateLimiter::try_acquire`]).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
