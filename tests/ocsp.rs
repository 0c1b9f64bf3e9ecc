//! SPEC 7.1 OCSP: requests built by `build_request` are answered by a real
//! peer, `openssl ocsp` in offline mode over a PKI made with the `openssl`
//! CLI, and the answers are checked by `verify_response`.
//!
//! Times are never taken from the real clock in assertions: `now` is always
//! chosen relative to the `thisUpdate` / `nextUpdate` openssl reports.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use kakunin_verify::revocation::ocsp::{
    aia_ocsp_urls, build_request, verify_response, verify_response_with_backend, OcspConfig,
};
use kakunin_verify::revocation::{CertificateRef, RevocationAnswer, RevocationStatus, Unavailable};
use kakunin_verify::CryptoBackend;

const OPENSSL: &str = "/usr/bin/openssl";
const MINUTE_MS: u64 = 60 * 1000;
const HOUR_MS: u64 = 60 * MINUTE_MS;
const DAY_MS: u64 = 24 * HOUR_MS;

/// Serial content octets (as `CertificateRef::serial`) and index.txt form.
const GOOD_SERIAL: &[u8] = &[0x00, 0x9f, 0x01];
const REVOKED_SERIAL: &[u8] = &[0x10, 0x02];
const UNKNOWN_SERIAL: &[u8] = &[0x10, 0x03];

/// The PKI, made once and shared by all tests (read-only afterwards).
struct Pki {
    dir: PathBuf,
    ca_der: Vec<u8>,
    good_der: Vec<u8>,
    revoked_der: Vec<u8>,
    unknown_der: Vec<u8>,
    other_der: Vec<u8>,
}

fn openssl(dir: &Path, args: &[&str]) -> String {
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

fn write(dir: &Path, name: &str, contents: &[u8]) {
    std::fs::write(dir.join(name), contents).expect("write fixture file");
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
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

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(make_pki)
}

fn cert_ref<'a>(der: &'a [u8], issuer_der: &'a [u8], serial: &'a [u8]) -> CertificateRef<'a> {
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

fn good() -> CertificateRef<'static> {
    let p = pki();
    cert_ref(&p.good_der, &p.ca_der, GOOD_SERIAL)
}

/// One OCSP exchange with `openssl ocsp`: the response and its times.
struct Answer {
    der: Vec<u8>,
    this_update_ms: u64,
    next_update_ms: Option<u64>,
}

fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

// Answers `request` with `openssl ocsp` signed by `signer` (cert and key
// base name) for CA `ca`, plus `extra` options.
fn respond_with(request: &[u8], ca: &str, signer: &str, extra: &[&str]) -> Answer {
    let dir = &pki().dir;
    let (req, resp) = (unique("req") + ".der", unique("resp") + ".der");
    write(dir, &req, request);
    let (ca_pem, signer_pem, signer_key) = (
        format!("{ca}.pem"),
        format!("{signer}.pem"),
        format!("{signer}.key"),
    );
    let mut args = vec![
        "ocsp",
        "-index",
        "index.txt",
        "-CA",
        &ca_pem,
        "-rsigner",
        &signer_pem,
        "-rkey",
        &signer_key,
        "-reqin",
        &req,
        "-respout",
        &resp,
    ];
    args.extend_from_slice(extra);
    openssl(dir, &args);
    let text = openssl(dir, &["ocsp", "-respin", &resp, "-resp_text", "-noverify"]);
    Answer {
        der: read(dir, &resp),
        this_update_ms: openssl_time(&text, "This Update: ").expect("thisUpdate in openssl output"),
        next_update_ms: openssl_time(&text, "Next Update: "),
    }
}

fn respond(cert: &CertificateRef<'_>, signer: &str, extra: &[&str]) -> Answer {
    let request = build_request(cert, None).expect("build request");
    respond_with(&request, "ca", signer, extra)
}

// Parses openssl's "Nov 22 03:40:28 2026 GMT" after `label`.
fn openssl_time(text: &str, label: &str) -> Option<u64> {
    let line = text.lines().find_map(|l| l.trim().strip_prefix(label))?;
    let format = time::format_description::parse_borrowed::<2>(
        "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT",
    )
    .expect("format");
    let t = time::PrimitiveDateTime::parse(line.trim(), &format)
        .unwrap_or_else(|e| panic!("openssl time {line:?}: {e}"))
        .assume_utc();
    Some(u64::try_from(t.unix_timestamp()).expect("positive") * 1000)
}

