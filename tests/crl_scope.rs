//! SPEC 7.1 (revision 1.1), CRL scope, end to end through `Verifier::verify`:
//! a CRL speaks only for the certificates in its scope (RFC 5280 5.2.5,
//! 6.3.3 (b)(2)), and of the CRLs that cover a certificate the newest
//! `thisUpdate` decides. CRLs are made by `openssl ca -gencrl` with an
//! `issuingDistributionPoint` (`fullname`, `relativename`, `onlyuser`,
//! `onlyCA`, `onlysomereasons`, `onlyAA`) over a PKI made by the `openssl`
//! CLI (see `crl_scope_pki`), for the leaf and — with `check_whole_chain` —
//! for the issuing CA.
//!
//! Pattern of the "ignored" tests: an older full CRL lists the certificate
//! and a newer CRL that does not cover it lists nothing; the certificate
//! must stay revoked (the newer CRL deciding would be a revocation bypass).
//! Pattern of the "covers" tests: an older full CRL lists nothing and a
//! newer covering CRL lists the certificate: revoked. With only
//! non-covering CRLs: `revocation_unavailable`.

mod crl_scope_pki;
mod live;

use std::sync::Arc;

use crl_scope_pki::*;
use kakunin_verify::audit::RevocationOutcome;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::{Denial, HttpRequest, ManualClock, Revocation, VerifiedRequest, Verifier};
use live::{sign_trade, AUDIENCE, ROUTES};

use CrlIssuer::{Ica, IcaDp, Root};

const ONLY_CA: &str = "onlyCA = TRUE";
const ONLY_USER: &str = "onlyuser = TRUE";
const ONLY_SOME_REASONS: &str = "onlysomereasons = keyCompromise, CACompromise";
const ONLY_AA: &str = "onlyAA = TRUE";

fn fullname(uri: &str) -> String {
    format!("fullname = URI:{uri}")
}

fn verifier(p: &ScopePki, specs: &[CrlSpec<'_>], whole_chain: bool) -> Verifier {
    Verifier::builder(p.trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(Arc::new(ManualClock::new(p.now_ms())))
        .revocation(Revocation::Source(Arc::new(p.source(specs))))
        .check_whole_chain(whole_chain)
        .build()
        .unwrap()
}

/// Signs a trade as `agent` at the verifier's now and verifies it (with
/// `Content-Type: application/json`, SPEC 4.1 revision 1.1).
fn verify(v: &Verifier, agent: &Agent) -> Result<VerifiedRequest, Denial> {
    let mut signed = sign_trade(&agent.signer(), v.clock().now_ms());
    if !signed
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        signed
            .headers
            .push(("Content-Type", "application/json".to_owned()));
    }
    let pairs: Vec<(&str, &[u8])> = signed
        .headers
        .iter()
        .map(|(n, v)| (*n, v.as_bytes()))
        .collect();
    pollster::block_on(v.verify(&HttpRequest::new(
        signed.method,
        signed.target,
        &pairs,
        signed.body.as_bytes(),
    )))
}

fn outcome(r: &Result<VerifiedRequest, Denial>) -> &'static str {
    match r {
        Ok(_) => "valid",
        Err(d) => d.error.code().as_str(),
    }
}

fn assert_valid(v: &Verifier, agent: &Agent) {
    let r = verify(v, agent);
    let ok = r.unwrap_or_else(|d| panic!("{}: denied {:?}", agent.name, d.error));
    assert_eq!(ok.audit().revocation, RevocationOutcome::Valid);
    assert_eq!(ok.audit().revocation_source, Some("crl"));
}

fn assert_revoked(v: &Verifier, agent: &Agent) {
    let r = verify(v, agent);
    assert_eq!(outcome(&r), "certificate_revoked", "{}: {r:?}", agent.name);
    assert_eq!(
        r.err().unwrap().audit.revocation,
        RevocationOutcome::Revoked
    );
}

fn assert_unavailable(v: &Verifier, agent: &Agent) {
    let r = verify(v, agent);
    assert_eq!(
        outcome(&r),
        "revocation_unavailable",
        "{}: {r:?}",
        agent.name
    );
}

