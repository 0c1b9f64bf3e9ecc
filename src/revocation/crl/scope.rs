//! SPEC 7.1 (revision 1.1) / RFC 5280 5.2.5 and 6.3.3 (b)(2): which
//! certificates a CRL speaks for.
//!
//! A CRL's scope comes from its `issuingDistributionPoint` (IDP); a
//! certificate's side from its `basicConstraints` and `cRLDistributionPoints`.
//! Both are parsed with x509-cert once — the CRL's when it is loaded, the
//! certificate's when the source first decides for it — and compared here.
//!
//! Distribution point names are compared as the exact DER of their
//! `GeneralName` (after a decode/encode round trip through x509-cert), never
//! by a looser equivalence: a looser match could make a partition that does
//! not list a certificate speak for it. A `nameRelativeToCRLIssuer` is
//! resolved as RFC 5280 4.2.1.13 says — appended to the CRL issuer's name (on
//! the certificate's side: to the certificate's issuer, which is the CRL's
//! issuer for every CRL compared) — and then compared as a `directoryName`.
//! A certificate's point with a `cRLIssuer` is served by an indirect CRL
//! (RFC 5280 6.3.3 (b)(1)), which this source does not use: such a
//! certificate's points are not established.
//!
//! Whatever cannot be established (a malformed IDP or distribution point, a
//! name list past the limits below, a `basicConstraints` that does not
//! decode) is [`Coverage::Uncertain`]: the CRL is taken to cover the
//! certificate but cannot decide for it. That can only turn an answer into
//! *unavailable*, never revoked into valid (as counting it "covers nothing"
//! could, by letting an older CRL decide).

use der::{Decode, Encode};
use x509_cert::ext::pkix::crl::dp::{DistributionPoint, IssuingDistributionPoint};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName, GeneralNames};
use x509_cert::ext::pkix::{BasicConstraints, CrlDistributionPoints};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

/// Most distribution points of a certificate's `cRLDistributionPoints` that
/// are read; a certificate with more has distribution points that cannot be
/// established (a CRL naming a point is then uncertain for it: covering,
/// but unable to decide).
pub const MAX_DISTRIBUTION_POINTS: usize = 16;

/// Most `GeneralName`s read in one distribution point name (a certificate's
/// point or a CRL's IDP); more makes that name list unusable.
pub const MAX_POINT_NAMES: usize = 16;

/// The DER of one `GeneralName` naming a distribution point.
pub(crate) type PointName = Vec<u8>;

/// What a CRL's `issuingDistributionPoint` says (RFC 5280 5.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdpScope {
    /// `onlyContainsUserCerts`.
    pub(crate) only_user: bool,
    /// `onlyContainsCACerts`.
    pub(crate) only_ca: bool,
    /// `onlySomeReasons` present.
    pub(crate) only_some_reasons: bool,
    /// `onlyContainsAttributeCerts`.
    pub(crate) only_attribute: bool,
    /// `indirectCRL` (such a CRL is unusable, SPEC 7.1, but its scope still counts).
    pub(crate) indirect: bool,
    /// The names of `distributionPoint` (relative names resolved), when the IDP names one.
    pub(crate) point: Option<Vec<PointName>>,
}

/// A CRL's scope (RFC 5280 5.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CrlScope {
    /// No `issuingDistributionPoint`: every certificate of its issuer.
    Full,
    /// Restricted by a well-formed `issuingDistributionPoint`.
    Restricted(IdpScope),
    /// The scope cannot be established (a malformed or repeated IDP, an
    /// unknown critical extension): taken to cover every certificate of its
    /// issuer, never able to decide.
    Unknown(&'static str),
}

/// A certificate's side of RFC 5280 6.3.3 (b)(2), computed once per certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertScope {
    /// `basicConstraints` with `cA` TRUE (absent or FALSE: not a CA);
    /// `Err` when it does not decode.
    pub(crate) is_ca: Result<bool, &'static str>,
    /// The names of every distribution point of `cRLDistributionPoints`
    /// (none when absent); `Err` when they cannot all be established.
    pub(crate) points: Result<Vec<PointName>, &'static str>,
}

