//! Verify endpoint, real HTTP server (SPEC 7.1 endpoint, 7.2): statuses
//! mapped to decisions, failures, risk, no fetch for unsigned or stale
//! traffic (SPEC 5.1), coalescing, fail open, refresh ahead, the failure
//! TTL, and the answer's age.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kakunin_verify::audit::RevocationOutcome;
use kakunin_verify::revocation::endpoint::EndpointSource;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::{Clock, Denial, Revocation, VerifiedRequest, Verifier};

use crate::live::*;
use crate::{
    allowed, client, denied, endpoint_verifier, ocsp_verifier, real_now_clock, verify,
    verify_signed, PAST_TTL_MS,
};

/// One verification of the good leaf against a fresh server and verifier
/// whose endpoint gives `answer`; returns the result and the server's hits.
async fn endpoint_once(answer: Answer) -> (Result<VerifiedRequest, Denial>, usize) {
    let p = pki();
    let server = EndpointServer::start().await;
    server.set(p.good.serial, answer);
    let clock = real_now_clock();
    let v = endpoint_verifier(&clock, &server.base(), Duration::from_millis(300));
    let r = verify(&v, &p.good).await;
    (r, server.hits())
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_statuses_map_to_decisions() {
    let (r, hits) = endpoint_once(Answer::Active).await;
    let ok = allowed(r, "endpoint");
    assert_eq!(ok.agent_id(), "live_good");
    assert_eq!(hits, 1);

    for answer in [Answer::Revoked, Answer::Suspended, Answer::Expired] {
        let (r, _) = endpoint_once(answer.clone()).await;
        let d = denied(r, "certificate_revoked");
        assert_eq!(d.audit.revocation, RevocationOutcome::Revoked, "{answer:?}");
        assert_eq!(d.audit.revocation_source, Some("endpoint"));
    }

    let (r, _) = endpoint_once(Answer::NotFound).await;
    assert_eq!(
        denied(r, "certificate_unknown").audit.revocation,
        RevocationOutcome::Unknown
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_failures_are_revocation_unavailable() {
    for answer in [Answer::Status(500), Answer::Status(429), Answer::Hang] {
        let (r, hits) = endpoint_once(answer.clone()).await;
        let d = denied(r, "revocation_unavailable");
        assert_eq!(
            d.audit.revocation,
            RevocationOutcome::Unavailable,
            "{answer:?}"
        );
        assert_eq!(hits, 1, "{answer:?}");
    }
    // Nobody listening at all.
    let clock = real_now_clock();
    let base = {
        let server = EndpointServer::start().await;
        server.base()
    };
    let v = endpoint_verifier(&clock, &base, Duration::from_millis(300));
    denied(verify(&v, &pki().good).await, "revocation_unavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_risk_is_risk_too_high() {
    for extra in [
        r#","risk_score":0.2,"risk_band":"high""#,
        r#","risk_score":0.9,"risk_band":"medium""#,
        r#","risk_score":0.85"#,
    ] {
        let (r, _) = endpoint_once(Answer::ActiveWith(extra)).await;
        let d = denied(r, "risk_too_high");
        assert_eq!(d.audit.revocation, RevocationOutcome::Valid, "{extra}");
    }
    let (r, _) = endpoint_once(Answer::ActiveWith(
        r#","risk_score":0.84,"risk_band":"low""#,
    ))
    .await;
    allowed(r, "endpoint");

    // A cached risky answer keeps denying, without a new fetch.
    let p = pki();
    let server = EndpointServer::start().await;
    server.set(
        p.good.serial,
        Answer::ActiveWith(r#","risk_score":0.97,"risk_band":"high""#),
    );
    let clock = real_now_clock();
    let v = endpoint_verifier(&clock, &server.base(), Duration::from_millis(300));
    denied(verify(&v, &p.good).await, "risk_too_high");
    clock.advance_ms(1_000);
    denied(verify(&v, &p.good).await, "risk_too_high");
    assert_eq!(server.hits(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_or_stale_traffic_never_causes_a_revocation_fetch() {
    // SPEC 5.1: revocation (step 7) comes after freshness (2) and the
    // signature (6).
    let p = pki();
    let responder = OcspResponder::start(p);
    let proxy = CountingProxy::start(responder.port).await;
    let server = EndpointServer::start().await;
    server.set(p.good.serial, Answer::Active);
    let clock = real_now_clock();
    let verifiers = [
        ocsp_verifier(&clock, &proxy.url()),
        endpoint_verifier(&clock, &server.base(), Duration::from_millis(300)),
    ];
    let signer = p.good.signer();
    for v in &verifiers {
        let mut forged = sign_trade(&signer, clock.now_ms());
        forged.body = r#"{"market":"EUR_USD","size":49999,"direction":"BUY"}"#;
        let d = denied(verify_signed(v, &forged).await, "signature_invalid");
        assert_eq!(d.audit.revocation, RevocationOutcome::NotChecked);
        let stale = sign_trade(&signer, clock.now_ms() - 60_001);
        denied(verify_signed(v, &stale).await, "timestamp_expired");
    }
    assert_eq!(proxy.hits(), 0);
    assert_eq!(server.hits(), 0);
    // The same verifiers do fetch for a properly signed request.
    for v in &verifiers {
        verify(v, &p.good).await.expect("allowed");
    }
    assert_eq!((proxy.hits(), server.hits()), (1, 1));
}

/// `n` differently-nonced requests of one agent, verified concurrently on
/// one verifier while the server holds its answer (`status`) until all of
/// them have started; returns each outcome (agent id or code).
async fn concurrent_burst(
    v: &Arc<Verifier>,
    server: &EndpointServer,
    leaf: &Leaf,
    n: usize,
    status: u16,
) -> Vec<Result<String, &'static str>> {
    let (open, gate) = tokio::sync::watch::channel(false);
    server.set(leaf.serial, Answer::Gated(gate, status));
    let signer = leaf.signer();
    let now = v.clock().now_ms();
    let requests: Vec<Signed> = (0..n).map(|_| sign_trade(&signer, now)).collect();
    let started = Arc::new(AtomicUsize::new(0));
    let open = Arc::new(open);
    let mut tasks = tokio::task::JoinSet::new();
    for s in requests {
        let (v, started, open) = (v.clone(), started.clone(), open.clone());
        tasks.spawn(async move {
            if started.fetch_add(1, Ordering::SeqCst) + 1 == n {
                let _ = open.send(true);
            }
            verify_signed(&v, &s)
                .await
                .map(|ok| ok.agent_id().to_owned())
                .map_err(|d| d.error.code().as_str())
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        outcomes.push(joined.expect("task"));
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_100_concurrent_verifications_share_one_fetch() {
    const N: usize = 100;
    let p = pki();
    let server = EndpointServer::start().await;
    let clock = real_now_clock();
    let v = Arc::new(endpoint_verifier(
        &clock,
        &server.base(),
        Duration::from_secs(10),
    ));
    let outcomes = concurrent_burst(&v, &server, &p.good, N, 200).await;
    assert_eq!(outcomes.len(), N);
    assert!(
        outcomes.iter().all(|o| o.as_deref() == Ok("live_good")),
        "{outcomes:?}"
    );
    assert_eq!(
        server.hits(),
        1,
        "concurrent lookups of one key share one fetch"
    );

    // Past the 5 s TTL, the next request fetches again.
    server.set(p.good.serial, Answer::Active);
    clock.advance_ms(PAST_TTL_MS);
    allowed(verify(&v, &p.good).await, "endpoint");
    assert_eq!(server.hits(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_100_concurrent_verifications_share_one_failing_fetch() {
    const N: usize = 100;
    let p = pki();
    let server = EndpointServer::start().await;
    let clock = real_now_clock();
    let v = Arc::new(endpoint_verifier(
        &clock,
        &server.base(),
        Duration::from_secs(10),
    ));
    let outcomes = concurrent_burst(&v, &server, &p.good, N, 500).await;
    assert_eq!(outcomes.len(), N);
    assert!(
        outcomes.iter().all(|o| *o == Err("revocation_unavailable")),
        "{outcomes:?}"
    );
    assert_eq!(server.hits(), 1, "a struggling endpoint is asked once");
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_fail_open_is_explicit_and_still_audited() {
    let p = pki();
    let server = EndpointServer::start().await;
    server.set(p.good.serial, Answer::Status(500));
    let clock = real_now_clock();
    let source = EndpointSource::new(client(Duration::from_millis(300)), &server.base()).unwrap();
    let v = Verifier::builder(p.trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(clock.clone())
        .revocation(Revocation::Source(Arc::new(source)))
        .fail_open_when_revocation_unavailable(true)
        .build()
        .unwrap();
    let ok = verify(&v, &p.good).await.expect("fail open");
    assert_eq!(ok.audit().revocation, RevocationOutcome::Unavailable);
    // Fail open never turns a definite answer into an allow.
    server.set(p.revoked.serial, Answer::Revoked);
    denied(verify(&v, &p.revoked).await, "certificate_revoked");
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_revoked_stays_revoked_when_the_server_says_active_again() {
    let p = pki();
    let server = EndpointServer::start().await;
    server.set(p.good.serial, Answer::Revoked);
    let clock = real_now_clock();
    let v = endpoint_verifier(&clock, &server.base(), Duration::from_millis(300));
    denied(verify(&v, &p.good).await, "certificate_revoked");
    server.set(p.good.serial, Answer::Active);
    clock.advance_ms(PAST_TTL_MS);
    denied(verify(&v, &p.good).await, "certificate_revoked");
    clock.advance_ms(10 * PAST_TTL_MS);
    denied(verify(&v, &p.good).await, "certificate_revoked");
    assert_eq!(
        server.hits(),
        1,
        "a revoked serial is never asked about again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_refresh_ahead_keeps_an_active_agent_off_the_network() {
    let p = pki();
    let server = EndpointServer::start().await;
    server.set(p.good.serial, Answer::Active);
    let clock = real_now_clock();
    let v = endpoint_verifier(&clock, &server.base(), Duration::from_secs(10));
    allowed(verify(&v, &p.good).await, "endpoint");
    // Inside the last second of the answer: served from the cache, and one
    // background refresh starts (SPEC 7.2 MAY).
    clock.advance_ms(4_500);
    allowed(verify(&v, &p.good).await, "endpoint");
    server.wait_for_hits(2).await;
    // Past the first answer's bound, the refreshed one serves.
    clock.advance_ms(1_500);
    let ok = allowed(verify(&v, &p.good).await, "endpoint");
    assert_eq!(ok.audit().revocation_age_ms, Some(1_500));
    assert_eq!(server.hits(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_failure_is_remembered_at_most_one_second() {
    let p = pki();
    let server = EndpointServer::start().await;
    server.set(p.good.serial, Answer::Status(500));
    let clock = real_now_clock();
    let v = endpoint_verifier(&clock, &server.base(), Duration::from_millis(300));
    denied(verify(&v, &p.good).await, "revocation_unavailable");
    let hits_after_failure = server.hits();
    assert_eq!(hits_after_failure, 1);
    server.set(p.good.serial, Answer::Active);
    clock.advance_ms(1_001);
    allowed(verify(&v, &p.good).await, "endpoint");
    assert_eq!(server.hits(), 2);
}

/// SPEC 7.2 (rev 1.1): the `Age` header and the policy's revocationTimeout
/// limit the answer's age at each use; the reuse TTL counts from the fetch.
/// (Updated from the old rule, where both shortened a 5 s bound counted
/// from when the answer was made.)
#[tokio::test(flavor = "multi_thread")]
async fn endpoint_age_header_and_revocation_timeout_limit_the_answer_age() {
    let p = pki();
    // The good leaf's revocationTimeout is 15 s; Age: 3 makes the answer 3 s old.
    let server = EndpointServer::start().await;
    server.set(p.good.serial, Answer::Aged(3));
    let clock = real_now_clock();
    let v = endpoint_verifier(&clock, &server.base(), Duration::from_millis(300));
    let ok = allowed(verify(&v, &p.good).await, "endpoint");
    assert_eq!(ok.audit().revocation_age_ms, Some(3_000));
    // Reused for the 5 s TTL from its fetch, however old it was when fetched.
    clock.advance_ms(3_000);
    let cached = allowed(verify(&v, &p.good).await, "endpoint");
    assert_eq!(cached.audit().revocation_age_ms, Some(6_000));
    assert_eq!(server.hits(), 1);
    clock.advance_ms(2_000);
    let refetched = allowed(verify(&v, &p.good).await, "endpoint");
    assert_eq!(refetched.audit().revocation_age_ms, Some(3_000));
    assert_eq!(server.hits(), 2, "the TTL passed: asked again");
    // Age beyond the 15 s revocationTimeout: unavailable.
    server.set(p.good.serial, Answer::Aged(16));
    clock.advance_ms(PAST_TTL_MS);
    denied(verify(&v, &p.good).await, "revocation_unavailable");

    // A policy revocationTimeout of 2 s: used up to 2 s old, then asked
    // again within the TTL.
    server.set(p.short.serial, Answer::Active);
    let before = server.hits();
    allowed(verify(&v, &p.short).await, "endpoint");
    clock.advance_ms(1_000);
    allowed(verify(&v, &p.short).await, "endpoint");
    assert_eq!(server.hits(), before + 1);
    clock.advance_ms(1_001);
    allowed(verify(&v, &p.short).await, "endpoint");
    assert_eq!(server.hits(), before + 2, "revocationTimeout 2 s");
}
