//! Keyed hashing for the in-memory tables, at the ground so every store and
//! cache shares one choice.
//!
//! * [`FastState`]: the tables' hasher. Their keys are already hashes
//!   (SHA-256 prefixes, [`Keyed128`] outputs, the certificate cache's keyed
//!   key) or names an authenticated agent cannot choose (URNs are the CA's),
//!   so a seeded fast hash is enough; std's SipHash-1-3 cost about
//!   1 000 instructions per request on the hot path for nothing.
//! * [`Keyed128`]: a secret-keyed SipHash-1-3 with 128-bit output, for
//!   fixed-size table keys derived from variable-size input (an agent's URN,
//!   a nonce). Without the per-process key two inputs cannot be made to
//!   collide; with it they collide with probability 2^-128.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use siphasher::sip128::{Hasher128, SipHasher13};

/// The hasher of the crate's in-memory tables: foldhash, seeded per table.
pub(crate) type FastState = foldhash::fast::RandomState;

/// A `HashMap` with [`FastState`].
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, FastState>;

/// A secret-keyed 128-bit hash (SipHash-1-3).
#[derive(Clone)]
pub(crate) struct Keyed128 {
    k0: u64,
    k1: u64,
}

impl Keyed128 {
    /// A hash with a fresh per-process random key (std's `RandomState` is
    /// seeded from the operating system's random source; its output under
    /// that secret seed is the key).
    pub(crate) fn random() -> Self {
        let seed = RandomState::new();
        Self {
            k0: seed.hash_one(0x6b61_6b75_6e69_6e30_u64),
            k1: seed.hash_one(0x6b61_6b75_6e69_6e31_u64),
        }
    }

    /// The 128-bit hash of `parts` written in order. Callers give parts of
    /// which all but the last have a fixed size, so the concatenation is
    /// unambiguous.
    pub(crate) fn hash(&self, parts: &[&[u8]]) -> [u8; 16] {
        let mut h = SipHasher13::new_with_keys(self.k0, self.k1);
        for part in parts {
            h.write(part);
        }
        h.finish128().as_bytes()
    }
}

impl std::fmt::Debug for Keyed128 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyed128 { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_differ_by_key_and_input_and_repeat_for_one_key() {
        let (a, b) = (Keyed128::random(), Keyed128::random());
        let x = a.hash(&[b"urn:kakunin:agent:one"]);
        assert_eq!(x, a.hash(&[b"urn:kakunin:agent:one"]));
        assert_ne!(x, a.hash(&[b"urn:kakunin:agent:two"]));
        assert_ne!(x, b.hash(&[b"urn:kakunin:agent:one"]));
        // Parts are written in order, as one stream.
        assert_eq!(a.hash(&[b"ab", b"c"]), a.hash(&[b"abc"]));
    }
}
