//! SPEC 7 (revocation) codes of request verification: a source's answers
//! and risk report, a CRL source and its backend, the whole path's serials,
//! and unsigned traffic never reaching revocation.

use std::sync::Arc;

use super::{desk, TRADE};
use crate::common::*;
use kakunin_verify::replay::MemoryNonceStore;
use kakunin_verify::revocation::crl::CrlSource;
use kakunin_verify::revocation::fixed::FixedSource;
use kakunin_verify::revocation::{
    RevocationAnswer, RevocationSource, RevocationStatus, RiskBand, Unavailable,
};
use kakunin_verify::{CryptoBackend, ManualClock, Revocation, Verifier};

fn answer(
    status: RevocationStatus,
    score: Option<f64>,
    band: Option<RiskBand>,
) -> RevocationAnswer {
    RevocationAnswer {
        risk_score: score,
        risk_band: band,
        ..RevocationAnswer::new(status, NOW_MS - 1000, "scripted")
    }
}

/// A local source (consulted on every request) answering what the test
/// says, counting calls.
fn scripted(a: Result<RevocationAnswer, Unavailable>) -> FixedSource {
    match a {
        Ok(answer) => FixedSource::answer("scripted", answer),
        Err(why) => FixedSource::unavailable("scripted", why.0),
    }
    .local()
}

fn with_source(
    a: Result<RevocationAnswer, Unavailable>,
    fail_open: bool,
) -> (Verifier, Arc<FixedSource>) {
    let s = Arc::new(scripted(a));
    let v = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Source(s.clone()))
        .fail_open_when_revocation_unavailable(fail_open)
        .build()
        .unwrap();
    (v, s)
}

#[test]
fn revocation_outcomes_and_risk() {
    let req = || sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS);
    let (v, _) = with_source(
        Ok(answer(
            RevocationStatus::Valid,
            Some(0.2),
            Some(RiskBand::Low),
        )),
        false,
    );
    let ok = req().verify(&v).unwrap();
    assert_eq!(
        serde_json::to_value(ok.audit().revocation).unwrap(),
        "valid"
    );
    assert_eq!(ok.audit().revocation_age_ms, Some(1000));
    let (v, _) = with_source(Ok(answer(RevocationStatus::Revoked, None, None)), false);
    assert_eq!(req().code(&v), Some("certificate_revoked"));
    let (v, _) = with_source(Ok(answer(RevocationStatus::Unknown, None, None)), false);
    assert_eq!(req().code(&v), Some("certificate_unknown"));
    let (v, _) = with_source(Err(Unavailable::new("down")), false);
    let d = req().verify(&v).unwrap_err();
    assert_eq!(
        (d.error.code().as_str(), d.error.http_status()),
        ("revocation_unavailable", 503)
    );
    assert_eq!(d.error.retry_after_seconds(), Some(1));
    let (v, _) = with_source(Ok(answer(RevocationStatus::Valid, Some(0.85), None)), false);
    assert_eq!(req().code(&v), Some("risk_too_high"));
    let (v, _) = with_source(Ok(answer(RevocationStatus::Valid, Some(0.84), None)), false);
    assert_eq!(req().code(&v), None);
    let (v, _) = with_source(
        Ok(answer(RevocationStatus::Valid, None, Some(RiskBand::High))),
        false,
    );
    assert_eq!(req().code(&v), Some("risk_too_high"));
    // Failing open is explicit, and still recorded as unavailable.
    let (v, _) = with_source(Err(Unavailable::new("down")), true);
    let ok = req().verify(&v).unwrap();
    assert_eq!(
        serde_json::to_value(ok.audit().revocation).unwrap(),
        "unavailable"
    );
}

