//! SPEC 4.3 / 5.1 step 1: the body is parsed and canonicalized before any
//! authentication, so its cost is the attacker's to choose. This binary
//! counts every heap byte (its own `#[global_allocator]`) while the WHOLE
//! `Verifier::verify` runs on hostile bodies with junk credentials: headers
//! well-formed enough to reach the body step, then a certificate that is not
//! one. For each body shape the peak heap during `verify`, above the
//! baseline before it, must stay within `MAX_FACTOR` × the body's size, and
//! the factor must not grow with the body (2 MiB against 1 MiB).
//!
//! Run with `--nocapture` to see the factor of each shape.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use common::{v1_builder, AUDIENCE, NOW_MS};
use kakunin_verify::{HttpRequest, ManualClock, Verifier};

/// SPEC 4.3's "small constant": the bound this crate commits to.
const MAX_FACTOR: f64 = 16.0;
/// How much the factor may grow from 1 MiB to 2 MiB (allocator rounding).
const SCALING_MARGIN: f64 = 0.05;
const MIB: usize = 1 << 20;

// ---------------------------------------------------------------------------
// Counting allocator

/// Wraps the system allocator and tracks live and peak bytes. A `realloc`
/// is counted as if the old and new blocks were both live while it runs
/// (the worst case, when the block has to move).
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::SeqCst) + n;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

