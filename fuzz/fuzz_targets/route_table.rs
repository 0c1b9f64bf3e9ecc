//! libFuzzer driver of [`entries::route_table`]: the body lives in
//! `fuzz/entries/route_table.rs`, shared with `tests/fuzz_regressions.rs`.
#![no_main]

#[path = "../entries/mod.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::route_table::route_table(data));
