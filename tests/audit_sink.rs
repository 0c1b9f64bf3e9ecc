//! SPEC 8: every decision's audit record reaches the configured sink — the
//! append-only JSON-lines trail gets one line per request, allowed or
//! denied — and an allowed decision that the trail cannot record is denied
//! (`overloaded`, 503) instead.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use kakunin_verify::audit::sink::{AuditSink, AuditSinkError, FanOut, JsonLinesSink};
use kakunin_verify::audit::AuditRecord;
use kakunin_verify::ManualClock;

const TRADE: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;

fn trail_path(name: &str) -> std::path::PathBuf {
    let p = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("audit-{name}-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

// SPEC 8: one JSON line per decision, in order, each the decision's record.
#[test]
fn spec_8_json_lines_trail_has_one_line_per_decision() {
    let path = trail_path("lines");
    let sink = Arc::new(JsonLinesSink::open(&path).unwrap());
    let v = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .audit_sink(sink.clone())
        .build()
        .unwrap();
    let signed = sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
    );
    assert!(signed.verify(&v).is_ok());
    assert_eq!(signed.code(&v), Some("replayed_request"));
    let mut junk = signed.clone();
    junk.target = "/v1/../admin".into();
    assert_eq!(junk.code(&v), Some("malformed_request"));
    assert_eq!(sink.written(), 3);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["agent_id"], "desk_bot_1");
    assert_eq!(lines[1]["code"], "replayed_request");
    assert_eq!(lines[2]["code"], "malformed_request");
    assert_eq!(lines[2]["target"], "/v1/../admin");
    // Append-only: a second sink on the same file adds, never truncates.
    let again = JsonLinesSink::open(&path).unwrap();
    again.record(&AuditRecord::default()).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 4);
}

/// A sink that fails every record, counting the attempts.
#[derive(Default)]
struct Broken(AtomicUsize);

impl AuditSink for Broken {
    fn record(&self, _: &AuditRecord) -> Result<(), AuditSinkError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(AuditSinkError("disk full".into()))
    }
}

// SPEC 8 with fail-closed: no allowed action without its record.
#[test]
fn spec_8_an_unrecordable_allow_is_denied_overloaded() {
    let broken = Arc::new(Broken::default());
    let v = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .audit_sink(broken.clone())
        .build()
        .unwrap();
    let signed = sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
    );
    let denial = signed.verify(&v).unwrap_err();
    assert_eq!(denial.error.code().as_str(), "overloaded");
    assert_eq!(denial.error.http_status(), 503);
    assert_eq!(denial.error.retry_after_seconds(), Some(1));
    assert_eq!(denial.audit.decision, "deny");
    assert_eq!(denial.audit.code.map(|c| c.as_str()), Some("overloaded"));
    // The allow and then the denial were offered.
    assert_eq!(broken.0.load(Ordering::SeqCst), 2);
    // A denial the sink cannot record stays the denial it was.
    let mut bad = sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
    );
    bad.target = "/v1//trades".into();
    assert_eq!(bad.code(&v), Some("malformed_request"));
}

// A fan-out offers every record to every sink, and reports a failure.
#[test]
fn fan_out_reaches_every_sink() {
    let path = trail_path("fanout");
    let file = Arc::new(JsonLinesSink::open(&path).unwrap());
    let broken = Arc::new(Broken::default());
    let fan = FanOut(vec![broken.clone(), file.clone()]);
    assert!(fan.record(&AuditRecord::default()).is_err());
    assert_eq!(broken.0.load(Ordering::SeqCst), 1);
    assert_eq!(file.written(), 1);
}
