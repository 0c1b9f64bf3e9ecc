//! Every case of `../shared/testvectors/v1/cases.json` and `v1_2/cases.json`
//! (SPEC revision 1.2: `dailyLimit`, p26–p28), through the library API (the
//! CLI runs the same cases through `run_vectors.py` in `.ci/run`), once
//! with every crypto backend of the build (`ring`; with feature
//! `aws-lc-rs`, aws-lc too).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kakunin_verify::chain::TrustStore;
use kakunin_verify::rawhttp::RawRequest;
use kakunin_verify::revocation::crl::CrlSource;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::{CryptoBackend, HttpRequest, ManualClock, Revocation, Verifier};

fn vectors_dir(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/testvectors")
        .join(set)
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

/// Builds a verifier from a case's `kakunin-verify request` arguments.
fn verifier_for(dir: &Path, args: &[String], backend: CryptoBackend) -> Verifier {
    let mut trust = TrustStore::new();
    let mut audiences = Vec::new();
    let mut routes = None;
    let mut now = None;
    let mut crls = Vec::new();
    let mut revocation = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().expect("every flag in cases.json takes a value");
        match flag.as_str() {
            "--roots" => {
                trust.add_roots_pem(&read(dir, value)).unwrap();
            }
            "--intermediates" => {
                trust.add_intermediates_pem(&read(dir, value)).unwrap();
            }
            "--routes" => {
                routes = Some(
                    String::from_utf8(read(dir, value))
                        .unwrap()
                        .parse::<RouteTable>()
                        .unwrap(),
                )
            }
            "--audience" => audiences.push(value.clone()),
            "--now" => now = Some(kakunin_verify::time::parse_time_ms(value).unwrap()),
            "--crl" => crls.push(read(dir, value)),
            "--revocation" => revocation = Some(value.clone()),
            other => panic!("flag {other} not handled by this test"),
        }
    }
    let revocation = match revocation.as_deref() {
        Some("none") => Revocation::Disabled,
        Some("crl") => {
            let refs: Vec<&[u8]> = crls.iter().map(Vec::as_slice).collect();
            Revocation::Source(Arc::new(
                CrlSource::from_pem_or_der(&refs)
                    .unwrap()
                    .with_crypto_backend(backend),
            ))
        }
        other => panic!("revocation {other:?} not handled by this test"),
    };
    let mut b = Verifier::builder(trust)
        .crypto_backend(backend)
        .clock(Arc::new(ManualClock::new(now.expect("--now"))))
        .revocation(revocation)
        .routes(routes.expect("--routes"));
    for a in audiences {
        b = b.audience(a);
    }
    b.build().unwrap()
}

/// Runs every case of one set — one verifier per case, so that the
/// requests of a case share its state (replay, the daily total), as in one
/// CLI run — and returns the codes checked, with every backend.
fn run_set(set: &str) -> Vec<Option<&'static str>> {
    CryptoBackend::ALL
        .iter()
        .flat_map(|backend| run_set_with(set, *backend))
        .collect()
}

fn run_set_with(set: &str, backend: CryptoBackend) -> Vec<Option<&'static str>> {
    let dir = vectors_dir(set);
    let set = format!("{set} ({})", backend.name());
    let cases: serde_json::Value = serde_json::from_slice(&read(&dir, "cases.json")).unwrap();
    let cases = cases.as_array().unwrap();
    let mut checked = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let args: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let verifier = verifier_for(&dir, &args, backend);
        let expects = case["expect"].as_array().unwrap();
        let requests = case["requests"].as_array().unwrap();
        assert_eq!(expects.len(), requests.len());
        for (file, expect) in requests.iter().zip(expects) {
            let raw = RawRequest::parse(&read(&dir, file.as_str().unwrap())).unwrap();
            let pairs = raw.header_pairs();
            let req = HttpRequest::new(&raw.method, &raw.target, &pairs, &raw.body);
            let got = pollster::block_on(verifier.verify(&req));
            let (decision, code) = match &got {
                Ok(_) => ("allow", None),
                Err(d) => ("deny", Some(d.error.code().as_str())),
            };
            assert_eq!(
                decision,
                expect["decision"].as_str().unwrap(),
                "{set} case {name}: {got:?}"
            );
            assert_eq!(code, expect["code"].as_str(), "{set} case {name}: {got:?}");
            // SPEC 8: every decision carries a record naming its decision and code.
            let audit = match &got {
                Ok(v) => v.audit().clone(),
                Err(d) => (*d.audit).clone(),
            };
            assert_eq!(audit.decision, decision, "{set} case {name}");
            assert_eq!(audit.code.map(|c| c.as_str()), code, "{set} case {name}");
            checked.push(code);
        }
    }
    checked
}

#[test]
fn every_v1_case_through_the_library() {
    let checked = run_set("v1");
    assert!(
        checked.len() >= 23,
        "only {} requests checked",
        checked.len()
    );
}

// SPEC 3 `dailyLimit`, 5.3 (revision 1.2).
#[test]
fn every_v1_2_case_through_the_library() {
    let checked = run_set("v1_2");
    assert!(
        checked.len() >= 3,
        "only {} requests checked",
        checked.len()
    );
    assert!(
        checked.contains(&Some("amount_exceeds_limit")),
        "no daily-limit denial was checked"
    );
}
