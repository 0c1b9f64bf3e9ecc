//! Criterion benchmarks of the verification hot and cold paths against a
//! bare `ring` verification of the same key and message size.
//!
//! Every ID without `awslc` runs with `CryptoBackend::Ring`, with or
//! without feature `aws-lc-rs`.
//!
//! Run: `cargo bench --bench verify`. IDs (group `verify`):
//! `baseline_ring_{rsa2048,p256,ed25519}`, `hot_{rsa2048,p256,ed25519}`,
//! `cold_{rsa2048,p256}`, `hot_rsa2048_revocation_cached`, and
//! `baseline_chain_{rsa2048,p256}` (a bare webpki path validation of the
//! same chain, the other half of the cold baseline), and with feature
//! `actix` `actix_hot_rsa2048` (`hot_rsa2048` through `KakuninMiddleware`
//! and a handler, with `actix_web::test`, no socket), and with feature
//! `redis` `hot_rsa2048_redis` (`hot_rsa2048` with the nonce store and rate
//! limiter in a redis-server the bench starts on 127.0.0.1), and with
//! feature `aws-lc-rs` `baseline_awslc_{rsa2048,p256,ed25519}` (a bare
//! aws-lc-rs verification with the key parsed once, outside the loop) and
//! `hot_{rsa2048,p256,ed25519}_awslc` (`hot_*` with
//! `CryptoBackend::AwsLcRs`).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion};
use kakunin_verify::certificate::{AgentCertificate, ExtensionOids};
use kakunin_verify::chain::{verify_chain, TrustStore};
use kakunin_verify::revocation::fixed::FixedSource;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{CryptoBackend, HttpRequest, ManualClock, Revocation, Verifier};

/// 2026-07-01T09:15:00Z: inside the sample policies' allowed hours.
const NOW_MS: u64 = 1_782_897_300_000;
const AUDIENCE: &str = "api.exchange.example";
/// A ~200-byte order.
const BODY: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY","type":"limit","price":"1.08245","time_in_force":"GTC","client_order_id":"desk-7f3a9c2e-0001","account":"acct-00042","post_only":false}"#;
/// Requests signed ahead per verifier. The sample policy allows 1000
/// actions a minute, so each pool goes to a fresh verifier.
const POOL: usize = 1000;

fn pki(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pki")
        .join(kind)
}

fn read(p: PathBuf) -> Vec<u8> {
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The chain's trust store, with `CryptoBackend::Ring` (see [`trust_with`]).
fn trust(kind: &str) -> TrustStore {
    trust_with(kind, CryptoBackend::Ring)
}

fn trust_with(kind: &str, backend: CryptoBackend) -> TrustStore {
    let mut t = TrustStore::new();
    t.set_crypto_backend(backend);
    t.add_roots_pem(&read(pki(kind).join("root.pem"))).unwrap();
    t.add_intermediates_pem(&read(pki(kind).join("intermediate.pem")))
        .unwrap();
    t
}

fn signer(kind: &str) -> AgentSigner {
    AgentSigner::from_pem(
        &read(pki(kind).join("leaf.key")),
        &read(pki(kind).join("leaf.pem")),
        None,
    )
    .unwrap()
}

fn verifier(kind: &str, backend: CryptoBackend, revocation: Revocation) -> Arc<Verifier> {
    let routes: RouteTable = "POST /v1/trades submit_limit_order trade".parse().unwrap();
    Arc::new(
        Verifier::builder(trust(kind))
            .crypto_backend(backend)
            .audience(AUDIENCE)
            .routes(routes)
            .clock(Arc::new(ManualClock::new(NOW_MS)))
            .revocation(revocation)
            .build()
            .unwrap(),
    )
}

struct Owned {
    headers: Vec<(String, Vec<u8>)>,
}

fn sha256_hex(data: &[u8]) -> String {
    kakunin_verify::hex::encode(&kakunin_verify::signature::sha256(data))
}

/// Signs one request; the p256 sample agent certifies its model and
/// prompt (SHA-256 of "weights" and "prompt"), so it sends both hashes.
/// Calls `f` with the request `sign_one` signs; the p256 sample agent
/// certifies its model and prompt, so its requests carry both hashes.
fn with_request<R>(s: &AgentSigner, nonce: &str, f: impl FnOnce(&RequestToSign<'_>) -> R) -> R {
    let has_provenance = s.certificate().claimed_agent_id() == Some("sample_p256");
    let (model, prompt) = (sha256_hex(b"weights"), sha256_hex(b"prompt"));
    f(&RequestToSign {
        audience: AUDIENCE,
        method: "POST",
        target: "/v1/trades",
        body: BODY.as_bytes(),
        timestamp_ms: NOW_MS,
        nonce: Some(nonce),
        model_sha256: has_provenance.then_some(model.as_str()),
        prompt_sha256: has_provenance.then_some(prompt.as_str()),
    })
}

fn sign_one(s: &AgentSigner, nonce: &str) -> Owned {
    let h = with_request(s, nonce, |r| s.sign(r)).unwrap();
    Owned {
        headers: h
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v.into_bytes()))
            .collect(),
    }
}

