//! `revocation::ocsp::verify_response` on a fuzzed DER `OCSPResponse`.
//!
//! Asked about two fixed certificates:
//! - desk_bot_1 / the shared v1 intermediate: nobody here holds that CA's
//!   key (nor any responder key it certified), so every answer must be
//!   `Unavailable` (fail closed);
//! - ocsp_leaf / ocsp_ca (a PKI made with `openssl` for the seeds), at a
//!   time an hour after the seeds' thisUpdate, so valid seeds verify and
//!   mutations reach deep. An answer that verifies must respect the
//!   freshness bounds of SPEC 7.1 (thisUpdate not in the future beyond the
//!   skew nor older than the maximum age, nextUpdate present and not past).
//!
//! Each is tried without a nonce, with the seed's nonce and with another.

use std::sync::OnceLock;

use super::common::*;
use kakunin_verify::revocation::ocsp::{verify_response, OcspConfig};
use kakunin_verify::revocation::RevocationStatus;

const HOUR_MS: u64 = 60 * 60 * 1000;

fn pairs() -> &'static (Pair, Pair) {
    static P: OnceLock<(Pair, Pair)> = OnceLock::new();
    P.get_or_init(|| {
        let pairs = (
            Pair::new(DESK_BOT_1_PEM, INTERMEDIATE_PEM),
            Pair::new(OCSP_LEAF_PEM, OCSP_CA_PEM),
        );
        // Harness self-check: the seeds verify at the chosen time, so the
        // fuzzer starts from answers that pass every check.
        let now = OCSP_THIS_UPDATE_MS + HOUR_MS;
        for (seed, status) in [
            (
                &include_bytes!("../seeds/ocsp_response/good_by_ca.der")[..],
                RevocationStatus::Valid,
            ),
            (
                &include_bytes!("../seeds/ocsp_response/good_by_responder.der")[..],
                RevocationStatus::Valid,
            ),
            (
                &include_bytes!("../seeds/ocsp_response/revoked.der")[..],
                RevocationStatus::Revoked,
            ),
            (
                &include_bytes!("../seeds/ocsp_response/unknown.der")[..],
                RevocationStatus::Unknown,
            ),
        ] {
            let a = verify_response(seed, &pairs.1.cert_ref(), None, now, &OcspConfig::default())
                .expect("OCSP seed verifies");
            assert_eq!(a.status, status);
        }
        pairs
    })
}

/// The fuzz target's body (see the module documentation).
pub fn ocsp_response(data: &[u8]) {
    let (desk_bot, ocsp_leaf) = pairs();
    let config = OcspConfig::default();
    let nonces: [Option<&[u8]>; 3] = [None, Some(&OCSP_SEED_NONCE), Some(b"another-nonce-01")];
    for nonce in nonces {
        let r = verify_response(data, &desk_bot.cert_ref(), nonce, NOW_MS, &config);
        assert!(
            r.is_err(),
            "an OCSP answer about desk_bot_1 verified: {r:?}"
        );

        let now = OCSP_THIS_UPDATE_MS + HOUR_MS;
        if let Ok(a) = verify_response(data, &ocsp_leaf.cert_ref(), nonce, now, &config) {
            assert_eq!(a.source, "ocsp");
            assert!(
                a.produced_at_ms <= now + config.clock_skew_ms,
                "thisUpdate in the future: {a:?}"
            );
            assert!(
                a.produced_at_ms + config.max_age_ms >= now,
                "thisUpdate too old: {a:?}"
            );
            let next = a.next_update_ms.expect("an accepted answer has nextUpdate");
            assert!(next >= now, "nextUpdate passed: {a:?}");
            assert!(a.risk_score.is_none() && a.risk_band.is_none());
            // Too late for the same answer: past max age must never verify.
            let late = a.produced_at_ms + config.max_age_ms + HOUR_MS;
            assert!(
                verify_response(data, &ocsp_leaf.cert_ref(), nonce, late, &config).is_err(),
                "answer accepted past its maximum age"
            );
        }
    }
}
