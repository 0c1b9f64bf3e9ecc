//! libFuzzer driver of [`entries::verify_request`]: the body lives in
//! `fuzz/entries/verify_request.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::verify_request::verify_request(data));
