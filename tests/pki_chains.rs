//! Sanity of `testdata/pki/` itself: the valid chains (and the `bad/` leaves
//! under the p256 intermediate) build with webpki at the tests' "now",
//! 2026-07-01T09:15:00Z, and the untrusted chain does not build under any
//! of the pinned roots.

use std::path::Path;

use rustls_pki_types::{CertificateDer, UnixTime};
use webpki::{anchor_from_trusted_cert, EndEntityCert, KeyUsage, ALL_VERIFICATION_ALGS};

/// 2026-07-01T09:15:00Z.
const NOW_SECS: u64 = 1_782_897_300;

fn der(rel: &str) -> CertificateDer<'static> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pki")
        .join(rel);
    let pem = std::fs::read(&path).unwrap();
    let (label, der) = der::pem::decode_vec(&pem).unwrap();
    assert_eq!(label, "CERTIFICATE", "{}", path.display());
    CertificateDer::from(der)
}

fn build(root: &str, intermediate: &str, leaf: &str, now: u64) -> Result<(), webpki::Error> {
    let root = der(root);
    let anchors = [anchor_from_trusted_cert(&root).unwrap().to_owned()];
    let intermediates = [der(intermediate)];
    let leaf = der(leaf);
    let ee = EndEntityCert::try_from(&leaf)?;
    ee.verify_for_usage(
        ALL_VERIFICATION_ALGS,
        &anchors,
        &intermediates,
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(now)),
        KeyUsage::client_auth(),
        None,
        None,
    )
    .map(|_| ())
}

#[test]
fn valid_chains_build_at_now() {
    for dir in ["rsa2048", "p256", "p384", "ed25519", "untrusted"] {
        build(
            &format!("{dir}/root.pem"),
            &format!("{dir}/intermediate.pem"),
            &format!("{dir}/leaf.pem"),
            NOW_SECS,
        )
        .unwrap_or_else(|e| panic!("{dir}: {e:?}"));
    }
}

#[test]
fn untrusted_chain_does_not_build_under_pinned_roots() {
    for dir in ["rsa2048", "p256", "p384", "ed25519"] {
        let err = build(
            &format!("{dir}/root.pem"),
            "untrusted/intermediate.pem",
            "untrusted/leaf.pem",
            NOW_SECS,
        )
        .unwrap_err();
        assert!(
            matches!(err, webpki::Error::UnknownIssuer),
            "{dir}: {err:?}"
        );
    }
}

#[test]
fn bad_leaves_are_issued_by_the_p256_intermediate() {
    // The leaves whose only fault is outside path validation build; so their
    // tests isolate exactly one rule.
    for name in [
        "rsa1024",
        "validity_400d",
        "two_urns",
        "no_urn",
        "bad_urn_id",
        "urn_prefix_uppercase",
        "serial_20_octets",
        "policy_version2",
        "policy_trailing_bytes",
        "provenance_short_hash",
        "no_policy",
        "critical_policy",
        "duplicate_policy",
        "negative_serial",
        "serial_21_octets",
        "serial_zero",
        "ec_p521",
    ] {
        let result = build(
            "p256/root.pem",
            "p256/intermediate.pem",
            &format!("bad/{name}.pem"),
            NOW_SECS,
        );
        // webpki itself refuses some of these (an unknown critical extension,
        // a serial it will not parse, a key it does not support); what
        // matters is that none fails for an unknown issuer or a bad signature.
        if let Err(e) = result {
            assert!(
                !matches!(
                    e,
                    webpki::Error::UnknownIssuer | webpki::Error::InvalidSignatureForPublicKey
                ),
                "{name}: {e:?}"
            );
        }
    }
}

#[test]
fn expiry_cases_fail_on_time_only() {
    let expired = build(
        "p256/root.pem",
        "p256/intermediate.pem",
        "bad/expired.pem",
        NOW_SECS,
    )
    .unwrap_err();
    assert!(
        matches!(expired, webpki::Error::CertExpired { .. }),
        "{expired:?}"
    );
    let early = build(
        "p256/root.pem",
        "p256/intermediate.pem",
        "bad/not_yet_valid.pem",
        NOW_SECS,
    )
    .unwrap_err();
    assert!(
        matches!(early, webpki::Error::CertNotValidYet { .. }),
        "{early:?}"
    );
    // ... and the not-yet-valid leaf builds once it is valid.
    build(
        "p256/root.pem",
        "p256/intermediate.pem",
        "bad/not_yet_valid.pem",
        1_798_761_600, // 2027-01-01
    )
    .unwrap();
}
