//! SPEC 4.1 and 4.2: the signed request's headers and target, parsed
//! strictly before any certificate or signature work (SPEC 5.1 step 1).
//! The target's rules (SPEC 4.2) are in `target`, re-exported here as
//! [`check_target`].

use base64_simd::{AsOut, STANDARD};

use crate::ascii;
use crate::error::Error;
use crate::signature::SignatureAlgorithm;

mod target;
pub use target::check_target;

/// SPEC 4.1: a header value over 16 KiB is `malformed_request`.
pub const MAX_HEADER_VALUE_BYTES: usize = 16 * 1024;
/// SPEC 4.1: at most 4 certificates in `X-Agent-Chain`.
pub const MAX_CHAIN_CERTIFICATES: usize = 4;
/// SPEC 4.1: timestamps are 1 to 15 decimal digits.
pub const MAX_TIMESTAMP_DIGITS: usize = 15;
/// SPEC 4.1: nonces are 16 to 64 characters.
pub const MIN_NONCE_CHARS: usize = 16;
/// SPEC 4.1: nonces are 16 to 64 characters.
pub const MAX_NONCE_CHARS: usize = 64;
/// Most headers a request may carry before it is refused outright.
pub const MAX_HEADER_COUNT: usize = 256;
/// Longest request-target accepted.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

/// The header names of SPEC 4.1.
pub mod names {
    /// The leaf certificate, base64 DER.
    pub const CERTIFICATE: &str = "x-agent-certificate";
    /// Intermediates, comma-separated base64 DER.
    pub const CHAIN: &str = "x-agent-chain";
    /// The intended audience.
    pub const AUDIENCE: &str = "x-agent-audience";
    /// Unix ms.
    pub const TIMESTAMP: &str = "x-agent-timestamp";
    /// The nonce.
    pub const NONCE: &str = "x-agent-nonce";
    /// The signature, base64.
    pub const SIGNATURE: &str = "x-agent-signature";
    /// The algorithm name.
    pub const SIGNATURE_ALGORITHM: &str = "x-agent-signature-algorithm";
    /// SHA-256 of the model weights.
    pub const MODEL_SHA256: &str = "x-agent-model-sha256";
    /// SHA-256 of the system prompt.
    pub const PROMPT_SHA256: &str = "x-agent-prompt-sha256";
    /// Method overrides, always refused.
    pub const METHOD_OVERRIDES: [&str; 3] = [
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
    ];
    /// Only `identity` is accepted.
    pub const CONTENT_ENCODING: &str = "content-encoding";
    /// `application/json` (optionally `; charset=utf-8`) for a non-empty body.
    pub const CONTENT_TYPE: &str = "content-type";
}

/// How often `Content-Type` appeared, and its value when it appeared once
/// (SPEC 4.1, checked only for a non-empty body).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContentTypeHeader<'a> {
    /// No `Content-Type`.
    #[default]
    Absent,
    /// Exactly one, with its raw value.
    One(&'a [u8]),
    /// More than one.
    Repeated,
}

/// The agent headers of one request, syntax-checked (SPEC 4.1).
#[derive(Debug, Clone, Default)]
pub struct AgentHeaders<'a> {
    /// `X-Agent-Certificate` (base64), when present, as raw bytes: the
    /// header is kilobytes long and sent with every request, so its SPEC
    /// 4.1 text rule ([`header_text`]) is checked when it is decoded, not
    /// here. A certificate already cached is recognised by comparing these
    /// bytes with the header that was checked and decoded when it was
    /// cached.
    pub certificate: Option<&'a [u8]>,
    /// `X-Agent-Chain` (comma-separated base64), when present.
    pub chain: Option<&'a str>,
    /// `X-Agent-Audience`.
    pub audience: Option<&'a str>,
    /// `X-Agent-Timestamp` as sent.
    pub timestamp: Option<&'a str>,
    /// `X-Agent-Nonce`.
    pub nonce: Option<&'a str>,
    /// `X-Agent-Signature` (base64), as raw bytes that passed the SPEC 4.1
    /// text rule ([`header_bytes`]): its one use is to be decoded, and
    /// strict base64 accepts only ASCII, so it is never made a `str`.
    pub signature: Option<&'a [u8]>,
    /// `X-Agent-Signature-Algorithm`, parsed.
    pub algorithm: Option<SignatureAlgorithm>,
    /// `X-Agent-Model-Sha256`.
    pub model_sha256: Option<&'a str>,
    /// `X-Agent-Prompt-Sha256`.
    pub prompt_sha256: Option<&'a str>,
    /// `Content-Type`, as sent (SPEC 4.1: see [`check_content_type`]).
    pub content_type: ContentTypeHeader<'a>,
}

