//! libFuzzer driver of [`entries::certificate_der`]: the body lives in
//! `fuzz/entries/certificate_der.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::certificate_der::certificate_der(data));
