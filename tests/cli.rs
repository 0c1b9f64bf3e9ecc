//! The `kakunin-verify` binary: `inspect`, `sign` and `request` as SPEC 9
//! says, with its exit statuses (0 allowed, 1 denied / invalid input,
//! 2 usage or configuration error).

use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "common/cli.rs"]
mod cli;
use cli::json_lines;

fn v1() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testvectors/v1")
}

fn run(args: &[&str]) -> Output {
    cli::run_in(&v1(), args)
}

#[test]
fn inspect_prints_what_the_certificate_says() {
    let o = run(&["inspect", "desk_bot_1.pem"]);
    assert_eq!(o.status.code(), Some(0));
    let v = &json_lines(&o)[0];
    assert_eq!(v["agent_id"], "desk_bot_1");
    assert_eq!(v["agent_urn"], "urn:kakunin:agent:desk_bot_1");
    assert_eq!(v["subject_cn"], "desk_bot_1");
    assert_eq!(v["organization"], "Acme Trading LLC");
    assert_eq!(v["serial"], "021a031ffc0717869e5bd1e49905da4af269aa22");
    assert_eq!(v["not_before"], "2026-05-28T00:00:00Z");
    assert_eq!(v["not_after"], "2027-05-28T00:00:00Z");
    assert_eq!(v["key_algorithm"], "rsa-2048");
    assert_eq!(v["policy"]["max_transaction"], "50000");
    assert_eq!(
        v["policy"]["allowed_markets"],
        serde_json::json!(["EUR_USD", "GBP_USD"])
    );
    assert_eq!(v["policy"]["revocation_timeout"], 15);
    assert!(v["model_provenance"].is_null());
    let o = run(&["inspect", "eth_exec_01.pem"]);
    let v = &json_lines(&o)[0];
    assert_eq!(v["key_algorithm"], "ecdsa-p256");
    assert_eq!(v["policy"]["max_transaction"], "2.5");
    assert_eq!(v["model_provenance"]["model_name"], "Claude-3.5-Sonnet-v2");
    let o = run(&["inspect", "report_bot.pem"]);
    assert_eq!(json_lines(&o)[0]["key_algorithm"], "ed25519");
}

