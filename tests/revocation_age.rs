//! SPEC 7.2 (revision 1.1) and SPEC 7.3 end to end, against real peers on
//! 127.0.0.1: the reuse TTL counted from the fetch and never past
//! `nextUpdate`, the separate answer-age limit (the policy's
//! `revocationTimeout`, else the source's maximum: OCSP 24 h, endpoint
//! 300 s), `revocation_age_ms` in the audit record, one OCSP responder per
//! issuing CA for a whole-chain check (SPEC 7.1), and a revoked set that
//! never lets a revocation lapse early and fails closed when full.
//!
//! OCSP answers are pre-signed, as RFC 5019 responders do: `openssl ocsp`
//! (the real responder code, in its `-reqin`/`-respout` mode) signs an
//! answer once, and a small HTTP server serves those exact bytes for every
//! POST, counting them — the way a CDN in front of a responder does.
//! `openssl ocsp` stamps `thisUpdate` with the real time, so "an answer an
//! hour old" is that answer judged by a verifier whose `ManualClock` is set
//! exactly an hour after its `thisUpdate` (read back with `openssl ocsp
//! -resp_text`). Nothing sleeps for timing.
#![cfg(feature = "fetch")]

mod live;
#[path = "live/presigned.rs"]
mod presigned;

use std::sync::Arc;
use std::time::Duration;

use kakunin_verify::audit::RevocationOutcome;
use kakunin_verify::revocation::cache::CacheConfig;
use kakunin_verify::revocation::endpoint::EndpointSource;
use kakunin_verify::revocation::http::{HttpClient, HttpConfig};
use kakunin_verify::revocation::ocsp_source::OcspSource;
use kakunin_verify::revocation::webhook::WebhookError;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::{
    Clock, Denial, HttpRequest, ManualClock, Revocation, SystemClock, VerifiedRequest, Verifier,
};
use live::*;
use presigned::*;

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;
const WEBHOOK_SECRET: &[u8] = b"whsec_age_test_secret";

// --- Verifiers ---------------------------------------------------------------

fn no_refresh_ahead() -> CacheConfig {
    CacheConfig {
        refresh_ahead_ms: 0,
        ..CacheConfig::default()
    }
}

fn http() -> HttpClient {
    HttpClient::new(HttpConfig {
        connect_timeout: Duration::from_secs(10),
        total_timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    })
    .unwrap()
}