fn verify_at(
    answer: &Answer,
    cert: &CertificateRef<'_>,
    now_ms: u64,
) -> Result<RevocationAnswer, Unavailable> {
    verify_response(&answer.der, cert, None, now_ms, &OcspConfig::default())
}

fn assert_unavailable(result: Result<RevocationAnswer, Unavailable>, reason: &str) {
    match result {
        Err(Unavailable(r)) => assert!(
            r.contains(reason),
            "expected reason containing {reason:?}, got {r:?}"
        ),
        Ok(answer) => panic!("expected unavailable ({reason}), got {answer:?}"),
    }
}

fn status_at(answer: &Answer, cert: &CertificateRef<'_>, now_ms: u64) -> RevocationStatus {
    verify_at(answer, cert, now_ms)
        .expect("verified answer")
        .status
}

#[test]
fn good_is_valid_with_times_from_the_response() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    let now = answer.this_update_ms + 1000;
    let result = verify_at(&answer, &good(), now).expect("verified");
    assert_eq!(result.status, RevocationStatus::Valid);
    assert_eq!(result.produced_at_ms, answer.this_update_ms);
    assert_eq!(result.next_update_ms, answer.next_update_ms);
    assert_eq!(
        result.next_update_ms,
        Some(answer.this_update_ms + 5 * MINUTE_MS)
    );
    assert_eq!(result.source, "ocsp");
    assert_eq!((result.risk_score, result.risk_band), (None, None));
}

#[test]
fn revoked_is_revoked() {
    let p = pki();
    let cert = cert_ref(&p.revoked_der, &p.ca_der, REVOKED_SERIAL);
    let answer = respond(&cert, "resp", &["-nmin", "5"]);
    assert_eq!(
        status_at(&answer, &cert, answer.this_update_ms),
        RevocationStatus::Revoked
    );
}

#[test]
fn serial_not_in_index_is_unknown() {
    let p = pki();
    let cert = cert_ref(&p.unknown_der, &p.ca_der, UNKNOWN_SERIAL);
    let answer = respond(&cert, "resp", &["-nmin", "5"]);
    assert_eq!(
        status_at(&answer, &cert, answer.this_update_ms),
        RevocationStatus::Unknown
    );
}

#[test]
fn signed_by_the_ca_itself_is_valid() {
    // The issuing CA has a P-384 key; openssl signs with ecdsa-with-SHA256.
    let answer = respond(&good(), "ca", &["-nmin", "5"]);
    assert_eq!(
        status_at(&answer, &good(), answer.this_update_ms + 1000),
        RevocationStatus::Valid
    );
}

#[test]
fn responder_id_by_key_is_accepted() {
    let delegated = respond(&good(), "resp", &["-nmin", "5", "-resp_key_id"]);
    assert_eq!(
        status_at(&delegated, &good(), delegated.this_update_ms),
        RevocationStatus::Valid
    );
    let by_ca = respond(&good(), "ca", &["-nmin", "5", "-resp_key_id"]);
    assert_eq!(
        status_at(&by_ca, &good(), by_ca.this_update_ms),
        RevocationStatus::Valid
    );
}

#[test]
fn responder_certificate_not_included_is_unavailable() {
    // -resp_no_certs: the delegated responder's certificate is not sent.
    let answer = respond(&good(), "resp", &["-nmin", "5", "-resp_no_certs"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "responder",
    );
}

/// `openssl ocsp` options for an RSA-PSS answer with the salt as long as
/// the digest (RFC 4055 3.1), five minutes to nextUpdate.
const PSS_SALT_OF_DIGEST_LENGTH: [&str; 6] = [
    "-nmin",
    "5",
    "-rsigopt",
    "rsa_padding_mode:pss",
    "-rsigopt",
    "rsa_pss_saltlen:digest",
];

#[test]
fn rsa_pss_signature_is_valid() {
    let answer = respond(&good(), "resp", &PSS_SALT_OF_DIGEST_LENGTH);
    assert_eq!(
        status_at(&answer, &good(), answer.this_update_ms),
        RevocationStatus::Valid
    );
}

#[test]
fn rsa_pss_with_unusual_salt_is_unavailable() {
    let answer = respond(
        &good(),
        "resp",
        &["-nmin", "5", "-rsigopt", "rsa_padding_mode:pss"],
    );
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "RSA-PSS",
    );
}

