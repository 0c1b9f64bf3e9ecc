//! SPEC 10 (revision 1.2), profile `kakunin-2026`: Kakunin's CRL, verify
//! endpoint and webhooks as its service produces them, on the node-forge
//! fixtures of testdata/kakunin/ (expectations from its manifest.json):
//! CRLs through the verifier and the CRL source, the endpoint against a
//! real HTTP/1.1 server on 127.0.0.1, webhooks through the verifier and
//! (modules below) through real axum and actix-web servers.

mod common;
#[path = "kakunin_revocation/fixtures.rs"]
mod fixtures;

#[cfg(feature = "actix")]
#[path = "kakunin_revocation/actix.rs"]
mod actix_webhook;
#[cfg(feature = "axum")]
#[path = "kakunin_revocation/axum.rs"]
mod axum_webhook;
#[cfg(feature = "fetch")]
#[path = "kakunin_revocation/endpoint.rs"]
mod endpoint;

use std::sync::Arc;

use fixtures::{crls, delivery, file, leaf, manifest, now_ms, secret, trade, verifier};
use kakunin_verify::certificate::SerialForm;
use kakunin_verify::revocation::webhook::{WebhookError, WebhookEvent, WebhookHeaders};
use kakunin_verify::revocation::{CertificateRef, RevocationStatus};
use kakunin_verify::Revocation;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The leaves of the manifest that the CRL fixtures speak about, with
/// whether crl / crl_2 list them.
fn serial_leaves() -> Vec<(&'static str, bool)> {
    manifest()["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["name"].as_str().unwrap().starts_with("leaf_"))
        .map(|l| {
            let listed = !l["listed_in"].as_array().unwrap().is_empty();
            (l["name"].as_str().unwrap(), listed)
        })
        .collect()
}

// ------------------------------------------------------------------- CRL

// SPEC 10 (done means): the root-signed Kakunin CRLs revoke the profile
// certificates they list — negative, 15-octet, FF-dropped, sign-octet,
// non-minimal, issued by the intermediate or by the root — and no other,
// whichever of the loaded CRLs is the newest (crl_empty, with no entries,
// is newest of all: under SPEC 7.1 it alone would decide).
#[test]
fn spec_10_root_signed_crls_revoke_profile_certificates() {
    let source = Arc::new(crls(&["crl", "crl_2", "crl_empty"]));
    let v = verifier(Revocation::Source(source));
    let leaves = serial_leaves();
    assert!(leaves.len() >= 8);
    for (name, listed) in leaves {
        let expected = listed.then_some("certificate_revoked");
        assert_eq!(trade(name).code(&v), expected, "{name}");
    }
}

fn cert_ref<'a>(
    name: &str,
    der: &'a [u8],
    issuer: &'a [u8],
    serial: &'a [u8],
    root: &'a [u8],
    form: SerialForm,
) -> CertificateRef<'a> {
    let l = leaf(name);
    CertificateRef {
        der,
        issuer_der: issuer,
        serial,
        serial_hex: l["profile_serial"].as_str().unwrap(),
        not_after_ms: kakunin_verify::time::parse_time_ms(l["not_after"].as_str().unwrap())
            .unwrap(),
        serial_form: form,
        root_der: Some(root),
    }
}

/// Status of `name` under `source` at `at_ms`, as the given serial form.
fn crl_status(
    source: &kakunin_verify::revocation::crl::CrlSource,
    name: &str,
    form: SerialForm,
    at_ms: u64,
) -> Result<RevocationStatus, String> {
    let l = leaf(name);
    let der = file(l["der_file"].as_str().unwrap());
    let issuer = file(&format!("{}.der", l["issuer"].as_str().unwrap()));
    let root = file("root.der");
    let serial = hex(l["serial_content_hex"].as_str().unwrap());
    source
        .status(&cert_ref(name, &der, &issuer, &serial, &root, form), at_ms)
        .map(|a| a.status)
        .map_err(|u| u.0.into_owned())
}

// SPEC 10 is additive: as a section 2 (RFC 5280 form) certificate, an
// intermediate's leaf is not covered by the root's CRL (SPEC 7.1:
// unavailable), and a CRL with a non-minimal entry (read for the profile
// only) speaks for no section 2 certificate — while its strict twin
// (crl_strict) decides for the root's own leaf as SPEC 7.1 says.
#[test]
fn spec_10_section_7_1_is_unchanged_for_section_2_certificates() {
    let now = now_ms();
    let kakunin = crls(&["crl"]);
    assert_eq!(
        crl_status(&kakunin, "leaf_negative", SerialForm::Kakunin2026, now),
        Ok(RevocationStatus::Revoked)
    );
    assert!(crl_status(&kakunin, "leaf_negative", SerialForm::Rfc5280, now).is_err());
    assert_eq!(
        crl_status(
            &kakunin,
            "leaf_root_direct_revoked",
            SerialForm::Kakunin2026,
            now
        ),
        Ok(RevocationStatus::Revoked)
    );
    assert!(crl_status(
        &kakunin,
        "leaf_root_direct_revoked",
        SerialForm::Rfc5280,
        now
    )
    .is_err());
    let strict = crls(&["crl_strict"]);
    assert_eq!(
        crl_status(
            &strict,
            "leaf_root_direct_revoked",
            SerialForm::Rfc5280,
            now
        ),
        Ok(RevocationStatus::Revoked)
    );
    assert_eq!(
        crl_status(&strict, "leaf_root_direct", SerialForm::Rfc5280, now),
        Ok(RevocationStatus::Valid)
    );
}

