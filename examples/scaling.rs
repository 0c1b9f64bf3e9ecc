//! Issue 11 item 4: how the hot path scales with threads sharing one
//! `Verifier`. Pre-signs N distinct requests (distinct nonces) per thread for
//! one agent whose certificate is cached, verifies them on one thread, then on
//! two threads at once (each with its own requests), and prints requests/s for
//! each and their ratio:
//!
//! ```sh
//! cargo run --release --example scaling rsa2048 20000
//! ```
//!
//! Kinds: `rsa2048`, `p256`, `ed25519` (the PKIs in `testdata/pki`). A
//! wall-clock measure: run it on an otherwise idle machine with at least two
//! cores. The setup is that of `examples/hotpath_loop.rs` (no revocation, the
//! in-memory stores).

use kakunin_verify::chain::TrustStore;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{HttpRequest, ManualClock, Revocation, Verifier};
use std::sync::Arc;
use std::time::Instant;

const NOW_MS: u64 = 1_782_897_300_000;
const AUDIENCE: &str = "api.exchange.example";
const BODY: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY","type":"limit","price":"1.08245","time_in_force":"GTC","client_order_id":"desk-7f3a9c2e-0001","account":"acct-00042","post_only":false}"#;

/// One pre-signed request's headers.
type Signed = Vec<(String, Vec<u8>)>;

/// A verifier over `testdata/pki/{kind}` and that PKI's agent signer.
fn setup(kind: &str) -> (Verifier, AgentSigner) {
    let d = format!("{}/testdata/pki/{kind}", env!("CARGO_MANIFEST_DIR"));
    let read = |f: &str| std::fs::read(format!("{d}/{f}")).expect("testdata/pki/KIND file");
    let mut t = TrustStore::new();
    t.add_roots_pem(&read("root.pem")).expect("root");
    t.add_intermediates_pem(&read("intermediate.pem"))
        .expect("intermediate");
    let v = Verifier::builder(t)
        .audience(AUDIENCE)
        .routes(
            "POST /v1/trades submit_limit_order trade"
                .parse()
                .expect("routes"),
        )
        .clock(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Disabled)
        .build()
        .expect("verifier");
    let s = AgentSigner::from_pem(&read("leaf.key"), &read("leaf.pem"), None).expect("signer");
    (v, s)
}

/// Request `i`, with its own nonce (the p256 agent's policy asks for model
/// provenance, as in `hotpath_loop`).
fn sign(s: &AgentSigner, kind: &str, i: usize) -> Signed {
    let digest = |b: &[u8]| {
        kakunin_verify::hex::encode(ring::digest::digest(&ring::digest::SHA256, b).as_ref())
    };
    let (model, prompt) = (digest(b"weights"), digest(b"prompt"));
    let prov = kind == "p256";
    let nonce = format!("scaling-nonce-{i:010}");
    s.sign(&RequestToSign {
        audience: AUDIENCE,
        method: "POST",
        target: "/v1/trades",
        body: BODY.as_bytes(),
        timestamp_ms: NOW_MS,
        nonce: Some(&nonce),
        model_sha256: prov.then_some(model.as_str()),
        prompt_sha256: prov.then_some(prompt.as_str()),
    })
    .expect("sign")
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.into_bytes()))
    .collect()
}

/// Verifies `reqs` in order (one `block_on` for the batch); the allowed count.
fn run(v: &Verifier, reqs: &[Signed]) -> usize {
    pollster::block_on(async {
        let mut ok = 0;
        for r in reqs {
            let pairs: Vec<(&str, &[u8])> =
                r.iter().map(|(a, b)| (a.as_str(), b.as_slice())).collect();
            let req = HttpRequest::new("POST", "/v1/trades", &pairs, BODY.as_bytes());
            if v.verify(&req).await.is_ok() {
                ok += 1;
            }
        }
        ok
    })
}

fn main() {
    let kind = std::env::args().nth(1).unwrap_or("rsa2048".into());
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|x| x.parse().ok())
        .unwrap_or(20_000);
    let (v, s) = setup(&kind);
    let v = Arc::new(v);
    // Warm the certificate cache.
    assert_eq!(
        run(&v, &[sign(&s, &kind, usize::MAX / 2)]),
        1,
        "warm-up allowed"
    );
    // Three disjoint slices of nonces: one for the single thread, two for the pair.
    let batches: Vec<Vec<Signed>> = (0..3)
        .map(|b| (0..n).map(|i| sign(&s, &kind, b * n + i)).collect())
        .collect();
    let [one, a, b] = &batches[..] else {
        unreachable!("three batches")
    };

    let start = Instant::now();
    let ok = run(&v, one);
    let single = start.elapsed().as_secs_f64();
    assert_eq!(ok, n, "every request of the single thread is allowed");

    let start = Instant::now();
    let oks = std::thread::scope(|scope| {
        let handles: Vec<_> = [a, b]
            .into_iter()
            .map(|reqs| {
                let v = Arc::clone(&v);
                scope.spawn(move || run(&v, reqs))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect::<Vec<_>>()
    });
    let double = start.elapsed().as_secs_f64();
    assert_eq!(oks, [n, n], "every request of both threads is allowed");

    let rps1 = n as f64 / single;
    let rps2 = (2 * n) as f64 / double;
    println!("{kind}: {n} requests per thread, one Verifier shared");
    println!("1 thread : {rps1:>10.0} requests/s");
    println!("2 threads: {rps2:>10.0} requests/s");
    println!("ratio    : {:.2} (goal >= 1.8)", rps2 / rps1);
}
