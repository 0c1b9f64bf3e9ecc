//! A deterministic measure of the hot path's cost: verifies N signed
//! requests of one cached agent (`hot_loop`) and N bare `ring`
//! verifications of same-size messages with the same key (`base_loop`).
//! Under callgrind the two loops' instruction counts give a ratio that does
//! not depend on the machine's load:
//!
//! ```sh
//! cargo build --release --example hotpath_loop
//! valgrind --tool=callgrind --callgrind-out-file=cg.out --collect-atstart=no \
//!     --toggle-collect='hotpath_loop::base_loop' --toggle-collect='hotpath_loop::hot_loop' \
//!     target/release/examples/hotpath_loop rsa2048 200
//! callgrind_annotate --inclusive=yes cg.out | grep -E 'hotpath_loop::(base|hot)_loop'
//! ```
//!
//! A third argument selects a variant: `cold` (the certificate cache
//! cleared before each request), `revocation-cached` (a networked
//! revocation source whose answer is cached), `lowercase-headers` (header
//! names in lower case, as the http crate hands them to a server) or
//! `per-call-block-on` (one `pollster::block_on` per request, the loop's
//! form up to stop 22).
//!
//! (Valgrind's CPU has no SHA extensions, so SHA-256 weighs more there than
//! on hardware that has them.) Kinds: `rsa2048`, `p256`, `ed25519` (ring
//! backend), and with feature `aws-lc-rs` `rsa2048-awslc`, `p256-awslc`,
//! `ed25519-awslc` (`hot_loop` with `CryptoBackend::AwsLcRs`, `base_loop`
//! bare aws-lc-rs verifications with the key parsed once).

use kakunin_verify::chain::TrustStore;
use kakunin_verify::revocation::fixed::FixedSource;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{CryptoBackend, HttpRequest, ManualClock, Revocation, Verifier};
use std::sync::Arc;
const NOW_MS: u64 = 1_782_897_300_000;
const BODY: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY","type":"limit","price":"1.08245","time_in_force":"GTC","client_order_id":"desk-7f3a9c2e-0001","account":"acct-00042","post_only":false}"#;

/// The bare verification `base_loop` repeats: ring (the key parsed each
/// time, ring has no other form) or aws-lc-rs (the key parsed once).
enum Bare<'k> {
    Ring(
        &'static dyn ring::signature::VerificationAlgorithm,
        &'k [u8],
    ),
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(aws_lc_rs::signature::ParsedPublicKey),
}

impl<'k> Bare<'k> {
    fn new(kind: &str, backend: CryptoBackend, key: &'k [u8]) -> Self {
        match backend {
            #[cfg(feature = "aws-lc-rs")]
            CryptoBackend::AwsLcRs => {
                use aws_lc_rs::signature as sig;
                let alg: &'static dyn sig::VerificationAlgorithm = match kind {
                    "rsa2048" => &sig::RSA_PKCS1_2048_8192_SHA256,
                    "p256" => &sig::ECDSA_P256_SHA256_ASN1,
                    _ => &sig::ED25519,
                };
                Bare::AwsLc(sig::ParsedPublicKey::new(alg, key).unwrap())
            }
            _ => Bare::Ring(
                match kind {
                    "rsa2048" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    "p256" => &ring::signature::ECDSA_P256_SHA256_ASN1,
                    _ => &ring::signature::ED25519,
                },
                key,
            ),
        }
    }
}

/// N bare verifications.
#[inline(never)]
fn base_loop(bare: &Bare<'_>, real: &[(Vec<u8>, Vec<u8>)]) {
    for (m, sg) in real {
        match bare {
            Bare::Ring(alg, key) => ring::signature::UnparsedPublicKey::new(*alg, key)
                .verify(m, sg)
                .unwrap(),
            #[cfg(feature = "aws-lc-rs")]
            Bare::AwsLc(parsed) => parsed.verify_sig(m, sg).unwrap(),
        }
    }
}

/// Requests per verifier: the sample policies allow 1 000 actions a
/// minute, one of which the warm-up takes, so every further 999 requests go
/// to another verifier (warmed the same way) and any N is allowed.
const PER_VERIFIER: usize = 999;

/// N verifications through the Verifiers of requests whose headers the
/// caller has laid out (as an HTTP server has them before it calls the
/// verifier); each certificate is cached by `warm_up` beforehand.
///
/// One `block_on` for the batch, as a server awaits the verifier inside a
/// task that is already running, and as `tests/hot_allocations.rs` and
/// `examples/scaling.rs` measure: pollster's own per-call cost (its
/// signal's `Arc`, the waker, the move of the future into it; ≈ 480
/// instructions) is the executor's, not the verifier's. Variant
/// `per-call-block-on` keeps one `block_on` per request, as this loop did
/// up to stop 22, so figures still compare over time.
#[inline(never)]
fn hot_loop(verifiers: &[Verifier], reqs: &[Vec<(&str, &[u8])>]) -> usize {
    let mode = std::env::args().nth(3);
    let cold = mode.as_deref() == Some("cold");
    if mode.as_deref() == Some("per-call-block-on") {
        let mut ok = 0;
        for (v, chunk) in verifiers.iter().zip(reqs.chunks(PER_VERIFIER)) {
            for pairs in chunk {
                let req = HttpRequest::new("POST", "/v1/trades", pairs, BODY.as_bytes());
                if pollster::block_on(v.verify(&req)).is_ok() {
                    ok += 1;
                }
            }
        }
        return ok;
    }
    pollster::block_on(async {
        let mut ok = 0;
        for (v, chunk) in verifiers.iter().zip(reqs.chunks(PER_VERIFIER)) {
            for pairs in chunk {
                if cold {
                    v.clear_certificate_cache();
                }
                let req = HttpRequest::new("POST", "/v1/trades", pairs, BODY.as_bytes());
                if v.verify(&req).await.is_ok() {
                    ok += 1;
                }
            }
        }
        ok
    })
}

