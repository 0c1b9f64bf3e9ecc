//! The whole `Verifier::verify` (SPEC 5.1) on a raw HTTP request.
//!
//! One verifier per process (shared v1 test PKI and routes, clock fixed at
//! 2026-07-01T09:15:00Z, revocation disabled, audience
//! `api.exchange.example`), as `tests/vectors.rs` builds it.
//!
//! Invariants: a request file that does not parse is `malformed_request`;
//! every denial's audit record says `deny` with the denial's code and its
//! SPEC 6 HTTP status (4xx/5xx); an allowed request's record says `allow`,
//! 200, signature valid, scope check passed, and names the agent; the audit
//! record always serializes.

use std::sync::{Arc, OnceLock};

use kakunin_verify::chain::TrustStore;
use kakunin_verify::rawhttp::RawRequest;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::{Code, HttpRequest, ManualClock, Revocation, Verifier};

const ROOT_PEM: &[u8] = include_bytes!("../fixtures/root.pem");
const INTERMEDIATE_PEM: &[u8] = include_bytes!("../fixtures/intermediate.pem");
const ROUTES: &str = include_str!("../fixtures/routes.txt");
/// 2026-07-01T09:15:00.000Z, the shared vectors' `--now`.
const NOW_MS: u64 = 1_782_897_300_000;

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let mut trust = TrustStore::new();
        trust.add_roots_pem(ROOT_PEM).expect("fixture root");
        trust
            .add_intermediates_pem(INTERMEDIATE_PEM)
            .expect("fixture intermediate");
        Verifier::builder(trust)
            .clock(Arc::new(ManualClock::new(NOW_MS)))
            .revocation(Revocation::Disabled)
            .routes(ROUTES.parse::<RouteTable>().expect("fixture routes"))
            .audience("api.exchange.example")
            .build()
            .expect("verifier")
    })
}

/// The fuzz target's body (see the module documentation).
pub fn verify_request(data: &[u8]) {
    let verifier = verifier();
    let raw = match RawRequest::parse(data) {
        Ok(raw) => raw,
        Err(e) => {
            assert_eq!(e.code(), Code::MalformedRequest, "{e:?}");
            return;
        }
    };
    let pairs = raw.header_pairs();
    let req = HttpRequest::new(&raw.method, &raw.target, &pairs, &raw.body);
    match pollster::block_on(verifier.verify(&req)) {
        Ok(v) => {
            let a = v.audit();
            assert_eq!((a.decision, a.code, a.http_status), ("allow", None, 200));
            assert_eq!(
                a.signature_valid,
                Some(true),
                "allowed without a valid signature"
            );
            assert_eq!(
                a.scope_check_passed,
                Some(true),
                "allowed without the scope check"
            );
            assert_eq!(a.agent_id.as_deref(), Some(v.agent_id()));
            assert!(!v.scope().is_empty());
            let _ = a.to_json();
        }
        Err(d) => {
            let code = d.error.code();
            let status = d.error.http_status();
            assert!(
                (400..=599).contains(&status),
                "{code:?} has status {status}"
            );
            assert_eq!(d.audit.decision, "deny");
            assert_eq!(
                d.audit.code,
                Some(code),
                "audit code differs from the denial"
            );
            assert_eq!(d.audit.http_status, status);
            let _ = d.audit.to_json();
            let _ = d.error.to_json_body();
        }
    }
}
