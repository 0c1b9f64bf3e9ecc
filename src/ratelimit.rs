//! SPEC section 5.5: the per-agent rate limit. The limiter lives with the
//! other stores in [`crate::stores::rate`]; this module keeps its public path.
//!
//! ```
//! use kakunin_verify::ratelimit::{MemoryRateLimiter, RateLimiter};
//! fn shared(_: std::sync::Arc<dyn RateLimiter>) {}
//! shared(std::sync::Arc::new(MemoryRateLimiter::default()));
//! ```

pub use crate::stores::rate::*;
