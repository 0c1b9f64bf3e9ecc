//! Issue 11 item 4: the heap the verifier keeps per cached agent and per
//! live nonce, measured with this binary's own `#[global_allocator]`, which
//! tracks LIVE bytes (allocations add their size, deallocations subtract it,
//! reallocations add the difference) — and, per agent and per backend, all
//! of malloc's bytes in use (glibc's `mallinfo2`), since aws-lc-rs keeps
//! its parsed keys in C's heap, which `LIVE` does not see. Each figure is a
//! difference around the work it measures, so what was allocated before
//! (the PKI, the signed requests) does not count. Bounds: the figure measured once,
//! rounded up, × 1.25 — a regression guard, not a time. Also the heap per
//! cached revocation answer (SPEC 7.2's cache) and the size of the
//! `verify` future, a server's memory per request in flight (its bound is
//! tighter: 8 % over the measured size).
//!
//! ```sh
//! cargo test --test memory_figures -- --nocapture
//! ```

#[path = "common/daily_pki.rs"]
mod daily_pki;

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use daily_pki::{DailyPki, Policy};
use kakunin_verify::replay::{MemoryNonceStore, NonceRecord, NonceStoreConfig};
use kakunin_verify::revocation::cache::{CacheConfig, RevocationCache};
use kakunin_verify::revocation::fixed::FixedSource;
use kakunin_verify::revocation::{CertificateRef, RevocationSource};
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{CryptoBackend, HttpRequest, ManualClock, Revocation, Verifier};

/// 2026-07-01T09:15:00Z, inside the test leaves' validity.
const NOW_MS: u64 = 1_782_897_300_000;
const AUDIENCE: &str = "api.exchange.example";
const BODY: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;

/// Distinct agents cached for the per-agent figure.
const AGENTS: usize = 10_000;
/// Bound on the heap per cached agent, bytes (measured 3 270, × 1.25).
const MAX_BYTES_PER_CACHED_AGENT: usize = 4_088;
/// Bound on all of malloc's bytes per cached agent (C heap and malloc's
/// per-block overhead included; measured 3 893 with ring, 4 340 with
/// aws-lc-rs, whose parsed P-256 key lives in its C heap; × 1.25. It was
/// 4 171 and 4 618 with moka's caches).
const MAX_MALLOC_BYTES_PER_CACHED_AGENT: usize = 5_450;
/// Live nonces recorded for the per-nonce figure.
const NONCES: usize = 1_000_000;
/// Agent URNs the nonces are spread over.
const NONCE_AGENTS: usize = 10_000;
/// Bound on the heap per live nonce, bytes (measured 83, × 1.25).
const MAX_BYTES_PER_LIVE_NONCE: usize = 104;

// ---------------------------------------------------------------------------
// Live-bytes allocator

/// Wraps the system allocator and keeps the number of live heap bytes.
struct LiveBytes;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counter is only bookkeeping.
unsafe impl GlobalAlloc for LiveBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::SeqCst);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::SeqCst);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (via us).
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's pointer, layout and size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // On failure the old block stays allocated: nothing changes.
            LIVE.fetch_add(new_size, Ordering::SeqCst);
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: LiveBytes = LiveBytes;

/// One measurement at a time: the counter is process-wide, and the test
/// harness runs tests on parallel threads.
static MEASURING: Mutex<()> = Mutex::new(());

fn live() -> usize {
    LIVE.load(Ordering::SeqCst)
}

/// Bytes in use in every malloc arena (glibc's `mallinfo2`): what Rust
/// allocates and also what C code allocates behind it — aws-lc keeps a
/// parsed public key (its `EVP_PKEY`) there, out of `LIVE`'s sight — with
/// malloc's own per-block overhead. `None` where the C library is not
/// glibc (the figure is then Rust's only).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_in_use() -> Option<usize> {
    // SAFETY: `mallinfo2` only reads the allocator's statistics; it takes
    // no arguments and returns a plain struct.
    Some(unsafe { libc::mallinfo2() }.uordblks)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn malloc_in_use() -> Option<usize> {
    None
}

// ---------------------------------------------------------------------------
// Heap per cached agent