#[test]
fn delegated_responder_without_ocsp_signing_is_unavailable() {
    let answer = respond(&good(), "noeku", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "OCSPSigning",
    );
}

#[test]
fn responder_key_usage_without_digital_signature_is_unavailable() {
    let answer = respond(&good(), "nods", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "digitalSignature",
    );
}

#[test]
fn responder_with_unknown_critical_extension_is_unavailable() {
    let answer = respond(&good(), "critext", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "critical extension",
    );
}

#[test]
fn responder_from_another_ca_with_the_same_name_is_unavailable() {
    let answer = respond(&good(), "otherresp", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "not signed by the CA",
    );
}

#[test]
fn another_ca_signing_itself_is_unavailable() {
    // A different CA with the same subject signs directly: byName matches
    // the issuing CA, the signature does not.
    let answer = respond(&good(), "other", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "bad signature",
    );
}

#[test]
fn response_for_a_different_certificate_is_unavailable() {
    let p = pki();
    let revoked = cert_ref(&p.revoked_der, &p.ca_der, REVOKED_SERIAL);
    let answer = respond(&revoked, "resp", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "no response for this certificate",
    );
}

#[test]
fn cert_id_with_another_issuer_key_is_unavailable() {
    // Same serial, same issuer name hash, different issuer key hash: the
    // other CA has the issuing CA's subject name but its own key.
    let p = pki();
    let asked_wrongly = cert_ref(&p.good_der, &p.other_der, GOOD_SERIAL);
    let request = build_request(&asked_wrongly, None).expect("request");
    let answer = respond_with(&request, "ca", "resp", &["-nmin", "5"]);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "no response for this certificate",
    );
}

fn flip(bytes: &[u8], at: usize, new: u8) -> Vec<u8> {
    let mut copy = bytes.to_vec();
    assert_ne!(copy[at], new);
    copy[at] = new;
    copy
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("pattern in response")
}

#[test]
fn flipped_byte_in_tbs_response_data_is_unavailable() {
    for signer in ["resp", "ca"] {
        let answer = respond(&good(), signer, &["-nmin", "5"]);
        // producedAt is the first GeneralizedTime; change its last second digit.
        let at = find(&answer.der, &[0x18, 0x0f]) + 2 + 13;
        let digit = answer.der[at];
        assert!(digit.is_ascii_digit());
        let tampered = flip(&answer.der, at, if digit == b'0' { b'1' } else { b'0' });
        let result = verify_response(
            &tampered,
            &good(),
            None,
            answer.this_update_ms,
            &OcspConfig::default(),
        );
        assert_unavailable(result, "bad signature");
    }
}

// SPEC 7.1 under every crypto backend of the build: the same answers verify
// (RSA PKCS#1 and PSS by a delegated responder whose certificate the P-384
// CA signed, ECDSA by the CA itself) and the same tampered one does not.
#[test]
fn spec_7_1_every_backend_verifies_the_same_answers() {
    // (answer, signed by a delegated responder whose certificate it carries)
    let answers = [
        (respond(&good(), "resp", &["-nmin", "5"]), true),
        (respond(&good(), "resp", &PSS_SALT_OF_DIGEST_LENGTH), true),
        (respond(&good(), "ca", &["-nmin", "5"]), false),
    ];
    for backend in CryptoBackend::ALL.iter().copied() {
        for (answer, delegated) in &answers {
            let at = answer.this_update_ms + 1000;
            let verify = |der: &[u8]| {
                verify_response_with_backend(
                    der,
                    &good(),
                    None,
                    at,
                    &OcspConfig::default(),
                    backend,
                )
            };
            let status = verify(&answer.der).map(|a| a.status);
            assert_eq!(status, Ok(RevocationStatus::Valid), "{backend:?}");
            // producedAt's last second digit: the answer's own signature.
            let at = find(&answer.der, &[0x18, 0x0f]) + 2 + 13;
            let digit = if answer.der[at] == b'0' { b'1' } else { b'0' };
            assert_unavailable(verify(&flip(&answer.der, at, digit)), "bad signature");
            // The last byte: the signature on the certificate the answer
            // carries — relied on when it is the delegated responder's (the
            // CA's signature on it, verified by the same backend), not when
            // the CA signed the answer itself (its key comes from the path).
            let last = answer.der.len() - 1;
            let tampered = verify(&flip(&answer.der, last, answer.der[last] ^ 0x01));
            if *delegated {
                assert_unavailable(tampered, "responder certificate not signed by the CA");
            } else {
                assert_eq!(tampered.map(|a| a.status), Ok(RevocationStatus::Valid));
            }
        }
    }
}

