//! Feature `tracing` (issue 8, SPEC 8): one `kakunin.verify` span per
//! verification recording the decision, code, agent and duration, and
//! `TracingSink` emitting one event per decision — captured here by a small
//! in-test subscriber.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use kakunin_verify::audit::sink::TracingSink;
use kakunin_verify::ManualClock;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const TRADE: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;

/// A span's name and its recorded fields.
type SpanRecord = (String, Vec<String>);

/// Every span's recorded fields and every event's fields, as "name=value".
#[derive(Default, Clone)]
struct Capture {
    spans: Arc<Mutex<Vec<SpanRecord>>>,
    events: Arc<Mutex<Vec<Vec<String>>>>,
}

struct Fields<'a>(&'a mut Vec<String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push(format!("{}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push(format!("{}={value}", field.name()));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut spans = self.spans.lock().unwrap();
        let mut fields = Vec::new();
        attrs.record(&mut Fields(&mut fields));
        spans.push((attrs.metadata().name().to_owned(), fields));
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        if let Some((_, fields)) = spans.get_mut(id.into_u64() as usize - 1) {
            values.record(&mut Fields(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        self.events.lock().unwrap().push(fields);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn a_span_per_verification_and_an_event_per_decision() {
    let capture = Capture::default();
    let v = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .audit_sink(Arc::new(TracingSink))
        .build()
        .unwrap();
    let signed = sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
    );
    tracing::subscriber::with_default(capture.clone(), || {
        assert!(signed.verify(&v).is_ok());
        assert_eq!(signed.code(&v), Some("replayed_request"));
    });
    let spans = capture.spans.lock().unwrap();
    let verify: Vec<_> = spans
        .iter()
        .filter(|(n, _)| n == "kakunin.verify")
        .collect();
    assert_eq!(verify.len(), 2);
    let has = |fields: &[String], f: &str| fields.iter().any(|x| x == f);
    assert!(has(&verify[0].1, "decision=allow"), "{:?}", verify[0].1);
    assert!(
        has(&verify[0].1, "agent_id=desk_bot_1"),
        "{:?}",
        verify[0].1
    );
    assert!(has(&verify[1].1, "decision=deny"), "{:?}", verify[1].1);
    assert!(
        has(&verify[1].1, "code=replayed_request"),
        "{:?}",
        verify[1].1
    );
    assert!(verify
        .iter()
        .all(|(_, f)| f.iter().any(|x| x.starts_with("duration_us="))));
    let events = capture.events.lock().unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(has(&events[0], "decision=allow") && has(&events[0], "agent_id=desk_bot_1"));
    assert!(has(&events[1], "decision=deny") && has(&events[1], "code=replayed_request"));
}