/// Request `nonce` of `agent`, as header pairs.
fn signed(agent: &AgentSigner, nonce: &str) -> Vec<(String, Vec<u8>)> {
    agent
        .sign(&RequestToSign {
            audience: AUDIENCE,
            method: "POST",
            target: "/v1/trades",
            body: BODY.as_bytes(),
            timestamp_ms: NOW_MS,
            nonce: Some(nonce),
            model_sha256: None,
            prompt_sha256: None,
        })
        .unwrap()
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.into_bytes()))
        .collect()
}

fn pairs(headers: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect()
}

// Issue 11 item 4 (SPEC 5.1's certificate cache of steps 3-5): the heap the
// verifier keeps per agent once AGENTS distinct agents have each had one
// request allowed — its cached certificate and what the default in-memory
// stores keep for it (its one live nonce, its rate and daily state).
#[test]
fn heap_per_cached_agent_is_within_the_bound() {
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let pki = DailyPki::new();
    let policy = Policy {
        daily_limit: None,
        ..Policy::default()
    };
    // Made before measuring: AGENTS leaves + one warm-up agent, one request
    // each, for each backend (a nonce is used once per verifier).
    let agents: Vec<AgentSigner> = (0..=AGENTS)
        .map(|i| pki.agent(&format!("mem_agent_{i:05}"), &policy))
        .collect();
    for backend in CryptoBackend::ALL {
        let verifier = Verifier::builder(pki.trust())
            .crypto_backend(*backend)
            .audience(AUDIENCE)
            .routes("POST /v1/trades submit_limit_order trade".parse().unwrap())
            .clock(Arc::new(ManualClock::new(NOW_MS)))
            .revocation(Revocation::Disabled)
            // Room for all of them (the default is exactly AGENTS).
            .certificate_cache_capacity(2 * AGENTS as u64)
            .build()
            .unwrap();
        let headers: Vec<Vec<(String, Vec<u8>)>> = agents
            .iter()
            .enumerate()
            .map(|(i, agent)| signed(agent, &format!("memory-figure-nonce-{i:08}")))
            .collect();
        let header_pairs: Vec<Vec<(&str, &[u8])>> = headers.iter().map(|h| pairs(h)).collect();
        let requests: Vec<HttpRequest<'_>> = header_pairs
            .iter()
            .map(|h| HttpRequest::new("POST", "/v1/trades", h, BODY.as_bytes()))
            .collect();
        let (warm, measured) = requests.split_first().unwrap();
        // The one-time structures (the cache's and stores' first tables) are
        // built by a warm-up agent, outside the figure.
        pollster::block_on(verifier.verify(warm)).expect("the warm-up request is allowed");

        let (before, before_malloc) = (live(), malloc_in_use());
        let allowed = pollster::block_on(async {
            let mut allowed = 0;
            for req in measured {
                allowed += usize::from(verifier.verify(req).await.is_ok());
            }
            allowed
        });
        let (after, after_malloc) = (live(), malloc_in_use());
        assert_eq!(allowed, AGENTS, "every agent's request is allowed");

        let per_agent = after.saturating_sub(before) / AGENTS;
        let malloc_per_agent = before_malloc
            .zip(after_malloc)
            .map(|(b, a)| a.saturating_sub(b) / AGENTS);
        println!(
            "{}: heap per cached agent: {per_agent} bytes ({} bytes for {AGENTS} agents; goal <= 4096), \
             of which a default nonce store's first nonce of an agent: {} bytes; \
             all of malloc's (C heap and block overhead included): {malloc_per_agent:?} bytes",
            backend.name(),
            after.saturating_sub(before),
            first_nonce_per_agent()
        );
        assert!(
            per_agent <= MAX_BYTES_PER_CACHED_AGENT,
            "{}: {per_agent} bytes per cached agent, bound {MAX_BYTES_PER_CACHED_AGENT}",
            backend.name()
        );
        // The whole heap too: a backend's C allocations count against the
        // agent (and malloc's overhead, ≈ 16 bytes a block, with them).
        if let Some(malloc_per_agent) = malloc_per_agent {
            assert!(
                malloc_per_agent >= per_agent,
                "{}: malloc reports less ({malloc_per_agent}) than Rust allocated ({per_agent})",
                backend.name()
            );
            assert!(
                malloc_per_agent <= MAX_MALLOC_BYTES_PER_CACHED_AGENT,
                "{}: {malloc_per_agent} bytes of malloc's per cached agent, bound {MAX_MALLOC_BYTES_PER_CACHED_AGENT}",
                backend.name()
            );
        }

        // Clearing the cache frees its entries before it returns (each holds the
        // certificate's DER and header form, over 2 KiB), not lazily during
        // later requests.
        verifier.clear_certificate_cache();
        let freed = after.saturating_sub(live()) / AGENTS;
        println!(
            "{}: heap freed per agent by clear_certificate_cache: {freed} bytes",
            backend.name()
        );
        assert!(
            freed >= MIN_BYTES_PER_CACHE_ENTRY,
            "clear_certificate_cache freed {freed} bytes per agent, at least {MIN_BYTES_PER_CACHE_ENTRY} expected"
        );
    }
}

