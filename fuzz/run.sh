#!/usr/bin/env bash
# Runs every fuzz target of kakunin-verify for a bounded time, one after the
# other, and exits non-zero if any target finds a crash, a timeout or an
# out-of-memory. Each run is one libFuzzer process fuzzing on one thread (the
# machines are shared): that is libFuzzer's default, so no -jobs/-workers
# flag is passed; an explicit -jobs=1 would only move the fuzzer into a
# child process whose output goes to ./fuzz-0.log instead of our log.
#
#   fuzz/run.sh [SECONDS_PER_TARGET]        (default 20)
#   FUZZ_TARGETS="raw_http crl" fuzz/run.sh 60   (a subset)
#
# Toolchain: cargo-fuzz needs a nightly rustc (its instrumentation flags are
# unstable). When rustup has a nightly toolchain we use `cargo +nightly fuzz`;
# otherwise `RUSTC_BOOTSTRAP=1 cargo fuzz` on the default (stable) toolchain.
# Both were tried on the development machine (stable 1.95.0 and nightly
# 1.97.0-nightly 2026-05-19, cargo-fuzz 0.13.2): both build and run the
# targets with -s none.
#
# Sanitizer: `-s none`. kakunin-verify is #![forbid(unsafe_code)]; what we
# hunt is panics, unbounded allocation (-rss_limit_mb / -malloc_limit_mb) and
# hangs (-timeout), which libFuzzer catches without ASan, at about twice the
# speed and without ASan's extra build. Set FUZZ_SANITIZER=address to use ASan
# (nightly only) when hunting memory errors in dependencies' unsafe code.
#
# Overflow checks: on (`--debug-assertions`, with `--release`'s optimization).
# cargo-fuzz turns debug assertions and overflow checks off under `--release`
# by default, so an arithmetic overflow an input can reach would wrap
# silently in the fuzzer as in a release build, and go unseen; with them on
# it panics, and the fuzzer reports it like any other panic. Set
# FUZZ_DEBUG_ASSERTIONS=0 to fuzz the release build as shipped (faster).
#
# Scratch corpora go to fuzz/corpus/<target> (seeded from fuzz/seeds/<target>),
# crashes to fuzz/artifacts/<target>/, logs to fuzz/artifacts/logs/ (all
# git-ignored). fuzz/regressions/<target>/ is read as a second corpus, so every
# past finding is replayed first. Save a crash's reproducer there; plain
# `cargo test --all-features --test fuzz_regressions` replays it too (see
# README.md), or: cargo +nightly fuzz run -s none <target> fuzz/regressions/<target>/<file>
set -euo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

sanitizer="${FUZZ_SANITIZER:-none}"
checks=(--debug-assertions)
if [ "${FUZZ_DEBUG_ASSERTIONS:-1}" = 0 ]; then checks=(); fi
if command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
    echo "toolchain: nightly (cargo +nightly fuzz)"
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
    echo "toolchain: default with RUSTC_BOOTSTRAP=1 ($(rustc --version))"
fi

# target:max_len (bytes). Limits are a little above the crate's own input
# limits where those are small, so the size checks themselves are fuzzed.
all_targets=(
    canonical_body:8192
    certificate_der:4096
    policy_der:1024
    headers_and_target:8192
    raw_http:8192
    ocsp_response:4096
    crl:4096
    verify_request:8192
    webhook:4096
    endpoint_answer:4096
    route_table:4096
    model_inventory:4096
    roundtrip:1024
    kakunin_profile:8192
)
if [ -n "${FUZZ_TARGETS:-}" ]; then
    selected=()
    for want in $FUZZ_TARGETS; do
        found=""
        for entry in "${all_targets[@]}"; do
            if [ "${entry%%:*}" = "$want" ]; then selected+=("$entry"); found=1; fi
        done
        if [ -z "$found" ]; then echo "unknown target: $want" >&2; exit 2; fi
    done
else
    selected=("${all_targets[@]}")
fi

"${fuzz[@]}" build -s "$sanitizer" --release "${checks[@]}"

mkdir -p artifacts/logs
failed=()
for entry in "${selected[@]}"; do
    target="${entry%%:*}"
    max_len="${entry##*:}"
    corpus="corpus/$target"
    mkdir -p "$corpus" "artifacts/$target"
    cp -n seeds/"$target"/* "$corpus"/ 2>/dev/null || true
    log="artifacts/logs/$target.log"
    echo "== $target: ${seconds}s, max_len $max_len (log: fuzz/$log)"
    status=0
    "${fuzz[@]}" run -s "$sanitizer" --release "${checks[@]}" "$target" "$corpus" "regressions/$target" -- \
        -max_total_time="$seconds" \
        -max_len="$max_len" \
        -rss_limit_mb=2048 \
        -malloc_limit_mb=2048 \
        -timeout=10 \
        -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' "$log" || true
    if [ "$status" -ne 0 ]; then
        echo "!! $target failed (exit $status); reproducer(s):" >&2
        ls -1 "artifacts/$target" >&2 || true
        grep -E -m5 "panicked at|ERROR: libFuzzer|SUMMARY" "$log" >&2 || true
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "all ${#selected[@]} targets ran ${seconds}s without a crash"
