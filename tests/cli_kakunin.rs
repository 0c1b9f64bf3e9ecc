//! SPEC 9 / 10: the `kakunin-verify` binary with `--profile kakunin-2026`
//! (`request` with `--profile-scopes` and `--venue`; `inspect`), over the
//! node-forge Kakunin fixtures in testdata/kakunin/.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

#[path = "common/cli.rs"]
mod cli;
use cli::json_lines;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kakunin")
}

fn run(args: &[&str]) -> Output {
    cli::run_in(&dir(), args)
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(dir().join("manifest.json")).unwrap()).unwrap()
}

fn leaf(name: &str) -> Value {
    manifest()["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap()
        .clone()
}

fn now() -> String {
    manifest()["now"].as_str().unwrap().to_owned()
}

fn now_ms() -> String {
    kakunin_verify::time::parse_time_ms(&now())
        .unwrap()
        .to_string()
}

/// A scratch directory for request files (removed by the caller).
fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kakunin-cli-k-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Signs a trade with the `sign` subcommand and writes the raw request.
fn request_file(scratch: &Path, name: &str, body: &str, n: usize) -> PathBuf {
    let l = leaf(name);
    let body_file = scratch.join(format!("body-{n}.json"));
    std::fs::write(&body_file, body).unwrap();
    let nonce = format!("cli-kakunin-nonce-{n:06}");
    let ts = now_ms();
    let o = run(&[
        "sign",
        "--key",
        l["key_file"].as_str().unwrap(),
        "--cert",
        l["file"].as_str().unwrap(),
        "--method",
        "POST",
        "--target",
        "/v1/orders",
        "--body",
        body_file.to_str().unwrap(),
        "--timestamp",
        &ts,
        "--nonce",
        &nonce,
        "--model-sha256",
        l["weights_sha256"].as_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let headers = String::from_utf8(o.stdout).unwrap();
    let raw =
        format!(
        "POST /v1/orders HTTP/1.1\r\nHost: api.exchange.example\r\nContent-Length: {}\r\n{}\r\n{}",
        body.len(),
        headers.lines().map(|l| format!("{l}\r\n")).collect::<String>(),
        body
    );
    let path = scratch.join(format!("req-{n}.http"));
    std::fs::write(&path, raw).unwrap();
    path
}

fn routes(scratch: &Path) -> PathBuf {
    let p = scratch.join("routes.txt");
    std::fs::write(&p, "POST /v1/orders submit_order trade\n").unwrap();
    p
}

fn request(scratch: &Path, extra: &[&str], files: &[PathBuf]) -> Output {
    request_revoking(scratch, &["--revocation", "none"], extra, files)
}

/// `request` with the given revocation flags (e.g. `--crl FILE`...).
fn request_revoking(
    scratch: &Path,
    revocation: &[&str],
    extra: &[&str],
    files: &[PathBuf],
) -> Output {
    let r = routes(scratch);
    let now = now();
    let mut args = vec![
        "request",
        "--roots",
        "root.pem",
        "--intermediates",
        "intermediate.pem",
        "--routes",
        r.to_str().unwrap(),
        "--now",
        &now,
    ];
    args.extend_from_slice(revocation);
    args.extend_from_slice(extra);
    let files: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    args.extend_from_slice(&files);
    run(&args)
}

const PROFILE: [&str; 6] = [
    "--profile",
    "kakunin-2026",
    "--profile-scopes",
    "submit_order,read_account",
    "--venue",
    "KRAKEN",
];

const TRADE: &str = r#"{"market":"ETH-USD","size":10}"#;

// SPEC 10: each serial kind verifies through the CLI with the profile, the
// audit showing the 32-digit serial text; without it, sections 2–3 decide.
#[test]
fn spec_10_request_with_and_without_the_profile() {
    let s = scratch("serials");
    let names = [
        "leaf_negative",
        "leaf_15octet",
        "leaf_positive",
        "leaf_nonminimal",
        "leaf_root_direct",
    ];
    let files: Vec<PathBuf> = names
        .iter()
        .enumerate()
        .map(|(i, n)| request_file(&s, n, TRADE, i))
        .collect();
    let o = request(&s, &PROFILE, &files);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    for (line, name) in json_lines(&o).iter().zip(names) {
        assert_eq!(line["decision"], "allow", "{name}");
        assert_eq!(
            line["audit"]["cert_serial"],
            leaf(name)["profile_serial"],
            "{name}"
        );
    }
    let o = request(&s, &[], &files);
    assert_eq!(o.status.code(), Some(1));
    let codes: Vec<Value> = json_lines(&o).iter().map(|l| l["code"].clone()).collect();
    assert_eq!(
        codes,
        [
            "malformed_certificate",
            "policy_missing",
            "policy_missing",
            "malformed_certificate",
            // Issued by the root itself: SPEC 2 needs an intermediate, and
            // the chain (5.1 step 4) comes before the serial's rule (step 5).
            "untrusted_chain"
        ]
    );
    std::fs::remove_dir_all(&s).ok();
}

// SPEC 10: refused with the right code for a size, a market, a venue,
// leverage and a malformed scope.
#[test]
fn spec_10_request_refusals() {
    let s = scratch("refusals");
    let cases = [
        (
            "leaf_positive",
            r#"{"market":"ETH-USD","size":25001}"#,
            "amount_exceeds_limit",
        ),
        (
            "leaf_positive",
            r#"{"market":"XRP-USD","size":1}"#,
            "market_not_allowed",
        ),
        ("scope_no_permitted_venues", TRADE, "action_not_allowed"),
        (
            "leaf_positive",
            r#"{"market":"ETH-USD","size":1,"leverage":4}"#,
            "amount_exceeds_limit",
        ),
        (
            "scope_leverage_false",
            r#"{"market":"ETH-USD","size":1,"leverage":1.5}"#,
            "amount_exceeds_limit",
        ),
        ("policy_invalid_duplicate_member", TRADE, "policy_invalid"),
        ("policy_invalid_huge_number_text", TRADE, "policy_invalid"),
    ];
    let files: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, (n, b, _))| request_file(&s, n, b, i))
        .collect();
    let o = request(&s, &PROFILE, &files);
    assert_eq!(o.status.code(), Some(1));
    let lines = json_lines(&o);
    for (line, (name, body, code)) in lines.iter().zip(cases) {
        assert_eq!(line["code"], code, "{name} {body}");
    }
    // Another venue: every trade is refused with the scope.
    let o = request(
        &s,
        &[
            "--profile",
            "kakunin-2026",
            "--profile-scopes",
            "submit_order",
            "--venue",
            "coinbase",
        ],
        &[request_file(&s, "leaf_positive", TRADE, 99)],
    );
    assert_eq!(json_lines(&o)[0]["code"], "action_not_allowed");
    std::fs::remove_dir_all(&s).ok();
}

// SPEC 9: --profile-scopes / --venue without --profile, or an unknown
// profile, is a usage error (exit 2).
#[test]
fn spec_10_profile_options_usage_errors() {
    let s = scratch("usage");
    let f = request_file(&s, "leaf_positive", TRADE, 0);
    for extra in [
        &["--venue", "kraken"][..],
        &["--profile-scopes", "a"][..],
        &["--profile", "kakunin-1999"][..],
        &["--profile", "kakunin-2026", "--profile-scopes", "a,,b"][..],
    ] {
        let o = request(&s, extra, std::slice::from_ref(&f));
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
    }
    std::fs::remove_dir_all(&s).ok();
}

// SPEC 10 command line: `inspect --profile kakunin-2026` prints the mapped
// policy, the raw scope JSON and the 32-digit serial; without it, what
// sections 2-3 read.
#[test]
fn spec_10_inspect_with_the_profile() {
    let l = leaf("leaf_15octet");
    let file = l["file"].as_str().unwrap();
    let o = run(&["inspect", "--profile", "kakunin-2026", file]);
    assert_eq!(o.status.code(), Some(0));
    let v = &json_lines(&o)[0];
    assert_eq!(v["serial"], l["profile_serial"]);
    assert_eq!(v["scope_json"], l["scope_json"]);
    assert_eq!(v["policy"]["max_transaction"], "25000.5");
    assert_eq!(v["policy"]["max_transaction_currency"], "USD");
    assert_eq!(v["policy"]["daily_limit"], "100000");
    assert_eq!(
        v["policy"]["allowed_markets"],
        serde_json::json!(["BTC-USD", "ETH-USD", "EUR_USD"])
    );
    assert_eq!(
        v["permitted_venues"],
        serde_json::json!(["Binance", "Kraken"])
    );
    assert_eq!(v["max_leverage"], "3");
    assert_eq!(v["model_provenance"]["weights_sha256"], l["weights_sha256"]);
    assert_eq!(v["subject_cn"], l["subject_cn"]);
    let o = run(&["inspect", file]);
    let v = &json_lines(&o)[0];
    assert_eq!(v["serial"], l["serial_content_hex"]);
    assert!(v["policy"].is_null());
    assert!(v.get("scope_json").is_none());
    // A malformed scope: exit 1 with its code.
    let bad = leaf("policy_invalid_not_object");
    let o = run(&[
        "inspect",
        "--profile",
        "kakunin-2026",
        bad["file"].as_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json_lines(&o)[0]["error"], "policy_invalid");
    // A non-minimal serial parses only with the profile.
    let nm = leaf("leaf_nonminimal");
    let o = run(&["inspect", nm["file"].as_str().unwrap()]);
    assert_eq!(json_lines(&o)[0]["error"], "malformed_certificate");
    let o = run(&[
        "inspect",
        "--profile",
        "kakunin-2026",
        nm["file"].as_str().unwrap(),
    ]);
    assert_eq!(json_lines(&o)[0]["serial"], nm["profile_serial"]);
}

// SPEC 10 / 5.3: daily_limit_usd through the CLI (one verifier for all the
// request files): 4 x 25000 reach 100000, the fifth trade is refused.
#[test]
fn spec_10_request_daily_limit() {
    let s = scratch("daily");
    let body = r#"{"market":"ETH-USD","size":25000}"#;
    let files: Vec<PathBuf> = (0..5)
        .map(|i| request_file(&s, "leaf_15octet", body, i))
        .collect();
    let o = request(&s, &PROFILE, &files);
    assert_eq!(o.status.code(), Some(1));
    let codes: Vec<Value> = json_lines(&o).iter().map(|l| l["code"].clone()).collect();
    assert_eq!(
        codes,
        [
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            "amount_exceeds_limit".into()
        ]
    );
    std::fs::remove_dir_all(&s).ok();
}

// SPEC 10 CRL through the CLI: Kakunin's root-signed CRLs (entries with a
// `00` sign octet, one non-minimal) revoke every listed serial kind, under
// the intermediate or directly under the root; an unlisted one is allowed.
// The expectations come from the generator's manifest (`listed_in`).
#[test]
fn spec_10_request_root_signed_crl() {
    let s = scratch("crl");
    let names = [
        "leaf_negative",
        "leaf_15octet",
        "leaf_nonminimal",
        "leaf_root_direct_revoked",
        "leaf_sign_octet",
        "leaf_positive",
    ];
    let files: Vec<PathBuf> = names
        .iter()
        .enumerate()
        .map(|(i, n)| request_file(&s, n, TRADE, 100 + i))
        .collect();
    let o = request_revoking(
        &s,
        &["--crl", "crl.der", "--crl", "crl_2.der"],
        &PROFILE,
        &files,
    );
    let lines = json_lines(&o);
    assert_eq!(
        lines.len(),
        names.len(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut revoked = 0;
    for (line, name) in lines.iter().zip(names) {
        let listed = leaf(name)["listed_in"]
            .as_array()
            .is_some_and(|l| !l.is_empty());
        let want = if listed { "certificate_revoked" } else { "" };
        assert_eq!(line["code"].as_str().unwrap_or(""), want, "{name}: {line}");
        revoked += usize::from(listed);
    }
    assert!(revoked >= 4, "the CRLs list the serial kinds");
    std::fs::remove_dir_all(&s).ok();
}
