//! The fuzz targets' bodies, one module per target, each with one entry
//! function `pub fn <target>(data: &[u8])` that panics on a finding.
//!
//! Included with `#[path]` by every libFuzzer driver in `fuzz/fuzz_targets/`
//! and by the main crate's `tests/fuzz_regressions.rs`, which replays
//! `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` through the same
//! functions under plain `cargo test`. Fixtures are `include_bytes!` paths
//! relative to these files, so they resolve from both sides. Only stable
//! public APIs of `kakunin_verify` are used: nothing here is part of the
//! library.

#![allow(dead_code)]

pub mod common;

pub mod canonical_body;
pub mod certificate_der;
pub mod crl;
pub mod endpoint_answer;
pub mod headers_and_target;
pub mod kakunin_profile;
pub mod model_inventory;
pub mod ocsp_response;
pub mod policy_der;
pub mod raw_http;
pub mod roundtrip;
pub mod route_table;
pub mod verify_request;
pub mod webhook;
