//! Shared helpers of the live revocation tests (`revocation_live`,
//! `cli_revocation`): a PKI made at test time with the `openssl` CLI, a real
//! `openssl ocsp` responder (child process) behind an optional counting TCP
//! proxy, and a raw HTTP/1.1 server answering in Kakunin's verify-endpoint
//! format. Everything started here is stopped by a Drop guard.
//!
//! `openssl ocsp` stamps `thisUpdate` with the REAL time, so the PKI is
//! valid around the real now (notBefore one day back, notAfter 300 days on)
//! and the tests' verifier clocks start at the real now.
#![allow(dead_code)]

mod endpoint_server;
mod ocsp_responder;
mod openssl_cli;
mod pki;
mod proxy;
mod signed;

// Each test crate uses only part of these (see `dead_code` above).
#[allow(unused_imports)]
pub use self::{
    endpoint_server::{Answer, EndpointServer},
    ocsp_responder::OcspResponder,
    openssl_cli::{ca_sign, key_and_csr, openssl, policy_hex, read, utc_time, write, OPENSSL},
    pki::{
        index_line, pki, Leaf, Pki, AUDIENCE, DAY_S, GOOD_SERIAL, REVOKED_SERIAL, ROUTES,
        SHORT_SERIAL, TRADE, UNKNOWN_SERIAL,
    },
    proxy::CountingProxy,
    signed::{sign_trade, Signed},
};
