//! SPEC 9 `kakunin-verify request` with networked revocation (SPEC 7.1),
//! against real peers on 127.0.0.1: an `openssl ocsp` responder over a PKI
//! made at test time, and a raw HTTP/1.1 server in Kakunin's verify-endpoint
//! format. The binary runs on the real clock (no `--now`), so the request
//! files are signed at the real now.

mod live;

use std::path::PathBuf;
use std::process::{Command, Output};

use kakunin_verify::{Clock, SystemClock};
use live::*;

const BIN: &str = env!("CARGO_BIN_EXE_kakunin-verify");

/// A request file for `leaf`, signed now, in a fresh file of the PKI dir.
fn request_file(leaf: &Leaf, tag: &str) -> PathBuf {
    let signed = sign_trade(&leaf.signer(), SystemClock.now_ms());
    let path = pki().path(&format!(
        "req-{tag}-{}-{}.http",
        leaf.name,
        SystemClock.now_ms()
    ));
    std::fs::write(&path, signed.raw_http()).unwrap();
    path
}

fn base_args() -> Vec<String> {
    let p = pki();
    let s = |x: PathBuf| x.to_string_lossy().into_owned();
    vec![
        "request".into(),
        "--roots".into(),
        s(p.path("root.pem")),
        "--intermediates".into(),
        s(p.path("intermediate.pem")),
        "--routes".into(),
        s(p.path("routes.txt")),
    ]
}

/// Runs the binary off the runtime's worker threads (the peers run on them).
async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .output()
            .expect("run kakunin-verify")
    })
    .await
    .unwrap()
}

/// The single JSON line printed for one request.
fn one_line(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(lines[0]).expect("a JSON line")
}

async fn request(revocation: &[&str], file: PathBuf) -> (Option<i32>, serde_json::Value) {
    let mut args = base_args();
    args.extend(revocation.iter().map(|s| s.to_string()));
    args.push(file.to_string_lossy().into_owned());
    let out = run(args).await;
    (out.status.code(), one_line(&out))
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_ocsp_against_a_live_responder() {
    let p = pki();
    let responder = OcspResponder::start(p);
    let url = responder.url();
    let ocsp = ["--revocation", "ocsp", "--ocsp-url", url.as_str()];

    let (status, line) = request(&ocsp, request_file(&p.good, "ocsp")).await;
    assert_eq!(status, Some(0), "{line}");
    assert_eq!(line["decision"], "allow");
    assert_eq!(line["code"], serde_json::Value::Null);
    assert_eq!(line["http_status"], 200);
    assert_eq!(line["agent_id"], "live_good");
    assert_eq!(line["audit"]["revocation"], "valid");
    assert_eq!(line["audit"]["revocation_source"], "ocsp");

    let (status, line) = request(&ocsp, request_file(&p.revoked, "ocsp")).await;
    assert_eq!(status, Some(1), "{line}");
    assert_eq!(line["decision"], "deny");
    assert_eq!(line["code"], "certificate_revoked");
    assert_eq!(line["audit"]["revocation"], "revoked");

    let (status, line) = request(&ocsp, request_file(&p.unknown, "ocsp")).await;
    assert_eq!(status, Some(1), "{line}");
    assert_eq!(line["code"], "certificate_unknown");

    // Both files through ONE verifier: one line each, exit 1.
    let mut args = base_args();
    args.extend(ocsp.iter().map(|s| s.to_string()));
    for leaf in [&p.good, &p.revoked] {
        args.push(
            request_file(leaf, "ocsp-both")
                .to_string_lossy()
                .into_owned(),
        );
    }
    let out = run(args).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let codes: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["code"].clone())
        .collect();
    assert_eq!(
        codes,
        vec![
            serde_json::Value::Null,
            serde_json::Value::from("certificate_revoked")
        ]
    );

    // The responder gone: fail closed.
    drop(responder);
    let (status, line) = request(&ocsp, request_file(&p.good, "ocsp-dead")).await;
    assert_eq!(status, Some(1), "{line}");
    assert_eq!(line["code"], "revocation_unavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_endpoint_against_a_live_server() {
    let p = pki();
    let server = EndpointServer::start().await;
    server.set(p.good.serial, Answer::Active);
    server.set(p.revoked.serial, Answer::Revoked);
    let arg = format!("endpoint={}", server.base());
    let endpoint = ["--revocation", arg.as_str()];

    let (status, line) = request(&endpoint, request_file(&p.good, "ep")).await;
    assert_eq!(status, Some(0), "{line}");
    assert_eq!(line["decision"], "allow");
    assert_eq!(line["audit"]["revocation"], "valid");
    assert_eq!(line["audit"]["revocation_source"], "endpoint");

    let (status, line) = request(&endpoint, request_file(&p.revoked, "ep")).await;
    assert_eq!(status, Some(1), "{line}");
    assert_eq!(line["code"], "certificate_revoked");

    let (status, line) = request(&endpoint, request_file(&p.unknown, "ep")).await;
    assert_eq!(status, Some(1), "{line}");
    assert_eq!(line["code"], "certificate_unknown");

    server.set(p.good.serial, Answer::Status(500));
    let (status, line) = request(&endpoint, request_file(&p.good, "ep500")).await;
    assert_eq!(status, Some(1), "{line}");
    assert_eq!(line["code"], "revocation_unavailable");
    assert_eq!(server.hits(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_revocation_usage_errors_exit_2() {
    let p = pki();
    let file = request_file(&p.good, "usage");
    let crl = p.path("no-such.crl").to_string_lossy().into_owned();
    for (revocation, why) in [
        (vec!["--revocation", "ocsp"], "--ocsp-url"),
        (vec!["--revocation", "none", "--crl", crl.as_str()], "--crl"),
        (vec!["--revocation", "none", "--crl", "x"], "--crl"),
        // Plain http only to loopback (SPEC 7.1), decided before any request.
        (
            vec!["--revocation", "endpoint=http://kakunin.example"],
            "https",
        ),
        (
            vec!["--revocation", "ocsp", "--ocsp-url", "http://ocsp.example/"],
            "https",
        ),
    ] {
        let mut args = base_args();
        args.extend(revocation.iter().map(|s| s.to_string()));
        args.push(file.to_string_lossy().into_owned());
        let out = run(args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{revocation:?}: {stderr}");
        assert!(stderr.contains(why), "{revocation:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{revocation:?}: no decision printed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_revocation_none_is_an_explicit_opt_out() {
    let p = pki();
    let (status, line) = request(&["--revocation", "none"], request_file(&p.revoked, "none")).await;
    assert_eq!(status, Some(0), "{line}");
    assert_eq!(line["decision"], "allow");
    assert_eq!(line["audit"]["revocation"], "not_checked");
}