#[test]
fn flipped_byte_in_signature_is_unavailable() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    // sha256WithRSAEncryption AlgorithmIdentifier, then BIT STRING (2048 bits).
    let alg_and_bits: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
        0x03, 0x82, 0x01, 0x01, 0x00,
    ];
    let at = find(&answer.der, alg_and_bits) + alg_and_bits.len() + 100;
    let tampered = flip(&answer.der, at, answer.der[at] ^ 0x01);
    let result = verify_response(
        &tampered,
        &good(),
        None,
        answer.this_update_ms,
        &OcspConfig::default(),
    );
    assert_unavailable(result, "bad signature");
}

#[test]
fn now_past_next_update_is_unavailable() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    let next = answer.next_update_ms.expect("nextUpdate");
    assert!(verify_at(&answer, &good(), next - 1000).is_ok());
    assert_unavailable(
        verify_at(&answer, &good(), next + 1000),
        "nextUpdate passed",
    );
}

#[test]
fn this_update_older_than_24h_is_unavailable() {
    let answer = respond(&good(), "resp", &["-ndays", "3"]);
    assert!(verify_at(&answer, &good(), answer.this_update_ms + 23 * HOUR_MS).is_ok());
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms + 25 * HOUR_MS),
        "too old",
    );
    // A configured bound applies instead of the default.
    let strict = OcspConfig {
        max_age_ms: HOUR_MS,
        ..OcspConfig::default()
    };
    let result = verify_response(
        &answer.der,
        &good(),
        None,
        answer.this_update_ms + 2 * HOUR_MS,
        &strict,
    );
    assert_unavailable(result, "too old");
}

#[test]
fn this_update_in_the_future_beyond_skew_is_unavailable() {
    // CA-signed, so no responder certificate validity is involved.
    let answer = respond(&good(), "ca", &["-nmin", "5"]);
    assert!(verify_at(&answer, &good(), answer.this_update_ms - 4000).is_ok());
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms - 60_000),
        "in the future",
    );
}

#[test]
fn missing_next_update_is_unavailable() {
    let answer = respond(&good(), "resp", &[]);
    assert_eq!(answer.next_update_ms, None);
    assert_unavailable(
        verify_at(&answer, &good(), answer.this_update_ms),
        "no nextUpdate",
    );
}

#[test]
fn expired_responder_certificate_is_unavailable() {
    // The "short" responder is valid for 1 day; the answer for 7.
    let answer = respond(&good(), "short", &["-ndays", "7"]);
    let lenient = OcspConfig {
        max_age_ms: 30 * DAY_MS,
        ..OcspConfig::default()
    };
    let at = |now| verify_response(&answer.der, &good(), None, now, &lenient);
    assert!(at(answer.this_update_ms + HOUR_MS).is_ok());
    assert_unavailable(at(answer.this_update_ms + 2 * DAY_MS), "not valid now");
}

