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
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, ExtendedKeyUsage, KeyUsage};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoOwned};
use x509_cert::{Certificate, TbsCertificate};

use super::{CertificateRef, RevocationAnswer, RevocationStatus, Unavailable};

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
/// # Errors
/// [`Unavailable`] with a short reason for every other outcome.
pub fn verify_response(
    response_der: &[u8],
    cert: &CertificateRef<'_>,
    expected_nonce: Option<&[u8]>,
    now_ms: u64,
    config: &OcspConfig,
) -> Result<RevocationAnswer, Unavailable> {
    check_response_size(response_der)?;
    let basic_der = unwrap_basic(response_der)?;
    let basic = parse_signed(basic_der)
        .map_err(|_| Unavailable::new("OCSP: malformed BasicOCSPResponse"))?;
    let certs = parse_response_certs(basic.rest)?;
    let data = parse_response_data(basic.tbs)?;
    let issuer = parse_issuer(bounded_cert(cert.issuer_der)?)?;
    let signer = find_signer(&data.responder_id, &issuer, &certs, now_ms)?;
    verify_signature(&signer.spki, &basic.algorithm, basic.tbs, basic.signature)?;
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

// ---------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------

// DER OCTET STRING view of a byte slice.
fn octets(bytes: &[u8]) -> Result<&OctetStringRef, Unavailable> {
    OctetStringRef::new(bytes).map_err(|_| Unavailable::new("OCSP: cannot encode octets"))
}

// RFC 8954 2.1 / RFC 6960 4.4.1: the nonce extension; its extnValue holds the
// DER OCTET STRING of the nonce, 1 to 32 octets.
fn nonce_extension(nonce: &[u8]) -> Result<Extension, Unavailable> {
    Ok(Extension {
        extn_id: OID_OCSP_NONCE,
        critical: false,
        extn_value: OctetString::new(encoded_nonce(nonce)?)
            .map_err(|_| Unavailable::new("OCSP: cannot encode nonce"))?,
    })
}

// RFC 8954 2.1: the nonce's encoding inside extnValue, length checked.
fn encoded_nonce(nonce: &[u8]) -> Result<Vec<u8>, Unavailable> {
    if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN {
        return Err(Unavailable::new("OCSP: nonce must be 1 to 32 octets"));
    }
    octets(nonce)?
        .to_der()
        .map_err(|_| Unavailable::new("OCSP: cannot encode nonce"))
}

// ---------------------------------------------------------------------------
// Envelope parsing
// ---------------------------------------------------------------------------

// SPEC 7.1: the answer's size is bounded.
fn check_response_size(der: &[u8]) -> Result<(), Unavailable> {
    if der.len() > MAX_RESPONSE_LEN {
        return Err(Unavailable::new("OCSP: response too large"));
    }
    Ok(())
}

// Bounded input for certificate parsing.
fn bounded_cert(der: &[u8]) -> Result<&[u8], Unavailable> {
    if der.len() > MAX_CERT_LEN {
        return Err(Unavailable::new("OCSP: certificate too large"));
    }
    Ok(der)
}

// RFC 6960 4.2.1: responseStatus successful, responseType id-pkix-ocsp-basic;
// returns the BasicOCSPResponse DER. `from_der` refuses trailing bytes.
fn unwrap_basic(response_der: &[u8]) -> Result<&[u8], Unavailable> {
    let response = OcspResponse::from_der(response_der)
        .map_err(|_| Unavailable::new("OCSP: malformed response"))?;
    if response.response_status != ResponseStatus::Successful {
        return Err(Unavailable::new("OCSP: responder status not successful"));
    }
    let bytes = response
        .response_bytes
        .ok_or_else(|| Unavailable::new("OCSP: no responseBytes"))?;
    if bytes.response_type != OID_OCSP_BASIC {
        return Err(Unavailable::new(
            "OCSP: response type not id-pkix-ocsp-basic",
        ));
    }
    Ok(bytes.response.as_bytes())
}

// X.690 8.9: the contents of one DER SEQUENCE filling all of `der`.
fn sequence_body(der: &[u8]) -> der::Result<&[u8]> {
    let any = AnyRef::from_der(der)?;
    any.tag().assert_eq(Tag::Sequence)?;
    Ok(any.value())
}

// RFC 6960 4.2.1 BasicOCSPResponse / RFC 5280 4.1 Certificate: SEQUENCE
// { tbs, signatureAlgorithm, signature BIT STRING, ... }, with the signed part
// kept as the received TLV bytes.
fn parse_signed(der: &[u8]) -> der::Result<Signed<'_>> {
    let mut reader = SliceReader::new(sequence_body(der)?)?;
    let tbs = reader.tlv_bytes()?;
    sequence_body(tbs)?;
    let algorithm: AlgorithmIdentifierRef<'_> = reader.decode()?;
    let bits: BitStringRef<'_> = reader.decode()?;
    let signature = bits
        .as_bytes()
        .ok_or_else(|| Tag::BitString.value_error())?;
    let remaining = reader.remaining_len();
    let rest = reader.read_slice(remaining)?;
    Ok(Signed {
        tbs,
        algorithm,
        signature,
        rest,
    })
}