/// One verification outside the measured loops: validates and caches the
/// certificate, so `hot_loop` measures the cached path only.
#[inline(never)]
fn warm_up(v: &Verifier, pairs: &[(&str, &[u8])]) -> bool {
    let req = HttpRequest::new("POST", "/v1/trades", pairs, BODY.as_bytes());
    pollster::block_on(v.verify(&req)).is_ok()
}

/// The header pairs of signed requests, as `HttpRequest` borrows them.
fn laid_out(reqs: &[Vec<(String, Vec<u8>)>]) -> Vec<Vec<(&str, &[u8])>> {
    reqs.iter()
        .map(|r| r.iter().map(|(a, b)| (a.as_str(), b.as_slice())).collect())
        .collect()
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or("ed25519".into());
    let (kind, backend) = match arg.strip_suffix("-awslc") {
        #[cfg(feature = "aws-lc-rs")]
        Some(kind) => (kind.to_owned(), CryptoBackend::AwsLcRs),
        #[cfg(not(feature = "aws-lc-rs"))]
        Some(_) => panic!("{arg} needs feature aws-lc-rs"),
        None => (arg.clone(), CryptoBackend::Ring),
    };
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|x| x.parse().ok())
        .unwrap_or(200);
    let d = format!("{}/testdata/pki/{kind}", env!("CARGO_MANIFEST_DIR"));
    let mut t = TrustStore::new();
    t.add_roots_pem(&std::fs::read(format!("{d}/root.pem")).unwrap())
        .unwrap();
    t.add_intermediates_pem(&std::fs::read(format!("{d}/intermediate.pem")).unwrap())
        .unwrap();
    let verifier = || {
        Verifier::builder(t.clone())
            .crypto_backend(backend)
            .audience("api.exchange.example")
            .routes("POST /v1/trades submit_limit_order trade".parse().unwrap())
            .clock(Arc::new(ManualClock::new(NOW_MS)))
            .revocation(
                if std::env::args().nth(3).as_deref() == Some("revocation-cached") {
                    // Networked: after the warm-up its answer comes from
                    // the SPEC 7.2 cache.
                    Revocation::Source(Arc::new(FixedSource::valid("loop")))
                } else {
                    Revocation::Disabled
                },
            )
            .build()
            .unwrap()
    };
    let s = AgentSigner::from_pem(
        &std::fs::read(format!("{d}/leaf.key")).unwrap(),
        &std::fs::read(format!("{d}/leaf.pem")).unwrap(),
        None,
    )
    .unwrap();
    let (model, prompt) = (
        kakunin_verify::hex::encode(
            ring::digest::digest(&ring::digest::SHA256, b"weights").as_ref(),
        ),
        kakunin_verify::hex::encode(
            ring::digest::digest(&ring::digest::SHA256, b"prompt").as_ref(),
        ),
    );
    let prov = kind == "p256";
    let request = |nonce: &str, f: &mut dyn FnMut(&RequestToSign<'_>)| {
        f(&RequestToSign {
            audience: "api.exchange.example",
            method: "POST",
            target: "/v1/trades",
            body: BODY.as_bytes(),
            timestamp_ms: NOW_MS,
            nonce: Some(nonce),
            model_sha256: prov.then_some(model.as_str()),
            prompt_sha256: prov.then_some(prompt.as_str()),
        })
    };
    let mk = |i: usize| -> Vec<(String, Vec<u8>)> {
        let mut headers = Vec::new();
        request(&format!("hot-loop-nonce-{i:08}"), &mut |r| {
            headers = s.sign(r).unwrap();
        });
        // `lowercase-headers`: the names as the http crate (hyper, axum,
        // actix) hands them over, instead of as the signer writes them.
        let lowercase = std::env::args().nth(3).as_deref() == Some("lowercase-headers");
        headers
            .into_iter()
            .map(|(a, b)| {
                let name = if lowercase {
                    a.to_ascii_lowercase()
                } else {
                    a.to_owned()
                };
                (name, b.into_bytes())
            })
            .collect()
    };
    let warm_signed = [mk(999_999)];
    let warm = laid_out(&warm_signed);
    let verifiers: Vec<Verifier> = (0..n.div_ceil(PER_VERIFIER).max(1))
        .map(|_| {
            let v = verifier();
            assert!(warm_up(&v, &warm[0]), "warm-up allowed");
            v
        })
        .collect();
    let signed: Vec<_> = (0..n).map(mk).collect();
    let reqs = laid_out(&signed);
    // Messages of the requests' signing-input size (with the provenance
    // lines when the requests carry them), signed by the same key.
    let mut input_len = 0;
    request("hot-loop-nonce-00000000", &mut |r| {
        input_len = s.signing_input(r).unwrap().len();
    });
    let real: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
        .map(|i| {
            let m = format!("{i:08}").repeat(input_len / 8 + 1).into_bytes()[..input_len].to_vec();
            let sg = s.sign_bytes(&m).unwrap();
            (m, sg)
        })
        .collect();
    base_loop(
        &Bare::new(&kind, backend, s.certificate().public_key()),
        &real,
    );
    let ok = hot_loop(&verifiers, &reqs);
    assert_eq!(ok, n);
}
