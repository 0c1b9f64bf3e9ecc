//! SPEC 7.1, OCSP source: building requests and verifying answers offline
//! (RFC 6960 with the RFC 5019 profile). Networking lives elsewhere.
//!
//! Structures: `x509-ocsp` 0.2 is built on `der` 0.7 / `x509-cert` 0.2
//! while this crate uses `der` 0.8 / `x509-cert` 0.3. Using it would put a
//! second `der`/`x509-cert`/`spki`/`const-oid` stack in every build (not even
//! in the pre-seeded registry), and exchanging only DER bytes with it would
//! still leave the signed `tbsResponseData` to be located by hand; it does
//! no verification either. The few OCSP structures are small,
//! so they are defined here with `der` 0.8 derives, and the two signed
//! envelopes (BasicOCSPResponse, the responder's Certificate) are walked by
//! hand so that the signed bytes are always the exact bytes received — never
//! a re-encoding.
//!
//! Fail closed: anything not verified is [`Unavailable`]; nothing here can
//! panic on input, and all work is bounded by [`MAX_RESPONSE_LEN`].

use der::asn1::{AnyRef, BitStringRef, GeneralizedTime, IntRef, Null, ObjectIdentifier};
use der::asn1::{OctetString, OctetStringRef};
use der::{Choice, Decode, Encode, Enumerated, Header, Reader, Sequence, SliceReader};
use der::{Tag, TagMode, TagNumber, Tagged};
use ring::digest;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, ExtendedKeyUsage, KeyUsage};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoOwned};
use x509_cert::{Certificate, TbsCertificate};

use super::{CertificateRef, RevocationAnswer, RevocationStatus, Unavailable};
use crate::crypto::CryptoBackend;

/// The largest OCSP response (DER) this module looks at.
pub const MAX_RESPONSE_LEN: usize = 64 * 1024;
/// The longest nonce accepted in a request (RFC 8954 2.1: 1 to 32 octets).
pub const MAX_NONCE_LEN: usize = 32;
/// At most this many SingleResponses are examined in one answer.
const MAX_SINGLE_RESPONSES: usize = 16;
/// At most this many certificates are examined in one answer's `certs`.
const MAX_RESPONSE_CERTS: usize = 4;
/// At most this many OCSP URLs are taken from an AIA extension.
const MAX_AIA_URLS: usize = 4;
/// The longest OCSP URL taken from an AIA extension.
const MAX_AIA_URL_LEN: usize = 512;
/// The largest certificate [`aia_ocsp_urls`] parses.
const MAX_CERT_LEN: usize = 64 * 1024;
/// Default oldest acceptable `thisUpdate` (SPEC 7.1: 24 h).
const DEFAULT_MAX_AGE_MS: u64 = 24 * 60 * 60 * 1000;
/// Default tolerance for a `thisUpdate` in the future (SPEC 7.1: 5 s).
const DEFAULT_CLOCK_SKEW_MS: u64 = 5 * 1000;
/// The audit name of this source.
const SOURCE: &str = "ocsp";

// Object identifiers.
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const OID_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
const OID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
const OID_KP_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
/// The certificate extensions this module understands when critical in a
/// delegated responder certificate (RFC 5280 4.2): keyUsage,
/// subjectAltName, basicConstraints, extendedKeyUsage.
const KNOWN_CRITICAL_CERT_EXTENSIONS: [ObjectIdentifier; 4] = [
    ObjectIdentifier::new_unwrap("2.5.29.15"),
    ObjectIdentifier::new_unwrap("2.5.29.17"),
    ObjectIdentifier::new_unwrap("2.5.29.19"),
    ObjectIdentifier::new_unwrap("2.5.29.37"),
];
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Freshness limits for OCSP answers (SPEC 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcspConfig {
    /// The oldest acceptable `thisUpdate`, counted back from `now` (default 24 h).
    pub max_age_ms: u64,
    /// How far `thisUpdate` may lie in the future (default 5 s).
    pub clock_skew_ms: u64,
}

impl Default for OcspConfig {
    fn default() -> Self {
        OcspConfig {
            max_age_ms: DEFAULT_MAX_AGE_MS,
            clock_skew_ms: DEFAULT_CLOCK_SKEW_MS,
        }
    }
}

// ---------------------------------------------------------------------------
// ASN.1 structures (RFC 6960 4.1.1, 4.2.1, 4.4.1)
// ---------------------------------------------------------------------------

/// RFC 6960 4.1.1 `CertID`.
#[derive(Clone, Debug, Sequence)]
struct CertId<'a> {
    hash_algorithm: AlgorithmIdentifierRef<'a>,
    issuer_name_hash: &'a OctetStringRef,
    issuer_key_hash: &'a OctetStringRef,
    serial_number: IntRef<'a>,
}

