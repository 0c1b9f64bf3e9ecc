//! libFuzzer driver of [`entries::kakunin_profile`]: the body lives in
//! `fuzz/entries/kakunin_profile.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::kakunin_profile::kakunin_profile(data));