// RFC 6960 4.2.1: `certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL`, the
// only field after the signature; each certificate kept as raw DER.
fn parse_response_certs(rest: &[u8]) -> Result<Vec<&[u8]>, Unavailable> {
    let malformed = || Unavailable::new("OCSP: malformed certs");
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let mut reader = SliceReader::new(rest).map_err(|_| malformed())?;
    let header = Header::decode(&mut reader).map_err(|_| malformed())?;
    if header.tag() != context_tag(0, true) {
        return Err(malformed());
    }
    let body = reader
        .read_slice(header.length())
        .map_err(|_| malformed())?;
    reader.finish().map_err(|_| malformed())?;
    let mut seq =
        SliceReader::new(sequence_body(body).map_err(|_| malformed())?).map_err(|_| malformed())?;
    let mut certs = Vec::new();
    while !seq.is_finished() {
        if certs.len() >= MAX_RESPONSE_CERTS {
            return Err(Unavailable::new("OCSP: too many certs"));
        }
        certs.push(seq.tlv_bytes().map_err(|_| malformed())?);
    }
    Ok(certs)
}

// A context-specific tag `[n]`.
fn context_tag(number: u32, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: TagNumber(number),
    }
}

// RFC 6960 4.2.1 ResponseData, parsed from the signed bytes.
fn parse_response_data(tbs: &[u8]) -> Result<ResponseData<'_>, Unavailable> {
    let data = parse_response_data_der(tbs)
        .map_err(|_| Unavailable::new("OCSP: malformed ResponseData"))?;
    if data.responses.len() > MAX_SINGLE_RESPONSES {
        return Err(Unavailable::new("OCSP: too many SingleResponses"));
    }
    Ok(data)
}

// RFC 6960 4.2.1: version [0] DEFAULT v1, responderID, producedAt,
// responses, responseExtensions [1]; nothing else.
fn parse_response_data_der(tbs: &[u8]) -> der::Result<ResponseData<'_>> {
    let mut reader = SliceReader::new(sequence_body(tbs)?)?;
    let version: Option<u8> = reader.context_specific(TagNumber(0), TagMode::Explicit)?;
    if version.is_some_and(|v| v != 0) {
        return Err(Tag::Integer.value_error().into());
    }
    let responder_id = parse_responder_id(&mut reader)?;
    let _produced_at: GeneralizedTime = reader.decode()?;
    let responses: Vec<SingleResponse<'_>> = reader.decode()?;
    let response_extensions: Option<Vec<Extension>> =
        reader.context_specific(TagNumber(1), TagMode::Explicit)?;
    reader.finish()?;
    Ok(ResponseData {
        responder_id,
        responses,
        response_extensions,
    })
}

