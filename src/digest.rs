//! SHA-256, the one digest every layer uses: certificate fingerprints (SPEC
//! 4.4 `CERT_SHA256`), body digests, nonce keys and revocation cache keys
//! (7.2). It lives at the ground so that no layer reaches into another
//! (certificates and chains into signatures) for it.
//!
//! The verifier computes the digests of its request path (the body's
//! `BODY_SHA256`, a new leaf's fingerprint) with its own
//! [`CryptoBackend`]: with aws-lc-rs chosen, a request then runs aws-lc's
//! SHA-256 code only, the same code its signature check hashes with,
//! instead of two implementations competing for the instruction cache.

use crate::crypto::CryptoBackend;

/// SHA-256 of `data`, computed by the build's default backend
/// ([`CryptoBackend::default`]); every backend gives the same digest.
///
/// ```
/// let h = kakunin_verify::digest::sha256(b"");
/// assert_eq!(kakunin_verify::hex::encode(&h)[..8], *"e3b0c442");
/// ```
pub fn sha256(data: &[u8]) -> [u8; 32] {
    sha256_with(CryptoBackend::default(), data)
}

/// SHA-256 of `data`, computed by `backend`.
///
/// ```
/// use kakunin_verify::crypto::CryptoBackend;
/// use kakunin_verify::digest::{sha256, sha256_with};
/// for backend in CryptoBackend::ALL {
///     assert_eq!(sha256_with(*backend, b"abc"), sha256(b"abc"));
/// }
/// ```
pub fn sha256_with(backend: CryptoBackend, data: &[u8]) -> [u8; 32] {
    // Each library's one-shot function: aws-lc-rs's calls SHA-256 directly,
    // its streaming `Context` goes through `EVP_Digest*` (≈ 500 more
    // instructions per digest).
    let mut out = [0u8; 32];
    match backend {
        CryptoBackend::Ring => {
            out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
        }
        #[cfg(feature = "aws-lc-rs")]
        CryptoBackend::AwsLcRs => out
            .copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref()),
    }
    out
}

/// An incremental SHA-256 of the chosen backend (the canonical writer
/// hashes a body longer than one chunk while it writes it).
pub(crate) enum Sha256 {
    Ring(ring::digest::Context),
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(aws_lc_rs::digest::Context),
}

impl Sha256 {
    /// An empty hash computed by `backend`.
    pub(crate) fn new(backend: CryptoBackend) -> Self {
        match backend {
            CryptoBackend::Ring => Sha256::Ring(ring::digest::Context::new(&ring::digest::SHA256)),
            #[cfg(feature = "aws-lc-rs")]
            CryptoBackend::AwsLcRs => {
                Sha256::AwsLc(aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256))
            }
        }
    }

    /// Feeds `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Sha256::Ring(ctx) => ctx.update(data),
            #[cfg(feature = "aws-lc-rs")]
            Sha256::AwsLc(ctx) => ctx.update(data),
        }
    }

    /// The digest of everything fed.
    pub(crate) fn finish(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        match self {
            Sha256::Ring(ctx) => out.copy_from_slice(ctx.finish().as_ref()),
            #[cfg(feature = "aws-lc-rs")]
            Sha256::AwsLc(ctx) => out.copy_from_slice(ctx.finish().as_ref()),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC 4.4 (`BODY_SHA256`, `CERT_SHA256`) with FIPS 180-2 appendix B:
    /// the digests of "", "abc" and the 56-byte two-block message, under
    /// every backend, whole and fed in pieces.
    #[test]
    fn spec_4_4_sha256_is_fips_180_2_under_every_backend() {
        let cases: [(&[u8], &str); 3] = [
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
        ];
        for backend in CryptoBackend::ALL {
            for (msg, hex) in cases {
                assert_eq!(crate::hex::encode(&sha256_with(*backend, msg)), hex);
                let mut h = Sha256::new(*backend);
                for piece in msg.chunks(7) {
                    h.update(piece);
                }
                assert_eq!(crate::hex::encode(&h.finish()), hex, "{}", backend.name());
            }
        }
    }
}
