//! The peer for SPEC 7.1 OCSP: `openssl ocsp` answering requests over the
//! test PKI, the times it reports, and helpers to verify, assert on and
//! tamper with its answers.

use std::sync::atomic::{AtomicUsize, Ordering};

use kakunin_verify::revocation::ocsp::{build_request, verify_response, OcspConfig};
use kakunin_verify::revocation::{CertificateRef, RevocationAnswer, RevocationStatus, Unavailable};

use crate::pki::{openssl, pki, read, write};

/// One OCSP exchange with `openssl ocsp`: the response and its times.
pub(crate) struct Answer {
    pub(crate) der: Vec<u8>,
    pub(crate) this_update_ms: u64,
    pub(crate) next_update_ms: Option<u64>,
}

pub(crate) fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

// Answers `request` with `openssl ocsp` signed by `signer` (cert and key
// base name) for CA `ca`, plus `extra` options.
pub(crate) fn respond_with(request: &[u8], ca: &str, signer: &str, extra: &[&str]) -> Answer {
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

pub(crate) fn respond(cert: &CertificateRef<'_>, signer: &str, extra: &[&str]) -> Answer {
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

pub(crate) fn verify_at(
    answer: &Answer,
    cert: &CertificateRef<'_>,
    now_ms: u64,
) -> Result<RevocationAnswer, Unavailable> {
    verify_response(&answer.der, cert, None, now_ms, &OcspConfig::default())
}

pub(crate) fn assert_unavailable(result: Result<RevocationAnswer, Unavailable>, reason: &str) {
    match result {
        Err(Unavailable(r)) => assert!(
            r.contains(reason),
            "expected reason containing {reason:?}, got {r:?}"
        ),
        Ok(answer) => panic!("expected unavailable ({reason}), got {answer:?}"),
    }
}

pub(crate) fn status_at(
    answer: &Answer,
    cert: &CertificateRef<'_>,
    now_ms: u64,
) -> RevocationStatus {
    verify_at(answer, cert, now_ms)
        .expect("verified answer")
        .status
}

pub(crate) fn flip(bytes: &[u8], at: usize, new: u8) -> Vec<u8> {
    let mut copy = bytes.to_vec();
    assert_ne!(copy[at], new);
    copy[at] = new;
    copy
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("pattern in response")
}
