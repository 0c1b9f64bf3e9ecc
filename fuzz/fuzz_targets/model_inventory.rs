//! libFuzzer driver of [`entries::model_inventory`]: the body lives in
//! `fuzz/entries/model_inventory.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::model_inventory::model_inventory(data));