/// Whether a CRL speaks for a certificate (SPEC 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coverage {
    /// In scope: the CRL may decide for the certificate.
    Covers,
    /// Out of scope: the CRL says nothing about the certificate.
    Excluded(&'static str),
    /// The scope cannot be established: counted as covering, unable to decide.
    Uncertain(&'static str),
}

impl Coverage {
    /// The conjunction of two rules: out of scope by either rule is out of
    /// scope; otherwise uncertain by either is uncertain.
    fn and(self, other: Coverage) -> Coverage {
        match (self, other) {
            (e @ Coverage::Excluded(_), _) | (_, e @ Coverage::Excluded(_)) => e,
            (u @ Coverage::Uncertain(_), _) | (_, u @ Coverage::Uncertain(_)) => u,
            (Coverage::Covers, Coverage::Covers) => Coverage::Covers,
        }
    }
}

// RFC 5280 4.2.1.13 / 5.2.5: a nameRelativeToCRLIssuer is the RDN appended to
// the distinguished name of the CRL issuer; the result as a directoryName.
fn resolve_relative(
    base: &Name,
    rdn: &RelativeDistinguishedName,
) -> Result<PointName, &'static str> {
    const ERR: &str = "a relative distribution point name does not resolve";
    let mut seq = RdnSequence::from(base.clone());
    seq.push(rdn.clone());
    let name = Name::from_der(&seq.to_der().map_err(|_| ERR)?).map_err(|_| ERR)?;
    GeneralName::DirectoryName(name).to_der().map_err(|_| ERR)
}

// RFC 5280 4.2.1.13: the names of one DistributionPointName, bounded.
fn point_names(
    point: &DistributionPointName,
    relative_base: &Name,
) -> Result<Vec<PointName>, &'static str> {
    match point {
        DistributionPointName::FullName(names) => full_names(names),
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => {
            Ok(vec![resolve_relative(relative_base, rdn)?])
        }
    }
}

// RFC 5280 4.2.1.13: fullName is GeneralNames, SIZE (1..MAX).
fn full_names(names: &GeneralNames) -> Result<Vec<PointName>, &'static str> {
    if names.is_empty() {
        return Err("an empty distribution point fullName");
    }
    if names.len() > MAX_POINT_NAMES {
        return Err("a distribution point with too many names");
    }
    names
        .iter()
        .map(|n| {
            n.to_der()
                .map_err(|_| "a distribution point name does not encode")
        })
        .collect()
}

/// RFC 5280 5.2.5: the scope an `issuingDistributionPoint` extension value
/// (`extn_value` contents) gives a CRL issued by `crl_issuer`.
pub(crate) fn parse_idp(extn_value: &[u8], crl_issuer: &Name) -> Result<IdpScope, &'static str> {
    let idp = IssuingDistributionPoint::from_der(extn_value)
        .map_err(|_| "the CRL's issuingDistributionPoint does not decode")?;
    let only_flags = [
        idp.only_contains_user_certs,
        idp.only_contains_ca_certs,
        idp.only_contains_attribute_certs,
    ];
    // RFC 5280 5.2.5: at most one of the three may be TRUE.
    if only_flags.iter().filter(|f| **f).count() > 1 {
        return Err("the CRL's issuingDistributionPoint sets more than one only… flag");
    }
    let point = idp
        .distribution_point
        .as_ref()
        .map(|p| point_names(p, crl_issuer))
        .transpose()?;
    let scope = IdpScope {
        only_user: idp.only_contains_user_certs,
        only_ca: idp.only_contains_ca_certs,
        only_some_reasons: idp.only_some_reasons.is_some(),
        only_attribute: idp.only_contains_attribute_certs,
        indirect: idp.indirect_crl,
        point,
    };
    // RFC 5280 5.2.5: an empty IDP sequence MUST NOT be issued.
    if scope
        == (IdpScope {
            only_user: false,
            only_ca: false,
            only_some_reasons: false,
            only_attribute: false,
            indirect: false,
            point: None,
        })
    {
        return Err("the CRL's issuingDistributionPoint is empty");
    }
    Ok(scope)
}

impl CertScope {
    /// The scope facts of `cert` (RFC 5280 6.3.3 (b)(2)).
    pub(crate) fn of(cert: &x509_cert::Certificate) -> CertScope {
        let tbs = cert.tbs_certificate();
        CertScope {
            is_ca: is_ca(tbs),
            points: distribution_points(tbs),
        }
    }
}

