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
//! in-memory stores). The agent's policy allows 1 000 actions per 60 s
//! (SPEC 5.5), so the requests are signed in rate windows of 998 and the
//! injected clock moves to each window's start between them (with two
//! threads, at a barrier every 499 requests each).

use kakunin_verify::chain::TrustStore;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{HttpRequest, ManualClock, Revocation, Verifier};
use std::sync::{Arc, Barrier};
use std::time::Instant;

const NOW_MS: u64 = 1_782_897_300_000;
const AUDIENCE: &str = "api.exchange.example";
const BODY: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY","type":"limit","price":"1.08245","time_in_force":"GTC","client_order_id":"desk-7f3a9c2e-0001","account":"acct-00042","post_only":false}"#;

/// One pre-signed request's headers.
type Signed = Vec<(String, Vec<u8>)>;

/// The v1 agents' `rateLimit` (testdata/generate.sh): 1 000 actions per 60 s.
const RATE_PERIOD_MS: u64 = 60_000;
/// Allowed requests per rate window, all threads together (below 1 000).
const PER_WINDOW: usize = 998;

/// A verifier over `testdata/pki/{kind}` at the clock `clock`, and that
/// PKI's agent signer.
fn setup(kind: &str, clock: &Arc<ManualClock>) -> (Verifier, AgentSigner) {
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
        .clock(Arc::clone(clock) as Arc<dyn kakunin_verify::Clock>)
        .revocation(Revocation::Disabled)
        .build()
        .expect("verifier");
    let s = AgentSigner::from_pem(&read("leaf.key"), &read("leaf.pem"), None).expect("signer");
    (v, s)
}

/// Request with nonce number `i`, signed at `at_ms` (the p256 agent's
/// policy asks for model provenance, as in `hotpath_loop`).
fn sign(s: &AgentSigner, kind: &str, i: usize, at_ms: u64) -> Signed {
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
        timestamp_ms: at_ms,
        nonce: Some(&nonce),
        model_sha256: prov.then_some(model.as_str()),
        prompt_sha256: prov.then_some(prompt.as_str()),
    })
    .expect("sign")
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.into_bytes()))
    .collect()
}

/// The start of rate window `w` (a period and a millisecond apart, so the
/// previous window's actions have slid out).
fn window_ms(w: usize) -> u64 {
    NOW_MS + w as u64 * (RATE_PERIOD_MS + 1)
}

/// `n` requests with nonces from `first`, `per_window` per rate window from
/// window `first_window` on, each signed at its window's start.
fn batch(
    s: &AgentSigner,
    kind: &str,
    first: usize,
    n: usize,
    per_window: usize,
    first_window: usize,
) -> Vec<(u64, Vec<Signed>)> {
    (0..n.div_ceil(per_window))
        .map(|w| {
            let at = window_ms(first_window + w);
            let reqs = (w * per_window..n.min((w + 1) * per_window))
                .map(|i| sign(s, kind, first + i, at))
                .collect();
            (at, reqs)
        })
        .collect()
}

/// Verifies the windows' requests in order (one `block_on` for the batch),
/// moving the shared clock to each window's start — alone, or with the other
/// thread at `barrier` (one of them moves the clock, then both go on); the
/// allowed count.
fn run(
    v: &Verifier,
    clock: &ManualClock,
    windows: &[(u64, Vec<Signed>)],
    barrier: Option<&Barrier>,
) -> usize {
    pollster::block_on(async {
        let mut ok = 0;
        for (at, reqs) in windows {
            match barrier {
                Some(b) => {
                    if b.wait().is_leader() {
                        clock.set_ms(*at);
                    }
                    b.wait();
                }
                None => clock.set_ms(*at),
            }
            for r in reqs {
                let pairs: Vec<(&str, &[u8])> =
                    r.iter().map(|(a, b)| (a.as_str(), b.as_slice())).collect();
                let req = HttpRequest::new("POST", "/v1/trades", &pairs, BODY.as_bytes());
                if v.verify(&req).await.is_ok() {
                    ok += 1;
                }
            }
        }
        ok
    })
}