/// Less than a cached certificate entry holds: its DER (≈ 1 KiB) and the
/// base64 header form (≈ 1.4 KiB) alone exceed it.
const MIN_BYTES_PER_CACHE_ENTRY: usize = 2048;

/// The heap a default `MemoryNonceStore` keeps per agent for its first live
/// nonce (AGENTS agents, one nonce each): the nonce store's part of the
/// per-agent figure, printed beside it.
fn first_nonce_per_agent() -> usize {
    let store = MemoryNonceStore::default();
    let urns: Vec<String> = (0..AGENTS)
        .map(|i| format!("urn:kakunin:agent:mem_agent_{i:05}"))
        .collect();
    let before = live();
    for (i, urn) in urns.iter().enumerate() {
        let record = NonceRecord {
            agent_urn: urn,
            cert_sha256: &[7; 32],
            nonce: "memory-figure-nonce-0000",
            keep_until_ms: NOW_MS + 60_000,
        };
        store
            .check_and_record_now(&record, NOW_MS)
            .unwrap_or_else(|e| panic!("agent {i}: {e}"));
    }
    live().saturating_sub(before) / AGENTS
}

// ---------------------------------------------------------------------------
// Heap per live nonce

// Issue 11 item 4 (SPEC 4.5's bounded nonce store): the heap a
// MemoryNonceStore of capacity NONCES keeps when full of live nonces spread
// over NONCE_AGENTS agents (share 100 %).
#[test]
fn heap_per_live_nonce_is_within_the_bound() {
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let urns: Vec<String> = (0..NONCE_AGENTS)
        .map(|i| format!("urn:kakunin:agent:nonce_agent_{i:05}"))
        .collect();
    let certs: Vec<[u8; 32]> = (0..NONCE_AGENTS)
        .map(|i| {
            let mut c = [0u8; 32];
            c[..8].copy_from_slice(&(i as u64).to_be_bytes());
            c
        })
        .collect();
    let store = MemoryNonceStore::new(NonceStoreConfig {
        capacity: NONCES,
        max_agent_share_percent: 100,
    })
    .unwrap();
    let mut nonce = String::with_capacity(64);

    let before = live();
    for i in 0..NONCES {
        let agent = i % NONCE_AGENTS;
        nonce.clear();
        write!(nonce, "live-nonce-{i:012}").unwrap();
        let record = NonceRecord {
            agent_urn: &urns[agent],
            cert_sha256: &certs[agent],
            nonce: &nonce,
            keep_until_ms: NOW_MS + 60_000,
        };
        store
            .check_and_record_now(&record, NOW_MS)
            .expect("a live nonce below capacity is recorded");
    }
    let total = live().saturating_sub(before);

    let per_nonce = total / NONCES;
    let mib = total as f64 / (1024.0 * 1024.0);
    println!(
        "heap per live nonce: {per_nonce} bytes; {NONCES} live nonces over {NONCE_AGENTS} agents: \
         {mib:.1} MiB (goal <= 128 MiB)"
    );
    assert!(
        per_nonce <= MAX_BYTES_PER_LIVE_NONCE,
        "{per_nonce} bytes per live nonce, bound {MAX_BYTES_PER_LIVE_NONCE}"
    );
}

// ---------------------------------------------------------------------------
// Heap per cached revocation answer