fn bad(msg: &'static str) -> Error {
    Error::MalformedRequest(msg.into())
}

/// SPEC 4.1: a header value as text: visible ASCII, spaces and tabs only
/// (`malformed_request` otherwise).
///
/// ```
/// use kakunin_verify::request::header_text;
/// assert_eq!(header_text(b"MIIB\tx y").unwrap(), "MIIB\tx y");
/// assert!(header_text(b"caf\xc3\xa9").is_err());
/// assert!(header_text(b"a\nb").is_err());
/// ```
pub fn header_text(value: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(header_bytes(value)?).map_err(|_| bad("a header value is not ASCII"))
}

/// SPEC 4.1: [`header_text`]'s rule alone, the value kept as bytes — for a
/// value only ever decoded or matched as bytes (`X-Agent-Signature`,
/// `X-Agent-Signature-Algorithm`), which then skips a second, UTF-8 pass.
///
/// ```
/// use kakunin_verify::request::header_bytes;
/// assert_eq!(header_bytes(b"MEUC+/==").unwrap(), b"MEUC+/==");
/// assert!(header_bytes(b"caf\xc3\xa9").is_err());
/// assert!(header_bytes(b"a\rb").is_err());
/// ```
pub fn header_bytes(value: &[u8]) -> Result<&[u8], Error> {
    // A branch-free fold over every byte vectorizes.
    let clean = value.iter().fold(true, |ok, &c| {
        ok & ((0x20..0x7f).contains(&c) | (c == b'\t'))
    });
    if !clean {
        return Err(bad("a header value has control or non-ASCII bytes"));
    }
    Ok(value)
}

fn set_once<'a, T: ?Sized>(slot: &mut Option<&'a T>, value: &'a T) -> Result<(), Error> {
    if slot.replace(value).is_some() {
        return Err(bad("an agent header appears more than once"));
    }
    Ok(())
}

// SPEC 4.1: timestamp is 1-15 decimal digits, no sign; read as it is
// checked, in one pass (15 digits stay below 10^15, so no overflow).
pub(crate) fn check_timestamp(v: &str) -> Result<u64, Error> {
    let refused = || bad("X-Agent-Timestamp must be 1 to 15 decimal digits");
    if v.is_empty() || v.len() > MAX_TIMESTAMP_DIGITS {
        return Err(refused());
    }
    v.bytes()
        .try_fold(0u64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
        })
        .ok_or_else(refused)
}

// SPEC 4.1: nonce is 16-64 characters of [A-Za-z0-9_-].
pub(crate) fn check_nonce(v: &str) -> Result<(), Error> {
    let ok = (MIN_NONCE_CHARS..=MAX_NONCE_CHARS).contains(&v.len())
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
    if !ok {
        return Err(bad(
            "X-Agent-Nonce must be 16 to 64 characters of [A-Za-z0-9_-]",
        ));
    }
    Ok(())
}

// SPEC 4.1: model and prompt hashes are 64 lowercase hex digits.
pub(crate) fn check_hash_header(v: &str) -> Result<(), Error> {
    crate::hex::decode_sha256_lower(v)
        .map(|_| ())
        .ok_or_else(|| bad("a model or prompt hash is not 64 lowercase hex digits"))
}

// SPEC 4.1: a Content-Encoding other than identity is refused.
fn check_content_encoding(v: &str) -> Result<(), Error> {
    if !v.trim().eq_ignore_ascii_case("identity") {
        return Err(bad("Content-Encoding other than identity"));
    }
    Ok(())
}

