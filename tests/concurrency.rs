//! SPEC 4.5: two concurrent copies of one request cannot both pass.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use kakunin_verify::ManualClock;

#[test]
fn sixty_four_threads_submit_the_same_signed_request_exactly_one_passes() {
    let verifier = Arc::new(
        v1_builder(Arc::new(ManualClock::new(NOW_MS)))
            .build()
            .unwrap(),
    );
    let request = Arc::new(sign(
        &v1_signer("desk_bot_1"),
        "POST",
        "/v1/trades",
        r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#,
        NOW_MS,
    ));
    let barrier = Arc::new(Barrier::new(64));
    let handles: Vec<_> = (0..64)
        .map(|_| {
            let (v, r, b) = (verifier.clone(), request.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                r.code(&v)
            })
        })
        .collect();
    let codes: Vec<Option<&str>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let allowed = codes.iter().filter(|c| c.is_none()).count();
    let replayed = codes
        .iter()
        .filter(|c| **c == Some("replayed_request"))
        .count();
    assert_eq!((allowed, replayed), (1, 63), "{codes:?}");
}

#[test]
fn concurrent_distinct_requests_of_many_agents_all_pass() {
    let verifier = Arc::new(
        v1_builder(Arc::new(ManualClock::new(NOW_MS)))
            .build()
            .unwrap(),
    );
    let agents = ["desk_bot_1", "report_bot"];
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let v = verifier.clone();
            let agent = agents[i % 2];
            std::thread::spawn(move || {
                let s = v1_signer(agent);
                (0..8)
                    .map(|_| {
                        let r = if agent == "desk_bot_1" {
                            sign(
                                &s,
                                "POST",
                                "/v1/trades",
                                r#"{"market":"GBP_USD","size":1}"#,
                                NOW_MS,
                            )
                        } else {
                            sign(&s, "GET", "/data/processed/x", "", NOW_MS)
                        };
                        r.code(&v)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().iter().all(Option::is_none));
    }
}
