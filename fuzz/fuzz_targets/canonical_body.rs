//! libFuzzer driver of [`entries::canonical_body`]: the body lives in
//! `fuzz/entries/canonical_body.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::canonical_body::canonical_body(data));