// SPEC 4.1 (1.1): a non-empty body is sent as JSON, said exactly once:
// media type `application/json` (case-insensitive), and no parameter but an
// optional `charset=utf-8` (case-insensitive, optional whitespace around the
// `;`). Anything else would invite an application to read the verified
// bytes as something other than the JSON that was verified.
/// SPEC 4.1: checks `Content-Type` against the body (an empty body needs none).
///
/// ```
/// use kakunin_verify::request::{check_content_type, ContentTypeHeader::*};
/// assert!(check_content_type(One(b"application/json"), b"{}").is_ok());
/// assert!(check_content_type(One(b"Application/JSON; charset=UTF-8"), b"{}").is_ok());
/// assert!(check_content_type(One(b"application/jsonp"), b"{}").is_err());
/// assert!(check_content_type(One(b"application/json;"), b"{}").is_err());
/// assert!(check_content_type(One(b"application/x-www-form-urlencoded"), b"{}").is_err());
/// assert!(check_content_type(Absent, b"{}").is_err());
/// assert!(check_content_type(Absent, b"").is_ok());
/// ```
pub fn check_content_type(header: ContentTypeHeader<'_>, body: &[u8]) -> Result<(), Error> {
    if body.is_empty() {
        return Ok(());
    }
    let value = match header {
        ContentTypeHeader::One(v) => v,
        ContentTypeHeader::Absent => return Err(bad("a non-empty body needs a Content-Type")),
        ContentTypeHeader::Repeated => return Err(bad("Content-Type appears more than once")),
    };
    // The form nearly every client sends, settled by one comparison.
    if value == JSON_MEDIA_TYPE.as_bytes() {
        return Ok(());
    }
    let value = header_text(value)?;
    if is_json_media_type(value) {
        Ok(())
    } else {
        Err(bad(
            "Content-Type must be application/json (optionally with charset=utf-8)",
        ))
    }
}

/// The one media type SPEC 4.1 accepts for a body.
const JSON_MEDIA_TYPE: &str = "application/json";

fn trim_ows(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

// SPEC 4.1: `application/json` alone, or followed by exactly one
// `charset=utf-8`; no quoted value, no whitespace around `=`, no empty or
// repeated parameter.
fn is_json_media_type(value: &str) -> bool {
    let mut parts = ascii::split(value, b';');
    let media = parts.next().map(trim_ows).unwrap_or("");
    if !media.eq_ignore_ascii_case(JSON_MEDIA_TYPE) {
        return false;
    }
    match (parts.next(), parts.next()) {
        (None, _) => true,
        (Some(param), None) => trim_ows(param).eq_ignore_ascii_case("charset=utf-8"),
        (Some(_), Some(_)) => false,
    }
}

/// SPEC 4.1: strict base64 (RFC 4648 section 4, padded, canonical, no whitespace).
///
/// base64-simd's `STANDARD` is exactly that rule: the length a multiple of
/// 4, at most two `=` and only at the end, and the bits a final quantum
/// leaves over zero (its `Pad` mode, not the forgiving one). It is used
/// rather than the `base64` crate because it decodes RSA's 344-character
/// signature in under a quarter of the instructions (632 against 2 679
/// under callgrind; AVX2/SSSE3 detected at run time, with a scalar
/// fallback). `tests/base64_strict.rs` compares the two decoders.
pub fn decode_base64(v: impl AsRef<[u8]>) -> Result<Vec<u8>, Error> {
    STANDARD.decode_to_vec(v).map_err(|_| not_canonical())
}

fn not_canonical() -> Error {
    bad("base64 is not canonical padded RFC 4648")
}

/// Base64 decoded by [`decode_base64_into`]: in the caller's buffer, or on
/// the heap when it did not fit there.
#[derive(Debug)]
pub enum Decoded<'b> {
    /// The decoded bytes, in the caller's buffer.
    InBuffer(&'b [u8]),
    /// The decoded bytes, longer than the caller's buffer.
    Heap(Vec<u8>),
}

impl Decoded<'_> {
    /// The decoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Decoded::InBuffer(b) => b,
            Decoded::Heap(v) => v,
        }
    }
}