/// RFC 6960 4.1.1 `OCSPRequest` (unsigned).
#[derive(Clone, Debug, Sequence)]
struct OcspRequest<'a> {
    tbs_request: TbsRequest<'a>,
}

/// RFC 6960 4.1.1 `TBSRequest` (v1, no requestorName).
#[derive(Clone, Debug, Sequence)]
struct TbsRequest<'a> {
    request_list: Vec<Request<'a>>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    request_extensions: Option<Vec<Extension>>,
}

/// RFC 6960 4.1.1 `Request`.
#[derive(Clone, Debug, Sequence)]
struct Request<'a> {
    req_cert: CertId<'a>,
}

/// RFC 6960 4.2.1 `OCSPResponseStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enumerated)]
#[asn1(type = "ENUMERATED")]
#[repr(u32)]
enum ResponseStatus {
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    SigRequired = 5,
    Unauthorized = 6,
}

/// RFC 6960 4.2.1 `OCSPResponse`.
#[derive(Clone, Debug, Sequence)]
struct OcspResponse<'a> {
    response_status: ResponseStatus,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    response_bytes: Option<ResponseBytes<'a>>,
}

/// RFC 6960 4.2.1 `ResponseBytes`.
#[derive(Clone, Debug, Sequence)]
struct ResponseBytes<'a> {
    response_type: ObjectIdentifier,
    response: &'a OctetStringRef,
}

/// RFC 6960 4.2.1 `SingleResponse`.
#[derive(Clone, Debug, Sequence)]
struct SingleResponse<'a> {
    cert_id: CertId<'a>,
    cert_status: CertStatus,
    this_update: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    next_update: Option<GeneralizedTime>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    single_extensions: Option<Vec<Extension>>,
}

/// RFC 6960 4.2.1 `CertStatus`.
#[derive(Clone, Debug, Choice)]
enum CertStatus {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    Good(Null),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Revoked(RevokedInfo),
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    Unknown(Null),
}

/// RFC 6960 4.2.1 `RevokedInfo` (the reason is parsed, not used).
#[derive(Clone, Debug, Sequence)]
struct RevokedInfo {
    revocation_time: GeneralizedTime,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    revocation_reason: Option<CrlReason>,
}

/// RFC 5280 5.3.1 `CRLReason`, kept as its raw value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enumerated)]
#[asn1(type = "ENUMERATED")]
#[repr(u32)]
enum CrlReason {
    Unspecified = 0,
    KeyCompromise = 1,
    CaCompromise = 2,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
    CertificateHold = 6,
    RemoveFromCrl = 8,
    PrivilegeWithdrawn = 9,
    AaCompromise = 10,
}

/// RFC 4055 3.1 `RSASSA-PSS-params` (all fields required here: the
/// defaults name SHA-1, which is not accepted).
#[derive(Clone, Debug, Sequence)]
struct PssParams<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    hash_algorithm: AlgorithmIdentifierRef<'a>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    mask_gen_algorithm: AlgorithmIdentifierRef<'a>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    salt_length: u32,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u32>,
}

