//! Parsing the signed envelopes of an OCSP answer (RFC 6960 4.2.1, RFC 5280 4.1), bounded and strict.

use super::*;

// ---------------------------------------------------------------------------
// Envelope parsing
// ---------------------------------------------------------------------------

// SPEC 7.1: the answer's size is bounded.
pub(super) fn check_response_size(der: &[u8]) -> Result<(), Unavailable> {
    if der.len() > MAX_RESPONSE_LEN {
        return Err(Unavailable::new("OCSP: response too large"));
    }
    Ok(())
}

// Bounded input for certificate parsing.
pub(super) fn bounded_cert(der: &[u8]) -> Result<&[u8], Unavailable> {
    if der.len() > MAX_CERT_LEN {
        return Err(Unavailable::new("OCSP: certificate too large"));
    }
    Ok(der)
}

// RFC 6960 4.2.1: responseStatus successful, responseType id-pkix-ocsp-basic;
// returns the BasicOCSPResponse DER. `from_der` refuses trailing bytes.
pub(super) fn unwrap_basic(response_der: &[u8]) -> Result<&[u8], Unavailable> {
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
pub(super) fn sequence_body(der: &[u8]) -> der::Result<&[u8]> {
    let any = AnyRef::from_der(der)?;
    any.tag().assert_eq(Tag::Sequence)?;
    Ok(any.value())
}

// RFC 6960 4.2.1 BasicOCSPResponse / RFC 5280 4.1 Certificate: SEQUENCE
// { tbs, signatureAlgorithm, signature BIT STRING, ... }, with the signed part
// kept as the received TLV bytes.
pub(super) fn parse_signed(der: &[u8]) -> der::Result<Signed<'_>> {
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
pub(super) fn parse_response_certs(rest: &[u8]) -> Result<Vec<&[u8]>, Unavailable> {
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
pub(super) fn context_tag(number: u32, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: TagNumber(number),
    }
}

// RFC 6960 4.2.1 ResponseData, parsed from the signed bytes.
pub(super) fn parse_response_data(tbs: &[u8]) -> Result<ResponseData<'_>, Unavailable> {
    let data = parse_response_data_der(tbs)
        .map_err(|_| Unavailable::new("OCSP: malformed ResponseData"))?;
    if data.responses.len() > MAX_SINGLE_RESPONSES {
        return Err(Unavailable::new("OCSP: too many SingleResponses"));
    }
    Ok(data)
}

// RFC 6960 4.2.1: version [0] DEFAULT v1, responderID, producedAt,
// responses, responseExtensions [1]; nothing else.
pub(super) fn parse_response_data_der(tbs: &[u8]) -> der::Result<ResponseData<'_>> {
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
pub(super) fn parse_responder_id<'a>(reader: &mut SliceReader<'a>) -> der::Result<ResponderId<'a>> {
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
pub(super) fn raw_subject(tbs: &[u8]) -> der::Result<&[u8]> {
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
pub(super) fn parse_issuer(der: &[u8]) -> Result<Issuer<'_>, Unavailable> {
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
