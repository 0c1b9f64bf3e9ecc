//! The PKI of `tests/crl_scope.rs`, made at test time with the `openssl`
//! CLI (an independent implementation): a root, two issuing CAs (one whose
//! certificate names a CRL distribution point), agent leaves with and
//! without `cRLDistributionPoints` (a full name and a name relative to the
//! issuer), and CRLs made on demand with `openssl ca -gencrl` and an
//! `issuingDistributionPoint` from a `crl_extensions` section
//! (`man x509v3_config`). Reuses the `openssl`, `utc_time`, `read` and
//! `index_line` helpers of `tests/live`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use kakunin_verify::signer::AgentSigner;
use kakunin_verify::{Clock, SystemClock};

use crate::live::{index_line, openssl, read, utc_time, DAY_S};

const POLICY_OID: &str = "1.3.6.1.4.1.32473.1.1";
const SUBJECT_O: &str = "/O=Kakunin CRL Scope Test";

/// Distribution point URIs.
pub const POINT_A: &str = "http://crl.scope.test/part-a.crl";
pub const POINT_B: &str = "http://crl.scope.test/part-b.crl";
pub const ROOT_POINT_A: &str = "http://crl.scope.test/root-part-a.crl";
pub const ROOT_POINT_B: &str = "http://crl.scope.test/root-part-b.crl";
/// The relative distribution point name (a CN) of the `rel` leaf.
pub const RELATIVE_POINT: &str = "Partition R";

/// Serials (openssl form, uppercase hex).
pub const ICA_SERIAL: &str = "10";
pub const ICA_DP_SERIAL: &str = "11";
pub const PLAIN_SERIAL: &str = "5B01";
pub const DP_A_SERIAL: &str = "5B02";
pub const REL_SERIAL: &str = "5B03";
pub const SUB_SERIAL: &str = "5B04";
pub const INDIRECT_SERIAL: &str = "5B05";

/// One agent leaf.
pub struct Agent {
    pub name: &'static str,
    pub serial: &'static str,
    pub key_pem: Vec<u8>,
    pub cert_pem: Vec<u8>,
}

impl Agent {
    pub fn signer(&self) -> AgentSigner {
        AgentSigner::from_pem(&self.key_pem, &self.cert_pem, None).expect("test signer")
    }
}

/// Who signs a CRL.
#[derive(Clone, Copy, Debug)]
pub enum CrlIssuer {
    /// The root (CRLs about the issuing CAs).
    Root,
    /// The issuing CA `ica` (CRLs about its leaves).
    Ica,
    /// The issuing CA `ica_dp` (CRLs about `sub`).
    IcaDp,
}

/// root → ica (no CRLDP) → plain (no CRLDP), dp_a (CRLDP POINT_A), rel (CRLDP
/// relative name RELATIVE_POINT), indirect (CRLDP POINT_A with a cRLIssuer);
/// root → ica_dp (CRLDP ROOT_POINT_A) → sub.
pub struct ScopePki {
    pub dir: PathBuf,
    /// The real now (Unix s) when the PKI was made; CRL times count from it.
    pub now_s: i64,
    pub plain: Agent,
    pub dp_a: Agent,
    pub rel: Agent,
    pub sub: Agent,
    /// Names POINT_A, served by another CRL issuer (cRLIssuer): an
    /// indirect CRL's point.
    pub indirect: Agent,
    leaf_end: String,
    start: String,
}

static CRL_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A CRL to make: who signs it, its thisUpdate (hours before the PKI's now),
/// the serials it lists, and the body of its `issuingDistributionPoint`
/// section (x509v3_config lines), if any.
#[derive(Clone, Copy)]
pub struct CrlSpec<'a> {
    pub issuer: CrlIssuer,
    pub hours_ago: i64,
    pub revoked: &'a [&'a str],
    pub idp: Option<&'a str>,
    /// Instead of a section: the IDP's value in x509v3_config's arbitrary
    /// extension syntax (`DER:…`), for malformed IDPs.
    pub raw_idp: Option<&'a str>,
    /// More CRL extension lines (x509v3_config), e.g. a delta CRL indicator.
    pub extra_ext: Option<&'a str>,
    /// Mark the IDP critical (RFC 5280 says it is).
    pub critical: bool,
}