fn sign_pool(s: &AgentSigner, offset: usize) -> Vec<Owned> {
    (0..POOL)
        .map(|i| sign_one(s, &format!("bench-nonce-{:012}", offset + i)))
        .collect()
}

/// Header pairs a request can carry (the signed ones and the certificate).
const MAX_HEADERS: usize = 16;

fn run(v: &Verifier, r: &Owned) -> bool {
    // The pairs are laid out on the stack, as a server has its parsed
    // headers before it calls the verifier: the harness allocates nothing
    // inside the measurement.
    let mut pairs: [(&str, &[u8]); MAX_HEADERS] = [("", &[]); MAX_HEADERS];
    let n = r.headers.len().min(MAX_HEADERS);
    for (slot, (name, value)) in pairs.iter_mut().zip(&r.headers) {
        *slot = (name.as_str(), value.as_slice());
    }
    let req = HttpRequest::new("POST", "/v1/trades", &pairs[..n], BODY.as_bytes());
    match pollster::block_on(v.verify(&req)) {
        Ok(_) => true,
        Err(d) => {
            eprintln!("denied: {}", d.error);
            false
        }
    }
}

/// Hands out (verifier, fresh request) pairs: a pool of pre-signed requests
/// per verifier; a new verifier (warmed with one request) per pool.
struct Feed {
    kind: &'static str,
    backend: CryptoBackend,
    revocation: fn() -> Revocation,
    signer: AgentSigner,
    pools: Vec<Arc<Vec<Owned>>>,
    pool_index: usize,
    next: usize,
    verifier: Arc<Verifier>,
    /// Verifiers whose pool ran out, dropped only after the measurement so
    /// that no iteration pays for tearing one down.
    retired: Vec<Arc<Verifier>>,
}

impl Feed {
    fn new(kind: &'static str, revocation: fn() -> Revocation, pools: usize) -> Self {
        Self::with_backend(kind, CryptoBackend::Ring, revocation, pools)
    }

    fn with_backend(
        kind: &'static str,
        backend: CryptoBackend,
        revocation: fn() -> Revocation,
        pools: usize,
    ) -> Self {
        let signer = signer(kind);
        let pools: Vec<_> = (0..pools)
            .map(|p| Arc::new(sign_pool(&signer, p * POOL)))
            .collect();
        let mut f = Feed {
            kind,
            backend,
            revocation,
            signer,
            pools,
            pool_index: 0,
            next: 0,
            verifier: verifier(kind, backend, Revocation::Disabled),
            retired: Vec::new(),
        };
        f.fresh_verifier();
        f
    }

    fn fresh_verifier(&mut self) {
        let fresh = verifier(self.kind, self.backend, (self.revocation)());
        let old = std::mem::replace(&mut self.verifier, fresh);
        self.retired.push(old);
        // Warm the certificate (and revocation) cache with a request of its own.
        let warm = sign_pool_one(&self.signer);
        assert!(
            run(&self.verifier, &warm),
            "warm-up request must be allowed"
        );
    }

    fn take(&mut self) -> (Arc<Verifier>, Arc<Vec<Owned>>, usize) {
        if self.next == POOL - 1 {
            // One slot of each pool is kept for the warm-up's action count.
            self.next = 0;
            self.pool_index = (self.pool_index + 1) % self.pools.len();
            self.fresh_verifier();
        }
        let i = self.next;
        self.next += 1;
        (
            Arc::clone(&self.verifier),
            Arc::clone(&self.pools[self.pool_index]),
            i,
        )
    }
}