/// SPEC 4.1: strict base64 as [`decode_base64`], decoded into `buffer` (no
/// allocation) when it fits there, else onto the heap. Same errors.
///
/// ```
/// use kakunin_verify::request::decode_base64_into;
/// let mut buf = [0u8; 4];
/// assert_eq!(decode_base64_into("AAEC", &mut buf).unwrap().as_bytes(), [0, 1, 2]);
/// assert_eq!(decode_base64_into("AAECAwQF", &mut buf).unwrap().as_bytes(), [0, 1, 2, 3, 4, 5]);
/// assert!(decode_base64_into("AAF=", &mut buf).is_err());
/// ```
pub fn decode_base64_into<'b>(
    v: impl AsRef<[u8]>,
    buffer: &'b mut [u8],
) -> Result<Decoded<'b>, Error> {
    let v = v.as_ref();
    // The exact decoded length (or an error for a length or padding the
    // rule forbids); `decode` is given a slice of exactly that length, as it
    // asserts.
    let len = STANDARD.decoded_length(v).map_err(|_| not_canonical())?;
    match buffer.get_mut(..len) {
        Some(out) => STANDARD
            .decode(v, out.as_out())
            // `decode` hands back the slice mutably; the result is read-only.
            .map(|decoded| Decoded::InBuffer(decoded))
            .map_err(|_| not_canonical()),
        None => decode_base64(v).map(Decoded::Heap),
    }
}

/// SPEC 4.1: decodes `X-Agent-Chain` into at most 4 DER certificates.
pub fn decode_chain(v: &str) -> Result<Vec<Vec<u8>>, Error> {
    let mut out = Vec::new();
    for element in v.split(',') {
        let element = element.trim_matches(' ');
        if element.is_empty() {
            return Err(bad("an empty element in X-Agent-Chain"));
        }
        if out.len() == MAX_CHAIN_CERTIFICATES {
            return Err(bad("more than 4 certificates in X-Agent-Chain"));
        }
        out.push(decode_base64(element)?);
    }
    Ok(out)
}

/// The headers SPEC 4.1 gives a meaning to, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Certificate,
    Chain,
    Audience,
    Timestamp,
    Nonce,
    Signature,
    SignatureAlgorithm,
    ModelSha256,
    PromptSha256,
    MethodOverride,
    ContentEncoding,
    ContentType,
}

/// The longest name [`Known::of`] knows (`x-agent-signature-algorithm`).
const LONGEST_KNOWN_NAME: usize = names::SIGNATURE_ALGORITHM.len();

impl Known {
    /// SPEC 4.1: which header `name` is, names compared without case. The
    /// name is folded to lower case once, into a stack buffer, then matched
    /// by length and bytes, instead of one case-insensitive comparison per
    /// known name; a longer name is none of them.
    fn of(name: &str) -> Option<Known> {
        const CERTIFICATE: &[u8] = names::CERTIFICATE.as_bytes();
        const CHAIN: &[u8] = names::CHAIN.as_bytes();
        const AUDIENCE: &[u8] = names::AUDIENCE.as_bytes();
        const TIMESTAMP: &[u8] = names::TIMESTAMP.as_bytes();
        const NONCE: &[u8] = names::NONCE.as_bytes();
        const SIGNATURE: &[u8] = names::SIGNATURE.as_bytes();
        const SIGNATURE_ALGORITHM: &[u8] = names::SIGNATURE_ALGORITHM.as_bytes();
        const MODEL_SHA256: &[u8] = names::MODEL_SHA256.as_bytes();
        const PROMPT_SHA256: &[u8] = names::PROMPT_SHA256.as_bytes();
        const OVERRIDE_0: &[u8] = names::METHOD_OVERRIDES[0].as_bytes();
        const OVERRIDE_1: &[u8] = names::METHOD_OVERRIDES[1].as_bytes();
        const OVERRIDE_2: &[u8] = names::METHOD_OVERRIDES[2].as_bytes();
        const CONTENT_ENCODING: &[u8] = names::CONTENT_ENCODING.as_bytes();
        const CONTENT_TYPE: &[u8] = names::CONTENT_TYPE.as_bytes();
        let mut buf = [0u8; LONGEST_KNOWN_NAME];
        let folded = buf.get_mut(..name.len())?;
        for (to, from) in folded.iter_mut().zip(name.as_bytes()) {
            *to = from.to_ascii_lowercase();
        }
        Some(match &*folded {
            CERTIFICATE => Known::Certificate,
            CHAIN => Known::Chain,
            AUDIENCE => Known::Audience,
            TIMESTAMP => Known::Timestamp,
            NONCE => Known::Nonce,
            SIGNATURE => Known::Signature,
            SIGNATURE_ALGORITHM => Known::SignatureAlgorithm,
            MODEL_SHA256 => Known::ModelSha256,
            PROMPT_SHA256 => Known::PromptSha256,
            OVERRIDE_0 | OVERRIDE_1 | OVERRIDE_2 => Known::MethodOverride,
            CONTENT_ENCODING => Known::ContentEncoding,
            CONTENT_TYPE => Known::ContentType,
            _ => return None,
        })
    }
}