impl<'a> CrlSpec<'a> {
    /// A CRL with no extensions (a full CRL).
    pub fn full(issuer: CrlIssuer, hours_ago: i64, revoked: &'a [&'a str]) -> Self {
        CrlSpec {
            issuer,
            hours_ago,
            revoked,
            idp: None,
            raw_idp: None,
            extra_ext: None,
            critical: true,
        }
    }

    /// A CRL with a critical IDP whose section holds `idp`.
    pub fn scoped(issuer: CrlIssuer, hours_ago: i64, revoked: &'a [&'a str], idp: &'a str) -> Self {
        CrlSpec {
            idp: Some(idp),
            ..Self::full(issuer, hours_ago, revoked)
        }
    }
}

impl ScopePki {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn trust(&self) -> kakunin_verify::chain::TrustStore {
        let mut t = kakunin_verify::chain::TrustStore::new();
        t.add_roots_pem(&read(&self.path("root.pem"))).unwrap();
        t.add_intermediates_pem(&read(&self.path("ica.pem")))
            .unwrap();
        t.add_intermediates_pem(&read(&self.path("ica_dp.pem")))
            .unwrap();
        t
    }

    /// Makes a CRL with `openssl ca -gencrl`; returns its PEM.
    pub fn crl(&self, spec: &CrlSpec<'_>) -> Vec<u8> {
        let n = CRL_COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("crl{n}");
        let d = self.dir.as_path();
        let index: String = spec
            .revoked
            .iter()
            .map(|s| index_line(true, &self.leaf_end, &self.start, s, "revoked"))
            .collect();
        write(d, &format!("{name}.index"), index.as_bytes());
        // A cRLNumber (RFC 5280 5.2.3: conforming issuers include it), which
        // also makes every CRL a v2 CRL.
        write(d, &format!("{name}.number"), b"01\n");
        let mut cnf = format!(
            "[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = {}\n\
             crlnumber = {}\ndefault_md = sha256\n",
            d.join(format!("{name}.index")).display(),
            d.join(format!("{name}.number")).display()
        );
        let critical = if spec.critical { "critical," } else { "" };
        cnf.push_str("[crlext]\n");
        if let Some(extra) = spec.extra_ext {
            cnf.push_str(&format!("{extra}\n"));
        }
        if let Some(idp) = spec.idp {
            cnf.push_str(&format!(
                "issuingDistributionPoint = {critical}@idp\n[idp]\n{idp}\n"
            ));
        } else if let Some(raw) = spec.raw_idp {
            cnf.push_str(&format!("issuingDistributionPoint = {critical}{raw}\n"));
        }
        write(d, &format!("{name}.cnf"), cnf.as_bytes());
        let (key, cert) = match spec.issuer {
            CrlIssuer::Root => ("root.key", "root.pem"),
            CrlIssuer::Ica => ("ica.key", "ica.pem"),
            CrlIssuer::IcaDp => ("ica_dp.key", "ica_dp.pem"),
        };
        let this_update = utc_time(self.now_s - spec.hours_ago * 3600);
        let next_update = utc_time(self.now_s + DAY_S);
        let (cnf_name, out) = (format!("{name}.cnf"), format!("{name}.crl"));
        let mut args = vec![
            "ca",
            "-gencrl",
            "-config",
            &cnf_name,
            "-keyfile",
            key,
            "-cert",
            cert,
            "-crl_lastupdate",
            &this_update,
            "-crl_nextupdate",
            &next_update,
            "-out",
            &out,
        ];
        if spec.idp.is_some() || spec.raw_idp.is_some() || spec.extra_ext.is_some() {
            args.extend_from_slice(&["-crlexts", "crlext"]);
        }
        openssl(d, &args);
        read(&d.join(out))
    }