fn shrink(n: usize) {
    CURRENT.fetch_sub(n, Ordering::SeqCst);
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (via us).
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size);
        // SAFETY: forwarded with the caller's pointer, layout and size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            shrink(new_size);
        } else {
            shrink(layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap bytes above the level at the start, while `f` runs.
fn peak_during<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let out = f();
    (PEAK.load(Ordering::SeqCst).saturating_sub(base), out)
}

// ---------------------------------------------------------------------------
// Hostile bodies

/// `prefix` + as many `item`s (from `item(i)`) joined by `,` as fit in
/// `size` bytes with `suffix`.
fn fill(size: usize, prefix: &str, suffix: &str, item: impl Fn(usize) -> String) -> String {
    let mut s = String::with_capacity(size);
    s.push_str(prefix);
    let mut i = 0;
    loop {
        let next = item(i);
        let sep = usize::from(i > 0);
        if s.len() + sep + next.len() + suffix.len() > size {
            break;
        }
        if sep == 1 {
            s.push(',');
        }
        s.push_str(&next);
        i += 1;
    }
    s.push_str(suffix);
    s
}

/// 62 nested arrays: inside `{"a":[…]}` that is depth 64, the limit.
fn deep_block() -> String {
    format!("{}{}", "[".repeat(62), "]".repeat(62))
}

fn shapes(size: usize) -> Vec<(&'static str, String)> {
    let block = deep_block();
    vec![
        (
            "empty objects",
            fill(size, r#"{"a":["#, "]}", |_| "{}".into()),
        ),
        (
            "empty arrays",
            fill(size, r#"{"a":["#, "]}", |_| "[]".into()),
        ),
        (
            "short strings",
            fill(size, r#"{"a":["#, "]}", |_| "\"\"".into()),
        ),
        (
            "small numbers",
            fill(size, r#"{"a":["#, "]}", |_| "0".into()),
        ),
        (
            "numbers JCS writes longer",
            fill(size, r#"{"a":["#, "]}", |_| "1e20".into()),
        ),
        (
            "many members, one object",
            fill(size, "{", "}", |i| format!("\"{i:x}\":0")),
        ),
        (
            "many members, non-ASCII names",
            fill(size, "{", "}", |i| format!("\"\u{17f}{i:x}\":0")),
        ),
        (
            "deep nesting repeated",
            fill(size, r#"{"a":["#, "]}", |_| block.clone()),
        ),
        (
            "escapes-heavy strings",
            fill(size, r#"{"a":["#, "]}", |_| {
                format!("\"{}\"", r#"\n\u0001\"\\\u00e9\ud83d\ude00\/"#.repeat(100))
            }),
        ),
        (
            "order book",
            fill(
                size,
                r#"{"market":"EUR_USD","side":"book","levels":["#,
                "]}",
                |i| {
                    format!(
                        r#"{{"price":"1.{:04}","size":{},"id":"o-{i:08}","flags":[true,false,null]}}"#,
                        8000 + i % 1000,
                        1000 + i % 97
                    )
                },
            ),
        ),
    ]
}

// ---------------------------------------------------------------------------
// Requests with junk credentials

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Headers that pass every step-1 rule before the body (canonical base64,
/// the configured audience, a fresh timestamp, a nonce, JSON content type)
/// around a certificate that is 900 bytes of junk.
fn junk_headers() -> Vec<(String, Vec<u8>)> {
    let cert: Vec<u8> = (0u32..900).map(|i| (i * 37 % 251) as u8).collect();
    let sig: Vec<u8> = (0u32..256).map(|i| (i * 11 % 253) as u8).collect();
    [
        ("X-Agent-Certificate", b64(&cert)),
        ("X-Agent-Audience", AUDIENCE.to_owned()),
        ("X-Agent-Timestamp", NOW_MS.to_string()),
        (
            "X-Agent-Nonce",
            "preauth-memory-nonce-0123456789".to_owned(),
        ),
        ("X-Agent-Signature", b64(&sig)),
        ("Content-Type", "application/json".to_owned()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.into_bytes()))
    .collect()
}

fn verifier(max_body: usize) -> Verifier {
    v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .max_body_bytes(max_body)
        .build()
        .unwrap()
}

/// Runs `verify` on `body` and returns the peak heap factor (peak bytes
/// above the baseline / body bytes) and the denial code.
fn measure(v: &Verifier, headers: &[(String, Vec<u8>)], body: &[u8]) -> (f64, &'static str) {
    let pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let req = HttpRequest::new("POST", "/v1/trades", &pairs, body);
    let (peak, code) = peak_during(|| {
        let out = pollster::block_on(v.verify(&req));
        out.err().map(|d| d.error.code().as_str())
    });
    (peak as f64 / body.len() as f64, code.unwrap_or("allowed"))
}

/// SPEC 4.3: memory bounded by a small constant times the body's size,
/// whatever its shape, through the whole of `Verifier::verify`.
#[test]
fn spec_4_3_preauth_peak_heap_is_bounded_and_linear_for_every_shape() {
    let headers = junk_headers();
    let v1 = verifier(MIB);
    let v2 = verifier(2 * MIB);
    // Warm-up: lazily initialized state is not the body's cost.
    measure(&v1, &headers, br#"{"a":[1]}"#);
    measure(&v2, &headers, br#"{"a":[1]}"#);

    let small = shapes(MIB);
    let large = shapes(2 * MIB);
    println!(
        "{:<32} {:>10} {:>10} {:>10}",
        "shape", "1 MiB", "2 MiB", "body KiB"
    );
    for ((name, body1), (_, body2)) in small.iter().zip(&large) {
        assert!(body1.len() <= MIB && body1.len() > MIB - 4096, "{name}");
        let (f1, code1) = measure(&v1, &headers, body1.as_bytes());
        let (f2, code2) = measure(&v2, &headers, body2.as_bytes());
        println!(
            "{name:<32} {f1:>9.2}x {f2:>9.2}x {:>10}",
            body1.len() / 1024
        );
        // Each body is valid: it was canonicalized in full (else the code
        // would be `malformed_body`), then the junk certificate was refused.
        assert_eq!(code1, "malformed_certificate", "{name} (1 MiB)");
        assert_eq!(code2, "malformed_certificate", "{name} (2 MiB)");
        assert!(f1 <= MAX_FACTOR, "{name}: {f1:.2} x the body at 1 MiB");
        assert!(f2 <= MAX_FACTOR, "{name}: {f2:.2} x the body at 2 MiB");
        assert!(
            f2 <= f1 + SCALING_MARGIN,
            "{name}: factor grows with size ({f1:.2} -> {f2:.2})"
        );
    }
}