#[test]
fn nonce_echoed_must_match_and_absence_is_accepted() {
    let nonce = [7u8; 16];
    let request = build_request(&good(), Some(&nonce)).expect("request with nonce");
    let answer = respond_with(&request, "ca", "resp", &["-nmin", "5"]);
    let cfg = OcspConfig::default();
    let now = answer.this_update_ms;
    assert!(verify_response(&answer.der, &good(), Some(&nonce), now, &cfg).is_ok());
    assert_unavailable(
        verify_response(&answer.der, &good(), Some(&[8u8; 16]), now, &cfg),
        "nonce mismatch",
    );
    // Sent, not echoed (a request without nonce stands in for a pre-produced
    // answer): accepted per RFC 5019.
    let plain = respond(&good(), "resp", &["-nmin", "5"]);
    assert!(verify_response(
        &plain.der,
        &good(),
        Some(&nonce),
        plain.this_update_ms,
        &cfg
    )
    .is_ok());
}

#[test]
fn nonce_is_bounded() {
    assert!(build_request(&good(), Some(&[])).is_err());
    assert!(build_request(&good(), Some(&[1u8; 33])).is_err());
    assert!(build_request(&good(), Some(&[1u8; 32])).is_ok());
}

#[test]
fn request_is_byte_identical_to_openssl() {
    let dir = &pki().dir;
    let out = unique("oreq") + ".der";
    openssl(
        dir,
        &[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-cert",
            "good.pem",
            "-no_nonce",
            "-reqout",
            &out,
        ],
    );
    assert_eq!(
        build_request(&good(), None).expect("request"),
        read(dir, &out)
    );
    // With a nonce, openssl reads it back the same way.
    let with_nonce = build_request(&good(), Some(&[0xab; 8])).expect("request");
    let req = unique("nreq") + ".der";
    write(dir, &req, &with_nonce);
    let text = openssl(dir, &["ocsp", "-reqin", &req, "-req_text"]);
    assert!(text.contains("Serial Number: 9F01"), "{text}");
    assert!(text.contains("0408ABABABABABABABAB"), "{text}");
}

#[test]
fn truncated_garbage_and_trailing_bytes_are_unavailable() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    let now = answer.this_update_ms;
    let cfg = OcspConfig::default();
    assert!(verify_response(&answer.der, &good(), None, now, &cfg).is_ok());
    for len in 0..answer.der.len() {
        assert!(
            verify_response(&answer.der[..len], &good(), None, now, &cfg).is_err(),
            "prefix {len}"
        );
    }
    let mut trailing = answer.der.clone();
    trailing.push(0);
    assert_unavailable(
        verify_response(&trailing, &good(), None, now, &cfg),
        "malformed",
    );
    // Every single-byte corruption fails closed, without panicking.
    for at in 0..answer.der.len() {
        let tampered = flip(&answer.der, at, answer.der[at] ^ 0x80);
        assert!(
            verify_response(&tampered, &good(), None, now, &cfg).is_err(),
            "byte {at}"
        );
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for len in [1usize, 2, 5, 64, 1000, 70_000] {
        let garbage: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        assert!(verify_response(&garbage, &good(), None, now, &cfg).is_err());
    }
    for weird in [
        &[0x30, 0x80][..],
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        &[0x30, 0x03, 0x0a, 0x01, 0x03],
    ] {
        assert!(verify_response(weird, &good(), None, now, &cfg).is_err());
    }
    // tryLater.
    assert_unavailable(
        verify_response(&[0x30, 0x03, 0x0a, 0x01, 0x03], &good(), None, now, &cfg),
        "status",
    );
}

#[test]
fn garbage_issuer_is_unavailable() {
    let answer = respond(&good(), "resp", &["-nmin", "5"]);
    let p = pki();
    let bad = cert_ref(&p.good_der, &[0x30, 0x00], GOOD_SERIAL);
    assert!(build_request(&bad, None).is_err());
    assert!(verify_at(&answer, &bad, answer.this_update_ms).is_err());
}

#[test]
fn aia_ocsp_urls_are_extracted() {
    let p = pki();
    assert_eq!(
        aia_ocsp_urls(&p.good_der),
        vec![
            "http://ocsp.example.test/a".to_owned(),
            "http://ocsp2.example.test/".to_owned()
        ]
    );
    assert!(aia_ocsp_urls(&p.ca_der).is_empty());
    assert!(aia_ocsp_urls(&p.good_der[..100]).is_empty());
    assert!(aia_ocsp_urls(b"").is_empty());
}
