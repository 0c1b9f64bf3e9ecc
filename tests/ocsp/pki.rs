//! The test PKI for SPEC 7.1 OCSP, made once with the `openssl` CLI: a root,
//! the issuing CA, good / revoked / unknown leaves, delegated responders
//! (good and flawed), another CA with the issuing CA's name, and the CA
//! database `openssl ocsp` answers from.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kakunin_verify::revocation::CertificateRef;

const OPENSSL: &str = "/usr/bin/openssl";

/// Serial content octets (as `CertificateRef::serial`) and index.txt form.
pub(crate) const GOOD_SERIAL: &[u8] = &[0x00, 0x9f, 0x01];
pub(crate) const REVOKED_SERIAL: &[u8] = &[0x10, 0x02];
pub(crate) const UNKNOWN_SERIAL: &[u8] = &[0x10, 0x03];

/// The PKI, made once and shared by all tests (read-only afterwards).
pub(crate) struct Pki {
    pub(crate) dir: PathBuf,
    pub(crate) ca_der: Vec<u8>,
    pub(crate) good_der: Vec<u8>,
    pub(crate) revoked_der: Vec<u8>,
    pub(crate) unknown_der: Vec<u8>,
    pub(crate) other_der: Vec<u8>,
}

pub(crate) fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {OPENSSL} ({e}): the OCSP tests need the openssl CLI installed")
        });
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn write(dir: &Path, name: &str, contents: &[u8]) {
    std::fs::write(dir.join(name), contents).expect("write fixture file");
}

pub(crate) fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).expect("read fixture file")
}

fn pem_to_der(dir: &Path, name: &str) -> Vec<u8> {
    let der_name = format!("{name}.der");
    openssl(
        dir,
        &[
            "x509",
            "-in",
            &format!("{name}.pem"),
            "-outform",
            "DER",
            "-out",
            &der_name,
        ],
    );
    read(dir, &der_name)
}

// A key and CSR; `key` is an openssl -newkey spec.
fn key_and_csr(dir: &Path, name: &str, key: &[&str], subject: &str) {
    let (key_file, csr_file) = (format!("{name}.key"), format!("{name}.csr"));
    let mut args = vec!["req", "-new", "-nodes"];
    args.extend_from_slice(key);
    args.extend_from_slice(&["-keyout", &key_file, "-out", &csr_file, "-subj", subject]);
    openssl(dir, &args);
}

// A certificate for `name`'s CSR issued by `ca`, with extensions from `ext`.
#[allow(clippy::too_many_arguments)]
fn issue(
    dir: &Path,
    name: &str,
    key: &[&str],
    subject: &str,
    ca: &str,
    serial: &str,
    days: &str,
    ext: &str,
) {
    key_and_csr(dir, name, key, subject);
    let ext_file = format!("{name}.ext");
    write(dir, &ext_file, ext.as_bytes());
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-set_serial",
            serial,
            "-days",
            days,
            "-extfile",
            &ext_file,
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

const EC256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
const EC384: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"];
const RSA: &[&str] = &["-newkey", "rsa:2048"];
const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";
const LEAF_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
    authorityInfoAccess=OCSP;URI:http://ocsp.example.test/a,caIssuers;URI:http://ca.example.test/ca.der,OCSP;URI:http://ocsp2.example.test/\n";
const RESPONDER_EXT: &str = "keyUsage=critical,digitalSignature\nextendedKeyUsage=OCSPSigning\n";
const NO_EKU_EXT: &str = "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n";
const NO_DS_EXT: &str = "keyUsage=critical,keyAgreement\nextendedKeyUsage=OCSPSigning\n";
const CRIT_EXT: &str = "keyUsage=critical,digitalSignature\nextendedKeyUsage=OCSPSigning\n\
    1.3.6.1.4.1.55555.1=critical,ASN1:NULL\n";
const ISSUING_CA_SUBJECT: &str = "/O=Kakunin Test/CN=Kakunin Test Issuing CA";

fn make_pki() -> Pki {
    let dir = std::env::temp_dir().join(format!("kakunin-ocsp-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let d = dir.as_path();
    // Root (self-signed) -> issuing CA (P-384) -> leaves (P-256).
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-keyout",
            "root.key",
            "-out",
            "root.pem",
            "-subj",
            "/CN=Kakunin Test Root",
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    issue(
        d,
        "ca",
        EC384,
        ISSUING_CA_SUBJECT,
        "root",
        "2",
        "3650",
        CA_EXT,
    );
    issue(
        d,
        "good",
        EC256,
        "/CN=agent-good",
        "ca",
        "0x9F01",
        "365",
        LEAF_EXT,
    );
    issue(
        d,
        "revoked",
        EC256,
        "/CN=agent-revoked",
        "ca",
        "0x1002",
        "365",
        LEAF_EXT,
    );
    issue(
        d,
        "unknown",
        EC256,
        "/CN=agent-unknown",
        "ca",
        "0x1003",
        "365",
        LEAF_EXT,
    );
    // Delegated responders issued by the issuing CA.
    issue(
        d,
        "resp",
        RSA,
        "/CN=OCSP responder",
        "ca",
        "100",
        "30",
        RESPONDER_EXT,
    );
    issue(
        d,
        "noeku",
        EC256,
        "/CN=OCSP responder without EKU",
        "ca",
        "101",
        "30",
        NO_EKU_EXT,
    );
    issue(
        d,
        "short",
        EC256,
        "/CN=OCSP responder short-lived",
        "ca",
        "102",
        "1",
        RESPONDER_EXT,
    );
    issue(
        d,
        "nods",
        EC256,
        "/CN=OCSP responder without digitalSignature",
        "ca",
        "103",
        "30",
        NO_DS_EXT,
    );
    issue(
        d,
        "critext",
        EC256,
        "/CN=OCSP responder with odd extension",
        "ca",
        "104",
        "30",
        CRIT_EXT,
    );
    // Another CA with the very same subject name, and its responder and leaf.
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-keyout",
            "other.key",
            "-out",
            "other.pem",
            "-subj",
            ISSUING_CA_SUBJECT,
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    issue(
        d,
        "otherresp",
        EC256,
        "/CN=OCSP responder",
        "other",
        "100",
        "30",
        RESPONDER_EXT,
    );
    // The CA database: one good, one revoked leaf (0x1003 absent).
    write(
        d,
        "index.txt",
        b"V\t360101000000Z\t\t9F01\tunknown\t/CN=agent-good\n\
          R\t360101000000Z\t250101000000Z,keyCompromise\t1002\tunknown\t/CN=agent-revoked\n",
    );
    Pki {
        ca_der: pem_to_der(d, "ca"),
        good_der: pem_to_der(d, "good"),
        revoked_der: pem_to_der(d, "revoked"),
        unknown_der: pem_to_der(d, "unknown"),
        other_der: pem_to_der(d, "other"),
        dir,
    }
}

pub(crate) fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(make_pki)
}

pub(crate) fn cert_ref<'a>(
    der: &'a [u8],
    issuer_der: &'a [u8],
    serial: &'a [u8],
) -> CertificateRef<'a> {
    CertificateRef {
        der,
        issuer_der,
        serial,
        serial_hex: "",
        not_after_ms: u64::MAX,
        serial_form: kakunin_verify::revocation::SerialForm::Rfc5280,
        root_der: None,
    }
}

pub(crate) fn good() -> CertificateRef<'static> {
    let p = pki();
    cert_ref(&p.good_der, &p.ca_der, GOOD_SERIAL)
}
