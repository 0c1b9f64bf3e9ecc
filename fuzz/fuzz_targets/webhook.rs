//! libFuzzer driver of [`entries::webhook`]: the body lives in
//! `fuzz/entries/webhook.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::webhook::webhook(data));
