//! SPEC 4.6 over real TLS: a server task on 127.0.0.1 (port 0) uses
//! `kakunin_verify::tls` to require agent client certificates, reads HTTP/1.1
//! requests and runs `Verifier::verify` with the TLS leaf; agents connect with
//! `tokio-rustls`. The handshake clock and the verifier's clock are both the
//! tests' "now" (2026-07-01T09:15Z).

use std::time::Duration;

/// 2026-07-01T09:15:00Z: inside the test leaves' validity and allowedHours.
const NOW_MS: u64 = 1_782_897_300_000;
const AUDIENCE: &str = "api.exchange.example";
const TRADE: &str = r#"{"market":"EUR_USD","size":45000}"#;
const IO_TIMEOUT: Duration = Duration::from_secs(20);

mod client;
mod fixtures;
mod handshake_refusals;
mod http;
mod server;
mod verdicts;