// --- baseline ----------------------------------------------------------------

#[test]
fn spec_7_1_full_crl_decides_for_every_leaf_of_its_issuer() {
    let p = pki();
    let v = verifier(
        p,
        &[CrlSpec::full(Ica, 2, &[PLAIN_SERIAL, DP_A_SERIAL])],
        false,
    );
    assert_revoked(&v, &p.plain);
    assert_revoked(&v, &p.dp_a);
    assert_valid(&v, &p.rel);
    // The newest full CRL decides: one that no longer lists the leaf.
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[]),
            CrlSpec::full(Ica, 3, &[PLAIN_SERIAL]),
        ],
        false,
    );
    assert_valid(&v, &p.plain);
}

// --- onlyContainsCACerts -------------------------------------------------------

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_iv_newer_only_ca_crl_does_not_hide_a_revoked_leaf() {
    let p = pki();
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[PLAIN_SERIAL]),
            CrlSpec::scoped(Ica, 1, &[], ONLY_CA),
        ],
        false,
    );
    assert_revoked(&v, &p.plain);
}

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_iv_only_ca_crl_alone_leaves_a_leaf_unavailable() {
    let p = pki();
    // Even listing the leaf's serial, an ARL does not speak for a leaf.
    let v = verifier(
        p,
        &[CrlSpec::scoped(Ica, 1, &[PLAIN_SERIAL], ONLY_CA)],
        false,
    );
    assert_unavailable(&v, &p.plain);
}

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_iv_whole_chain_only_ca_crl_decides_for_the_issuing_ca() {
    let p = pki();
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 1, &[]),
            CrlSpec::full(Root, 2, &[]),
            CrlSpec::scoped(Root, 1, &[ICA_SERIAL], ONLY_CA),
        ],
        true,
    );
    assert_revoked(&v, &p.plain);
    // ica_dp is not listed by the ARL, which covers it and decides.
    let v2 = verifier(
        p,
        &[
            CrlSpec::full(Root, 2, &[ICA_DP_SERIAL]),
            CrlSpec::scoped(Root, 1, &[], ONLY_CA),
        ],
        true,
    );
    // The leaf under ica_dp has no CRL of its issuer: unavailable first.
    assert_unavailable(&v2, &p.sub);
}

// --- onlyContainsUserCerts -------------------------------------------------------

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_iii_only_user_crl_decides_for_a_leaf() {
    let p = pki();
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[]),
            CrlSpec::scoped(Ica, 1, &[PLAIN_SERIAL], ONLY_USER),
        ],
        false,
    );
    assert_revoked(&v, &p.plain);
    assert_valid(&v, &p.dp_a);
}

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_iii_whole_chain_newer_only_user_crl_does_not_hide_a_revoked_ca() {
    let p = pki();
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 1, &[]),
            CrlSpec::full(Root, 2, &[ICA_SERIAL]),
            CrlSpec::scoped(Root, 1, &[], ONLY_USER),
        ],
        true,
    );
    assert_revoked(&v, &p.plain);
}

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_iii_whole_chain_only_user_crl_alone_leaves_the_ca_unavailable() {
    let p = pki();
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 1, &[]),
            CrlSpec::scoped(Root, 1, &[ICA_SERIAL], ONLY_USER),
        ],
        true,
    );
    assert_unavailable(&v, &p.plain);
    // Without the whole-chain check only the leaf is asked about: valid.
    let leaf_only = verifier(
        p,
        &[
            CrlSpec::full(Ica, 1, &[]),
            CrlSpec::scoped(Root, 1, &[ICA_SERIAL], ONLY_USER),
        ],
        false,
    );
    assert_valid(&leaf_only, &p.plain);
}

// --- onlySomeReasons and onlyContainsAttributeCerts cover nothing ---------------

