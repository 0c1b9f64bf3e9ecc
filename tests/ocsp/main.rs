//! SPEC 7.1 OCSP: requests built by `build_request` are answered by a real
//! peer, `openssl ocsp` in offline mode over a PKI made with the `openssl`
//! CLI, and the answers are checked by `verify_response`.
//!
//! Times are never taken from the real clock in assertions: `now` is always
//! chosen relative to the `thisUpdate` / `nextUpdate` openssl reports.

mod pki;
mod responder;

mod cert_id;
mod freshness;
mod malformed;
mod request;
mod responder_checks;
mod signatures;
mod statuses;

const MINUTE_MS: u64 = 60 * 1000;
const HOUR_MS: u64 = 60 * MINUTE_MS;
const DAY_MS: u64 = 24 * HOUR_MS;