/// RFC 6960 4.2.1 `ResponderID`.
enum ResponderId<'a> {
    /// `byName [1] Name`: the Name's whole DER.
    ByName(&'a [u8]),
    /// `byKey [2] KeyHash`: SHA-1 of the responder's public key bits.
    ByKey(&'a [u8]),
}

/// RFC 6960 4.2.1 `ResponseData`.
struct ResponseData<'a> {
    responder_id: ResponderId<'a>,
    responses: Vec<SingleResponse<'a>>,
    response_extensions: Option<Vec<Extension>>,
}

/// A signed envelope (`BasicOCSPResponse`, `Certificate`): the signed part
/// exactly as received, the algorithm, the signature and what follows.
struct Signed<'a> {
    tbs: &'a [u8],
    algorithm: AlgorithmIdentifierRef<'a>,
    signature: &'a [u8],
    rest: &'a [u8],
}

/// The issuing CA, as far as OCSP needs it.
struct Issuer<'a> {
    subject_der: &'a [u8],
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
}

/// What the responder's key is, once its authority is established.
struct Signer {
    spki: SubjectPublicKeyInfoOwned,
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// Builds a DER `OCSPRequest` for `cert` (RFC 6960 4.1.1, RFC 5019 2.1):
/// one `Request` whose CertID uses SHA-1, and, when `nonce` is given, an
/// `id-pkix-ocsp-nonce` request extension (RFC 8954: 1 to 32 octets).
///
/// # Errors
/// [`Unavailable`] when the issuer certificate cannot be parsed, the serial
/// is not a valid INTEGER encoding, or the nonce is empty or too long.
pub fn build_request(
    cert: &CertificateRef<'_>,
    nonce: Option<&[u8]>,
) -> Result<Vec<u8>, Unavailable> {
    let issuer_der = bounded_cert(cert.issuer_der)?;
    let issuer = parse_issuer(issuer_der)?;
    let name_hash = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, issuer.subject_der);
    let key_hash = digest::digest(
        &digest::SHA1_FOR_LEGACY_USE_ONLY,
        issuer.spki.subject_public_key.raw_bytes(),
    );
    let sha1_params = AnyRef::from(Null);
    let req_cert = CertId {
        hash_algorithm: AlgorithmIdentifierRef {
            oid: OID_SHA1,
            parameters: Some(sha1_params),
        },
        issuer_name_hash: octets(name_hash.as_ref())?,
        issuer_key_hash: octets(key_hash.as_ref())?,
        serial_number: IntRef::new(cert.serial)
            .map_err(|_| Unavailable::new("OCSP: bad serial encoding"))?,
    };
    let request_extensions = match nonce {
        Some(n) => Some(vec![nonce_extension(n)?]),
        None => None,
    };
    let request = OcspRequest {
        tbs_request: TbsRequest {
            request_list: vec![Request { req_cert }],
            request_extensions,
        },
    };
    request
        .to_der()
        .map_err(|_| Unavailable::new("OCSP: cannot encode request"))
}

/// Verifies a DER `OCSPResponse` about `cert` completely (RFC 6960 with the
/// RFC 5019 profile, SPEC 7.1) and maps good / revoked / unknown to
/// [`RevocationStatus`].
///
/// Checked: status `successful`; type `id-pkix-ocsp-basic`; the signature
/// over the received `tbsResponseData`; the signer is the issuing CA or a
/// responder certificate from `certs` issued and signed by it, with
/// `id-kp-OCSPSigning`, valid at `now_ms`; the ResponderID names the signer;
/// exactly one SingleResponse matches the CertID of `cert` (SHA-1 or
/// SHA-256); `thisUpdate` neither in the future beyond
/// [`OcspConfig::clock_skew_ms`] nor older than [`OcspConfig::max_age_ms`];
/// `nextUpdate` present and not passed; the nonce, when one was sent and the
/// responder echoes one, equal. A nonce that was sent but not echoed is
/// accepted (RFC 5019 2.2: responders may serve pre-produced answers); the
/// freshness bounds above still apply. Unknown critical extensions are
/// refused.
///
/// Signatures are verified with the build's default backend
/// ([`CryptoBackend::default`]); [`verify_response_with_backend`] names one.
///
/// # Errors
/// [`Unavailable`] with a short reason for every other outcome.
pub fn verify_response(
    response_der: &[u8],
    cert: &CertificateRef<'_>,
    expected_nonce: Option<&[u8]>,
    now_ms: u64,
    config: &OcspConfig,
) -> Result<RevocationAnswer, Unavailable> {
    verify_response_with_backend(
        response_der,
        cert,
        expected_nonce,
        now_ms,
        config,
        CryptoBackend::default(),
    )
}

