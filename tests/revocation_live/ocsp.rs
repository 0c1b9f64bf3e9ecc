//! OCSP, real `openssl ocsp` responder (SPEC 7.1 OCSP, 7.2): good, revoked
//! and unknown leaves through the verifier, reuse within the TTL, fail
//! closed, coalescing, the whole chain, and two issuing CAs whose serials
//! collide. "The module comment" cited below is the crate doc in
//! `main.rs` (why, once the clock has been advanced, only revoked answers or
//! failures with a checked reason are expected).

use std::sync::Arc;

use kakunin_verify::audit::RevocationOutcome;
use kakunin_verify::revocation::http::{HttpClient, HttpConfig};
use kakunin_verify::revocation::ocsp_source::OcspSource;
use kakunin_verify::revocation::{
    BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, Unavailable,
};
use kakunin_verify::routes::RouteTable;
use kakunin_verify::{Clock, Revocation, Verifier};

use crate::live::*;
use crate::{
    allowed, code, denied, ocsp_verifier, real_now_clock, verifier, verify, verify_signed,
    PAST_TTL_MS,
};

#[tokio::test(flavor = "multi_thread")]
async fn ocsp_good_revoked_and_unknown_leaves_through_the_verifier() {
    let p = pki();
    let responder = OcspResponder::start(p);
    let proxy = CountingProxy::start(responder.port).await;
    let clock = real_now_clock();
    let v = ocsp_verifier(&clock, &proxy.url());

    let ok = allowed(verify(&v, &p.good).await, "ocsp");
    assert_eq!(ok.agent_id(), "live_good");
    assert_eq!(ok.audit().code, None);
    let json = ok.audit().to_json();
    assert!(json.contains(r#""revocation":"valid""#), "{json}");
    assert!(json.contains(r#""revocation_source":"ocsp""#), "{json}");

    let d = denied(verify(&v, &p.revoked).await, "certificate_revoked");
    assert_eq!(d.audit.revocation, RevocationOutcome::Revoked);
    assert_eq!(d.audit.revocation_source, Some("ocsp"));
    assert_eq!(d.audit.signature_valid, Some(true));

    let d = denied(verify(&v, &p.unknown).await, "certificate_unknown");
    assert_eq!(d.audit.revocation, RevocationOutcome::Unknown);
    assert_eq!(proxy.hits(), 3, "one OCSP exchange per leaf");
}

#[tokio::test(flavor = "multi_thread")]
async fn ocsp_answer_is_reused_within_the_ttl_and_a_dead_responder_fails_closed() {
    let p = pki();
    let mut responder = OcspResponder::start(p);
    let proxy = CountingProxy::start(responder.port).await;
    let clock = real_now_clock();
    let v = ocsp_verifier(&clock, &proxy.url());

    allowed(verify(&v, &p.good).await, "ocsp");
    assert_eq!(proxy.hits(), 1);
    // Within 5 s of a good answer: no new fetch (and far from the
    // refresh-ahead window, which would legitimately fetch in the background).
    clock.advance_ms(1_000);
    let again = allowed(verify(&v, &p.good).await, "ocsp");
    assert!(again.audit().revocation_age_ms.is_some());
    assert_eq!(proxy.hits(), 1, "a fresh cached answer costs no I/O");

    // The responder dies: the cached answer still serves within its bound...
    responder.kill();
    allowed(verify(&v, &p.good).await, "ocsp");
    assert_eq!(proxy.hits(), 1);
    // ...and once past the TTL the refresh fails: fail closed.
    clock.advance_ms(PAST_TTL_MS);
    let d = denied(verify(&v, &p.good).await, "revocation_unavailable");
    assert_eq!(d.audit.revocation, RevocationOutcome::Unavailable);
    assert_eq!(d.audit.http_status, 503);
    // Denied because the exchange failed — not because a fresh answer would
    // have looked old on the advanced clock (see the module comment).
    let reason = format!("{:?}", d.error);
    assert!(!reason.contains("older than"), "{reason}");
    assert_eq!(proxy.hits(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn ocsp_revoked_answer_is_kept_after_the_responder_is_gone() {
    let p = pki();
    let mut responder = OcspResponder::start(p);
    let proxy = CountingProxy::start(responder.port).await;
    let clock = real_now_clock();
    let v = ocsp_verifier(&clock, &proxy.url());

    denied(verify(&v, &p.revoked).await, "certificate_revoked");
    responder.kill();
    clock.advance_ms(PAST_TTL_MS);
    // Revoked never turns back into anything else, and needs no fetch.
    denied(verify(&v, &p.revoked).await, "certificate_revoked");
    assert_eq!(proxy.hits(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn ocsp_revocation_in_the_ca_database_is_seen_once_the_ttl_has_passed() {
    let p = pki();
    // This test's own copies of the CA database: before and after the CA
    // revokes the good leaf. (`openssl ocsp` only notices an edited index
    // when it loops between connections, so the CA's responder is restarted
    // on the new database instead, behind the same proxy.)
    let index = |revoked: bool| {
        let name = format!("index-{}-{revoked}.txt", std::process::id());
        let line = index_line(revoked, &p.leaf_end, &p.start, p.good.serial, p.good.name);
        std::fs::write(p.path(&name), line).unwrap();
        name
    };
    let mut before = OcspResponder::start_with_index(p, &index(false));
    let proxy = CountingProxy::start(before.port).await;
    let clock = real_now_clock();
    let v = ocsp_verifier(&clock, &proxy.url());
    allowed(verify(&v, &p.good).await, "ocsp");

    before.kill();
    let after = OcspResponder::start_with_index(p, &index(true));
    proxy.set_upstream(after.port);
    // Within the TTL the good answer may still be used (SPEC 7.2)...
    clock.advance_ms(1_000);
    allowed(verify(&v, &p.good).await, "ocsp");
    assert_eq!(proxy.hits(), 1);
    // ...past it, the next request asks again and sees the revocation.
    clock.advance_ms(PAST_TTL_MS);
    let d = denied(verify(&v, &p.good).await, "certificate_revoked");
    assert_eq!(d.audit.revocation_source, Some("ocsp"));
    assert_eq!(proxy.hits(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn ocsp_concurrent_verifications_share_one_exchange() {
    const N: usize = 20;
    let p = pki();
    let responder = OcspResponder::start(p);
    let proxy = CountingProxy::start(responder.port).await;
    let clock = real_now_clock();
    let v = Arc::new(ocsp_verifier(&clock, &proxy.url()));
    let signer = p.good.signer();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..N {
        let (v, s) = (v.clone(), sign_trade(&signer, clock.now_ms()));
        tasks.spawn(async move { verify_signed(&v, &s).await.map(|_| ()).map_err(|d| d.error) });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap().expect("allowed");
    }
    assert_eq!(proxy.hits(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn ocsp_whole_chain_without_an_answer_for_the_intermediate_fails_closed() {
    // The responder is authorized by the intermediate only; what it says
    // about the intermediate (issued by the root) must not be trusted.
    let p = pki();
    let responder = OcspResponder::start(p);
    let proxy = CountingProxy::start(responder.port).await;
    let clock = real_now_clock();
    let source = OcspSource::new(
        HttpClient::new(HttpConfig::default()).unwrap(),
        Some(&proxy.url()),
    )
    .unwrap();
    let v = Verifier::builder(p.trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(clock.clone())
        .revocation(Revocation::Source(Arc::new(source)))
        .check_whole_chain(true)
        .build()
        .unwrap();
    let d = denied(verify(&v, &p.good).await, "revocation_unavailable");
    assert_eq!(d.audit.revocation, RevocationOutcome::Unavailable);
    let reason = format!("{:?}", d.error);
    assert!(reason.contains("responder"), "{reason}");
    assert_eq!(proxy.hits(), 2, "the leaf, then the intermediate");
}

/// OCSP with one responder per issuing CA (as a deployment with two
/// issuing CAs would configure it), chosen by the certificate's issuer.
struct OcspByIssuer {
    first_issuer_der: Vec<u8>,
    first: OcspSource,
    second: OcspSource,
}

impl RevocationSource for OcspByIssuer {
    fn name(&self) -> &'static str {
        "ocsp"
    }

    fn is_networked(&self) -> bool {
        true
    }

    fn check<'a>(
        &'a self,
        cert: CertificateRef<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<RevocationAnswer, Unavailable>> {
        if cert.issuer_der == self.first_issuer_der.as_slice() {
            self.first.check(cert, now_ms)
        } else {
            self.second.check(cert, now_ms)
        }
    }
}

/// Two responders (one per intermediate) behind counting proxies, and a
/// verifier asking each about its own CA's certificates.
struct TwoCas {
    _responders: [OcspResponder; 2],
    proxies: [CountingProxy; 2],
    verifier: Verifier,
}

async fn two_cas() -> TwoCas {
    let p = pki();
    let r1 = OcspResponder::start(p);
    let r2 = OcspResponder::start_for(p, "index2.txt", "intermediate2.pem", "resp2");
    let x1 = CountingProxy::start(r1.port).await;
    let x2 = CountingProxy::start(r2.port).await;
    let http = HttpClient::new(HttpConfig::default()).unwrap();
    let source = OcspByIssuer {
        first_issuer_der: read(&p.path("intermediate.der")),
        first: OcspSource::new(http.clone(), Some(&x1.url())).unwrap(),
        second: OcspSource::new(http, Some(&x2.url())).unwrap(),
    };
    let clock = real_now_clock();
    TwoCas {
        _responders: [r1, r2],
        proxies: [x1, x2],
        verifier: verifier(&clock, Revocation::Source(Arc::new(source))),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ocsp_two_issuing_cas_each_answer_for_their_own_serials() {
    let p = pki();
    let t = two_cas().await;
    allowed(verify(&t.verifier, &p.twin).await, "ocsp");
    denied(verify(&t.verifier, &p.revoked).await, "certificate_revoked");
    assert_eq!((t.proxies[0].hits(), t.proxies[1].hits()), (1, 1));
}

/// SPEC 7.2 keys revocation state by (issuer, serial); serials are unique
/// per issuer only (RFC 5280 4.1.2.2).
#[tokio::test(flavor = "multi_thread")]
async fn ocsp_a_revoked_serial_of_one_ca_does_not_revoke_the_same_serial_of_another() {
    let p = pki();
    let t = two_cas().await;
    denied(verify(&t.verifier, &p.revoked).await, "certificate_revoked");
    // live_twin: issued by intermediate2, same serial, good at its responder.
    let r = verify(&t.verifier, &p.twin).await;
    assert_eq!(code(&r), None, "{:?}", r.as_ref().err().map(|d| &d.audit));
    assert_eq!(
        t.proxies[1].hits(),
        1,
        "intermediate2's responder was asked"
    );
}
