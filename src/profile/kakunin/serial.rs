//! SPEC 10: the profile's serial text — 32 lowercase hex digits, the form
//! Kakunin's database and endpoint use.
//!
//! Kakunin's CA writes 16 random octets as a two's-complement INTEGER: a
//! redundant first octet (`00` before an octet below `80`, `FF` before one
//! at or above) is dropped, leaving 15 content octets, and about half the
//! serials are negative. Its CRL writes the same 16 octets with a `00` sign
//! octet before a high first octet (17 content octets), and sometimes
//! non-minimally (`00` before an octet below `80`). The text is the content
//! octets sign-extended to 16, or the last 16 when there are 17; all of
//! these encodings of one database serial give one text.

/// Octets in a Kakunin serial as its database holds it.
pub const SERIAL_OCTETS: usize = 16;

/// SPEC 10: the profile's serial text of a DER INTEGER's content octets
/// (lowercase; the endpoint URL uses it upper-cased). `None` for an empty
/// INTEGER or one longer than 17 octets, which no Kakunin encoding
/// produces.
///
/// ```
/// use kakunin_verify::profile::kakunin::serial::serial_text;
/// // A negative certificate serial (16 octets, first at or above 80) and
/// // the CRL's entry for it (a 00 sign octet) have one text.
/// let mut cert = vec![0x9c; 16];
/// cert[15] = 0x01;
/// let mut crl = vec![0x00];
/// crl.extend_from_slice(&cert);
/// assert_eq!(serial_text(&cert), serial_text(&crl));
/// assert_eq!(serial_text(&cert).unwrap(), format!("{}01", "9c".repeat(15)));
/// // 15 octets: the dropped 00 comes back.
/// assert_eq!(serial_text(&[0x12; 15]).unwrap(), format!("00{}", "12".repeat(15)));
/// assert_eq!(serial_text(&[]), None);
/// ```
pub fn serial_text(content: &[u8]) -> Option<String> {
    let octets = serial_octets(content)?;
    Some(crate::hex::encode(&octets))
}

/// SPEC 10: the 16 database octets of a serial's DER content octets —
/// sign-extended when shorter, the last 16 when there are 17.
pub fn serial_octets(content: &[u8]) -> Option<[u8; SERIAL_OCTETS]> {
    let first = *content.first()?;
    let mut out = [if first >= 0x80 { 0xff } else { 0x00 }; SERIAL_OCTETS];
    let tail = match content.len() {
        n if n <= SERIAL_OCTETS => content,
        n if n == SERIAL_OCTETS + 1 => content.get(1..)?,
        _ => return None,
    };
    let start = SERIAL_OCTETS - tail.len();
    out.get_mut(start..)?.copy_from_slice(tail);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // SPEC 10: every encoding Kakunin writes of one database serial maps
    // to the same 16 octets.
    #[test]
    fn spec_10_every_encoding_of_one_serial_has_one_text() {
        let high: [u8; 16] = [0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        let mut crl_high = vec![0x00];
        crl_high.extend_from_slice(&high);
        assert_eq!(serial_octets(&high), Some(high));
        assert_eq!(serial_octets(&crl_high), Some(high));

        let low: [u8; 16] = [0x00, 0x7f, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        let cert_low = low.get(1..).unwrap_or_default();
        let mut crl_nonminimal = vec![0x00];
        crl_nonminimal.extend_from_slice(&low);
        assert_eq!(serial_octets(cert_low), Some(low));
        assert_eq!(serial_octets(&low), Some(low));
        assert_eq!(serial_octets(&crl_nonminimal), Some(low));

        // A dropped FF before a high octet comes back as FF.
        let neg: [u8; 16] = [0xff, 0x90, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        assert_eq!(serial_octets(neg.get(1..).unwrap_or_default()), Some(neg));
    }

    #[test]
    fn spec_10_lengths_outside_the_profile_have_no_text() {
        assert_eq!(serial_text(&[]), None);
        assert_eq!(serial_text(&[1u8; 18]), None);
        assert_eq!(serial_text(&[1u8; 17]).map(|t| t.len()), Some(32));
        assert_eq!(
            serial_text(&[0x05]).as_deref(),
            Some("00000000000000000000000000000005")
        );
    }
}
