//! Running the `kakunin-verify` binary from the integration tests (included
//! with `#[path = "common/cli.rs"] mod cli;`).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The binary cargo built for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_kakunin-verify");

/// Runs the binary with `args` in `dir`, waiting for it to exit.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run kakunin-verify")
}

/// The JSON objects the binary printed, one per non-empty stdout line.
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}
