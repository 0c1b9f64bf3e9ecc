//! The crypto backend: which library checks signatures.
//!
//! One choice covers every signature the crate verifies for a
//! [`Verifier`](crate::Verifier): the request signature (SPEC 4.4, 5.1 step
//! 6), the certificate path (SPEC 2, 5.1 step 4, through `rustls-webpki`'s
//! algorithm set of that library) and, with feature `tls`, the `rustls`
//! crypto provider of the mutual-TLS handshake (SPEC 4.6).
//!
//! [`CryptoBackend::Ring`] is the default. Feature `aws-lc-rs` adds
//! `CryptoBackend::AwsLcRs` and makes it the default, so turning the
//! feature on switches the backend; `Ring` can still be chosen explicitly
//! ([`VerifierBuilder::crypto_backend`](crate::VerifierBuilder::crypto_backend),
//! [`TrustStore::set_crypto_backend`](crate::chain::TrustStore::set_crypto_backend)).
//! Without the feature, aws-lc is not compiled at all. The verifier's own
//! SHA-256 digests on a request's path (the body's `BODY_SHA256`, a new
//! leaf's fingerprint) are computed by the chosen backend too, so a request
//! runs one library's code. `ring` stays a dependency in every build: the
//! other digests (stores' and revocation keys), HMAC and randomness come
//! from it whatever the backend.
//!
//! Both backends give the same outcome (and the same SPEC 6 code) for the
//! same input: the same algorithms, RSA moduli of 2048–8192 bits, ECDSA
//! keys as uncompressed points only, Ed25519 keys of 32 bytes.
//!
//! ```
//! use kakunin_verify::crypto::CryptoBackend;
//! # #[cfg(not(feature = "aws-lc-rs"))]
//! assert_eq!(CryptoBackend::default(), CryptoBackend::Ring);
//! # #[cfg(feature = "aws-lc-rs")]
//! # assert_eq!(CryptoBackend::default(), CryptoBackend::AwsLcRs);
//! assert_eq!(CryptoBackend::Ring.name(), "ring");
//! ```

/// Which library verifies signatures (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CryptoBackend {
    /// `ring` 0.17 (the default without feature `aws-lc-rs`). ring has no
    /// parsed public-key form: each check parses the key again.
    Ring,
    /// `aws-lc-rs` (feature `aws-lc-rs`, and then the default): each cached
    /// certificate's key is parsed once and kept in its cache entry.
    #[cfg(feature = "aws-lc-rs")]
    AwsLcRs,
}

impl Default for CryptoBackend {
    /// `AwsLcRs` with feature `aws-lc-rs`, else `Ring`.
    fn default() -> Self {
        #[cfg(feature = "aws-lc-rs")]
        return CryptoBackend::AwsLcRs;
        #[cfg(not(feature = "aws-lc-rs"))]
        return CryptoBackend::Ring;
    }
}

impl CryptoBackend {
    /// Every backend compiled into this build: `Ring`, then `AwsLcRs` with
    /// the feature.
    pub const ALL: &'static [CryptoBackend] = &[
        CryptoBackend::Ring,
        #[cfg(feature = "aws-lc-rs")]
        CryptoBackend::AwsLcRs,
    ];

    /// The library's name: `ring` or `aws-lc-rs`.
    pub fn name(self) -> &'static str {
        match self {
            CryptoBackend::Ring => "ring",
            #[cfg(feature = "aws-lc-rs")]
            CryptoBackend::AwsLcRs => "aws-lc-rs",
        }
    }
}
