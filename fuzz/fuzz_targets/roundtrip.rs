//! libFuzzer driver of [`entries::roundtrip`]: the body lives in
//! `fuzz/entries/roundtrip.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::roundtrip::roundtrip(data));
