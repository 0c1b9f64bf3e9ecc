//! SPEC 9 `kakunin-verify request --shared-store redis://HOST:PORT` (SPEC
//! 4.5): separate CLI processes on one real `redis-server` (started and
//! stopped here on 127.0.0.1; the test fails, never skips, when it cannot
//! start) act as one verifier for replay, the rate window and the daily
//! total, and fail closed (`overloaded`) when the store goes away.

mod common;
#[path = "common/daily_pki.rs"]
mod daily_pki;
#[path = "common/redis_server.rs"]
mod redis_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{sign, Signed, NOW_MS};
use daily_pki::{Amount, DailyPki, Policy};
use redis_server::RedisServer;

#[path = "common/cli.rs"]
mod cli;
use cli::{json_lines, BIN};
const TRADE: &str = r#"{"market":"EUR_USD","size":1000,"direction":"BUY"}"#;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("kakunin-cli-shared-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Dir(dir)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// SPEC 9's request file: request line, headers, empty line, body.
fn raw(signed: &Signed) -> Vec<u8> {
    let mut out = format!(
        "{} {} HTTP/1.1\r\nHost: api.exchange.example\r\n",
        signed.method, signed.target
    )
    .into_bytes();
    for (name, value) in &signed.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", signed.body.len()).as_bytes());
    out.extend_from_slice(&signed.body);
    out
}

fn run(dir: &Path, store: &str, requests: &[PathBuf]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("request")
        .arg("--roots")
        .arg(dir.join("root.pem"))
        .arg("--intermediates")
        .arg(dir.join("intermediate.pem"))
        .arg("--routes")
        .arg(dir.join("routes.txt"))
        .arg("--revocation")
        .arg("none")
        .arg("--now")
        .arg(NOW_MS.to_string())
        .arg("--shared-store")
        .arg(store)
        .args(requests);
    cmd.output().expect("run kakunin-verify")
}

fn codes(out: &Output) -> Vec<Option<String>> {
    json_lines(out)
        .iter()
        .map(|v| v["code"].as_str().map(str::to_owned))
        .collect()
}

fn setup(
    tag: &str,
    agent_id: &str,
    policy: &Policy,
) -> (
    Dir,
    daily_pki::DailyPki,
    kakunin_verify::signer::AgentSigner,
) {
    let dir = Dir::new(tag);
    let pki = DailyPki::new();
    dir.write("root.pem", pki.root_pem().as_bytes());
    dir.write("intermediate.pem", pki.intermediate_pem().as_bytes());
    dir.write("routes.txt", b"POST /v1/trades submit_limit_order trade\n");
    let agent = pki.agent(agent_id, policy);
    (dir, pki, agent)
}

fn some(code: &str) -> Option<String> {
    Some(code.to_owned())
}

// SPEC 4.5: a request one process allowed is a replay for the next, and
// an unreachable store is `overloaded` — never allowed on local state.
#[test]
fn spec_4_5_two_processes_share_replay_and_fail_closed() {
    let mut server = RedisServer::start();
    let (dir, _pki, agent) = setup("replay", "fleet_replay_bot", &Policy::default());
    let request = dir.write(
        "trade.http",
        &raw(&sign(&agent, "POST", "/v1/trades", TRADE, NOW_MS)),
    );
    let first = run(&dir.0, &server.url(), std::slice::from_ref(&request));
    assert_eq!(
        codes(&first),
        vec![None],
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(first.status.code(), Some(0));
    let second = run(&dir.0, &server.url(), std::slice::from_ref(&request));
    assert_eq!(codes(&second), vec![some("replayed_request")]);
    assert_eq!(second.status.code(), Some(1));

    server.kill();
    let fresh = dir.write(
        "fresh.http",
        &raw(&sign(&agent, "POST", "/v1/trades", TRADE, NOW_MS)),
    );
    let down = run(&dir.0, &server.url(), &[fresh]);
    assert_eq!(codes(&down), vec![some("overloaded")]);
    assert_eq!(down.status.code(), Some(1));
}

// SPEC 5.5 and 5.3 across processes: 3 actions per 60 s split over two
// processes (the fourth refused), and a daily total of 2 500 reached by
// trades allowed in different processes.
#[test]
fn spec_5_5_and_5_3_two_processes_share_the_rate_window_and_the_daily_total() {
    let server = RedisServer::start();
    let policy = Policy {
        rate_limit: Some((3, 60)),
        daily_limit: Some(Amount(100_000, 0)),
        ..Policy::default()
    };
    let (dir, _pki, agent) = setup("rate", "fleet_rate_bot", &policy);
    let files: Vec<PathBuf> = (0..4)
        .map(|i| {
            dir.write(
                &format!("t{i}.http"),
                &raw(&sign(&agent, "POST", "/v1/trades", TRADE, NOW_MS)),
            )
        })
        .collect();
    let a = run(&dir.0, &server.url(), &files[..2]);
    assert_eq!(
        codes(&a),
        vec![None, None],
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let b = run(&dir.0, &server.url(), &files[2..]);
    assert_eq!(codes(&b), vec![None, some("rate_limited")]);

    let daily = Policy {
        daily_limit: Some(Amount(2_500, 0)),
        ..Policy::default()
    };
    let (dir, _pki, agent) = setup("daily", "fleet_daily_bot", &daily);
    let trades: Vec<PathBuf> = (0..3)
        .map(|i| {
            dir.write(
                &format!("d{i}.http"),
                &raw(&sign(&agent, "POST", "/v1/trades", TRADE, NOW_MS)),
            )
        })
        .collect();
    // 1 000 + 1 000 in two processes, then the third 1 000 passes 2 500.
    assert_eq!(codes(&run(&dir.0, &server.url(), &trades[..1])), vec![None]);
    assert_eq!(
        codes(&run(&dir.0, &server.url(), &trades[1..2])),
        vec![None]
    );
    assert_eq!(
        codes(&run(&dir.0, &server.url(), &trades[2..])),
        vec![some("amount_exceeds_limit")]
    );
}