/// Reads every byte of the request, as a server does when it receives and
/// parses one, so that the measurement starts with the request in cache
/// (a pool of 1 000 pre-signed requests is otherwise read from memory).
fn received(r: &Owned) {
    let mut x = 0u8;
    for (name, value) in &r.headers {
        x ^= name
            .bytes()
            .chain(value.iter().copied())
            .fold(0, |a, b| a ^ b);
    }
    std::hint::black_box(x);
}

fn sign_pool_one(s: &AgentSigner) -> Owned {
    sign_one(s, "bench-warmup-nonce-0001")
}

fn bench_hot(
    c: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    kind: &'static str,
    revocation: fn() -> Revocation,
) {
    bench_hot_with(c, id, kind, CryptoBackend::Ring, revocation);
}

fn bench_hot_with(
    c: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    kind: &'static str,
    backend: CryptoBackend,
    revocation: fn() -> Revocation,
) {
    let feed = RefCell::new(Feed::with_backend(kind, backend, revocation, 2));
    c.bench_function(id, |b| {
        b.iter_batched_ref(
            || {
                let t = feed.borrow_mut().take();
                received(&t.1[t.2]);
                t
            },
            |(v, pool, i)| assert!(run(v, &pool[*i])),
            // One request per timing: set up just before it, as a server
            // verifies a request it has just read.
            BatchSize::PerIteration,
        )
    });
}

fn bench_cold(c: &mut BenchmarkGroup<'_, WallTime>, id: &str, kind: &'static str) {
    let feed = RefCell::new(Feed::new(kind, || Revocation::Disabled, 2));
    c.bench_function(id, |b| {
        b.iter_batched_ref(
            || {
                let t = feed.borrow_mut().take();
                t.0.clear_certificate_cache();
                received(&t.1[t.2]);
                t
            },
            |(v, pool, i)| assert!(run(v, &pool[*i])),
            // One clear, one measured request: a batch would leave every
            // request after the first hot.
            BatchSize::PerIteration,
        )
    });
}

/// A message of the signing input's size for this request, its signature
/// by the `kind` sample agent, and that agent's public key.
/// A message of the signing-input size of the kind's requests (the p256
/// agent's carry the model and prompt lines), signed by the same key.
fn baseline_input(kind: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let s = signer(kind);
    let len = with_request(&s, "bench-warmup-nonce-0001", |r| {
        s.signing_input(r).unwrap().len()
    });
    let message = vec![b'x'; len];
    let sig = s.sign_bytes(&message).unwrap();
    let key = s.certificate().public_key().to_vec();
    (message, sig, key)
}

fn bench_baseline(c: &mut BenchmarkGroup<'_, WallTime>, id: &str, kind: &str) {
    let (message, sig, key) = baseline_input(kind);
    let alg: &'static dyn ring::signature::VerificationAlgorithm = match kind {
        "rsa2048" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        "p256" => &ring::signature::ECDSA_P256_SHA256_ASN1,
        _ => &ring::signature::ED25519,
    };
    c.bench_function(id, |b| {
        b.iter(|| {
            ring::signature::UnparsedPublicKey::new(alg, &key)
                .verify(std::hint::black_box(&message), &sig)
                .unwrap()
        })
    });
}

/// The bare aws-lc-rs verification of `bench_baseline`'s input, with the
/// key parsed once outside the loop (its cheapest call).
#[cfg(feature = "aws-lc-rs")]
fn bench_baseline_awslc(c: &mut BenchmarkGroup<'_, WallTime>, id: &str, kind: &str) {
    use aws_lc_rs::signature as sig;
    let (message, signature, key) = baseline_input(kind);
    let alg: &'static dyn sig::VerificationAlgorithm = match kind {
        "rsa2048" => &sig::RSA_PKCS1_2048_8192_SHA256,
        "p256" => &sig::ECDSA_P256_SHA256_ASN1,
        _ => &sig::ED25519,
    };
    let parsed = sig::ParsedPublicKey::new(alg, &key).unwrap();
    c.bench_function(id, |b| {
        b.iter(|| {
            parsed
                .verify_sig(std::hint::black_box(&message), &signature)
                .unwrap()
        })
    });
}

