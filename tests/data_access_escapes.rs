//! SPEC 5.4 with SPEC 5.2's patterns and SPEC 4.2's plain paths: a
//! `dataAccess` rule matches every spelling of the names it was written
//! with. A percent escape in either case (`%C3%A9`, `%c3%a9`) and the raw
//! character in a pattern (`é`) denote the same octets (RFC 3986 2.1,
//! 6.2.2.1), which the server behind the verifier resolves to the same
//! resource; compared as text, a deny written one way let the other
//! spelling through to an allow rule. Certificates with `dataAccess [4]`
//! from a PKI made at test time, requests signed by the crate's signer.

mod common;
#[path = "common/daily_pki.rs"]
mod daily_pki;

use std::sync::Arc;

use common::{sign, AUDIENCE, NOW_MS};
use daily_pki::{DailyPki, Policy};
use kakunin_verify::signer::AgentSigner;
use kakunin_verify::{ManualClock, Revocation, Verifier};

const ROUTES: &str = "GET /d/* read_data resource\n";

/// A verifier and an agent whose policy allows reading `/d/*` except what
/// `deny` names.
fn setup(deny: &'static str) -> (Verifier, AgentSigner) {
    let pki = DailyPki::new();
    let policy = Policy {
        data_access: vec![(true, deny, vec!["read"]), (false, "/d/*", vec!["read"])],
        ..Policy::default()
    };
    let verifier = Verifier::builder(pki.trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse().unwrap())
        .clock(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Disabled)
        .build()
        .unwrap();
    (verifier, pki.agent("reader_bot", &policy))
}

fn get(v: &Verifier, agent: &AgentSigner, path: &str) -> Option<&'static str> {
    sign(agent, "GET", path, "", NOW_MS).code(v)
}

// SPEC 5.4: "A matching deny rule wins": whatever the escapes' case.
#[test]
fn spec_5_4_a_deny_holds_for_either_case_of_an_escape() {
    let (v, agent) = setup("/d/caf%C3%A9/*");
    assert_eq!(get(&v, &agent, "/d/caf%C3%A9/x"), Some("path_denied"));
    assert_eq!(get(&v, &agent, "/d/caf%c3%a9/x"), Some("path_denied"));
    assert_eq!(get(&v, &agent, "/d/caf%C3%a9/x/y"), Some("path_denied"));
    // Control: other names are read under the allow rule.
    assert_eq!(get(&v, &agent, "/d/cafe/x"), None);
    assert_eq!(get(&v, &agent, "/d/caf%C3%A8/x"), None);
}

// A pattern written with the character itself holds for its escapes (a
// request path carries only escapes, SPEC 4.2).
#[test]
fn spec_5_4_a_deny_written_with_the_character_holds_for_its_escapes() {
    let (v, agent) = setup("/d/café/*");
    assert_eq!(get(&v, &agent, "/d/caf%C3%A9/x"), Some("path_denied"));
    assert_eq!(get(&v, &agent, "/d/caf%c3%a9/x"), Some("path_denied"));
    assert_eq!(get(&v, &agent, "/d/cafe/x"), None);
}

// A reserved character that SPEC 4.2 lets a path escape (`!` as `%21`)
// names the same segment escaped or not.
#[test]
fn spec_5_4_a_deny_holds_for_an_escaped_reserved_character() {
    let (v, agent) = setup("/d/a!b/*");
    assert_eq!(get(&v, &agent, "/d/a!b/x"), Some("path_denied"));
    assert_eq!(get(&v, &agent, "/d/a%21b/x"), Some("path_denied"));
    assert_eq!(get(&v, &agent, "/d/ab/x"), None);
}