// SPEC 10: a certificate is valid only while some covering CRL is current;
// a listed one stays revoked whatever the CRL's dates (a revocation never
// turns back into valid, SPEC 7.2).
#[test]
fn spec_10_without_a_current_crl_only_revocations_stand() {
    let source = crls(&["crl"]);
    let next_update =
        kakunin_verify::time::parse_time_ms(manifest()["crls"][0]["next_update"].as_str().unwrap())
            .unwrap();
    assert_eq!(manifest()["crls"][0]["name"], "crl");
    let form = SerialForm::Kakunin2026;
    assert_eq!(
        crl_status(&source, "leaf_positive", form, next_update),
        Ok(RevocationStatus::Valid)
    );
    assert!(crl_status(&source, "leaf_positive", form, next_update + 1).is_err());
    assert_eq!(
        crl_status(&source, "leaf_nonminimal", form, next_update + 1),
        Ok(RevocationStatus::Revoked)
    );
}

// SPEC 10: the CRL must be signed by the pinned root the path ends at: a
// CRL whose signature does not verify covers nothing.
#[test]
fn spec_10_a_crl_not_signed_by_the_root_covers_nothing() {
    let mut der = file("crl.der");
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let source = kakunin_verify::revocation::crl::CrlSource::from_pem_or_der(&[&der]).unwrap();
    let err = crl_status(&source, "leaf_negative", SerialForm::Kakunin2026, now_ms());
    assert!(err.is_err(), "{err:?}");
}

// --------------------------------------------------------------- webhooks

fn headers(d: &fixtures::Delivery) -> WebhookHeaders<'_> {
    WebhookHeaders {
        signature: d.header("x-kakunin-signature"),
        timestamp: d.header("x-kakunin-timestamp"),
    }
}

// SPEC 10 (done means): a Kakunin-form delivery (`X-Kakunin-Timestamp` ms,
// `X-Kakunin-Signature: sha256=`) revokes the profile certificate at once;
// the 32-digit serial with a leading 00 (leaf_15octet) meets its
// certificate too.
#[test]
fn spec_10_kakunin_form_webhook_revokes_at_once() {
    let v = verifier(Revocation::Disabled);
    for (hook, name) in [
        ("revoked_leaf_negative", "leaf_negative"),
        ("revoked_leaf_15octet", "leaf_15octet"),
    ] {
        assert_eq!(trade(name).code(&v), None, "{name}");
        let d = delivery(hook);
        let event = pollster::block_on(v.apply_revocation_webhook(&secret(), headers(&d), &d.body))
            .unwrap();
        assert!(matches!(event, WebhookEvent::CertificateRevoked { .. }));
        assert_eq!(trade(name).code(&v), Some("certificate_revoked"), "{name}");
    }
    assert_eq!(trade("leaf_positive").code(&v), None);
    // Another event changes nothing.
    let d = delivery("issued_leaf_positive");
    assert!(matches!(
        pollster::block_on(v.apply_revocation_webhook(&secret(), headers(&d), &d.body)),
        Ok(WebhookEvent::Other { .. })
    ));
    assert_eq!(trade("leaf_positive").code(&v), None);
}

// SPEC 10: SPEC 7.3's form is still accepted; a delivery mixing the forms
// (the fixture: Kakunin's timestamp header beside a t=,v1= signature) is
// refused and revokes nothing.
#[test]
fn spec_10_spec_7_3_form_accepted_and_mixed_form_refused() {
    let v = verifier(Revocation::Disabled);
    let mixed = delivery("revoked_leaf_negative_mixed");
    assert!(mixed.header("x-kakunin-timestamp").is_some());
    assert!(matches!(
        pollster::block_on(v.apply_revocation_webhook(&secret(), headers(&mixed), &mixed.body)),
        Err(WebhookError::MalformedHeader(_))
    ));
    assert_eq!(trade("leaf_negative").code(&v), None);
    let spec73 = delivery("revoked_leaf_negative_spec73");
    assert_eq!(spec73.header("x-kakunin-timestamp"), None);
    let sig = spec73.header("x-kakunin-signature").unwrap();
    pollster::block_on(v.apply_revocation_webhook(&secret(), sig, &spec73.body)).unwrap();
    assert_eq!(trade("leaf_negative").code(&v), Some("certificate_revoked"));
}

// SPEC 10: the HMAC is keyed by the secret's characters as given — without
// its `whsec_` prefix the delivery does not verify.
#[test]
fn spec_10_secret_is_used_as_given() {
    let v = verifier(Revocation::Disabled);
    let d = delivery("revoked_leaf_negative");
    let full = secret();
    let bare = full.strip_prefix(b"whsec_").unwrap();
    assert_eq!(
        pollster::block_on(v.apply_revocation_webhook(bare, headers(&d), &d.body)),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(trade("leaf_negative").code(&v), None);
}