fn verifier_with(
    clock: &Arc<ManualClock>,
    revocation: Revocation,
    cache: CacheConfig,
    fail_open: bool,
) -> Verifier {
    Verifier::builder(pki().trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(clock.clone())
        .revocation(revocation)
        .revocation_cache(cache)
        .fail_open_when_revocation_unavailable(fail_open)
        .build()
        .unwrap()
}

fn ocsp_verifier(clock: &Arc<ManualClock>, url: &str, cache: CacheConfig) -> Verifier {
    let source = OcspSource::new(http(), Some(url)).unwrap();
    verifier_with(clock, Revocation::Source(Arc::new(source)), cache, false)
}

fn endpoint_source(base: &str) -> Revocation {
    Revocation::Source(Arc::new(EndpointSource::new(http(), base).unwrap()))
}

async fn verify(v: &Verifier, leaf: &Leaf) -> Result<VerifiedRequest, Denial> {
    let s = sign_trade(&leaf.signer(), v.clock().now_ms());
    let pairs: Vec<(&str, &[u8])> = s.headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    v.verify(&HttpRequest::new(
        s.method,
        s.target,
        &pairs,
        s.body.as_bytes(),
    ))
    .await
}

/// Allowed with a valid revocation answer `age_ms` old.
fn allowed_at_age(r: Result<VerifiedRequest, Denial>, source: &str, age_ms: u64) {
    let ok = r.unwrap_or_else(|d| panic!("denied: {:?} {:?}", d.error, d.audit));
    let a = ok.audit();
    assert_eq!(a.revocation, RevocationOutcome::Valid);
    assert_eq!(a.revocation_source, Some(source));
    assert_eq!(a.revocation_age_ms, Some(age_ms), "revocation_age_ms");
    assert!(a
        .to_json()
        .contains(&format!(r#""revocation_age_ms":{age_ms}"#)));
}

fn denied_with(r: Result<VerifiedRequest, Denial>, code: &str) -> Denial {
    let Err(d) = r else {
        panic!("allowed, expected {code}");
    };
    assert_eq!(d.error.code().as_str(), code, "{:?}", d.error);
    d
}

fn unavailable(r: Result<VerifiedRequest, Denial>) -> Denial {
    let d = denied_with(r, "revocation_unavailable");
    assert_eq!(d.audit.revocation, RevocationOutcome::Unavailable);
    assert_eq!(d.audit.http_status, 503);
    assert_eq!(d.audit.revocation_age_ms, None);
    d
}

// --- SPEC 7.2: answer age ------------------------------------------------------

/// SPEC 7.2: an RFC 5019 pre-signed answer an hour old is used (no
/// revocationTimeout: the OCSP maximum, 24 h, applies), and the audit
/// record carries its age.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_a_presigned_ocsp_answer_an_hour_old_is_used() {
    let f = fixtures();
    let answer = presign(OPEN_SERIAL, ["-ndays", "1"]);
    let server = StaticOcsp::start(answer.der.clone()).await;
    let clock = Arc::new(ManualClock::new(answer.this_update_ms + HOUR_MS));
    let v = ocsp_verifier(&clock, &server.url(), no_refresh_ahead());
    allowed_at_age(verify(&v, &f.open).await, "ocsp", HOUR_MS);
    assert_eq!(server.hits(), 1);
}

/// SPEC 7.2: the policy's revocationTimeout (15 s for the good leaf) is the
/// age limit: the same kind of answer is used up to 15 s old, asked again
/// once older (within the TTL), and unavailable an hour old.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_revocation_timeout_15s_makes_an_old_answer_unavailable() {
    let p = pki();
    let answer = presign(GOOD_SERIAL, ["-ndays", "1"]);
    let server = StaticOcsp::start(answer.der.clone()).await;

    let clock = Arc::new(ManualClock::new(answer.this_update_ms + HOUR_MS));
    let v = ocsp_verifier(&clock, &server.url(), no_refresh_ahead());
    let d = unavailable(verify(&v, &p.good).await);
    assert!(
        format!("{:?}", d.error).contains("age limit"),
        "{:?}",
        d.error
    );

    let clock = Arc::new(ManualClock::new(answer.this_update_ms + 15_000));
    let v = ocsp_verifier(&clock, &server.url(), no_refresh_ahead());
    let before = server.hits();
    allowed_at_age(verify(&v, &p.good).await, "ocsp", 15_000);
    clock.advance_ms(1);
    unavailable(verify(&v, &p.good).await);
    assert_eq!(
        server.hits(),
        before + 2,
        "too old at its second use: asked again"
    );
}

/// SPEC 7.1 / 7.2: the endpoint answer was made at the fetch minus `Age`;
/// without a revocationTimeout its age limit is 300 s.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_endpoint_age_299_is_used_and_301_is_unavailable() {
    let f = fixtures();
    for (age_s, ok) in [(299u64, true), (300, true), (301, false)] {
        let server = EndpointServer::start().await;
        server.set(OPEN_SERIAL, Answer::Aged(age_s));
        let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
        let v = verifier_with(
            &clock,
            endpoint_source(&server.base()),
            no_refresh_ahead(),
            false,
        );
        let r = verify(&v, &f.open).await;
        if ok {
            allowed_at_age(r, "endpoint", age_s * 1000);
        } else {
            unavailable(r);
        }
        assert_eq!(server.hits(), 1);
    }
}

// --- SPEC 7.2: reuse (TTL) -----------------------------------------------------

/// SPEC 7.2: an answer is reused for the TTL counted from its fetch (not
/// from its thisUpdate, which is a minute older), then fetched again.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_an_answer_is_refetched_once_its_ttl_from_the_fetch_passed() {
    let f = fixtures();
    let answer = presign(OPEN_SERIAL, ["-ndays", "1"]);
    let server = StaticOcsp::start(answer.der.clone()).await;
    let fetched_at = answer.this_update_ms + 60_000;
    let clock = Arc::new(ManualClock::new(fetched_at));
    let v = ocsp_verifier(&clock, &server.url(), no_refresh_ahead());
    allowed_at_age(verify(&v, &f.open).await, "ocsp", 60_000);
    clock.advance_ms(4_999);
    allowed_at_age(verify(&v, &f.open).await, "ocsp", 64_999);
    assert_eq!(server.hits(), 1, "within the TTL: no I/O");
    clock.advance_ms(1);
    allowed_at_age(verify(&v, &f.open).await, "ocsp", 65_000);
    assert_eq!(server.hits(), 2, "TTL passed: fetched again");
}