// RFC 6960 4.2.1: ResponderID ::= CHOICE { byName [1] Name, byKey [2]
// KeyHash } (explicit tags).
fn parse_responder_id<'a>(reader: &mut SliceReader<'a>) -> der::Result<ResponderId<'a>> {
    let header = Header::decode(reader)?;
    let body = reader.read_slice(header.length())?;
    if header.tag() == context_tag(1, true) {
        sequence_body(body)?;
        Ok(ResponderId::ByName(body))
    } else if header.tag() == context_tag(2, true) {
        let hash = <&OctetStringRef>::from_der(body)?;
        Ok(ResponderId::ByKey(hash.as_bytes()))
    } else {
        Err(header.tag().unexpected_error(None).into())
    }
}

// RFC 5280 4.1.2.4/4.1.2.6: the raw DER of a TBSCertificate's subject Name
// (version [0]?, serial, signature, issuer, validity, subject).
fn raw_subject(tbs: &[u8]) -> der::Result<&[u8]> {
    let mut reader = SliceReader::new(sequence_body(tbs)?)?;
    if Tag::peek(&reader)? == context_tag(0, true) {
        reader.tlv_bytes()?;
    }
    for _field in 0..4 {
        reader.tlv_bytes()?;
    }
    reader.tlv_bytes()
}

// The issuing CA: its subject's exact DER, subject and key.
fn parse_issuer(der: &[u8]) -> Result<Issuer<'_>, Unavailable> {
    let malformed = || Unavailable::new("OCSP: malformed issuer certificate");
    let signed = parse_signed(der).map_err(|_| malformed())?;
    let subject_der = raw_subject(signed.tbs).map_err(|_| malformed())?;
    let tbs = TbsCertificate::from_der(signed.tbs).map_err(|_| malformed())?;
    Ok(Issuer {
        subject_der,
        subject: tbs.subject().clone(),
        spki: tbs.subject_public_key_info().clone(),
    })
}

// ---------------------------------------------------------------------------
// Responder authority (RFC 6960 4.2.2.2, SPEC 7.1)
// ---------------------------------------------------------------------------

// RFC 6960 4.2.2.2: the signer is the CA itself, or a delegated responder
// from `certs` that the CA issued, named by the ResponderID.
fn find_signer(
    id: &ResponderId<'_>,
    issuer: &Issuer<'_>,
    certs: &[&[u8]],
    now_ms: u64,
) -> Result<Signer, Unavailable> {
    if responder_id_matches(id, issuer.subject_der, &issuer.spki) {
        return Ok(Signer {
            spki: issuer.spki.clone(),
        });
    }
    for cert_der in certs {
        let Ok(signed) = parse_signed(cert_der) else {
            continue;
        };
        let Ok(subject_der) = raw_subject(signed.tbs) else {
            continue;
        };
        let Ok(tbs) = TbsCertificate::from_der(signed.tbs) else {
            continue;
        };
        if responder_id_matches(id, subject_der, tbs.subject_public_key_info()) {
            check_delegated_responder(&signed, &tbs, issuer, now_ms)?;
            return Ok(Signer {
                spki: tbs.subject_public_key_info().clone(),
            });
        }
    }
    Err(Unavailable::new(
        "OCSP: responder is not the CA nor an included responder",
    ))
}

// RFC 6960 4.2.1: byName equals the signer's subject (exact DER); byKey is
// the SHA-1 of the signer's subjectPublicKey BIT STRING contents.
fn responder_id_matches(
    id: &ResponderId<'_>,
    subject_der: &[u8],
    spki: &SubjectPublicKeyInfoOwned,
) -> bool {
    match id {
        ResponderId::ByName(name) => *name == subject_der,
        ResponderId::ByKey(hash) => {
            let key_hash = digest::digest(
                &digest::SHA1_FOR_LEGACY_USE_ONLY,
                spki.subject_public_key.raw_bytes(),
            );
            *hash == key_hash.as_ref()
        }
    }
}

