//! libFuzzer driver of [`entries::endpoint_answer`]: the body lives in
//! `fuzz/entries/endpoint_answer.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::endpoint_answer::endpoint_answer(data));
