//! SPEC 4.5 and 5.5 under concurrency: insert-if-absent is atomic, and a
//! rate window admits exactly `max_actions` however many threads race.

use std::sync::{Arc, Barrier};
use std::thread;

use kakunin_verify::ratelimit::MemoryRateLimiter;
use kakunin_verify::replay::{MemoryNonceStore, NonceRecord, NonceStoreConfig};
use kakunin_verify::{Code, Error};

const THREADS: usize = 64;
const NOW: u64 = 1_700_000_000_000;

/// Runs `f` on `THREADS` threads released together; returns every answer.
fn race<F>(f: F) -> Vec<Result<(), Error>>
where
    F: Fn(usize) -> Result<(), Error> + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (f, barrier) = (Arc::clone(&f), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                f(i)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn record<'a>(agent_urn: &'a str, cert_sha256: &'a [u8; 32], nonce: &'a str) -> NonceRecord<'a> {
    NonceRecord {
        agent_urn,
        cert_sha256,
        nonce,
        keep_until_ms: NOW + 60_000,
    }
}

fn count(results: &[Result<(), Error>], code: Option<Code>) -> usize {
    results
        .iter()
        .filter(|r| r.as_ref().err().map(Error::code) == code)
        .count()
}

#[test]
fn sixty_four_copies_of_one_request_pass_exactly_once() {
    let store = Arc::new(MemoryNonceStore::default());
    let s = Arc::clone(&store);
    let results = race(move |_| {
        s.check_and_record_now(
            &record("urn:kakunin:agent:racer", &[9; 32], "the-same-nonce-0001"),
            NOW,
        )
    });
    assert_eq!(count(&results, None), 1);
    assert_eq!(count(&results, Some(Code::ReplayedRequest)), THREADS - 1);
}

#[test]
fn distinct_nonces_all_pass_and_capacity_is_never_exceeded() {
    let store = Arc::new(
        MemoryNonceStore::new(NonceStoreConfig {
            capacity: 40,
            max_agent_share_percent: 100,
        })
        .unwrap(),
    );
    let s = Arc::clone(&store);
    let results = race(move |i| {
        let cert = [(i % 8) as u8; 32];
        let urn = format!("urn:kakunin:agent:a{}", i % 8);
        s.check_and_record_now(&record(&urn, &cert, &format!("nonce-{i:016}")), NOW)
    });
    assert_eq!(count(&results, None), 40);
    assert_eq!(count(&results, Some(Code::Overloaded)), THREADS - 40);
}

#[test]
fn sixty_four_racing_actions_admit_exactly_max_actions() {
    let limiter = Arc::new(MemoryRateLimiter::default());
    let l = Arc::clone(&limiter);
    let results = race(move |_| l.try_acquire_now("urn:kakunin:agent:racer", 5, 1_000, NOW));
    assert_eq!(count(&results, None), 5);
    assert_eq!(count(&results, Some(Code::RateLimited)), THREADS - 5);
}