// RFC 5280 6.3.3 (b)(2)(iii)-(iv): a CA certificate has basicConstraints with cA TRUE.
fn is_ca(tbs: &x509_cert::TbsCertificate) -> Result<bool, &'static str> {
    match tbs.get_extension::<BasicConstraints>() {
        Ok(Some((_, bc))) => Ok(bc.ca),
        Ok(None) => Ok(false),
        Err(_) => Err("the certificate's basicConstraints does not decode"),
    }
}

// RFC 5280 4.2.1.13: every name of every distribution point of the
// certificate's cRLDistributionPoints, relative names resolved against the
// certificate's issuer; bounded.
fn distribution_points(tbs: &x509_cert::TbsCertificate) -> Result<Vec<PointName>, &'static str> {
    let points = match tbs.get_extension::<CrlDistributionPoints>() {
        Ok(Some((_, points))) => points.0,
        Ok(None) => return Ok(Vec::new()),
        Err(_) => return Err("the certificate's cRLDistributionPoints does not decode"),
    };
    if points.is_empty() {
        return Err("the certificate's cRLDistributionPoints is empty");
    }
    if points.len() > MAX_DISTRIBUTION_POINTS {
        return Err("the certificate has too many distribution points");
    }
    let mut names = Vec::new();
    for point in &points {
        served_by_the_issuer(point)?;
        if let Some(name) = &point.distribution_point {
            names.extend(point_names(name, tbs.issuer())?);
        }
    }
    Ok(names)
}

// RFC 5280 6.3.3 (b)(1): a point with a cRLIssuer is served by an indirect
// CRL of that issuer, which this source does not use (SPEC 7.1). Whether a
// direct CRL naming it covers the certificate is then not established.
fn served_by_the_issuer(point: &DistributionPoint) -> Result<(), &'static str> {
    match point.crl_issuer {
        Some(_) => Err("a distribution point of the certificate names another CRL issuer"),
        None => Ok(()),
    }
}

// SPEC 7.1 / RFC 5280 5.2.5: a CRL of only some reasons or only attribute
// certificates covers nothing here.
fn reasons_and_attributes_rule(idp: &IdpScope) -> Coverage {
    if idp.only_some_reasons {
        Coverage::Excluded("the CRL covers only some reasons")
    } else if idp.only_attribute {
        Coverage::Excluded("the CRL covers only attribute certificates")
    } else {
        Coverage::Covers
    }
}

// RFC 5280 6.3.3 (b)(2)(iii): onlyContainsUserCerts does not cover a CA certificate.
fn only_user_rule(idp: &IdpScope, cert: &CertScope) -> Coverage {
    if !idp.only_user {
        return Coverage::Covers;
    }
    match cert.is_ca {
        Ok(false) => Coverage::Covers,
        Ok(true) => Coverage::Excluded("the CRL covers only end-entity certificates"),
        Err(reason) => Coverage::Uncertain(reason),
    }
}

// RFC 5280 6.3.3 (b)(2)(iv): onlyContainsCACerts does not cover a certificate
// that is not a CA (basicConstraints absent or cA FALSE).
fn only_ca_rule(idp: &IdpScope, cert: &CertScope) -> Coverage {
    if !idp.only_ca {
        return Coverage::Covers;
    }
    match cert.is_ca {
        Ok(true) => Coverage::Covers,
        Ok(false) => Coverage::Excluded("the CRL covers only CA certificates"),
        Err(reason) => Coverage::Uncertain(reason),
    }
}

// RFC 5280 6.3.3 (b)(2)(i): a CRL naming a distribution point covers a
// certificate only when some name of that point equals (exact DER) some name
// of one of the certificate's distribution points.
fn point_rule(idp: &IdpScope, cert: &CertScope) -> Coverage {
    let Some(crl_names) = &idp.point else {
        return Coverage::Covers;
    };
    match &cert.points {
        Ok(cert_names) if cert_names.iter().any(|n| crl_names.contains(n)) => Coverage::Covers,
        Ok(_) => Coverage::Excluded("the CRL's distribution point is not the certificate's"),
        Err(reason) => Coverage::Uncertain(reason),
    }
}

