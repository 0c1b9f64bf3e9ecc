//! libFuzzer driver of [`entries::crl`]: the body lives in
//! `fuzz/entries/crl.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::crl::crl(data));