/// SPEC 7.2: never used at or past nextUpdate, even with a longer TTL; the
/// responder still serving that answer is unavailable; a new one is used.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_an_answer_is_never_used_past_its_next_update() {
    let f = fixtures();
    let answer = presign(OPEN_SERIAL, ["-nmin", "10"]);
    let server = StaticOcsp::start(answer.der.clone()).await;
    let clock = Arc::new(ManualClock::new(answer.this_update_ms + 60_000));
    let cache = CacheConfig {
        ttl_ms: HOUR_MS,
        ..no_refresh_ahead()
    };
    let v = ocsp_verifier(&clock, &server.url(), cache);
    allowed_at_age(verify(&v, &f.open).await, "ocsp", 60_000);
    clock.set_ms(answer.next_update_ms - 1);
    let age = answer.next_update_ms - 1 - answer.this_update_ms;
    allowed_at_age(verify(&v, &f.open).await, "ocsp", age);
    assert_eq!(server.hits(), 1);
    clock.advance_ms(1);
    unavailable(verify(&v, &f.open).await);
    assert_eq!(server.hits(), 2, "at nextUpdate: asked again, and refused");
    // The responder pre-signs a new answer: used once the failure (1 s) passed.
    let fresh = presign(OPEN_SERIAL, ["-ndays", "1"]);
    server.serve(fresh.der);
    clock.advance_ms(1_000);
    let now = clock.now_ms();
    allowed_at_age(
        verify(&v, &f.open).await,
        "ocsp",
        now.saturating_sub(fresh.this_update_ms),
    );
    assert_eq!(server.hits(), 3);
}

// --- SPEC 7.1: a responder per issuing CA ------------------------------------

