//! libFuzzer driver of [`entries::policy_der`]: the body lives in
//! `fuzz/entries/policy_der.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::policy_der::policy_der(data));