// RFC 6960 4.2.2.2 / SPEC 7.1: a delegated responder certificate is issued
// by the CA, signed with its key, has id-kp-OCSPSigning, and is valid at now.
fn check_delegated_responder(
    signed: &Signed<'_>,
    tbs: &TbsCertificate,
    issuer: &Issuer<'_>,
    now_ms: u64,
) -> Result<(), Unavailable> {
    if tbs.issuer() != &issuer.subject {
        return Err(Unavailable::new(
            "OCSP: responder certificate not issued by the CA",
        ));
    }
    check_inner_algorithm(signed, tbs)?;
    verify_signature(
        &issuer.spki,
        &signed.algorithm,
        signed.tbs,
        signed.signature,
    )
    .map_err(|_| Unavailable::new("OCSP: responder certificate not signed by the CA"))?;
    check_ocsp_signing_eku(tbs)?;
    check_key_usage(tbs)?;
    check_cert_critical_extensions(tbs)?;
    check_validity(tbs, now_ms)
}

// RFC 5280 4.2.1.3: a keyUsage, when present, allows digitalSignature.
fn check_key_usage(tbs: &TbsCertificate) -> Result<(), Unavailable> {
    match tbs.get_extension::<KeyUsage>() {
        Ok(None) => Ok(()),
        Ok(Some((_, usage))) if usage.digital_signature() => Ok(()),
        _ => Err(Unavailable::new(
            "OCSP: responder key usage lacks digitalSignature",
        )),
    }
}

// RFC 5280 4.2: a certificate with an unrecognised critical extension is refused.
fn check_cert_critical_extensions(tbs: &TbsCertificate) -> Result<(), Unavailable> {
    let unknown = tbs
        .extensions()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .any(|e| e.critical && !KNOWN_CRITICAL_CERT_EXTENSIONS.contains(&e.extn_id));
    if unknown {
        return Err(Unavailable::new(
            "OCSP: responder certificate has an unknown critical extension",
        ));
    }
    Ok(())
}

// RFC 5280 4.1.1.2: signatureAlgorithm equals the TBSCertificate's signature field.
fn check_inner_algorithm(signed: &Signed<'_>, tbs: &TbsCertificate) -> Result<(), Unavailable> {
    let inner = tbs.signature();
    let same_params = match (&inner.parameters, &signed.algorithm.parameters) {
        (None, None) => true,
        (Some(a), Some(b)) => a.tag() == b.tag() && a.value() == b.value(),
        _ => false,
    };
    if inner.oid != signed.algorithm.oid || !same_params {
        return Err(Unavailable::new(
            "OCSP: responder certificate algorithm mismatch",
        ));
    }
    Ok(())
}

// RFC 6960 4.2.2.2: the delegate carries id-kp-OCSPSigning in its EKU.
fn check_ocsp_signing_eku(tbs: &TbsCertificate) -> Result<(), Unavailable> {
    match tbs.get_extension::<ExtendedKeyUsage>() {
        Ok(Some((_, eku))) if eku.0.contains(&OID_KP_OCSP_SIGNING) => Ok(()),
        _ => Err(Unavailable::new("OCSP: responder lacks id-kp-OCSPSigning")),
    }
}

// SPEC 7.1: the delegated responder certificate is valid at now.
fn check_validity(tbs: &TbsCertificate, now_ms: u64) -> Result<(), Unavailable> {
    let validity = tbs.validity();
    let not_before = duration_ms(validity.not_before.to_unix_duration())?;
    let not_after = duration_ms(validity.not_after.to_unix_duration())?;
    if now_ms < not_before || now_ms > not_after {
        return Err(Unavailable::new(
            "OCSP: responder certificate not valid now",
        ));
    }
    Ok(())
}

// Unix milliseconds from a duration since the epoch.
fn duration_ms(d: core::time::Duration) -> Result<u64, Unavailable> {
    u64::try_from(d.as_millis()).map_err(|_| Unavailable::new("OCSP: time out of range"))
}

// ---------------------------------------------------------------------------
// Signatures (RFC 6960 4.2.1, RFC 4055, RFC 5758, RFC 8410)
// ---------------------------------------------------------------------------

// RFC 6960 4.2.1: the signature is over the DER of tbsResponseData, exactly
// as received; `key`'s BIT STRING contents are what ring expects.
fn verify_signature(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierRef<'_>,
    message: &[u8],
    sig: &[u8],
) -> Result<(), Unavailable> {
    let key_bytes = key
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Unavailable::new("OCSP: malformed public key"))?;
    let ring_alg = select_algorithm(key, algorithm)?;
    UnparsedPublicKey::new(ring_alg, key_bytes)
        .verify(message, sig)
        .map_err(|_| Unavailable::new("OCSP: bad signature"))
}

