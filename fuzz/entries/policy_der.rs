//! `AgentPolicy::from_der` and `ModelProvenance::from_der` (SPEC 3): the
//! contents of the two Kakunin extensions.
//!
//! Invariants: every refusal is `policy_invalid` (403); an accepted policy
//! keeps the SPEC 3 ranges (version 1, time window 0..1439 / 1..1440, rate
//! limit ≥ 1, revocation timeout 1..86400, amount exponent −18..18, strings
//! 1..256 bytes) and its JSON form serializes.

use kakunin_verify::policy::{AgentPolicy, ModelProvenance};
use kakunin_verify::Code;

fn check_err(e: &kakunin_verify::Error) {
    assert_eq!(e.code(), Code::PolicyInvalid, "{e:?}");
    assert_eq!(e.http_status(), 403);
}

fn check_str(s: &str) {
    assert!(
        !s.is_empty() && s.len() <= 256,
        "string out of range: {}",
        s.len()
    );
}

/// The fuzz target's body (see the module documentation).
pub fn policy_der(data: &[u8]) {
    match AgentPolicy::from_der(data) {
        Ok(p) => {
            assert_eq!(p.version, 1);
            for s in p.scopes.iter().chain(p.allowed_markets.iter()).flatten() {
                check_str(s);
            }
            if let Some(a) = &p.max_transaction {
                assert!((-18..=18).contains(&a.exponent), "exponent {}", a.exponent);
                let _ = a.value().to_string();
            }
            if let Some(t) = p.revocation_timeout {
                assert!((1..=86_400).contains(&t), "revocation_timeout {t}");
            }
            if let Some(w) = p.allowed_hours {
                assert!(
                    w.start_minute <= 1439 && (1..=1440).contains(&w.end_minute),
                    "{w:?}"
                );
                for m in [0, 1439, w.start_minute, w.end_minute.min(1439)] {
                    let _ = w.contains(m);
                }
            }
            if let Some(r) = p.rate_limit {
                assert!(r.max_actions >= 1 && r.period_seconds >= 1, "{r:?}");
            }
            for rule in p.data_access.iter().flatten() {
                check_str(&rule.pattern);
                assert_eq!(rule.compiled.as_str(), rule.pattern);
                let _ = rule.compiled.matches("/data/x");
            }
            let _ = serde_json::to_string(&p.to_json()).expect("policy JSON");
        }
        Err(e) => check_err(&e),
    }
    match ModelProvenance::from_der(data) {
        Ok(m) => {
            check_str(&m.model_name);
            if let Some(v) = &m.model_version {
                check_str(v);
            }
            let _ = serde_json::to_string(&m.to_json()).expect("provenance JSON");
        }
        Err(e) => check_err(&e),
    }
}