#[test]
fn spec_7_1_newer_only_some_reasons_or_only_aa_crl_does_not_hide_a_revoked_leaf() {
    let p = pki();
    for idp in [ONLY_SOME_REASONS, ONLY_AA] {
        let v = verifier(
            p,
            &[
                CrlSpec::full(Ica, 2, &[PLAIN_SERIAL]),
                CrlSpec::scoped(Ica, 1, &[], idp),
            ],
            false,
        );
        assert_revoked(&v, &p.plain);
    }
}

#[test]
fn spec_7_1_only_some_reasons_or_only_aa_crl_alone_leaves_a_leaf_unavailable() {
    let p = pki();
    for idp in [ONLY_SOME_REASONS, ONLY_AA] {
        let v = verifier(p, &[CrlSpec::scoped(Ica, 1, &[PLAIN_SERIAL], idp)], false);
        assert_unavailable(&v, &p.plain);
    }
}

#[test]
fn spec_7_1_whole_chain_only_some_reasons_or_only_aa_crl_covers_no_ca() {
    let p = pki();
    for idp in [ONLY_SOME_REASONS, ONLY_AA] {
        let v = verifier(
            p,
            &[
                CrlSpec::full(Ica, 1, &[]),
                CrlSpec::full(Root, 2, &[ICA_SERIAL]),
                CrlSpec::scoped(Root, 1, &[], idp),
            ],
            true,
        );
        assert_revoked(&v, &p.plain);
        let alone = verifier(
            p,
            &[
                CrlSpec::full(Ica, 1, &[]),
                CrlSpec::scoped(Root, 1, &[ICA_SERIAL], idp),
            ],
            true,
        );
        assert_unavailable(&alone, &p.plain);
    }
}

// --- a named distribution point (fullName) -----------------------------------------

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_i_crl_of_the_leafs_point_decides_for_it() {
    let p = pki();
    let a = fullname(POINT_A);
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[]),
            CrlSpec::scoped(Ica, 1, &[DP_A_SERIAL], &a),
        ],
        false,
    );
    assert_revoked(&v, &p.dp_a);
}

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_i_newer_crl_of_another_point_does_not_hide_a_revoked_leaf() {
    let p = pki();
    let b = fullname(POINT_B);
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[DP_A_SERIAL]),
            CrlSpec::scoped(Ica, 1, &[], &b),
        ],
        false,
    );
    assert_revoked(&v, &p.dp_a);
    let alone = verifier(p, &[CrlSpec::scoped(Ica, 1, &[DP_A_SERIAL], &b)], false);
    assert_unavailable(&alone, &p.dp_a);
}

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_i_named_point_crl_does_not_cover_a_leaf_without_crldp() {
    let p = pki();
    let a = fullname(POINT_A);
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[PLAIN_SERIAL]),
            CrlSpec::scoped(Ica, 1, &[], &a),
        ],
        false,
    );
    assert_revoked(&v, &p.plain);
    let alone = verifier(p, &[CrlSpec::scoped(Ica, 1, &[PLAIN_SERIAL], &a)], false);
    assert_unavailable(&alone, &p.plain);
}

