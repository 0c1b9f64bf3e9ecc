//! SPEC 7.1: what a CRL's extensions make of it.

use super::*;
use std::str::FromStr;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::Extension;

fn ext(oid: &str, critical: bool, value: &[u8]) -> Extension {
    Extension {
        extn_id: der::asn1::ObjectIdentifier::new_unwrap(oid),
        critical,
        extn_value: der::asn1::OctetString::new(value).unwrap(),
    }
}

fn idp(f: impl FnOnce(&mut IssuingDistributionPoint)) -> Vec<u8> {
    let mut v = IssuingDistributionPoint {
        distribution_point: None,
        only_contains_user_certs: false,
        only_contains_ca_certs: false,
        only_some_reasons: None,
        indirect_crl: false,
        only_contains_attribute_certs: false,
    };
    f(&mut v);
    v.to_der().unwrap()
}

fn only_ca() -> Extension {
    ext("2.5.29.28", true, &idp(|i| i.only_contains_ca_certs = true))
}

fn crl(exts: Vec<Extension>, entry_exts: Option<Vec<Extension>>) -> CrlList {
    let alg = x509_cert::spki::AlgorithmIdentifierOwned {
        oid: der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2"),
        parameters: None,
    };
    let time = x509_cert::time::Time::UtcTime(
        der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(1_800_000_000))
            .unwrap(),
    );
    let entries = entry_exts.map(|e| {
        vec![x509_cert::crl::RevokedCert {
            serial_number: x509_cert::serial_number::SerialNumber::new(&[0x5b]).unwrap(),
            revocation_date: time,
            crl_entry_extensions: Some(e),
        }]
    });
    CertificateList {
        tbs_cert_list: x509_cert::crl::TbsCertList {
            version: x509_cert::certificate::Version::V2,
            signature: alg.clone(),
            issuer: x509_cert::name::Name::from_str("CN=CA").unwrap(),
            this_update: time,
            next_update: None,
            revoked_certificates: entries,
            crl_extensions: (!exts.is_empty()).then_some(exts),
        },
        signature_algorithm: alg,
        signature: der::asn1::BitString::from_bytes(&[]).unwrap(),
    }
}

fn restricted(e: &Examined) -> bool {
    matches!(e.scope, CrlScope::Restricted(_))
}

fn unknown(e: &Examined) -> bool {
    matches!(e.scope, CrlScope::Unknown(_))
}

#[test]
fn spec_7_1_full_crl_and_known_extensions_are_usable() {
    let e = examine(&crl(vec![], None));
    assert_eq!((e.scope, e.usable), (CrlScope::Full, Ok(())));
    let e = examine(&crl(
        vec![ext("2.5.29.20", false, &[2, 1, 1])],
        Some(vec![ext("2.5.29.21", true, &[10, 1, 1])]),
    ));
    assert_eq!((e.scope, e.usable), (CrlScope::Full, Ok(())));
    // An unknown non-critical extension is ignored.
    let e = examine(&crl(vec![ext("1.2.3.4", false, &[5, 0])], None));
    assert_eq!((e.scope, e.usable), (CrlScope::Full, Ok(())));
}

#[test]
fn rfc5280_5_2_5_idp_restricts_critical_or_not() {
    let e = examine(&crl(vec![only_ca()], None));
    assert!(restricted(&e) && e.usable.is_ok());
    let mut non_critical = only_ca();
    non_critical.critical = false;
    let e = examine(&crl(vec![non_critical], None));
    assert!(restricted(&e) && e.usable.is_ok());
}

#[test]
fn spec_7_1_malformed_or_repeated_idp_leaves_the_scope_unknown() {
    let e = examine(&crl(vec![ext("2.5.29.28", true, &[5, 0])], None));
    assert!(unknown(&e) && e.usable.is_err());
    let e = examine(&crl(vec![only_ca(), only_ca()], None));
    assert!(unknown(&e) && e.usable.is_err());
}

#[test]
fn spec_7_1_unknown_critical_extension_leaves_the_scope_unknown() {
    // Whatever the IDP says, before or after it.
    for exts in [
        vec![only_ca(), ext("1.2.3.4", true, &[5, 0])],
        vec![ext("1.2.3.4", true, &[5, 0]), only_ca()],
    ] {
        let e = examine(&crl(exts, None));
        assert!(unknown(&e) && e.usable.is_err());
    }
}

#[test]
fn spec_7_1_delta_and_indirect_crls_keep_their_scope_but_cannot_decide() {
    let e = examine(&crl(
        vec![ext("2.5.29.27", true, &[2, 1, 1]), only_ca()],
        None,
    ));
    assert!(restricted(&e) && e.usable.is_err());
    let indirect = ext("2.5.29.28", true, &idp(|i| i.indirect_crl = true));
    let e = examine(&crl(vec![indirect], None));
    assert!(restricted(&e) && e.usable.is_err());
    // An entry naming a certificate issuer (indirect), or an entry
    // extension no one knows, critical.
    for entry in [
        ext("2.5.29.29", true, &[0x30, 0]),
        ext("1.2.3.4", true, &[5, 0]),
    ] {
        let e = examine(&crl(vec![only_ca()], Some(vec![entry])));
        assert!(restricted(&e) && e.usable.is_err());
    }
}