#[test]
fn inspect_bad_input_is_exit_1_with_an_error_object_and_unreadable_is_2() {
    let o = run(&["inspect", "routes.txt"]);
    assert_eq!(o.status.code(), Some(1));
    let v = &json_lines(&o)[0];
    assert_eq!(v["error"], "malformed_certificate");
    assert!(v["message"].is_string());
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pki/bad/policy_version2.pem");
    let o = run(&["inspect", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json_lines(&o)[0]["error"], "policy_invalid");
    assert_eq!(run(&["inspect", "no-such-file.pem"]).status.code(), Some(2));
    assert_eq!(run(&["inspect"]).status.code(), Some(2));
}

#[test]
fn sign_then_request_round_trips_and_a_replay_is_denied() {
    let dir = std::env::temp_dir().join(format!("kakunin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = r#"{"market":"GBP_USD","size":10,"direction":"SELL"}"#;
    let body_file = dir.join("body.json");
    std::fs::write(&body_file, body).unwrap();
    let o = run(&[
        "sign",
        "--key",
        "desk_bot_1.key",
        "--cert",
        "desk_bot_1.pem",
        "--method",
        "POST",
        "--target",
        "/v1/trades",
        "--body",
        body_file.to_str().unwrap(),
        "--timestamp",
        "1782897300000",
        "--nonce",
        "cli-test-nonce-000001",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let headers = String::from_utf8(o.stdout).unwrap();
    assert!(headers
        .lines()
        .any(|l| l.starts_with("X-Agent-Signature: ")));
    // SPEC 4.1 (1.1): `sign` prints the Content-Type a non-empty body needs.
    assert!(headers
        .lines()
        .any(|l| l == "Content-Type: application/json"));
    let raw =
        format!(
        "POST /v1/trades HTTP/1.1\r\nHost: api.exchange.example\r\nContent-Length: {}\r\n{}\r\n{}",
        body.len(),
        headers.lines().map(|l| format!("{l}\r\n")).collect::<String>(),
        body
    );
    let req = dir.join("req.http");
    std::fs::write(&req, raw).unwrap();
    let r = req.to_str().unwrap();
    let base = [
        "request",
        "--roots",
        "root.pem",
        "--intermediates",
        "intermediate.pem",
        "--routes",
        "routes.txt",
        "--now",
        "2026-07-01T09:15:00.000Z",
        "--revocation",
        "none",
    ];
    let o = run(&[&base[..], &[r]].concat());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let lines = json_lines(&o);
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["http_status"], 200);
    assert_eq!(lines[0]["agent_id"], "desk_bot_1");
    assert_eq!(lines[0]["audit"]["decision"], "allow");
    // One verifier for all requests: the second copy is a replay.
    let o = run(&[&base[..], &[r, r]].concat());
    assert_eq!(o.status.code(), Some(1));
    let lines = json_lines(&o);
    assert_eq!(
        (lines[0]["decision"].as_str(), lines[1]["code"].as_str()),
        (Some("allow"), Some("replayed_request"))
    );
    assert_eq!(lines[1]["http_status"], 401);
    // --now as Unix ms works the same.
    let o = run(&[
        "request",
        "--roots",
        "root.pem",
        "--intermediates",
        "intermediate.pem",
        "--routes",
        "routes.txt",
        "--now",
        "1782897300000",
        "--revocation",
        "none",
        r,
    ]);
    assert_eq!(o.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn request_usage_and_configuration_errors_exit_2() {
    let ok_args = [
        "--roots",
        "root.pem",
        "--routes",
        "routes.txt",
        "--now",
        "2026-07-01T09:15:00Z",
    ];
    let cases: Vec<Vec<&str>> = vec![
        // --revocation is required without --crl.
        [&["request"][..], &ok_args[..], &["p01.http"]].concat(),
        // crl without --crl; none with --crl.
        [
            &["request"][..],
            &ok_args[..],
            &["--revocation", "crl", "p01.http"],
        ]
        .concat(),
        [
            &["request"][..],
            &ok_args[..],
            &["--revocation", "none", "--crl", "crl.pem", "p01.http"],
        ]
        .concat(),
        // An unreadable file; an unparsable --now; a bad routes file.
        [
            &["request"][..],
            &ok_args[..],
            &["--revocation", "none", "missing.http"],
        ]
        .concat(),
        vec![
            "request",
            "--roots",
            "root.pem",
            "--now",
            "yesterday",
            "--revocation",
            "none",
            "p01.http",
        ],
        vec![
            "request",
            "--roots",
            "root.pem",
            "--routes",
            "p01.http",
            "--revocation",
            "none",
            "p01.http",
        ],
        vec![
            "request",
            "--roots",
            "missing.pem",
            "--revocation",
            "none",
            "p01.http",
        ],
        vec![
            "request",
            "--roots",
            "root.pem",
            "--revocation",
            "sometimes",
            "p01.http",
        ],
    ];
    for args in cases {
        let o = run(&args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    // --crl alone implies --revocation crl.
    let o = run(&[
        &["request"][..],
        &ok_args[..],
        &[
            "--intermediates",
            "intermediate.pem",
            "--crl",
            "crl.pem",
            "p18.http",
        ],
    ]
    .concat());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn a_request_file_with_transfer_encoding_or_a_short_body_is_malformed_request() {
    let dir = std::env::temp_dir().join(format!("kakunin-cli-te-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let te = dir.join("te.http");
    std::fs::write(
        &te,
        "POST /v1/trades HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    )
    .unwrap();
    let short = dir.join("short.http");
    std::fs::write(
        &short,
        "POST /v1/trades HTTP/1.1\r\nContent-Length: 99\r\n\r\n{}",
    )
    .unwrap();
    let o = run(&[
        "request",
        "--roots",
        "root.pem",
        "--revocation",
        "none",
        te.to_str().unwrap(),
        short.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 2);
    for l in lines {
        assert_eq!(
            (
                l["decision"].as_str(),
                l["code"].as_str(),
                l["http_status"].as_i64()
            ),
            (Some("deny"), Some("malformed_request"), Some(400))
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
