//! Fuzzing that remembers: every fuzz target's seed corpus
//! (`fuzz/seeds/<target>/`) and every input that ever made it crash, hang
//! or blow a limit (`fuzz/regressions/<target>/`) is run through the
//! target's own entry function (`fuzz/entries/<target>.rs`, the same code
//! the libFuzzer driver calls), so a regression fails plain `cargo test`
//! without cargo-fuzz or a nightly toolchain.
//!
//! Each entry panics on a finding (a panic of the library, or a broken
//! property it asserts). Per-input time is bounded by the library's own
//! input limits, as under the fuzzer. A target without both directories,
//! or with an empty seed directory, fails loudly, and so does a driver in
//! `fuzz/fuzz_targets/` that is not replayed here.

#[path = "../fuzz/entries/mod.rs"]
mod entries;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The input files of `fuzz/<kind>/<target>/`, sorted; dot files (such as
/// `.gitkeep`) are not inputs. Panics when the directory is missing.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "fuzz target {target} has no directory {}: {e}",
            dir.display()
        )
    });
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic".into())
}

/// Runs `entry` on every seed and regression input of `target`; reports
/// every failing file at once.
fn replay(target: &str, entry: fn(&[u8])) {
    let seeds = inputs("seeds", target);
    assert!(!seeds.is_empty(), "fuzz/seeds/{target}/ is empty");
    let regressions = inputs("regressions", target);
    let mut failures = Vec::new();
    for path in seeds.iter().chain(&regressions) {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| entry(&data))) {
            failures.push(format!("{}: {}", path.display(), panic_text(&*payload)));
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz target {target}: {} of {} inputs fail:\n{}",
        failures.len(),
        seeds.len() + regressions.len(),
        failures.join("\n")
    );
}

macro_rules! replayed {
    ($($(#[$attr:meta])* $target:ident),* $(,)?) => {
        $(
            $(#[$attr])*
            #[test]
            fn $target() {
                replay(stringify!($target), entries::$target::$target);
            }
        )*

        /// Every target replayed by this file (under the enabled features).
        const REPLAYED: &[&str] = &[$(stringify!($target)),*];
    };
}

replayed!(
    canonical_body,
    certificate_der,
    crl,
    endpoint_answer,
    headers_and_target,
    kakunin_profile,
    model_inventory,
    ocsp_response,
    policy_der,
    raw_http,
    roundtrip,
    route_table,
    verify_request,
    webhook,
);

/// A new driver in `fuzz/fuzz_targets/` must be added here too.
#[test]
fn every_fuzz_target_is_replayed() {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut drivers: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| {
            let name = e.expect("directory entry").file_name();
            name.to_str()?.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    drivers.sort();
    for driver in &drivers {
        assert!(
            REPLAYED.contains(&driver.as_str()),
            "fuzz target {driver} is not replayed by tests/fuzz_regressions.rs"
        );
        // Both directories exist for every target.
        let _ = (inputs("seeds", driver), inputs("regressions", driver));
    }
    assert!(
        drivers.len() >= REPLAYED.len(),
        "a replayed target has no driver"
    );
}