#[test]
fn spec_7_1_rfc5280_6_3_3_b2_i_whole_chain_point_of_the_issuing_ca() {
    let p = pki();
    let (a, b) = (fullname(ROOT_POINT_A), fullname(ROOT_POINT_B));
    // sub's issuer ica_dp names ROOT_POINT_A; its own issuer's full CRL is empty.
    let covers = verifier(
        p,
        &[
            CrlSpec::full(Root, 2, &[]),
            CrlSpec::scoped(Root, 1, &[ICA_DP_SERIAL], &a),
        ],
        true,
    );
    // The leaf `sub` needs a CRL of ica_dp; without one: unavailable before
    // the CA is asked. So the leaf under `ica` (no CRLDP) is the probe for
    // "no CRLDP", and ica_dp is probed with a full CRL of its own below.
    assert_unavailable(&covers, &p.sub);
    // With a current CRL of ica_dp for the leaf, ica_dp itself is asked about.
    let with_leaf_crl = |specs: &[CrlSpec<'_>]| -> Verifier {
        let mut all = vec![CrlSpec::full(IcaDp, 1, &[])];
        all.extend_from_slice(specs);
        verifier(p, &all, true)
    };
    // The CRL of ica_dp's point decides for it.
    let v = with_leaf_crl(&[
        CrlSpec::full(Root, 2, &[]),
        CrlSpec::scoped(Root, 1, &[ICA_DP_SERIAL], &a),
    ]);
    assert_revoked(&v, &p.sub);
    // Another point's CRL is ignored: the older full CRL still revokes.
    let v = with_leaf_crl(&[
        CrlSpec::full(Root, 2, &[ICA_DP_SERIAL]),
        CrlSpec::scoped(Root, 1, &[], &b),
    ]);
    assert_revoked(&v, &p.sub);
    // Only another point's CRL: unavailable.
    let v = with_leaf_crl(&[CrlSpec::scoped(Root, 1, &[ICA_DP_SERIAL], &b)]);
    assert_unavailable(&v, &p.sub);
    // The unlisted CA with a current CRL of its point: valid.
    let v = with_leaf_crl(&[CrlSpec::scoped(Root, 1, &[], &a)]);
    assert_valid(&v, &p.sub);
    // ica names no point: a CRL of ROOT_POINT_A does not cover it.
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 1, &[]),
            CrlSpec::full(Root, 2, &[ICA_SERIAL]),
            CrlSpec::scoped(Root, 1, &[], &a),
        ],
        true,
    );
    assert_revoked(&v, &p.plain);
}

// --- a relative distribution point name (nameRelativeToCRLIssuer) -------------------

#[test]
fn spec_7_1_rfc5280_4_2_1_13_relative_point_names_resolve_against_the_issuer() {
    let p = pki();
    let same = "relativename = rel_same\n[rel_same]\nCN = Partition R";
    let other = "relativename = rel_other\n[rel_other]\nCN = Partition S";
    assert!(same.contains(RELATIVE_POINT));
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[]),
            CrlSpec::scoped(Ica, 1, &[REL_SERIAL], same),
        ],
        false,
    );
    assert_revoked(&v, &p.rel);
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[REL_SERIAL]),
            CrlSpec::scoped(Ica, 1, &[], other),
        ],
        false,
    );
    assert_revoked(&v, &p.rel);
    // The same point written as a full directoryName (the issuer's name
    // plus the RDN) is the same point (RFC 5280 4.2.1.13).
    let as_full_name = "fullname = dirName:rel_full\n[rel_full]\nO = Kakunin CRL Scope Test\n\
                        1.CN = Scope Issuing CA\n2.CN = Partition R";
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[]),
            CrlSpec::scoped(Ica, 1, &[REL_SERIAL], as_full_name),
        ],
        false,
    );
    assert_revoked(&v, &p.rel);
    // A leaf naming POINT_A is not in the relative point.
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[DP_A_SERIAL]),
            CrlSpec::scoped(Ica, 1, &[], same),
        ],
        false,
    );
    assert_revoked(&v, &p.dp_a);
}

// --- what cannot be established is never "covers nothing" --------------------------

#[test]
fn spec_7_1_newer_crl_with_a_malformed_idp_makes_the_answer_unavailable() {
    let p = pki();
    // A NULL where the IDP's SEQUENCE belongs (arbitrary-extension syntax).
    let malformed = |hours_ago| CrlSpec {
        raw_idp: Some("DER:0500"),
        ..CrlSpec::full(Ica, hours_ago, &[])
    };
    let v = verifier(p, &[CrlSpec::full(Ica, 2, &[]), malformed(1)], false);
    assert_unavailable(&v, &p.plain);
    // Older than a covering CRL, it does not matter: the newer one decides.
    let v = verifier(
        p,
        &[malformed(2), CrlSpec::full(Ica, 1, &[PLAIN_SERIAL])],
        false,
    );
    assert_revoked(&v, &p.plain);
}

#[test]
fn spec_7_1_rfc5280_5_2_5_a_non_critical_idp_is_honoured() {
    let p = pki();
    let non_critical = CrlSpec {
        critical: false,
        ..CrlSpec::scoped(Ica, 1, &[], ONLY_CA)
    };
    let v = verifier(
        p,
        &[CrlSpec::full(Ica, 2, &[PLAIN_SERIAL]), non_critical],
        false,
    );
    assert_revoked(&v, &p.plain);
}

