//! libFuzzer driver of [`entries::ocsp_response`]: the body lives in
//! `fuzz/entries/ocsp_response.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::ocsp_response::ocsp_response(data));
