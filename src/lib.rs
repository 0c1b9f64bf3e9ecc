//! # kakunin-verify
//!
//! Verifies AI agents' cryptographic identity on every request ("KYC for AI
//! agents"), as specified by the Kakunin wire specification, version 1.
//!
//! An agent holds an X.509 certificate (pinned root → intermediate → agent)
//! whose `agentPolicy` extension says what it may do. It signs every
//! request; the [`Verifier`] proves that this agent, with this still-valid
//! certificate, signed exactly this request just now, and that the request
//! is inside its policy — or says no with a SPEC section 6 code.
//!
//! ```
//! use std::sync::Arc;
//! use kakunin_verify::{chain::TrustStore, signer::{AgentSigner, RequestToSign}};
//! use kakunin_verify::{HttpRequest, ManualClock, Revocation, Verifier};
//!
//! let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/ed25519");
//! let mut trust = TrustStore::new();
//! trust.add_roots_pem(&std::fs::read(format!("{pki}/root.pem")).unwrap()).unwrap();
//! trust.add_intermediates_pem(&std::fs::read(format!("{pki}/intermediate.pem")).unwrap()).unwrap();
//! let now = 1_782_897_300_000; // 2026-07-01T09:15:00Z
//! let verifier = Verifier::builder(trust)
//!     .audience("api.exchange.example")
//!     .routes("GET /data/* read_data resource".parse().unwrap())
//!     .clock(Arc::new(ManualClock::new(now)))
//!     .revocation(Revocation::Disabled) // an explicit, named opt-out
//!     .build()
//!     .unwrap();
//!
//! // The agent side (normally another process):
//! let agent = AgentSigner::from_pem(
//!     &std::fs::read(format!("{pki}/leaf.key")).unwrap(),
//!     &std::fs::read(format!("{pki}/leaf.pem")).unwrap(),
//!     None,
//! ).unwrap();
//! let headers = agent.sign(&RequestToSign {
//!     audience: "api.exchange.example", method: "GET", target: "/data/processed/q2.csv",
//!     body: b"", timestamp_ms: now, nonce: Some("n-0123456789abcdef"),
//!     model_sha256: None, prompt_sha256: None,
//! }).unwrap();
//!
//! // The exchange side, in its HTTP middleware:
//! let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
//! let request = HttpRequest::new("GET", "/data/processed/q2.csv", &pairs, b"");
//! let verified = pollster::block_on(verifier.verify(&request)).unwrap();
//! assert_eq!(verified.agent_id(), "sample_ed25519");
//! // Replaying the same request is refused, with an audit record.
//! let denial = pollster::block_on(verifier.verify(&request)).unwrap_err();
//! assert_eq!(denial.error.code().as_str(), "replayed_request");
//! assert_eq!(denial.audit.decision, "deny");
//! ```
//!
//! Where each SPEC section lives: 1–3 [`certificate`], [`certificate::profile`],
//! [`policy`], [`decimal`]; 2 / 5.1 step 4 [`chain`]; 4.1–4.2 [`request`];
//! 4.3 [`canonical`]; 4.4 [`signature`] (and [`signer`] for agents); 4.5
//! [`replay`]; 4.6 `tls` (feature `tls`); 5.1 [`verifier`]; 5.2 [`routes`];
//! 5.3–5.6 [`authorization`]; 5.5 rate [`ratelimit`]; 6 [`error`]; 7
//! [`revocation`]; 8 [`audit`]; 9 the `kakunin-verify` binary (feature `cli`)
//! with [`rawhttp`]. Stores shared by a fleet (4.5, 5.3, 5.5): [`stores`],
//! in Redis with feature `redis` (`stores::redis`). Signatures are checked
//! by `ring`, or with feature `aws-lc-rs` by aws-lc ([`crypto`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Fail closed: no panicking construct in the library that input could reach
// (tests may unwrap). The few exceptions are compile-time table builders and
// indexes proven in bounds (a remainder by the array's length), each allowed
// where it stands with its reason.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

mod ascii;
pub mod audit;
pub mod authorization;
mod bounded;
pub mod canonical;
pub mod certificate;
pub mod chain;
pub mod clock;
pub mod crypto;
pub mod decimal;
pub mod digest;
pub mod error;
pub mod future;
pub mod hex;
pub mod http;
mod keyed;
pub mod policy;
pub mod profile;
pub mod ratelimit;
pub mod rawhttp;
pub mod replay;
pub mod request;
pub mod revocation;
pub mod routes;
#[cfg(feature = "fetch")]
pub mod setup;
pub mod signature;
pub mod signer;
pub mod stores;
pub mod time;
#[cfg(feature = "tls")]
pub mod tls;
pub mod verifier;

pub use clock::{Clock, ManualClock, SystemClock};
pub use crypto::CryptoBackend;
pub use error::{Code, ConfigError, Error};
pub use verifier::{Denial, HttpRequest, Revocation, VerifiedRequest, Verifier, VerifierBuilder};