fn bench_chain(c: &mut BenchmarkGroup<'_, WallTime>, id: &str, kind: &str) {
    let t = trust(kind);
    let leaf = AgentCertificate::from_pem_or_der(
        &read(pki(kind).join("leaf.pem")),
        &ExtensionOids::default(),
    )
    .unwrap();
    c.bench_function(id, |b| {
        b.iter(|| verify_chain(&t, &leaf, &[], NOW_MS).unwrap())
    });
}

/// `hot_rsa2048`'s requests through the actix middleware (body buffered,
/// headers converted, `VerifiedAgent` handed to a handler), in-process.
#[cfg(feature = "actix")]
fn bench_actix_hot(c: &mut BenchmarkGroup<'_, WallTime>, id: &str, kind: &'static str) {
    use actix_web::{test, web, App, HttpResponse};
    use kakunin_verify::http::{actix::KakuninMiddleware, VerifiedAgent};

    async fn handler(agent: VerifiedAgent) -> HttpResponse {
        HttpResponse::Ok().body(agent.agent_id().to_owned())
    }

    let system = actix_web::rt::System::new();
    let feed = RefCell::new(Feed::new(kind, || Revocation::Disabled, 2));
    c.bench_function(id, |b| {
        b.iter_batched_ref(
            || {
                let (v, pool, i) = feed.borrow_mut().take();
                let app = system.block_on(test::init_service(
                    App::new()
                        .wrap(KakuninMiddleware::new(v))
                        .route("/v1/trades", web::post().to(handler)),
                ));
                let mut req = test::TestRequest::post().uri("/v1/trades");
                for (name, value) in &pool[i].headers {
                    req = req.insert_header((name.as_str(), value.clone()));
                }
                (app, Some(req.set_payload(BODY).to_request()))
            },
            |(app, req)| {
                let req = req.take().expect("one request per iteration");
                let resp = system.block_on(test::call_service(app, req));
                assert!(resp.status().is_success(), "{:?}", resp.status());
            },
            BatchSize::SmallInput,
        )
    });
}

/// `hot_rsa2048` with the nonce store and rate limiter in Redis (one round
/// trip each per request) on a local redis-server; its keys are flushed
/// (outside the measurement) before a pool's nonces or the policy's 1000
/// actions a minute would run out.
#[cfg(feature = "redis")]
fn bench_hot_redis(c: &mut BenchmarkGroup<'_, WallTime>, id: &str, kind: &'static str) {
    use kakunin_verify::replay::NonceStoreConfig;
    use kakunin_verify::stores::redis::{RedisStoreConfig, RedisStores};

    let server = redis_server::RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let _context = runtime.enter();
    let config = RedisStoreConfig::new(server.url(), AUDIENCE).with_timeout(Duration::from_secs(1));
    let stores = runtime.block_on(RedisStores::connect(config)).unwrap();
    let routes: RouteTable = "POST /v1/trades submit_limit_order trade".parse().unwrap();
    let v = Verifier::builder(trust(kind))
        .audience(AUDIENCE)
        .routes(routes)
        .clock(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Disabled)
        .nonce_store(Arc::new(
            stores.nonce_store(NonceStoreConfig::default()).unwrap(),
        ))
        .rate_limiter(Arc::new(stores.rate_limiter()))
        .build()
        .unwrap();
    let pool = sign_pool(&signer(kind), 0);
    let flush = || {
        let mut connection = server.sync_connection();
        redis::cmd("FLUSHALL").query::<()>(&mut connection).unwrap();
    };
    // Warm the certificate cache with the pool's last request, then forget it.
    assert!(run(&v, &pool[POOL - 1]), "warm-up request must be allowed");
    flush();
    let next = RefCell::new(0);
    c.bench_function(id, |b| {
        b.iter_batched(
            || {
                let mut next = next.borrow_mut();
                if *next == POOL - 1 {
                    flush();
                    *next = 0;
                }
                *next += 1;
                *next - 1
            },
            |i| assert!(run(&v, &pool[i])),
            // One setup right before each run: a flush inside a batch would
            // otherwise land between requests signed before and after it,
            // and a later cycle would replay the ones recorded after it.
            BatchSize::PerIteration,
        )
    });
}

#[cfg(feature = "redis")]
#[path = "../tests/common/redis_server.rs"]
mod redis_server;

