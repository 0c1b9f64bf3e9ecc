//! Tests of the in-memory nonce store (SPEC 4.5).

use super::*;
use crate::error::Code;
use crate::replay::{DEFAULT_NONCE_CAPACITY, MAX_NONCE_CAPACITY, MAX_NONCE_LEN};

/// Records (cert, nonce) for the agent named after the certificate's first
/// byte: in these tests each certificate is its own agent unless a test
/// names the agent itself (see `put_as`).
fn put(
    s: &MemoryNonceStore,
    cert: &[u8; 32],
    nonce: &str,
    keep: u64,
    now: u64,
) -> Result<(), Error> {
    let urn = format!("urn:kakunin:agent:agent-{}", cert[0]);
    put_as(s, &urn, cert, nonce, keep, now)
}

fn put_as(
    s: &MemoryNonceStore,
    urn: &str,
    cert: &[u8; 32],
    nonce: &str,
    keep: u64,
    now: u64,
) -> Result<(), Error> {
    let record = NonceRecord {
        agent_urn: urn,
        cert_sha256: cert,
        nonce,
        keep_until_ms: keep,
    };
    s.check_and_record_now(&record, now)
}

const NOW: u64 = 1_700_000_000_000;
const KEEP: u64 = 60_000;
const A: [u8; 32] = [1; 32];
const B: [u8; 32] = [2; 32];

fn store(capacity: usize, percent: u8) -> MemoryNonceStore {
    MemoryNonceStore::new(NonceStoreConfig {
        capacity,
        max_agent_share_percent: percent,
    })
    .unwrap()
}

fn code(r: Result<(), Error>) -> Option<Code> {
    r.err().map(|e| e.code())
}

fn nonce(i: usize) -> String {
    format!("nonce-{i:016}")
}

#[test]
fn replay_is_refused_while_live() {
    let s = MemoryNonceStore::default();
    assert_eq!(put(&s, &A, "n-0123456789abcdef", NOW + KEEP, NOW), Ok(()));
    for later in [NOW, NOW + 1, NOW + KEEP] {
        let r = put(&s, &A, "n-0123456789abcdef", later + KEEP, later);
        assert_eq!(code(r), Some(Code::ReplayedRequest), "at {later}");
    }
}

#[test]
fn same_nonce_for_another_certificate_is_fine() {
    let s = MemoryNonceStore::default();
    assert_eq!(put(&s, &A, "same-nonce-123456", NOW + KEEP, NOW), Ok(()));
    assert_eq!(put(&s, &B, "same-nonce-123456", NOW + KEEP, NOW), Ok(()));
    let r = put(&s, &B, "same-nonce-123456", NOW + KEEP, NOW);
    assert_eq!(code(r), Some(Code::ReplayedRequest));
}

#[test]
fn nonce_can_be_recorded_again_after_keep_until() {
    let s = MemoryNonceStore::default();
    assert_eq!(put(&s, &A, "n-expiring-000000", NOW + KEEP, NOW), Ok(()));
    let after = NOW + KEEP + 1;
    assert_eq!(
        put(&s, &A, "n-expiring-000000", after + KEEP, after),
        Ok(())
    );
    let r = put(&s, &A, "n-expiring-000000", after + KEEP, after + 5);
    assert_eq!(code(r), Some(Code::ReplayedRequest));
}

#[test]
fn stale_heap_entry_does_not_forget_a_rerecorded_nonce() {
    let s = MemoryNonceStore::default();
    assert_eq!(put(&s, &A, "n-stale-00000000", NOW + 10, NOW), Ok(()));
    // Re-recorded after expiry, before any purge of the old heap entry.
    let t1 = NOW + 11;
    assert_eq!(put(&s, &A, "n-stale-00000000", t1 + KEEP, t1), Ok(()));
    // Later calls purge the stale entry; the new record must survive it.
    let t2 = NOW + 1000;
    assert_eq!(put(&s, &A, "n-other-00000000", t2 + KEEP, t2), Ok(()));
    let r = put(&s, &A, "n-stale-00000000", t2 + KEEP, t2);
    assert_eq!(code(r), Some(Code::ReplayedRequest));
}

#[test]
fn keep_until_in_the_past_is_still_live_now() {
    let s = MemoryNonceStore::default();
    assert_eq!(put(&s, &A, "n-past-000000000", NOW - 5, NOW), Ok(()));
    let r = put(&s, &A, "n-past-000000000", NOW - 5, NOW);
    assert_eq!(code(r), Some(Code::ReplayedRequest));
}

