//! Tail latency of the in-memory nonce store (SPEC 4.5) while one agent's
//! live nonces climb: records N fresh nonces of one agent in a default
//! store (1 000 000 nonces, 10 % per agent) and times each call, then
//! prints the median, p99, p99.99 and maximum, and every call over 100 µs:
//!
//! ```sh
//! cargo run --release --example nonce_growth 100000
//! ```
//!
//! An agent's pairs live in hash tables that grow by doubling under the
//! shard's lock: the call that crosses a table's load limit moves every
//! pair of that table. With one table per agent (until `ceee1d8`) that call
//! took time proportional to the agent's live count (2.16 ms at 57 345
//! pairs); a heavy agent's pairs are now spread over 64 tables, so it moves
//! about 1/64 of them. The shard's expiry heap grows by `realloc`, which
//! large blocks do without copying. A wall-clock measure: run it on an
//! idle machine.

use kakunin_verify::replay::{MemoryNonceStore, NonceRecord, NonceStoreConfig};
use std::time::Instant;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .unwrap_or(100_000);
    let store = MemoryNonceStore::new(NonceStoreConfig::default()).unwrap();
    assert!(
        n <= store.max_per_agent() as u64,
        "at most {} live nonces per agent",
        store.max_per_agent()
    );
    let cert = [7u8; 32];
    let mut times = Vec::with_capacity(n as usize);
    let mut slow = Vec::new();
    for i in 0..n {
        let nonce = format!("growth-nonce-{i:012}");
        let record = NonceRecord {
            agent_urn: "urn:kakunin:agent:growth",
            cert_sha256: &cert,
            nonce: &nonce,
            keep_until_ms: u64::MAX / 2,
        };
        let started = Instant::now();
        store.check_and_record_now(&record, 1_000).unwrap();
        let ns = started.elapsed().as_nanos() as u64;
        times.push(ns);
        if ns > 100_000 {
            slow.push((i + 1, ns));
        }
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{n} nonces of one agent: median {} ns, p99 {} ns, p99.99 {} ns, max {} ns",
        at(0.5),
        at(0.99),
        at(0.9999),
        times[times.len() - 1]
    );
    for (live, ns) in slow {
        println!(
            "  the call that recorded live nonce {live}: {:.2} ms",
            ns as f64 / 1e6
        );
    }
}
