//! libFuzzer driver of [`entries::raw_http`]: the body lives in
//! `fuzz/entries/raw_http.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::raw_http::raw_http(data));