// The accepted (signature algorithm, key type) pairs.
fn select_algorithm(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierRef<'_>,
) -> Result<&'static dyn VerificationAlgorithm, Unavailable> {
    let unsupported = || Unavailable::new("OCSP: unsupported signature algorithm");
    let key_oid = key.algorithm.oid;
    let curve = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let oid = algorithm.oid;
    if oid == OID_RSA_SHA256 || oid == OID_RSA_SHA384 || oid == OID_RSA_SHA512 {
        check_rsa_key(key)?;
        if !absent_or_null(algorithm.parameters) {
            return Err(unsupported());
        }
        return Ok(if oid == OID_RSA_SHA256 {
            &signature::RSA_PKCS1_2048_8192_SHA256
        } else if oid == OID_RSA_SHA384 {
            &signature::RSA_PKCS1_2048_8192_SHA384
        } else {
            &signature::RSA_PKCS1_2048_8192_SHA512
        });
    }
    if oid == OID_RSA_PSS {
        check_rsa_key(key)?;
        return select_pss(algorithm.parameters.ok_or_else(unsupported)?);
    }
    if (oid == OID_ECDSA_SHA256 || oid == OID_ECDSA_SHA384) && algorithm.parameters.is_none() {
        if key_oid != OID_EC_PUBLIC_KEY {
            return Err(unsupported());
        }
        let sha256 = oid == OID_ECDSA_SHA256;
        return match (curve, sha256) {
            (Some(c), true) if c == OID_P256 => Ok(&signature::ECDSA_P256_SHA256_ASN1),
            (Some(c), false) if c == OID_P256 => Ok(&signature::ECDSA_P256_SHA384_ASN1),
            (Some(c), true) if c == OID_P384 => Ok(&signature::ECDSA_P384_SHA256_ASN1),
            (Some(c), false) if c == OID_P384 => Ok(&signature::ECDSA_P384_SHA384_ASN1),
            _ => Err(unsupported()),
        };
    }
    if oid == OID_ED25519 && algorithm.parameters.is_none() && key_oid == OID_ED25519 {
        return Ok(&signature::ED25519);
    }
    Err(unsupported())
}

// RFC 3279 2.3.1: an rsaEncryption key.
fn check_rsa_key(key: &SubjectPublicKeyInfoOwned) -> Result<(), Unavailable> {
    if key.algorithm.oid != OID_RSA_ENCRYPTION {
        return Err(Unavailable::new(
            "OCSP: signature algorithm does not fit the key",
        ));
    }
    Ok(())
}

// RFC 4055 2.1: algorithm parameters absent or NULL.
fn absent_or_null(parameters: Option<AnyRef<'_>>) -> bool {
    match parameters {
        None => true,
        Some(p) => p.is_null(),
    }
}