// Issue 11 (one backend): a revocation source that verifies signatures
// itself (CRLs here; OCSP the same way) must use the verifier's backend: the
// verifier is built only when they agree, for every pair the build has.
#[test]
fn a_crl_source_on_another_backend_than_the_verifier_is_a_config_error() {
    let crl = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kakunin/crl.pem"),
    )
    .unwrap();
    for source_backend in CryptoBackend::ALL.iter().copied() {
        for verifier_backend in CryptoBackend::ALL.iter().copied() {
            let source = CrlSource::from_pem_or_der(&[&crl])
                .unwrap()
                .with_crypto_backend(source_backend);
            assert_eq!(source.crypto_backend(), Some(source_backend));
            let built = v1_builder(Arc::new(ManualClock::new(NOW_MS)))
                .revocation(Revocation::Source(Arc::new(source)))
                .crypto_backend(verifier_backend)
                .build();
            match built {
                Ok(_) => assert_eq!(source_backend, verifier_backend),
                Err(e) => {
                    assert_ne!(source_backend, verifier_backend);
                    assert!(e.to_string().contains("with_crypto_backend"), "{e}");
                }
            }
        }
    }
    // By default both are the build's default backend.
    let source = CrlSource::from_pem_or_der(&[&crl]).unwrap();
    assert_eq!(source.crypto_backend(), Some(CryptoBackend::default()));
    assert!(v1_builder(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Source(Arc::new(source)))
        .build()
        .is_ok());
}

// SPEC 7.1 (whole chain) / 7.2 / 7.3: once the leaf is cached, each
// certificate of the path is still looked up in the revocation cache and the
// revoked set by its own serial (normalized once, when the leaf was cached):
// a serial revoked after the answers were cached denies at once — the
// intermediate's as well as the leaf's — with no new fetch.
#[test]
fn spec_7_1_whole_chain_cached_answers_are_keyed_by_each_certificates_own_serial() {
    let build = |source: Arc<RecordingValid>| {
        v1_builder(Arc::new(ManualClock::new(NOW_MS)))
            .revocation(Revocation::Source(source))
            .check_whole_chain(true)
            .build()
            .unwrap()
    };
    let req = || sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS);
    let source = Arc::new(RecordingValid::default());
    let v = build(source.clone());
    let ok = req().verify(&v).unwrap();
    let leaf_serial = ok.certificate().serial_hex().to_owned();
    let asked = source.asked();
    assert_eq!(asked.len(), 2, "the leaf and the intermediate: {asked:?}");
    assert_eq!(asked[0], leaf_serial);
    let intermediate_serial = asked[1].clone();
    assert_ne!(intermediate_serial, leaf_serial);
    // Cached: no new fetch.
    assert_eq!(req().code(&v), None);
    assert_eq!(source.asked().len(), 2);
    // The intermediate revoked (its serial in the colon form, upper case).
    let colon_form = intermediate_serial
        .as_bytes()
        .chunks(2)
        .map(|p| String::from_utf8_lossy(p).to_uppercase())
        .collect::<Vec<_>>()
        .join(":");
    v.revocation_cache()
        .mark_revoked(&colon_form, None)
        .unwrap();
    let d = req().verify(&v).unwrap_err();
    assert_eq!(d.error.code().as_str(), "certificate_revoked");
    assert_eq!(source.asked().len(), 2, "no new fetch");

    // The leaf revoked, on a fresh verifier whose answers are cached.
    let source = Arc::new(RecordingValid::default());
    let v = build(source.clone());
    assert_eq!(req().code(&v), None);
    v.revocation_cache()
        .mark_revoked(&leaf_serial, None)
        .unwrap();
    assert_eq!(req().code(&v), Some("certificate_revoked"));
    assert_eq!(source.asked().len(), 2, "no new fetch");
}