#[test]
fn full_store_is_overloaded_until_nonces_expire() {
    let capacity = 50;
    let s = store(capacity, 100);
    let certs: Vec<[u8; 32]> = (0..capacity).map(|i| [i as u8; 32]).collect();
    for (i, cert) in certs.iter().enumerate() {
        assert_eq!(put(&s, cert, &nonce(i), NOW + KEEP, NOW), Ok(()));
    }
    let r = put(&s, &[200; 32], &nonce(999), NOW + KEEP, NOW + 1);
    assert_eq!(code(r), Some(Code::Overloaded));
    // Nothing live was forgotten to make room.
    for (i, cert) in certs.iter().enumerate() {
        let r = put(&s, cert, &nonce(i), NOW + KEEP, NOW + 2);
        assert_eq!(code(r), Some(Code::ReplayedRequest));
    }
    let later = NOW + KEEP + 1;
    for i in 0..capacity {
        let r = put(&s, &[200; 32], &nonce(1000 + i), later + KEEP, later);
        assert_eq!(r, Ok(()), "{i}");
    }
    let r = put(&s, &[201; 32], &nonce(0), later + KEEP, later);
    assert_eq!(code(r), Some(Code::Overloaded));
}

#[test]
fn agent_share_is_rate_limited_while_others_pass() {
    let s = store(100, 10);
    assert_eq!(s.max_per_agent(), 10);
    for i in 0..10 {
        assert_eq!(put(&s, &A, &nonce(i), NOW + KEEP, NOW), Ok(()));
    }
    let r = put(&s, &A, &nonce(10), NOW + KEEP, NOW);
    assert_eq!(code(r), Some(Code::RateLimited));
    // A replay is still reported as a replay.
    let r = put(&s, &A, &nonce(3), NOW + KEEP, NOW);
    assert_eq!(code(r), Some(Code::ReplayedRequest));
    assert_eq!(put(&s, &B, &nonce(10), NOW + KEEP, NOW), Ok(()));
    // Once A's nonces expire, A may record again.
    let later = NOW + KEEP + 1;
    assert_eq!(put(&s, &A, &nonce(10), later + KEEP, later), Ok(()));
}

#[test]
fn overlong_nonce_is_malformed() {
    let s = MemoryNonceStore::default();
    let long = "a".repeat(MAX_NONCE_LEN + 1);
    assert_eq!(
        code(put(&s, &A, &long, NOW + KEEP, NOW)),
        Some(Code::MalformedRequest)
    );
    let max = "a".repeat(MAX_NONCE_LEN);
    assert_eq!(put(&s, &A, &max, NOW + KEEP, NOW), Ok(()));
}

#[test]
fn config_is_validated() {
    let bad = [(0, 10), (MAX_NONCE_CAPACITY + 1, 10), (10, 0), (10, 101)];
    for (capacity, percent) in bad {
        let c = NonceStoreConfig {
            capacity,
            max_agent_share_percent: percent,
        };
        assert!(MemoryNonceStore::new(c).is_err(), "{capacity} {percent}");
    }
    assert_eq!(store(5, 10).max_per_agent(), 1);
    assert_eq!(MemoryNonceStore::default().max_per_agent(), 100_000);
    assert_eq!(
        MemoryNonceStore::default().capacity(),
        DEFAULT_NONCE_CAPACITY
    );
}

#[test]
fn trait_method_delegates() {
    let s = MemoryNonceStore::default();
    let dynamic: &dyn NonceStore = &s;
    let rec = NonceRecord {
        agent_urn: "urn:kakunin:agent:t",
        cert_sha256: &A,
        nonce: "n-trait-00000000",
        keep_until_ms: NOW + KEEP,
    };
    let first = pollster::block_on(dynamic.check_and_record(rec, NOW));
    assert_eq!(first, Ok(()));
    let again = pollster::block_on(dynamic.check_and_record(rec, NOW));
    assert_eq!(code(again), Some(Code::ReplayedRequest));
}

// SPEC 4.5 (1.1): the share is per agent URN across all its certificates: an
// agent that renewed its certificate (or holds several) cannot double its share.
#[test]
fn spec_4_5_agent_share_counts_all_certificates_of_one_urn() {
    let s = store(100, 10);
    let urn = "urn:kakunin:agent:desk_bot_1";
    for i in 0..5 {
        assert_eq!(put_as(&s, urn, &A, &nonce(i), NOW + KEEP, NOW), Ok(()));
    }
    for i in 5..10 {
        assert_eq!(put_as(&s, urn, &B, &nonce(i), NOW + KEEP, NOW), Ok(()));
    }
    // Ten live nonces across two certificates: the agent's share is used up,
    // on either certificate and on a third one.
    for cert in [&A, &B, &[3; 32]] {
        let r = put_as(&s, urn, cert, &nonce(100), NOW + KEEP, NOW);
        assert_eq!(code(r), Some(Code::RateLimited));
    }
    // Another agent on the same certificate bytes is unaffected.
    assert_eq!(
        put_as(
            &s,
            "urn:kakunin:agent:other",
            &A,
            &nonce(100),
            NOW + KEEP,
            NOW
        ),
        Ok(())
    );
}

