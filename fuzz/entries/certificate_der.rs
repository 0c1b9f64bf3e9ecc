//! `AgentCertificate::from_der` (SPEC 5.1 step 3) and `from_pem_or_der`.
//!
//! Invariants: every refusal is `malformed_certificate` (401); an accepted
//! certificate keeps its exact DER, its SHA-256 and hex forms agree, the
//! accessors and the inspect JSON never panic, and an invalid Kakunin
//! extension is reported as `policy_invalid`.

use kakunin_verify::certificate::{AgentCertificate, ExtensionOids};
use kakunin_verify::Code;

/// The fuzz target's body (see the module documentation).
pub fn certificate_der(data: &[u8]) {
    let oids = ExtensionOids::default();
    match AgentCertificate::from_der(data, &oids) {
        Ok(cert) => {
            assert_eq!(cert.der(), data);
            let sha = cert.sha256();
            assert_eq!(cert.sha256_hex().len(), 64);
            assert_eq!(cert.sha256_hex(), kakunin_verify::hex::encode(sha));
            let _ = cert.agent_id();
            let _ = cert.claimed_agent_id();
            let _ = (
                cert.issuer_name_der(),
                cert.subject_name_der(),
                cert.uri_sans(),
            );
            let _ = (cert.subject_cn(), cert.organization(), cert.serial_hex());
            let _ = (
                cert.not_before_ms(),
                cert.not_after_ms(),
                cert.key_algorithm().name(),
            );
            let _ = cert.to_inspect_json();
            let refusals = [
                cert.policy().as_result().err(),
                cert.provenance().as_result().err(),
            ];
            for e in refusals.into_iter().flatten() {
                assert_eq!(e.code(), Code::PolicyInvalid, "{e:?}");
            }
            // The PEM path must agree with the DER path for DER input.
            let again = AgentCertificate::from_pem_or_der(data, &oids);
            if !data.trim_ascii_start().starts_with(b"-----BEGIN") {
                assert_eq!(
                    again
                        .expect("from_pem_or_der refuses what from_der took")
                        .der(),
                    data
                );
            }
        }
        Err(e) => {
            assert_eq!(e.code(), Code::MalformedCertificate, "{e:?}");
            assert_eq!(e.http_status(), 401);
        }
    }
    // PEM input too (the CLI's inspect path).
    if let Err(e) = AgentCertificate::from_pem_or_der(data, &oids) {
        assert_eq!(e.code(), Code::MalformedCertificate, "{e:?}");
    }
}
