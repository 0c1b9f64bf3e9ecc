//! `revocation::crl::CrlSource::from_pem_or_der` and `CrlSource::status`.
//!
//! The input is one CRL (PEM or DER). It is asked about two fixed
//! certificates of the shared v1 PKI (desk_bot_1: not revoked; revoked_bot:
//! revoked by `crl.pem`), at the vectors' `now`.
//!
//! Invariant (fail closed): nobody here holds the intermediate CA's key, so
//! a definite answer is only possible over the exact signed TBSCertList of
//! the real `crl.pem`, and it must then be that CRL's answer: desk_bot_1
//! Valid, revoked_bot Revoked, thisUpdate 2026-06-30T09:15:00Z, nextUpdate
//! 2026-07-07T09:15:00Z. Anything else must be `Unavailable`.

use std::sync::OnceLock;

use super::common::{Pair, DESK_BOT_1_PEM, INTERMEDIATE_PEM, NOW_MS, REVOKED_BOT_PEM};
use kakunin_verify::revocation::crl::CrlSource;
use kakunin_verify::revocation::RevocationStatus;

const THIS_UPDATE_MS: u64 = 1_782_810_900_000; // 2026-06-30T09:15:00Z
const NEXT_UPDATE_MS: u64 = 1_783_415_700_000; // 2026-07-07T09:15:00Z

fn pairs() -> &'static [(Pair, RevocationStatus); 2] {
    static P: OnceLock<[(Pair, RevocationStatus); 2]> = OnceLock::new();
    P.get_or_init(|| {
        let pairs = [
            (
                Pair::new(DESK_BOT_1_PEM, INTERMEDIATE_PEM),
                RevocationStatus::Valid,
            ),
            (
                Pair::new(REVOKED_BOT_PEM, INTERMEDIATE_PEM),
                RevocationStatus::Revoked,
            ),
        ];
        // Harness self-check: the real CRL gives the expected answers.
        let real =
            CrlSource::from_pem_or_der(&[include_bytes!("../seeds/crl/crl.der")]).expect("crl.der");
        for (pair, expected) in &pairs {
            assert_eq!(
                real.status(&pair.cert_ref(), NOW_MS)
                    .expect("crl.der answers")
                    .status,
                *expected
            );
        }
        pairs
    })
}

/// The fuzz target's body (see the module documentation).
pub fn crl(data: &[u8]) {
    let Ok(source) = CrlSource::from_pem_or_der(&[data]) else {
        return;
    };
    for (pair, expected) in pairs() {
        let cert = pair.cert_ref();
        for now in [NOW_MS, THIS_UPDATE_MS, NEXT_UPDATE_MS] {
            if let Ok(answer) = source.status(&cert, now) {
                assert_eq!(
                    answer.status, *expected,
                    "a fuzzed CRL changed {}'s status",
                    cert.serial_hex
                );
                assert_eq!(answer.produced_at_ms, THIS_UPDATE_MS);
                assert_eq!(answer.next_update_ms, Some(NEXT_UPDATE_MS));
                assert_eq!(answer.source, "crl");
            }
        }
        // Outside the CRL's validity it must never answer.
        for now in [0, THIS_UPDATE_MS - 1, NEXT_UPDATE_MS + 1, u64::MAX] {
            assert!(source.status(&cert, now).is_err(), "answered at {now}");
        }
    }
}