// RFC 4055 3.1: RSASSA-PSS with SHA-256/384/512, MGF1 with the same hash,
// salt length equal to the hash length, trailer 1.
fn select_pss(parameters: AnyRef<'_>) -> Result<&'static dyn VerificationAlgorithm, Unavailable> {
    let unsupported = || Unavailable::new("OCSP: unsupported RSA-PSS parameters");
    let params: PssParams<'_> = parameters.decode_as().map_err(|_| unsupported())?;
    let hash = params.hash_algorithm;
    let mgf = params.mask_gen_algorithm;
    let mgf_hash: AlgorithmIdentifierRef<'_> = mgf
        .parameters
        .ok_or_else(unsupported)?
        .decode_as()
        .map_err(|_| unsupported())?;
    let trailer_ok = params.trailer_field.is_none_or(|t| t == 1);
    if !absent_or_null(hash.parameters)
        || mgf.oid != OID_MGF1
        || mgf_hash.oid != hash.oid
        || !absent_or_null(mgf_hash.parameters)
        || !trailer_ok
    {
        return Err(unsupported());
    }
    match (hash.oid, params.salt_length) {
        (h, 32) if h == OID_SHA256 => Ok(&signature::RSA_PSS_2048_8192_SHA256),
        (h, 48) if h == OID_SHA384 => Ok(&signature::RSA_PSS_2048_8192_SHA384),
        (h, 64) if h == OID_SHA512 => Ok(&signature::RSA_PSS_2048_8192_SHA512),
        _ => Err(unsupported()),
    }
}

// ---------------------------------------------------------------------------
// Content checks
// ---------------------------------------------------------------------------

// RFC 6960 4.4 / RFC 5280 4.2: an unrecognised critical extension fails.
// The only recognised one is the nonce, and only among responseExtensions.
fn check_critical_extensions(
    extensions: Option<&[Extension]>,
    response_level: bool,
) -> Result<(), Unavailable> {
    let known = |e: &Extension| response_level && e.extn_id == OID_OCSP_NONCE;
    if extensions
        .unwrap_or_default()
        .iter()
        .any(|e| e.critical && !known(e))
    {
        return Err(Unavailable::new("OCSP: unknown critical extension"));
    }
    Ok(())
}

// RFC 6960 4.4.1 / RFC 8954: an echoed nonce equals the one sent. A sent
// nonce that is not echoed is accepted (RFC 5019 2.2: pre-produced answers);
// freshness then rests on thisUpdate/nextUpdate.
fn check_nonce(
    extensions: Option<&[Extension]>,
    expected: Option<&[u8]>,
) -> Result<(), Unavailable> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let want = encoded_nonce(expected)?;
    let mut echoed = extensions
        .unwrap_or_default()
        .iter()
        .filter(|e| e.extn_id == OID_OCSP_NONCE);
    match (echoed.next(), echoed.next()) {
        (None, _) => Ok(()),
        (Some(e), None) if e.extn_value.as_bytes() == want.as_slice() => Ok(()),
        _ => Err(Unavailable::new("OCSP: nonce mismatch")),
    }
}

// RFC 6960 4.1.1 / 4.2.2.3: exactly one SingleResponse whose CertID names the
// certificate asked about (SHA-1 or SHA-256 hashes, serial equal).
fn find_single_response<'r, 'a>(
    responses: &'r [SingleResponse<'a>],
    issuer: &Issuer<'_>,
    serial: &[u8],
) -> Result<&'r SingleResponse<'a>, Unavailable> {
    let mut matching = responses
        .iter()
        .filter(|r| cert_id_matches(&r.cert_id, issuer, serial));
    match (matching.next(), matching.next()) {
        (Some(single), None) => Ok(single),
        (None, _) => Err(Unavailable::new("OCSP: no response for this certificate")),
        _ => Err(Unavailable::new(
            "OCSP: several responses for this certificate",
        )),
    }
}

// RFC 6960 4.1.1: hashAlgorithm recognised, issuerNameHash over the issuer's
// Name DER, issuerKeyHash over its public key bits, serialNumber equal.
fn cert_id_matches(id: &CertId<'_>, issuer: &Issuer<'_>, serial: &[u8]) -> bool {
    let Some(alg) = cert_id_digest(&id.hash_algorithm) else {
        return false;
    };
    let name_hash = digest::digest(alg, issuer.subject_der);
    let key_hash = digest::digest(alg, issuer.spki.subject_public_key.raw_bytes());
    id.issuer_name_hash.as_bytes() == name_hash.as_ref()
        && id.issuer_key_hash.as_bytes() == key_hash.as_ref()
        && id.serial_number.as_bytes() == serial
}