// --- ties ------------------------------------------------------------------------

#[test]
fn spec_7_1_covering_crls_of_the_same_newest_this_update_decide_together() {
    let p = pki();
    // `openssl ca` stamps whole seconds: a full CRL and a partition made in
    // the same second are equally new. Either listing the leaf revokes it,
    // whatever the order they were loaded in.
    let full = CrlSpec::full(Ica, 1, &[PLAIN_SERIAL]);
    let user = CrlSpec::scoped(Ica, 1, &[], ONLY_USER);
    assert_revoked(&verifier(p, &[full, user], false), &p.plain);
    assert_revoked(&verifier(p, &[user, full], false), &p.plain);
    // Neither listing it: valid.
    let full = CrlSpec::full(Ica, 1, &[]);
    assert_valid(&verifier(p, &[full, user], false), &p.plain);
}

// --- CRLs that cannot decide ---------------------------------------------------------

/// A delta CRL indicator (base CRL number 1), in arbitrary-extension syntax.
const DELTA: &str = "deltaCRL = critical,DER:020101";
/// A critical extension no verifier knows (private arc of RFC 5612).
const UNKNOWN_CRITICAL: &str = "1.3.6.1.4.1.32473.9.9 = critical,DER:0500";

#[test]
fn spec_7_1_a_covering_delta_crl_is_unavailable_a_non_covering_one_is_ignored() {
    let p = pki();
    // A newer delta CRL that covers the leaf: it cannot decide.
    let delta = CrlSpec {
        extra_ext: Some(DELTA),
        ..CrlSpec::full(Ica, 1, &[])
    };
    assert_unavailable(
        &verifier(p, &[CrlSpec::full(Ica, 2, &[]), delta], false),
        &p.plain,
    );
    // A newer delta CRL of CA certificates only says nothing about a leaf.
    let ca_delta = CrlSpec {
        extra_ext: Some(DELTA),
        ..CrlSpec::scoped(Ica, 1, &[], ONLY_CA)
    };
    assert_revoked(
        &verifier(
            p,
            &[CrlSpec::full(Ica, 2, &[PLAIN_SERIAL]), ca_delta],
            false,
        ),
        &p.plain,
    );
}

#[test]
fn spec_7_1_an_unknown_critical_extension_leaves_the_crls_scope_unknown() {
    let p = pki();
    // Its IDP says CA certificates only, but a CRL with a critical extension
    // the verifier does not know cannot be read at all (RFC 5280 5.2): its
    // scope is not trusted to exclude the leaf, so as the newest it makes
    // the answer unavailable rather than letting the older CRL decide.
    let odd = CrlSpec {
        extra_ext: Some(UNKNOWN_CRITICAL),
        ..CrlSpec::scoped(Ica, 1, &[], ONLY_CA)
    };
    assert_unavailable(
        &verifier(p, &[CrlSpec::full(Ica, 2, &[]), odd], false),
        &p.plain,
    );
}

#[test]
fn spec_7_1_rfc5280_6_3_3_b1_a_point_of_another_crl_issuer_is_not_established() {
    let p = pki();
    let a = fullname(POINT_A);
    // `indirect` names POINT_A, but served by another CRL issuer (an
    // indirect CRL, RFC 5280 6.3.3 (b)(1)): whether a direct CRL of POINT_A
    // speaks for it is not established, so as the newest it cannot decide.
    let v = verifier(
        p,
        &[
            CrlSpec::full(Ica, 2, &[INDIRECT_SERIAL]),
            CrlSpec::scoped(Ica, 1, &[], &a),
        ],
        false,
    );
    assert_unavailable(&v, &p.indirect);
    // A full CRL of its issuer still decides for it.
    let v = verifier(p, &[CrlSpec::full(Ica, 1, &[INDIRECT_SERIAL])], false);
    assert_revoked(&v, &p.indirect);
}