/// Distinct certificates whose revocation answers are cached for the
/// figure: half the default `max_entries`, so no shard of the cache is full
/// and none is evicted.
const ANSWERS: usize = 50_000;
/// Bound on the heap per cached revocation answer, bytes (measured 336
/// with feature `fetch`, whose refresh-ahead state each entry carries, and
/// 261 without; × 1.25. Without features, moka's future cache took 462).
const MAX_BYTES_PER_REVOCATION_ANSWER: usize = 420;

// SPEC 7.2 (the revocation cache is bounded by `max_entries`): the heap one
// cached answer takes — its key (source, issuer hash, normalized serial)
// and its entry — so that `max_entries` converts into memory. An answer
// stays until it is looked up again past its limits or evicted (the cache
// has no clock of its own), so a cache that has seen `max_entries` agents
// keeps about that many times this figure.
#[test]
fn heap_per_cached_revocation_answer_is_within_the_bound() {
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let cache = RevocationCache::new(
        CacheConfig {
            refresh_ahead_ms: 0,
            ..CacheConfig::default()
        },
        Arc::new(ManualClock::new(NOW_MS)),
    );
    let source: Arc<dyn RevocationSource> = Arc::new(FixedSource::valid("memory-figure"));
    let issuer_sha256 = [9u8; 32];
    // 20-octet serials, as CAs issue them (RFC 5280's longest).
    let serials: Vec<(Vec<u8>, String)> = (0..=ANSWERS as u64)
        .map(|i| {
            let mut serial = [0x5au8; 20];
            serial[12..].copy_from_slice(&i.to_be_bytes());
            let hex = kakunin_verify::hex::encode(&serial);
            (serial.to_vec(), hex)
        })
        .collect();
    let lookup = |(serial, hex): &(Vec<u8>, String)| {
        let cert = CertificateRef {
            der: b"leaf",
            issuer_der: b"issuer",
            serial,
            serial_hex: hex,
            not_after_ms: NOW_MS + 86_400_000,
            serial_form: Default::default(),
            root_der: None,
        };
        pollster::block_on(cache.check_with_issuer_hash(
            &source,
            cert,
            &issuer_sha256,
            None,
            NOW_MS,
        ))
        .expect("valid")
    };
    let (warm, measured) = serials.split_first().unwrap();
    lookup(warm);
    let before = live();
    for s in measured {
        lookup(s);
    }
    let after = live();
    let cached = cache.cached_answers() - 1;
    assert_eq!(cached, ANSWERS, "nothing evicted below max_entries");
    let per_answer = after.saturating_sub(before) / cached;
    println!(
        "heap per cached revocation answer: {per_answer} bytes; at the default max_entries ({}): {:.1} MiB",
        CacheConfig::default().max_entries,
        (per_answer as u64 * CacheConfig::default().max_entries) as f64 / (1024.0 * 1024.0)
    );
    assert!(
        per_answer <= MAX_BYTES_PER_REVOCATION_ANSWER,
        "{per_answer} bytes per cached revocation answer, bound {MAX_BYTES_PER_REVOCATION_ANSWER}"
    );
}

/// Bound on the `verify` future, bytes (measured 2 328 without features and
/// 2 408 with all of them; it was 3 064 / 3 144 while the revocation cache's
/// lookup was an async moka call whose state lived in it).
const MAX_VERIFY_FUTURE_BYTES: usize = 2_600;

// Issue 11 (memory per request in flight): a server keeps one `verify`
// future per request it is verifying — axum and actix box it inside theirs
// — and moves it through its state machine on every request, so its size
// is memory per request in flight and copying on the hot path. The rare
// states (a revocation fetch over the network) are boxed where they start.
#[test]
fn the_verify_future_is_within_the_bound() {
    // Its allocations must not land in another test's measurement.
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let pki = DailyPki::new();
    let verifier = Verifier::builder(pki.trust())
        .audience(AUDIENCE)
        .clock(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Disabled)
        .build()
        .unwrap();
    let request = HttpRequest::new("POST", "/v1/trades", &[], BODY.as_bytes());
    let future = verifier.verify(&request);
    let bytes = std::mem::size_of_val(&future);
    println!("the verify future: {bytes} bytes");
    assert!(
        bytes <= MAX_VERIFY_FUTURE_BYTES,
        "the verify future is {bytes} bytes, bound {MAX_VERIFY_FUTURE_BYTES}"
    );
    // Never polled: dropping it does nothing.
    drop(future);
}