// RFC 5019 2.1.1 / RFC 6960 4.1.1: the CertID hashes accepted (SHA-1, SHA-256).
fn cert_id_digest(algorithm: &AlgorithmIdentifierRef<'_>) -> Option<&'static digest::Algorithm> {
    if !absent_or_null(algorithm.parameters) {
        return None;
    }
    if algorithm.oid == OID_SHA1 {
        Some(&digest::SHA1_FOR_LEGACY_USE_ONLY)
    } else if algorithm.oid == OID_SHA256 {
        Some(&digest::SHA256)
    } else {
        None
    }
}

// SPEC 7.1 / RFC 5019 4: thisUpdate not in the future beyond the skew and not
// older than max_age; nextUpdate present, after thisUpdate, and not passed.
fn check_times(
    single: &SingleResponse<'_>,
    now_ms: u64,
    config: &OcspConfig,
) -> Result<(u64, u64), Unavailable> {
    let this_update = duration_ms(single.this_update.to_unix_duration())?;
    let next_update = single
        .next_update
        .ok_or_else(|| Unavailable::new("OCSP: no nextUpdate"))?;
    let next_update = duration_ms(next_update.to_unix_duration())?;
    if this_update > now_ms.saturating_add(config.clock_skew_ms) {
        return Err(Unavailable::new("OCSP: thisUpdate in the future"));
    }
    if now_ms.saturating_sub(this_update) > config.max_age_ms {
        return Err(Unavailable::new("OCSP: thisUpdate too old"));
    }
    if next_update < this_update {
        return Err(Unavailable::new("OCSP: nextUpdate before thisUpdate"));
    }
    if now_ms >= next_update {
        return Err(Unavailable::new("OCSP: nextUpdate passed"));
    }
    Ok((this_update, next_update))
}

// SPEC 7.1: good / revoked / unknown map to valid / revoked / unknown.
fn map_status(status: &CertStatus) -> RevocationStatus {
    match status {
        CertStatus::Good(_) => RevocationStatus::Valid,
        CertStatus::Revoked(_) => RevocationStatus::Revoked,
        CertStatus::Unknown(_) => RevocationStatus::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000_000;

    fn single(this_update_ms: u64, next_update_ms: Option<u64>) -> SingleResponse<'static> {
        let time = |ms: u64| {
            GeneralizedTime::from_unix_duration(core::time::Duration::from_millis(ms))
                .expect("time in range")
        };
        SingleResponse {
            cert_id: CertId {
                hash_algorithm: AlgorithmIdentifierRef {
                    oid: OID_SHA1,
                    parameters: None,
                },
                issuer_name_hash: OctetStringRef::new(&[]).expect("empty"),
                issuer_key_hash: OctetStringRef::new(&[]).expect("empty"),
                serial_number: IntRef::new(&[1]).expect("serial"),
            },
            cert_status: CertStatus::Good(Null),
            this_update: time(this_update_ms),
            next_update: next_update_ms.map(time),
            single_extensions: None,
        }
    }

    #[test]
    fn default_config_is_24h_and_5s() {
        let config = OcspConfig::default();
        assert_eq!(config.max_age_ms, 86_400_000);
        assert_eq!(config.clock_skew_ms, 5_000);
    }

    #[test]
    fn times_are_checked_at_their_bounds() {
        let cfg = OcspConfig::default();
        let s = single(T0, Some(T0 + 48 * 3_600_000));
        assert_eq!(check_times(&s, T0, &cfg), Ok((T0, T0 + 48 * 3_600_000)));
        assert!(check_times(&s, T0 - 5_000, &cfg).is_ok());
        assert!(check_times(&s, T0 - 5_001, &cfg).is_err());
        assert!(check_times(&s, T0 + cfg.max_age_ms, &cfg).is_ok());
        assert!(check_times(&s, T0 + cfg.max_age_ms + 1, &cfg).is_err());
        let short = single(T0, Some(T0 + 1_000));
        assert!(check_times(&short, T0 + 999, &cfg).is_ok());
        assert!(check_times(&short, T0 + 1_000, &cfg).is_err());
        assert!(check_times(&single(T0, None), T0, &cfg).is_err());
        assert!(check_times(&single(T0, Some(T0 - 1)), T0, &cfg).is_err());
        assert!(check_times(&s, u64::MAX, &cfg).is_err());
    }

    #[test]
    fn cert_id_hashes_are_sha1_and_sha256_only() {
        let alg = |oid, parameters| AlgorithmIdentifierRef { oid, parameters };
        assert!(cert_id_digest(&alg(OID_SHA1, None)).is_some());
        assert!(cert_id_digest(&alg(OID_SHA1, Some(AnyRef::from(Null)))).is_some());
        assert!(cert_id_digest(&alg(OID_SHA256, None)).is_some());
        assert!(cert_id_digest(&alg(OID_SHA384, None)).is_none());
        assert!(cert_id_digest(&alg(OID_SHA1, Some(AnyRef::from(&OID_SHA1)))).is_none());
    }

    #[test]
    fn nonce_rules() {
        let nonce_ext = |value: &[u8], critical| Extension {
            extn_id: OID_OCSP_NONCE,
            critical,
            extn_value: OctetString::new(value).expect("octets"),
        };
        let echoed = [nonce_ext(&[0x04, 0x02, 0xaa, 0xbb], false)];
        assert!(check_nonce(Some(&echoed), Some(&[0xaa, 0xbb])).is_ok());
        assert!(check_nonce(Some(&echoed), Some(&[0xaa, 0xbc])).is_err());
        assert!(check_nonce(Some(&echoed), None).is_ok());
        assert!(check_nonce(None, Some(&[0xaa])).is_ok());
        let twice = [echoed[0].clone(), echoed[0].clone()];
        assert!(check_nonce(Some(&twice), Some(&[0xaa, 0xbb])).is_err());
        // A raw (unwrapped) nonce is not what was sent.
        assert!(check_nonce(
            Some(&[nonce_ext(&[0xaa, 0xbb], false)]),
            Some(&[0xaa, 0xbb])
        )
        .is_err());
        assert!(check_critical_extensions(Some(&[nonce_ext(&[4, 0], true)]), true).is_ok());
        assert!(check_critical_extensions(Some(&[nonce_ext(&[4, 0], true)]), false).is_err());
    }

    #[test]
    fn responder_id_parsing() {
        // [2] { OCTET STRING (20 octets) }
        let mut by_key = vec![0xa2, 22, 0x04, 20];
        by_key.extend_from_slice(&[9u8; 20]);
        let mut reader = SliceReader::new(&by_key).expect("reader");
        assert!(
            matches!(parse_responder_id(&mut reader), Ok(ResponderId::ByKey(h)) if h == [9u8; 20])
        );
        // [1] { SEQUENCE {} }
        let by_name = [0xa1, 2, 0x30, 0];
        let mut reader = SliceReader::new(&by_name).expect("reader");
        assert!(
            matches!(parse_responder_id(&mut reader), Ok(ResponderId::ByName(n)) if n == [0x30, 0])
        );
        // [3] is not a ResponderID; [1] holding two values is malformed.
        for bad in [
            &[0xa3, 2, 0x30, 0][..],
            &[0xa1, 4, 0x30, 0, 0x30, 0],
            &[0xa1, 5, 0x30, 0],
        ] {
            let mut reader = SliceReader::new(bad).expect("reader");
            assert!(parse_responder_id(&mut reader).is_err());
        }
    }

    #[test]
    fn certs_field_is_bounded_and_strict() {
        assert_eq!(parse_response_certs(&[]).map(|c| c.len()), Ok(0));
        // [0] { SEQUENCE { five empty SEQUENCEs } }: over MAX_RESPONSE_CERTS.
        let many = [
            0xa0, 12, 0x30, 10, 0x30, 0, 0x30, 0, 0x30, 0, 0x30, 0, 0x30, 0,
        ];
        assert!(parse_response_certs(&many).is_err());
        let two = [0xa0, 6, 0x30, 4, 0x30, 0, 0x30, 0];
        assert_eq!(parse_response_certs(&two).map(|c| c.len()), Ok(2));
        assert!(parse_response_certs(&[0xa1, 2, 0x30, 0]).is_err());
        assert!(parse_response_certs(&[0xa0, 2, 0x30, 0, 0]).is_err());
    }

    #[test]
    fn oversized_inputs_are_refused() {
        let big = vec![0u8; MAX_RESPONSE_LEN + 1];
        assert!(check_response_size(&big).is_err());
        assert!(aia_ocsp_urls(&big).is_empty());
        assert!(aia_ocsp_urls(&[0x30, 0x80, 0, 0]).is_empty());
    }
}
