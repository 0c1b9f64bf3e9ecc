//! libFuzzer driver of [`entries::headers_and_target`]: the body lives in
//! `fuzz/entries/headers_and_target.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::headers_and_target::headers_and_target(data));
