//! SPEC section 4.5: replay protection. The nonce store lives with the other
//! stores in [`crate::stores::nonce`]; this module keeps its public path.
//!
//! ```
//! use kakunin_verify::replay::{MemoryNonceStore, NonceStore};
//! fn shared(_: std::sync::Arc<dyn NonceStore>) {}
//! shared(std::sync::Arc::new(MemoryNonceStore::default()));
//! ```

pub use crate::stores::nonce::*;