// SPEC 4.5: the replayed pair is (certificate, nonce): the same nonce under
// another certificate of the same agent is a different pair.
#[test]
fn spec_4_5_pair_is_certificate_and_nonce_within_one_agent() {
    let s = MemoryNonceStore::default();
    let urn = "urn:kakunin:agent:desk_bot_1";
    assert_eq!(
        put_as(&s, urn, &A, "same-nonce-123456", NOW + KEEP, NOW),
        Ok(())
    );
    assert_eq!(
        put_as(&s, urn, &B, "same-nonce-123456", NOW + KEEP, NOW),
        Ok(())
    );
    let r = put_as(&s, urn, &B, "same-nonce-123456", NOW + KEEP, NOW);
    assert_eq!(code(r), Some(Code::ReplayedRequest));
}

#[test]
fn overlong_urn_is_malformed() {
    let s = MemoryNonceStore::default();
    let urn = format!("urn:kakunin:agent:{}", "a".repeat(129));
    let r = put_as(&s, &urn, &A, "n-0123456789abcdef", NOW + KEEP, NOW);
    assert_eq!(code(r), Some(Code::MalformedRequest));
}

// The verifier's path: the agent's key prepared once per cached
// certificate. It must be the same agent, for the share and for replays, as
// the URN hashed on each call.
#[test]
fn spec_4_5_prepared_agent_is_the_same_agent_as_its_urn() {
    let s = store(100, 10);
    let urn = "urn:kakunin:agent:desk_bot_1";
    let agent = s.prepare_agent(urn);
    let prepared = |cert: &[u8; 32], n: &str| {
        let record = NonceRecord {
            agent_urn: urn,
            cert_sha256: cert,
            nonce: n,
            keep_until_ms: NOW + KEEP,
        };
        s.check_and_record_prepared(agent, &record, NOW)
    };
    for i in 0..5 {
        assert_eq!(prepared(&A, &nonce(i)), Ok(()));
    }
    for i in 5..10 {
        assert_eq!(put_as(&s, urn, &A, &nonce(i), NOW + KEEP, NOW), Ok(()));
    }
    // A pair recorded either way is a replay either way.
    assert_eq!(code(prepared(&A, &nonce(7))), Some(Code::ReplayedRequest));
    let r = put_as(&s, urn, &A, &nonce(2), NOW + KEEP, NOW);
    assert_eq!(code(r), Some(Code::ReplayedRequest));
    // Ten live nonces, five each way: one share, used up both ways.
    assert_eq!(code(prepared(&B, &nonce(10))), Some(Code::RateLimited));
    let r = put_as(&s, urn, &B, &nonce(10), NOW + KEEP, NOW);
    assert_eq!(code(r), Some(Code::RateLimited));
    // The record is still checked: an overlong nonce is malformed.
    let long = "a".repeat(MAX_NONCE_LEN + 1);
    assert_eq!(code(prepared(&A, &long)), Some(Code::MalformedRequest));
    // Another store prepares another key for the same URN (its own secret).
    assert_ne!(store(100, 10).prepare_agent(urn), agent);
}

// SPEC 4.5 for an agent heavy enough that its pairs are split over several
// tables: every recorded pair is still a replay while live, the agent's
// share is still counted exactly, and expired pairs are still forgotten.
#[test]
fn a_heavy_agent_split_over_tables_keeps_every_rule() {
    use super::super::agent_pairs::SPLIT_AT;
    let heavy = 3 * SPLIT_AT;
    // One agent may hold exactly `heavy` live pairs.
    let s = store(heavy * 10, 10);
    assert_eq!(s.max_per_agent(), heavy);
    for i in 0..heavy {
        assert_eq!(put(&s, &A, &nonce(i), NOW + KEEP, NOW), Ok(()), "{i}");
    }
    for i in (0..heavy).step_by(7) {
        let r = put(&s, &A, &nonce(i), NOW + KEEP, NOW + 1);
        assert_eq!(code(r), Some(Code::ReplayedRequest), "{i}");
    }
    let over = put(&s, &A, &nonce(heavy), NOW + KEEP, NOW + 1);
    assert_eq!(code(over), Some(Code::RateLimited));
    // Another agent is not held back by the heavy one's share.
    assert_eq!(put(&s, &B, &nonce(0), NOW + KEEP, NOW + 1), Ok(()));
    // Past their keep-until, the heavy agent's pairs are forgotten: the
    // same nonces are fresh again, and its share is free again.
    let later = NOW + KEEP + 1;
    for i in 0..heavy {
        assert_eq!(put(&s, &A, &nonce(i), later + KEEP, later), Ok(()), "{i}");
    }
    let over = put(&s, &A, &nonce(heavy), later + KEEP, later);
    assert_eq!(code(over), Some(Code::RateLimited));
}