/// `hot_rsa2048`'s requests through the axum layer (`KakuninLayer`, body
/// collected with its limit, headers converted, `VerifiedAgent` handed to a
/// handler) with `tower::ServiceExt::oneshot`, in-process, no socket.
#[cfg(feature = "axum")]
fn bench_layer_hot(c: &mut BenchmarkGroup<'_, WallTime>, id: &str, kind: &'static str) {
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::post;
    use axum::Router;
    use kakunin_verify::http::{axum::KakuninLayer, VerifiedAgent};
    use tower::ServiceExt;

    async fn handler(agent: VerifiedAgent) -> String {
        agent.agent_id().to_owned()
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let feed = RefCell::new(Feed::new(kind, || Revocation::Disabled, 2));
    // One router per verifier, as a server builds it once.
    let current: RefCell<Option<(Arc<Verifier>, Router)>> = RefCell::new(None);
    c.bench_function(id, |b| {
        b.iter_batched_ref(
            || {
                let (v, pool, i) = feed.borrow_mut().take();
                let mut current = current.borrow_mut();
                let stale = current.as_ref().is_none_or(|(cv, _)| !Arc::ptr_eq(cv, &v));
                if stale {
                    let app = Router::new()
                        .route("/v1/trades", post(handler))
                        .layer(KakuninLayer::new(Arc::clone(&v)));
                    *current = Some((v, app));
                }
                let app = current.as_ref().map(|(_, app)| app.clone());
                let mut req = Request::post("/v1/trades");
                for (name, value) in &pool[i].headers {
                    req = req.header(name.as_str(), value.as_slice());
                }
                (app, Some(req.body(Body::from(BODY)).unwrap()))
            },
            |(app, req)| {
                let (app, req) = (app.take().unwrap(), req.take().unwrap());
                let resp = runtime.block_on(app.oneshot(req)).unwrap();
                assert!(resp.status().is_success(), "{:?}", resp.status());
            },
            BatchSize::SmallInput,
        )
    });
}

fn verify_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    g.measurement_time(Duration::from_secs(4))
        .sample_size(40)
        .warm_up_time(Duration::from_secs(1));
    bench_baseline(&mut g, "baseline_ring_rsa2048", "rsa2048");
    bench_baseline(&mut g, "baseline_ring_p256", "p256");
    bench_baseline(&mut g, "baseline_ring_ed25519", "ed25519");
    #[cfg(feature = "aws-lc-rs")]
    {
        bench_baseline_awslc(&mut g, "baseline_awslc_rsa2048", "rsa2048");
        bench_baseline_awslc(&mut g, "baseline_awslc_p256", "p256");
        bench_baseline_awslc(&mut g, "baseline_awslc_ed25519", "ed25519");
        let aws = CryptoBackend::AwsLcRs;
        bench_hot_with(&mut g, "hot_rsa2048_awslc", "rsa2048", aws, || {
            Revocation::Disabled
        });
        bench_hot_with(&mut g, "hot_p256_awslc", "p256", aws, || {
            Revocation::Disabled
        });
        bench_hot_with(&mut g, "hot_ed25519_awslc", "ed25519", aws, || {
            Revocation::Disabled
        });
    }
    bench_hot(&mut g, "hot_rsa2048", "rsa2048", || Revocation::Disabled);
    #[cfg(feature = "redis")]
    bench_hot_redis(&mut g, "hot_rsa2048_redis", "rsa2048");
    bench_hot(&mut g, "hot_p256", "p256", || Revocation::Disabled);
    bench_hot(&mut g, "hot_ed25519", "ed25519", || Revocation::Disabled);
    bench_hot(&mut g, "hot_rsa2048_revocation_cached", "rsa2048", || {
        // Networked: after the first request its answer comes from the
        // SPEC 7.2 cache.
        Revocation::Source(Arc::new(FixedSource::valid("bench")))
    });
    bench_chain(&mut g, "baseline_chain_rsa2048", "rsa2048");
    bench_chain(&mut g, "baseline_chain_p256", "p256");
    bench_cold(&mut g, "cold_rsa2048", "rsa2048");
    bench_cold(&mut g, "cold_p256", "p256");
    #[cfg(feature = "axum")]
    bench_layer_hot(&mut g, "layer_hot_rsa2048", "rsa2048");
    #[cfg(feature = "actix")]
    bench_actix_hot(&mut g, "actix_hot_rsa2048", "rsa2048");
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = verify_benches
}
criterion_main!(benches);