/// SPEC 7.1: with the whole chain checked, the root's responder (answers
/// signed by the root itself) is asked about the intermediate and the
/// intermediate's (delegated responder) about the leaf.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_1_whole_chain_asks_each_issuing_cas_responder() {
    let p = pki();
    let f = fixtures();
    let leaf_ca = OcspResponder::start_for(p, f.index, "intermediate.pem", "resp");
    let root_ca = OcspResponder::start_for(p, f.root_index, "root.pem", "root");
    let leaf_proxy = CountingProxy::start(leaf_ca.port).await;
    let root_proxy = CountingProxy::start(root_ca.port).await;
    let source = OcspSource::new(http(), None)
        .unwrap()
        .with_issuer_responder(&f.intermediate_der, &leaf_proxy.url())
        .unwrap()
        .with_issuer_responder(&f.root_der, &root_proxy.url())
        .unwrap();
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let v = Verifier::builder(p.trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(clock.clone())
        .revocation(Revocation::Source(Arc::new(source)))
        .check_whole_chain(true)
        .build()
        .unwrap();
    let ok = verify(&v, &f.open).await.expect("allowed");
    assert_eq!(ok.audit().revocation, RevocationOutcome::Valid);
    assert_eq!((leaf_proxy.hits(), root_proxy.hits()), (1, 1));
    // A CA without a named responder (and no default, no AIA) is unavailable.
    let only_leaf = OcspSource::new(http(), None)
        .unwrap()
        .with_issuer_responder(&f.intermediate_der, &leaf_proxy.url())
        .unwrap();
    let v = Verifier::builder(p.trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(clock.clone())
        .revocation(Revocation::Source(Arc::new(only_leaf)))
        .check_whole_chain(true)
        .build()
        .unwrap();
    let d = denied_with(verify(&v, &f.open).await, "revocation_unavailable");
    assert_eq!(d.audit.revocation, RevocationOutcome::Unavailable);
    assert!(format!("{:?}", d.error).contains("no allowed OCSP responder"));
}

// --- SPEC 7.3: pushed revocations never lapse early ---------------------------

fn hmac_hex(secret: &[u8], message: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::sign(&key, message)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Delivers a signed `certificate.revoked` webhook for `serial` to `v`.
fn push_revocation(
    v: &Verifier,
    serial: &str,
) -> Result<kakunin_verify::revocation::webhook::WebhookEvent, WebhookError> {
    let body =
        format!(r#"{{"event":"certificate.revoked","data":{{"serial_number":"{serial}"}}}}"#);
    let t = v.clock().now_ms() / 1000;
    let v1 = hmac_hex(WEBHOOK_SECRET, format!("{t}.{body}").as_bytes());
    pollster::block_on(v.apply_revocation_webhook(
        WEBHOOK_SECRET,
        &format!("t={t},v1={v1}"),
        body.as_bytes(),
    ))
}

fn small_set(max_revoked: usize) -> CacheConfig {
    CacheConfig {
        max_revoked,
        ..no_refresh_ahead()
    }
}

/// SPEC 7.3: a pushed revocation (notAfter unknown) is kept for the longest
/// validity accepted: the agent is still denied 299 days later, while the
/// other entries of a full set lapse around it.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_3_a_revoked_agent_stays_denied_while_the_other_entries_lapse() {
    let p = pki();
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let v = verifier_with(&clock, Revocation::Disabled, small_set(3), false);
    push_revocation(&v, p.good.serial).expect("recorded");
    // Two more revocations that end soon (learnt for short-lived certificates).
    let set = v.revocation_cache().revoked_set();
    let now = clock.now_ms();
    set.insert("0b01", now + 1_000, "ocsp", now).unwrap();
    set.insert("0b02", now + DAY_MS, "ocsp", now).unwrap();
    denied_with(verify(&v, &p.good).await, "certificate_revoked");
    clock.advance_ms(DAY_MS);
    // Both others lapsed; the pushed one did not.
    let d = denied_with(verify(&v, &p.good).await, "certificate_revoked");
    assert_eq!(d.audit.revocation, RevocationOutcome::Revoked);
    verify(&v, &p.unknown)
        .await
        .expect("the set has room again");
    clock.advance_ms(298 * DAY_MS);
    denied_with(verify(&v, &p.good).await, "certificate_revoked");
}

/// SPEC 7.3: a full revoked set makes every request `revocation_unavailable`
/// — with no source (`Revocation::Disabled`), with a source, and even when
/// failing open is configured — until entries lapse; a webhook it cannot
/// record is refused with the 503-mapped error.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_3_a_full_revoked_set_denies_everyone_until_entries_lapse() {
    let p = pki();
    let f = fixtures();
    let server = EndpointServer::start().await;
    server.set(OPEN_SERIAL, Answer::Active);
    server.set(p.unknown.serial, Answer::Active);
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let verifiers = [
        verifier_with(&clock, Revocation::Disabled, small_set(2), false),
        verifier_with(&clock, endpoint_source(&server.base()), small_set(2), false),
        verifier_with(&clock, endpoint_source(&server.base()), small_set(2), true),
    ];
    for v in &verifiers {
        let now = clock.now_ms();
        push_revocation(v, p.revoked.serial).expect("recorded");
        verify(v, &f.open).await.expect("room left: allowed");
        v.revocation_cache()
            .revoked_set()
            .insert("0c01", now + 1_000, "ocsp", now)
            .unwrap();
        // Full: everyone is unavailable, whatever the source or fail-open says.
        unavailable(verify(v, &f.open).await);
        unavailable(verify(v, &p.unknown).await);
        denied_with(verify(v, &p.revoked).await, "certificate_revoked");
        // A revocation that cannot be recorded is answered 503.
        let refused = push_revocation(v, p.good.serial);
        assert_eq!(refused, Err(WebhookError::RevokedSetFull));
        assert_eq!(refused.unwrap_err().http_status(), 503);
        // Once an entry lapses, requests pass again and the retry is recorded.
        clock.advance_ms(1_000);
        verify(v, &f.open).await.expect("room again: allowed");
        push_revocation(v, p.good.serial).expect("the retry is recorded");
        denied_with(verify(v, &p.good).await, "certificate_revoked");
    }
}