/// SPEC 7.1: whether a CRL of `scope` speaks for a certificate of `cert`
/// (the issuer, name and signature checks are the caller's).
pub(crate) fn coverage(scope: &CrlScope, cert: &CertScope) -> Coverage {
    match scope {
        CrlScope::Full => Coverage::Covers,
        CrlScope::Unknown(reason) => Coverage::Uncertain(reason),
        CrlScope::Restricted(idp) => reasons_and_attributes_rule(idp)
            .and(only_user_rule(idp, cert))
            .and(only_ca_rule(idp, cert))
            .and(point_rule(idp, cert)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn uri(u: &str) -> PointName {
        GeneralName::UniformResourceIdentifier(der::asn1::Ia5String::new(u).unwrap())
            .to_der()
            .unwrap()
    }

    fn restricted(f: impl FnOnce(&mut IdpScope)) -> CrlScope {
        let mut idp = IdpScope {
            only_user: false,
            only_ca: false,
            only_some_reasons: false,
            only_attribute: false,
            indirect: false,
            point: None,
        };
        f(&mut idp);
        CrlScope::Restricted(idp)
    }

    const LEAF: CertScope = CertScope {
        is_ca: Ok(false),
        points: Ok(Vec::new()),
    };
    const CA: CertScope = CertScope {
        is_ca: Ok(true),
        points: Ok(Vec::new()),
    };

    fn with_points(cert: CertScope, points: &[&str]) -> CertScope {
        CertScope {
            points: Ok(points.iter().map(|p| uri(p)).collect()),
            ..cert
        }
    }

    fn excluded(c: Coverage) -> bool {
        matches!(c, Coverage::Excluded(_))
    }

    #[test]
    fn spec_7_1_full_crl_covers_leaf_and_ca() {
        assert_eq!(coverage(&CrlScope::Full, &LEAF), Coverage::Covers);
        assert_eq!(coverage(&CrlScope::Full, &CA), Coverage::Covers);
    }

    #[test]
    fn rfc5280_6_3_3_b2_iv_only_ca_covers_ca_not_leaf() {
        let s = restricted(|i| i.only_ca = true);
        assert!(excluded(coverage(&s, &LEAF)));
        assert_eq!(coverage(&s, &CA), Coverage::Covers);
    }

    #[test]
    fn rfc5280_6_3_3_b2_iii_only_user_covers_leaf_not_ca() {
        let s = restricted(|i| i.only_user = true);
        assert_eq!(coverage(&s, &LEAF), Coverage::Covers);
        assert!(excluded(coverage(&s, &CA)));
    }

    #[test]
    fn spec_7_1_only_some_reasons_and_only_attribute_cover_nothing() {
        for s in [
            restricted(|i| i.only_some_reasons = true),
            restricted(|i| i.only_attribute = true),
        ] {
            assert!(excluded(coverage(&s, &LEAF)));
            assert!(excluded(coverage(&s, &CA)));
        }
    }

    #[test]
    fn rfc5280_6_3_3_b2_i_named_point_covers_only_certificates_naming_it() {
        let s = restricted(|i| i.point = Some(vec![uri("http://a.test/x"), uri("ldap://a/x")]));
        let naming = with_points(LEAF, &["http://b.test/y", "ldap://a/x"]);
        assert_eq!(coverage(&s, &naming), Coverage::Covers);
        assert!(excluded(coverage(
            &s,
            &with_points(LEAF, &["http://b.test/y"])
        )));
        // No cRLDistributionPoints at all: not covered by a named point.
        assert!(excluded(coverage(&s, &LEAF)));
        // Exact DER: no case folding of URIs.
        assert!(excluded(coverage(
            &s,
            &with_points(CA, &["HTTP://a.test/x"])
        )));
    }

    #[test]
    fn spec_7_1_rules_combine_and_exclusion_wins_over_uncertainty() {
        let s = restricted(|i| {
            i.only_ca = true;
            i.point = Some(vec![uri("http://a.test/x")]);
        });
        assert_eq!(
            coverage(&s, &with_points(CA, &["http://a.test/x"])),
            Coverage::Covers
        );
        assert!(excluded(coverage(
            &s,
            &with_points(LEAF, &["http://a.test/x"])
        )));
        assert!(excluded(coverage(
            &s,
            &with_points(CA, &["http://b.test/x"])
        )));
        let unreadable_points = CertScope {
            is_ca: Ok(false),
            points: Err("x"),
        };
        assert!(excluded(coverage(&s, &unreadable_points)));
    }

    #[test]
    fn spec_7_1_unknown_scope_or_facts_are_uncertain_never_excluded() {
        assert_eq!(
            coverage(&CrlScope::Unknown("bad idp"), &LEAF),
            Coverage::Uncertain("bad idp")
        );
        let unknown_ca = CertScope {
            is_ca: Err("bc"),
            points: Ok(vec![uri("http://a.test/x")]),
        };
        assert_eq!(
            coverage(&restricted(|i| i.only_ca = true), &unknown_ca),
            Coverage::Uncertain("bc")
        );
        assert_eq!(
            coverage(&restricted(|i| i.only_user = true), &unknown_ca),
            Coverage::Uncertain("bc")
        );
        let unknown_points = CertScope {
            is_ca: Ok(false),
            points: Err("dp"),
        };
        let named = restricted(|i| i.point = Some(vec![uri("http://a.test/x")]));
        assert_eq!(coverage(&named, &unknown_points), Coverage::Uncertain("dp"));
        // A CRL naming no point does not care about the certificate's points.
        assert_eq!(
            coverage(&restricted(|i| i.only_user = true), &unknown_points),
            Coverage::Covers
        );
    }

    fn name(s: &str) -> Name {
        Name::from_str(s).unwrap()
    }

    fn idp_der(cnf: IssuingDistributionPoint) -> Vec<u8> {
        cnf.to_der().unwrap()
    }

    fn empty_idp() -> IssuingDistributionPoint {
        IssuingDistributionPoint {
            distribution_point: None,
            only_contains_user_certs: false,
            only_contains_ca_certs: false,
            only_some_reasons: None,
            indirect_crl: false,
            only_contains_attribute_certs: false,
        }
    }

    #[test]
    fn rfc5280_5_2_5_idp_parse_flags_and_malformed() {
        let issuer = name("CN=CA,O=Test");
        let only_ca = IssuingDistributionPoint {
            only_contains_ca_certs: true,
            ..empty_idp()
        };
        let s = parse_idp(&idp_der(only_ca), &issuer).unwrap();
        assert!(s.only_ca && !s.only_user && s.point.is_none());
        // Two only… flags, an empty IDP, garbage: malformed.
        let two = IssuingDistributionPoint {
            only_contains_ca_certs: true,
            only_contains_user_certs: true,
            ..empty_idp()
        };
        assert!(parse_idp(&idp_der(two), &issuer).is_err());
        assert!(parse_idp(&idp_der(empty_idp()), &issuer).is_err());
        assert!(parse_idp(&[0x30, 0x03, 0x81, 0x01], &issuer).is_err());
        let too_many = IssuingDistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(
                (0..=MAX_POINT_NAMES)
                    .map(|i| {
                        GeneralName::UniformResourceIdentifier(
                            der::asn1::Ia5String::new(&format!("http://a/{i}")).unwrap(),
                        )
                    })
                    .collect(),
            )),
            ..empty_idp()
        };
        assert!(parse_idp(&idp_der(too_many), &issuer).is_err());
    }

    #[test]
    fn rfc5280_4_2_1_13_relative_names_resolve_against_the_issuer() {
        let issuer = name("CN=CA,O=Test");
        let rdn = RelativeDistinguishedName::from_str("CN=Partition 1").unwrap();
        let relative = IssuingDistributionPoint {
            distribution_point: Some(DistributionPointName::NameRelativeToCRLIssuer(rdn)),
            ..empty_idp()
        };
        let s = parse_idp(&idp_der(relative), &issuer).unwrap();
        // RFC 4514 strings list the RDNs last first.
        let full = GeneralName::DirectoryName(name("CN=Partition 1,CN=CA,O=Test"))
            .to_der()
            .unwrap();
        assert_eq!(s.point, Some(vec![full]));
        let other_issuer = parse_idp(
            &idp_der(IssuingDistributionPoint {
                distribution_point: Some(DistributionPointName::NameRelativeToCRLIssuer(
                    RelativeDistinguishedName::from_str("CN=Partition 1").unwrap(),
                )),
                ..empty_idp()
            }),
            &name("CN=Other CA,O=Test"),
        )
        .unwrap();
        assert_ne!(other_issuer.point, s.point);
    }
}
