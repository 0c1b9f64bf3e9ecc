//! Criterion benchmarks of SPEC 4.3's canonical body against `serde_json`
//! on the same order-book-shaped 1 MiB body.
//!
//! Run: `cargo bench --bench canonical`. IDs (group `canonical`):
//!
//! - `canonical_1mib`: what the verifier does with a body — the crate's
//!   strict I-JSON parse (duplicate names, noncharacters, exact numbers,
//!   top-level case twins, depth), the RFC 8785 canonical bytes and their
//!   SHA-256 (`canonicalize`, then `CanonicalBody::sha256`);
//! - `serde_json_1mib`: `serde_json::from_slice::<serde_json::Value>` then
//!   `serde_json::to_vec` of the same body (no I-JSON checks, no hash).
//!
//! Issue 11's goal: `canonical_1mib` ≤ 1.5 × `serde_json_1mib`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use kakunin_verify::canonical::canonicalize;

const MIB: usize = 1 << 20;

/// A deterministic pseudo-random sequence (64-bit LCG), so every run
/// benches the same bytes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// One price level: strings (decimal prices, ids, a venue), integers,
/// exact decimals, booleans, null, a nested object and a small array.
fn level(r: &mut Lcg, side: &str, i: usize) -> String {
    let pips = if side == "bid" {
        8245 - r.next(400)
    } else {
        8246 + r.next(400)
    };
    format!(
        concat!(
            r#"{{"price":"1.0{pips:04}","size":{size},"orders":{orders},"#,
            r#""id":"{side}-{i:08}","venue":"{venue}","fee":0.{fee:04}5,"#,
            r#""flags":{{"post_only":{post},"hidden":{hidden},"iceberg":null}},"#,
            r#""tags":["{tag}","L{depth}"],"updated_ms":{ts}}}"#
        ),
        pips = pips,
        size = 1_000 * (1 + r.next(500)),
        orders = 1 + r.next(40),
        side = side,
        i = i,
        venue = ["XLON", "XNYS", "EBS", "LMAX"][r.next(4) as usize],
        fee = r.next(1000),
        post = r.next(2) == 0,
        hidden = r.next(5) == 0,
        tag = ["maker", "taker", "algo", "desk"][r.next(4) as usize],
        depth = i % 50,
        ts = 1_782_897_300_000 + r.next(60_000),
    )
}

/// An order book of about 1 MiB: top-level metadata, then bids and asks.
fn order_book(size: usize) -> Vec<u8> {
    let mut r = Lcg(0x6b61_6b75_6e69_6e00);
    let mut bids = Vec::new();
    let mut asks = Vec::new();
    let mut len = 0;
    let mut i = 0;
    while len < size - 400 {
        let (b, a) = (level(&mut r, "bid", i), level(&mut r, "ask", i));
        len += b.len() + a.len() + 2;
        bids.push(b);
        asks.push(a);
        i += 1;
    }
    format!(
        concat!(
            r#"{{"market":"EUR_USD","sequence":918273645,"snapshot":true,"#,
            r#""timestamp":"2026-07-01T09:15:00.000Z","bids":[{}],"asks":[{}],"#,
            r#""stats":{{"vwap":1.08251,"volume":123456.5,"levels":{}}}}}"#
        ),
        bids.join(","),
        asks.join(","),
        i,
    )
    .into_bytes()
}

fn canonical_benches(c: &mut Criterion) {
    let body = order_book(MIB);
    let canonical = canonicalize(&body).expect("the order book is a valid request body");
    println!(
        "order book: {} bytes, canonical {} bytes",
        body.len(),
        canonical.canonical_bytes().len()
    );
    let mut g = c.benchmark_group("canonical");
    g.measurement_time(Duration::from_secs(6))
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("canonical_1mib", |b| {
        b.iter(|| {
            let body = canonicalize(black_box(&body)).expect("valid");
            black_box(body.sha256())
        })
    });
    g.bench_function("serde_json_1mib", |b| {
        b.iter(|| {
            let value: serde_json::Value = serde_json::from_slice(black_box(&body)).expect("valid");
            black_box(serde_json::to_vec(&value).expect("serializable"))
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = canonical_benches
}
criterion_main!(benches);