    /// A CRL source over the CRLs of `specs`.
    pub fn source(&self, specs: &[CrlSpec<'_>]) -> kakunin_verify::revocation::crl::CrlSource {
        let pems: Vec<Vec<u8>> = specs.iter().map(|s| self.crl(s)).collect();
        let refs: Vec<&[u8]> = pems.iter().map(Vec::as_slice).collect();
        kakunin_verify::revocation::crl::CrlSource::from_pem_or_der(&refs).expect("CRLs load")
    }

    /// The verifier's clock: the PKI's now.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.now_s).unwrap() * 1000
    }
}

fn write(dir: &Path, name: &str, contents: &[u8]) {
    std::fs::write(dir.join(name), contents).expect("write fixture file");
}

/// The agentPolicy (DER hex): scope `submit_limit_order`, market `EUR_USD`,
/// maxTransaction 50000; no revocationTimeout.
fn policy_hex(dir: &Path) -> String {
    let cnf = "asn1 = SEQUENCE:policy\n\
               [policy]\n\
               version = INTEGER:1\n\
               scopes = IMPLICIT:0,SEQUENCE:scopes\n\
               maxTransaction = IMPLICIT:1,SEQUENCE:amount\n\
               allowedMarkets = IMPLICIT:2,SEQUENCE:markets\n\
               [scopes]\n\
               s0 = UTF8String:submit_limit_order\n\
               [amount]\n\
               mantissa = INTEGER:50000\n\
               exponent = INTEGER:0\n\
               currency = UTF8String:USD\n\
               [markets]\n\
               m0 = UTF8String:EUR_USD\n";
    write(dir, "policy.cnf", cnf.as_bytes());
    openssl(
        dir,
        &[
            "asn1parse",
            "-genconf",
            "policy.cnf",
            "-noout",
            "-out",
            "policy.der",
        ],
    );
    read(&dir.join("policy.der"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn key_and_csr(dir: &Path, name: &str, cn: &str) {
    let (key, csr) = (format!("{name}.key"), format!("{name}.csr"));
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &key,
        ],
    );
    let subject = format!("{SUBJECT_O}/CN={cn}");
    openssl(
        dir,
        &["req", "-new", "-key", &key, "-subj", &subject, "-out", &csr],
    );
}

/// Issues `name.pem` from `name.csr` with `openssl ca` (notBefore in the
/// past); `issuer` None: self-signed. `ext` is the extension section body,
/// `extra` more sections.
#[allow(clippy::too_many_arguments)]
fn issue(
    dir: &Path,
    name: &str,
    issuer: Option<&str>,
    serial: &str,
    start: &str,
    end: &str,
    ext: &str,
    extra: &str,
) {
    let db = dir.join(format!("db-{name}"));
    std::fs::create_dir_all(&db).unwrap();
    write(&db, "index.txt", b"");
    write(&db, "serial", format!("{serial}\n").as_bytes());
    let cnf = format!(
        "[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = {db}/index.txt\n\
         serial = {db}/serial\nnew_certs_dir = {db}\npolicy = policy_any\n\
         unique_subject = no\ncopy_extensions = none\n\
         [policy_any]\norganizationName = optional\ncommonName = optional\n",
        db = db.display()
    );
    write(dir, &format!("{name}.ca.cnf"), cnf.as_bytes());
    write(
        dir,
        &format!("{name}.ext"),
        format!("[ext]\n{ext}\n{extra}").as_bytes(),
    );
    let (cnf, ext_file, csr, out) = (
        format!("{name}.ca.cnf"),
        format!("{name}.ext"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    let key = format!("{}.key", issuer.unwrap_or(name));
    let cert = issuer.map(|i| format!("{i}.pem"));
    let mut args = vec![
        "ca",
        "-batch",
        "-notext",
        "-preserveDN",
        "-config",
        &cnf,
        "-md",
        "sha256",
        "-keyfile",
        &key,
        "-in",
        &csr,
        "-startdate",
        start,
        "-enddate",
        end,
        "-extfile",
        &ext_file,
        "-extensions",
        "ext",
        "-out",
        &out,
    ];
    match &cert {
        Some(cert) => args.extend_from_slice(&["-cert", cert]),
        None => args.push("-selfsign"),
    }
    openssl(dir, &args);
}

const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
                      subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n";

/// Removes PKIs of earlier runs (more than an hour old).
fn remove_stale(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if old
            && e.file_name()
                .to_string_lossy()
                .starts_with("kakunin-crl-scope-")
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn make() -> ScopePki {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    remove_stale(tmp);
    let now_s = i64::try_from(SystemClock.now_ms() / 1000).unwrap();
    let dir = tmp.join(format!("kakunin-crl-scope-{}-{now_s}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let d = dir.as_path();
    let start = utc_time(now_s - DAY_S);
    let leaf_end = utc_time(now_s + 300 * DAY_S);
    let ca_end = utc_time(now_s + 3000 * DAY_S);
    let policy = policy_hex(d);

    key_and_csr(d, "root", "Scope Root");
    issue(
        d,
        "root",
        None,
        "01",
        &start,
        &ca_end,
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\n",
        "",
    );
    key_and_csr(d, "ica", "Scope Issuing CA");
    issue(
        d,
        "ica",
        Some("root"),
        ICA_SERIAL,
        &start,
        &ca_end,
        CA_EXT,
        "",
    );
    key_and_csr(d, "ica_dp", "Scope Issuing CA DP");
    issue(
        d,
        "ica_dp",
        Some("root"),
        ICA_DP_SERIAL,
        &start,
        &ca_end,
        &format!("{CA_EXT}crlDistributionPoints=URI:{ROOT_POINT_A}\n"),
        "",
    );
    let leaf = |name: &'static str, serial: &'static str, ca: &str, dp: &str, extra: &str| {
        key_and_csr(d, name, name);
        let ext = format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
             subjectAltName=URI:urn:kakunin:agent:{name}\n{POLICY_OID}=DER:{policy}\n{dp}"
        );
        issue(d, name, Some(ca), serial, &start, &leaf_end, &ext, extra);
        Agent {
            name,
            serial,
            key_pem: read(&d.join(format!("{name}.key"))),
            cert_pem: read(&d.join(format!("{name}.pem"))),
        }
    };
    let plain = leaf("scope_plain", PLAIN_SERIAL, "ica", "", "");
    let dp_a = leaf(
        "scope_dp_a",
        DP_A_SERIAL,
        "ica",
        &format!("crlDistributionPoints=URI:{POINT_A}\n"),
        "",
    );
    let rel = leaf(
        "scope_rel",
        REL_SERIAL,
        "ica",
        "crlDistributionPoints=dp_rel\n",
        &format!("[dp_rel]\nrelativename=rel_name\n[rel_name]\nCN={RELATIVE_POINT}\n"),
    );
    let sub = leaf("scope_sub", SUB_SERIAL, "ica_dp", "", "");
    let indirect = leaf(
        "scope_indirect",
        INDIRECT_SERIAL,
        "ica",
        "crlDistributionPoints=dp_ind\n",
        &format!(
            "[dp_ind]\nfullname=URI:{POINT_A}\nCRLissuer=dirName:ind_issuer\n\
             [ind_issuer]\nCN=Other CRL Issuer\n"
        ),
    );
    ScopePki {
        dir,
        now_s,
        plain,
        dp_a,
        rel,
        sub,
        indirect,
        leaf_end,
        start,
    }
}

/// The PKI, made once per test binary.
pub fn pki() -> &'static ScopePki {
    static PKI: OnceLock<ScopePki> = OnceLock::new();
    PKI.get_or_init(make)
}