/// [`verify_response`] with the answer's and any delegated responder
/// certificate's signatures verified by `backend` (the verifier's, so one
/// backend verifies everything a decision rests on).
///
/// # Errors
/// As [`verify_response`].
pub fn verify_response_with_backend(
    response_der: &[u8],
    cert: &CertificateRef<'_>,
    expected_nonce: Option<&[u8]>,
    now_ms: u64,
    config: &OcspConfig,
    backend: CryptoBackend,
) -> Result<RevocationAnswer, Unavailable> {
    check_response_size(response_der)?;
    let basic_der = unwrap_basic(response_der)?;
    let basic = parse_signed(basic_der)
        .map_err(|_| Unavailable::new("OCSP: malformed BasicOCSPResponse"))?;
    let certs = parse_response_certs(basic.rest)?;
    let data = parse_response_data(basic.tbs)?;
    let issuer = parse_issuer(bounded_cert(cert.issuer_der)?)?;
    let signer = find_signer(&data.responder_id, &issuer, &certs, now_ms, backend)?;
    verify_signature(
        &signer.spki,
        &basic.algorithm,
        basic.tbs,
        basic.signature,
        backend,
    )?;
    check_critical_extensions(data.response_extensions.as_deref(), true)?;
    check_nonce(data.response_extensions.as_deref(), expected_nonce)?;
    let single = find_single_response(&data.responses, &issuer, cert.serial)?;
    check_critical_extensions(single.single_extensions.as_deref(), false)?;
    let (this_update_ms, next_update_ms) = check_times(single, now_ms, config)?;
    Ok(RevocationAnswer {
        status: map_status(&single.cert_status),
        produced_at_ms: this_update_ms,
        next_update_ms: Some(next_update_ms),
        risk_score: None,
        risk_band: None,
        source: SOURCE,
    })
}

/// The OCSP responder URLs named in `cert_der`'s Authority Information
/// Access extension (RFC 5280 4.2.2.1, `id-ad-ocsp`), in order: at most a
/// few, each of bounded length. Empty when there are none or the
/// certificate cannot be parsed. Whether a URL may be called is the
/// caller's decision (SPEC 7.1 allowlist).
pub fn aia_ocsp_urls(cert_der: &[u8]) -> Vec<String> {
    let Ok(der) = bounded_cert(cert_der) else {
        return Vec::new();
    };
    let Ok(cert) = Certificate::from_der(der) else {
        return Vec::new();
    };
    let Ok(Some((_, aia))) = cert
        .tbs_certificate()
        .get_extension::<AuthorityInfoAccessSyntax>()
    else {
        return Vec::new();
    };
    aia.0
        .iter()
        .filter(|d| d.access_method == OID_AD_OCSP)
        .filter_map(|d| match &d.access_location {
            GeneralName::UniformResourceIdentifier(uri) => Some(uri.as_str()),
            _ => None,
        })
        .filter(|uri| !uri.is_empty() && uri.len() <= MAX_AIA_URL_LEN)
        .take(MAX_AIA_URLS)
        .map(str::to_owned)
        .collect()
}

mod authority;
mod checks;
mod envelope;
mod request;
mod signatures;
#[cfg(test)]
mod tests;

use authority::*;
use checks::*;
use envelope::*;
use request::*;
use signatures::*;