#[test]
fn unsigned_traffic_never_reaches_revocation_and_a_503_burns_no_nonce() {
    let (v, source) = with_source(Err(Unavailable::new("down")), false);
    let mut bad = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS);
    bad.body = br#"{"market":"EUR_USD","size":1}"#.to_vec();
    assert_eq!(bad.code(&v), Some("signature_invalid"));
    assert_eq!(source.calls(), 0);
    // The same request after revocation recovers is not a replay.
    let r = sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS);
    let store = Arc::new(MemoryNonceStore::default());
    let s = |a| {
        v1_builder(Arc::new(ManualClock::new(NOW_MS)))
            .revocation(Revocation::Source(Arc::new(scripted(a))))
            .nonce_store(store.clone())
            .build()
            .unwrap()
    };
    assert_eq!(
        r.code(&s(Err(Unavailable::new("down")))),
        Some("revocation_unavailable")
    );
    assert_eq!(
        r.code(&s(Ok(answer(RevocationStatus::Valid, None, None)))),
        None
    );
}

/// A verifier at `now_ms` whose revocation source is the v1 PKI's CRL.
fn crl_verifier(now_ms: u64) -> Verifier {
    let crl = CrlSource::from_pem_or_der(&[&read(v1_dir().join("crl.pem"))]).unwrap();
    v1_builder(Arc::new(ManualClock::new(now_ms)))
        .revocation(Revocation::Source(Arc::new(crl)))
        .build()
        .unwrap()
}

#[test]
fn crl_revoked_and_good_through_the_crl_source() {
    let v = crl_verifier(NOW_MS);
    let d = sign(
        &v1_signer("revoked_bot"),
        "POST",
        "/v1/trades",
        TRADE,
        NOW_MS,
    )
    .verify(&v)
    .unwrap_err();
    assert_eq!(d.error.code().as_str(), "certificate_revoked");
    assert_eq!(serde_json::to_value(d.audit.revocation).unwrap(), "revoked");
    assert_eq!(d.audit.revocation_source, Some("crl"));
    assert_eq!(
        sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS).code(&v),
        None
    );
    // Past the CRL's nextUpdate (2026-07-07T09:15Z) the CRL is not relied on.
    let later = NOW_MS + 7 * 86_400_000;
    assert_eq!(
        sign(&desk(), "POST", "/v1/trades", TRADE, later).code(&crl_verifier(later)),
        Some("revocation_unavailable")
    );
}

// SPEC 7.2 through a `FixedSource` (as its documentation says): a networked
// source's answer is held to the age limit (at most 86 400 s, the longest
// `revocationTimeout` SPEC 3 allows) and to its nextUpdate by the
// verifier's clock; the same source made local is taken as given.
#[test]
fn spec_7_2_a_fixed_answer_is_held_to_the_limits_when_networked() {
    const DAY_MS: u64 = 86_400_000;
    let req = || sign(&desk(), "POST", "/v1/trades", TRADE, NOW_MS);
    let verifier = |source: FixedSource| {
        v1_builder(Arc::new(ManualClock::new(NOW_MS)))
            .revocation(Revocation::Source(Arc::new(source)))
            .build()
            .unwrap()
    };
    let made = |produced_at_ms, next_update_ms| RevocationAnswer {
        next_update_ms,
        ..RevocationAnswer::new(RevocationStatus::Valid, produced_at_ms, "given")
    };
    let fresh = made(NOW_MS - 1_000, None);
    let too_old = made(NOW_MS - DAY_MS - 1, None);
    let past_next_update = made(NOW_MS - 1_000, Some(NOW_MS - 1));

    let ok = req()
        .verify(&verifier(FixedSource::answer("fixed", fresh)))
        .unwrap();
    let audit = serde_json::to_value(ok.audit()).unwrap();
    assert_eq!(audit["revocation_source"], "fixed");
    assert_eq!(audit["revocation_age_ms"], 1_000);
    for stale in [too_old.clone(), past_next_update.clone()] {
        assert_eq!(
            req().code(&verifier(FixedSource::answer("fixed", stale))),
            Some("revocation_unavailable")
        );
    }
    for stale in [too_old, past_next_update] {
        assert_eq!(
            req().code(&verifier(FixedSource::answer("fixed", stale).local())),
            None
        );
    }
}