impl<'a> AgentHeaders<'a> {
    /// SPEC 4.1: reads the headers (names case-insensitive, each agent header
    /// at most once), refusing method overrides, non-identity
    /// `Content-Encoding`, oversized values and malformed agent headers.
    pub fn parse<I>(headers: I) -> Result<AgentHeaders<'a>, Error>
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let mut h = AgentHeaders::default();
        let mut content_encoding: Option<&str> = None;
        // Kept as bytes: only ever matched against the SPEC 4.1 names.
        let mut algorithm: Option<&[u8]> = None;
        for (count, (name, value)) in headers.into_iter().enumerate() {
            if count >= MAX_HEADER_COUNT {
                return Err(bad("too many headers"));
            }
            if value.len() > MAX_HEADER_VALUE_BYTES {
                return Err(bad("a header value is over 16 KiB"));
            }
            let slot = match Known::of(name) {
                Some(Known::Certificate) => {
                    // Checked as text when decoded (see the field).
                    set_once(&mut h.certificate, value)?;
                    continue;
                }
                Some(Known::Chain) => &mut h.chain,
                Some(Known::Audience) => &mut h.audience,
                Some(Known::Timestamp) => &mut h.timestamp,
                Some(Known::Nonce) => &mut h.nonce,
                Some(Known::Signature) => {
                    set_once(&mut h.signature, header_bytes(value)?)?;
                    continue;
                }
                Some(Known::SignatureAlgorithm) => {
                    set_once(&mut algorithm, header_bytes(value)?)?;
                    continue;
                }
                Some(Known::ModelSha256) => &mut h.model_sha256,
                Some(Known::PromptSha256) => &mut h.prompt_sha256,
                Some(Known::MethodOverride) => {
                    return Err(bad(
                        "method-override headers are refused: the method is signed",
                    ));
                }
                Some(Known::ContentEncoding) => &mut content_encoding,
                Some(Known::ContentType) => {
                    h.content_type = match h.content_type {
                        ContentTypeHeader::Absent => ContentTypeHeader::One(value),
                        _ => ContentTypeHeader::Repeated,
                    };
                    continue;
                }
                None => continue,
            };
            set_once(slot, header_text(value)?)?;
        }
        if let Some(v) = content_encoding {
            check_content_encoding(v)?;
        }
        if let Some(v) = algorithm {
            h.algorithm = Some(
                SignatureAlgorithm::from_name(v)
                    .ok_or_else(|| bad("unknown X-Agent-Signature-Algorithm"))?,
            );
        }
        if let Some(v) = h.nonce {
            check_nonce(v)?;
        }
        if let Some(v) = h.timestamp {
            check_timestamp(v)?;
        }
        if let Some(v) = h.model_sha256 {
            check_hash_header(v)?;
        }
        if let Some(v) = h.prompt_sha256 {
            check_hash_header(v)?;
        }
        Ok(h)
    }

    /// The timestamp in Unix ms (`malformed_request` when missing).
    pub fn timestamp_ms(&self) -> Result<u64, Error> {
        check_timestamp(
            self.timestamp
                .ok_or_else(|| bad("X-Agent-Timestamp is missing"))?,
        )
    }
}

#[cfg(test)]
mod tests;