/// Control: `n` bare `ring` verifications of same-size messages with the
/// agent's key, on one thread and then on two (nothing shared): the ratio the
/// machine itself gives two threads at this moment.
fn control_ratio(s: &AgentSigner, kind: &str, n: usize) -> f64 {
    let alg: &'static dyn ring::signature::VerificationAlgorithm = match kind {
        "rsa2048" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        "p256" => &ring::signature::ECDSA_P256_SHA256_ASN1,
        _ => &ring::signature::ED25519,
    };
    let key = s.certificate().public_key();
    let signed: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
        .map(|i| {
            let m = format!("{i:08}").repeat(28).into_bytes();
            let sg = s.sign_bytes(&m).expect("sign");
            (m, sg)
        })
        .collect();
    let verify_all = || {
        signed
            .iter()
            .filter(|(m, sg)| {
                ring::signature::UnparsedPublicKey::new(alg, key)
                    .verify(m, sg)
                    .is_ok()
            })
            .count()
    };
    let start = Instant::now();
    assert_eq!(verify_all(), n, "ring verifies the agent's signatures");
    let single = start.elapsed().as_secs_f64();
    let start = Instant::now();
    std::thread::scope(|scope| {
        let h = [scope.spawn(verify_all), scope.spawn(verify_all)];
        for h in h {
            assert_eq!(h.join().expect("thread"), n);
        }
    });
    let double = start.elapsed().as_secs_f64();
    (2 * n) as f64 / double / (n as f64 / single)
}

/// This process's CPU time so far, in seconds (Linux: `/proc/self/stat`
/// utime + stime at 100 ticks/s); `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command's closing parenthesis; utime and stime are
    // the 14th and 15th fields of the line.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn main() {
    let kind = std::env::args().nth(1).unwrap_or("rsa2048".into());
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|x| x.parse().ok())
        .unwrap_or(20_000);
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let (v, s) = setup(&kind, &clock);
    let v = Arc::new(v);
    // Warm the certificate cache (window 0).
    let warm = batch(&s, &kind, 3 * n, 1, 1, 0);
    assert_eq!(run(&v, &clock, &warm, None), 1, "warm-up allowed");
    // Disjoint nonces and rate windows: the single thread's, then the pair's
    // (which share each window's allowance, half each).
    let one = batch(&s, &kind, 0, n, PER_WINDOW, 1);
    let first_pair_window = 1 + one.len();
    let a = batch(&s, &kind, n, n, PER_WINDOW / 2, first_pair_window);
    let b = batch(&s, &kind, 2 * n, n, PER_WINDOW / 2, first_pair_window);

    let start = Instant::now();
    let ok = run(&v, &clock, &one, None);
    let single = start.elapsed().as_secs_f64();
    assert_eq!(ok, n, "every request of the single thread is allowed");

    let barrier = Barrier::new(2);
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let oks = std::thread::scope(|scope| {
        let handles: Vec<_> = [&a, &b]
            .into_iter()
            .map(|reqs| {
                let (v, clock, barrier) = (Arc::clone(&v), &clock, &barrier);
                scope.spawn(move || run(&v, clock, reqs, Some(barrier)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect::<Vec<_>>()
    });
    let double = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu_before).map(|(a, b)| a - b);
    assert_eq!(oks, [n, n], "every request of both threads is allowed");

    let rps1 = n as f64 / single;
    let rps2 = (2 * n) as f64 / double;
    println!("{kind}: {n} requests per thread, one Verifier shared");
    println!("1 thread : {rps1:>10.0} requests/s");
    println!("2 threads: {rps2:>10.0} requests/s");
    println!("ratio    : {:.2} (goal >= 1.8)", rps2 / rps1);
    println!(
        "control  : {:.2} (bare ring verifications on 2 threads, nothing shared)",
        control_ratio(&s, &kind, n)
    );
    if let Some(cpu) = cpu {
        // Below 2 cores' worth, the machine did not give the pair two cores.
        println!(
            "2 threads used {cpu:.2} s of CPU in {double:.2} s: {:.2} cores",
            cpu / double
        );
    }
}
