//! The `openssl` CLI and fixture files of the live tests: reading and
//! writing files of the PKI dir, running `openssl` there, UTCTime, the
//! agentPolicy extension (SPEC 3) as DER, and CSRs signed with `openssl ca`.

use std::path::Path;
use std::process::Command;

pub const OPENSSL: &str = "openssl";

pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn write(dir: &Path, name: &str, contents: &[u8]) {
    std::fs::write(dir.join(name), contents).expect("write fixture file");
}

pub fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .env("OPENSSL_CONF", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {OPENSSL} ({e}): these tests need the openssl CLI"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `YYMMDDHHMMSSZ` (UTCTime, as `openssl ca` and index.txt want it).
pub fn utc_time(unix_s: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_s).expect("time in range");
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The agentPolicy of these tests, DER as hex: scope `submit_limit_order`,
/// market `EUR_USD`, maxTransaction 50000, revocationTimeout 15 s (no
/// allowedHours: the tests run at any real hour).
pub fn policy_hex(dir: &Path, revocation_timeout_s: u32) -> String {
    let cnf = format!(
        "asn1 = SEQUENCE:policy\n\
          [policy]\n\
          version = INTEGER:1\n\
          scopes = IMPLICIT:0,SEQUENCE:scopes\n\
          maxTransaction = IMPLICIT:1,SEQUENCE:amount\n\
          allowedMarkets = IMPLICIT:2,SEQUENCE:markets\n\
          revocationTimeout = IMPLICIT:3,INTEGER:{revocation_timeout_s}\n\
          [scopes]\n\
          s0 = UTF8String:submit_limit_order\n\
          [amount]\n\
          mantissa = INTEGER:50000\n\
          exponent = INTEGER:0\n\
          currency = UTF8String:USD\n\
          [markets]\n\
          m0 = UTF8String:EUR_USD\n"
    );
    let (cnf_name, der_name) = (
        format!("policy{revocation_timeout_s}.cnf"),
        format!("policy{revocation_timeout_s}.der"),
    );
    write(dir, &cnf_name, cnf.as_bytes());
    openssl(
        dir,
        &[
            "asn1parse",
            "-genconf",
            &cnf_name,
            "-noout",
            "-out",
            &der_name,
        ],
    );
    read(&dir.join(der_name))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Signs `name.csr` with `openssl ca` (so notBefore can lie in the past).
/// `issuer` is `None` for the self-signed root.
#[allow(clippy::too_many_arguments)]
pub fn ca_sign(
    dir: &Path,
    name: &str,
    issuer: Option<&str>,
    issuer_key: &str,
    serial: &str,
    start: &str,
    end: &str,
    ext: &str,
) {
    let db = dir.join(format!("db-{name}"));
    std::fs::create_dir_all(&db).unwrap();
    write(&db, "index.txt", b"");
    write(&db, "serial", format!("{serial}\n").as_bytes());
    let cnf = format!(
        "[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = {db}/index.txt\n\
         serial = {db}/serial\nnew_certs_dir = {db}\npolicy = policy_any\n\
         unique_subject = no\nemail_in_dn = no\ncopy_extensions = none\n\
         [policy_any]\norganizationName = optional\ncommonName = optional\n",
        db = db.display()
    );
    write(dir, &format!("{name}.ca.cnf"), cnf.as_bytes());
    write(
        dir,
        &format!("{name}.ext"),
        format!("[ext]\n{ext}").as_bytes(),
    );
    let (cnf, ext_file, csr, out) = (
        format!("{name}.ca.cnf"),
        format!("{name}.ext"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
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
        issuer_key,
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
    match issuer {
        Some(cert) => args.extend_from_slice(&["-cert", cert]),
        None => args.push("-selfsign"),
    }
    openssl(dir, &args);
}

pub fn key_and_csr(dir: &Path, name: &str, subject: &str) {
    let (key, csr) = (format!("{name}.key"), format!("{name}.csr"));
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-pkeyopt",
            "ec_param_enc:named_curve",
            "-out",
            &key,
        ],
    );
    openssl(
        dir,
        &["req", "-new", "-key", &key, "-subj", subject, "-out", &csr],
    );
}
