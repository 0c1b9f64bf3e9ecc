//! SPEC 10 "CRL": Kakunin's CRL as its service writes it — one CRL signed
//! with the root key for the whole hierarchy, no CRL extensions, each
//! entry's serial written from the database's 16 octets: with a `00` sign
//! octet before a high first octet, and sometimes non-minimally (a leading
//! `00` before an octet below `80`).
//!
//! The `der` crate (under x509-cert) refuses a non-minimal INTEGER, so a
//! CRL with such an entry does not parse as it is. [`read_entries`] walks
//! the CRL's DER once (linear, bounded by [`MAX_CRL_ENTRIES`]) and gives
//!
//! * the profile's 16 octets of every entry's serial, from its content
//!   octets exactly as written ([`super::serial::serial_octets`]), and
//! * when some entry is non-minimal, a canonical copy of the CRL with
//!   those INTEGERs written minimally, for x509-cert to read the rest
//!   (names, dates, extensions). The signature is always checked over the
//!   original `tbsCertList` bytes.
//!
//! Only the entries' INTEGERs are rewritten; every other element is copied
//! byte for byte.

use std::collections::HashSet;

use super::serial::{serial_octets, SERIAL_OCTETS};

/// Most entries read from one CRL; a CRL with more does not load.
pub const MAX_CRL_ENTRIES: usize = 1 << 20;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// Longest DER length field read (4 octets: up to 4 GiB).
const MAX_LENGTH_OCTETS: usize = 4;

/// What [`read_entries`] found in a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlEntries {
    /// The CRL with its entries' serials written minimally, when some entry
    /// was not (`None`: the CRL is DER as it is).
    pub canonical: Option<Vec<u8>>,
    /// SPEC 10: the profile's 16 octets of each entry's serial (entries
    /// longer than 17 octets, which no Kakunin encoding produces, have
    /// none and are left out).
    pub serials: HashSet<[u8; SERIAL_OCTETS]>,
}

/// One DER element: its tag, whole encoding and contents.
struct Element<'a> {
    tag: u8,
    whole: &'a [u8],
    contents: &'a [u8],
}

// X.690 8.1: one tag-length-value with a one-octet tag and a definite
// length; `None` for anything else or a length past the input.
fn next_element(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = usize::from(*input.get(1)?);
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let count = first & 0x7f;
        if count == 0 || count > MAX_LENGTH_OCTETS {
            return None;
        }
        let octets = input.get(2..2 + count)?;
        let len = octets.iter().try_fold(0usize, |acc, b| {
            acc.checked_mul(256)?.checked_add(usize::from(*b))
        })?;
        (len, 2 + count)
    };
    let end = header.checked_add(len)?;
    let whole = input.get(..end)?;
    let contents = input.get(header..end)?;
    let rest = input.get(end..)?;
    Some((
        Element {
            tag,
            whole,
            contents,
        },
        rest,
    ))
}

// X.690 8.1.3: a definite length, short form when it fits.
fn push_element(out: &mut Vec<u8>, tag: u8, contents: &[u8]) {
    out.push(tag);
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let octets = len.to_be_bytes();
        let skip = octets.iter().take_while(|b| **b == 0).count();
        let used = octets.get(skip..).unwrap_or_default();
        out.push(0x80 | used.len() as u8);
        out.extend_from_slice(used);
    }
    out.extend_from_slice(contents);
}

// X.690 8.3.2: an INTEGER's contents without redundant leading octets (a
// `00` before an octet below `80`, an `FF` before one at or above).
fn minimal_integer(mut contents: &[u8]) -> &[u8] {
    while let [first, second, ..] = contents {
        let redundant = (*first == 0x00 && *second < 0x80) || (*first == 0xff && *second >= 0x80);
        if !redundant {
            break;
        }
        contents = contents.get(1..).unwrap_or_default();
    }
    contents
}

/// SPEC 10: reads every entry's serial of a CRL (DER) as Kakunin writes it
/// and, when some serial is non-minimal, makes the canonical copy (see the
/// module). `Err` when the CRL's outline cannot be read.
///
/// ```
/// use kakunin_verify::profile::kakunin::crl::read_entries;
/// assert!(read_entries(b"not a crl").is_err());
/// ```
pub fn read_entries(der: &[u8]) -> Result<CrlEntries, &'static str> {
    const OUTLINE: &str = "the CRL's outline does not read";
    let (list, rest) = next_element(der).ok_or(OUTLINE)?;
    if list.tag != SEQUENCE || !rest.is_empty() {
        return Err(OUTLINE);
    }
    let (tbs, after_tbs) = next_element(list.contents).ok_or(OUTLINE)?;
    if tbs.tag != SEQUENCE {
        return Err(OUTLINE);
    }
    let mut serials = HashSet::new();
    let mut rewritten = false;
    let mut tbs_contents = Vec::with_capacity(tbs.contents.len());
    let mut input = tbs.contents;
    let mut seen_time = false;
    let mut entries_done = false;
    while !input.is_empty() {
        let (element, rest) = next_element(input).ok_or(OUTLINE)?;
        input = rest;
        let is_entries = element.tag == SEQUENCE && seen_time && !entries_done;
        if is_entries {
            entries_done = true;
            let (contents, changed) = read_list(element.contents, &mut serials)?;
            rewritten |= changed;
            push_element(&mut tbs_contents, SEQUENCE, &contents);
        } else {
            seen_time |= matches!(element.tag, UTC_TIME | GENERALIZED_TIME);
            tbs_contents.extend_from_slice(element.whole);
        }
    }
    let canonical = rewritten.then(|| {
        let mut inner = Vec::with_capacity(list.contents.len());
        push_element(&mut inner, SEQUENCE, &tbs_contents);
        inner.extend_from_slice(after_tbs);
        let mut out = Vec::with_capacity(der.len());
        push_element(&mut out, SEQUENCE, &inner);
        out
    });
    Ok(CrlEntries { canonical, serials })
}

// RFC 5280 5.1: revokedCertificates, each `SEQUENCE { userCertificate
// INTEGER, revocationDate Time, crlEntryExtensions OPTIONAL }`; the
// entries' contents with minimal serials, and whether any changed.
fn read_list(
    mut input: &[u8],
    serials: &mut HashSet<[u8; SERIAL_OCTETS]>,
) -> Result<(Vec<u8>, bool), &'static str> {
    const ENTRY: &str = "a CRL entry does not read";
    let mut out = Vec::with_capacity(input.len());
    let mut changed = false;
    let mut count = 0usize;
    while !input.is_empty() {
        count += 1;
        if count > MAX_CRL_ENTRIES {
            return Err("the CRL has too many entries");
        }
        let (entry, rest) = next_element(input).ok_or(ENTRY)?;
        input = rest;
        let (serial, after_serial) = next_element(entry.contents).ok_or(ENTRY)?;
        if entry.tag != SEQUENCE || serial.tag != INTEGER || serial.contents.is_empty() {
            return Err(ENTRY);
        }
        if let Some(octets) = serial_octets(serial.contents) {
            serials.insert(octets);
        }
        let minimal = minimal_integer(serial.contents);
        changed |= minimal.len() != serial.contents.len();
        let mut contents = Vec::with_capacity(entry.contents.len());
        push_element(&mut contents, INTEGER, minimal);
        contents.extend_from_slice(after_serial);
        push_element(&mut out, SEQUENCE, &contents);
    }
    Ok((out, changed))
}

/// SPEC 10: whether a CRL whose entries gave `serials` lists the
/// certificate with serial content octets `cert_serial`, compared by the
/// profile's text.
pub fn lists(serials: &HashSet<[u8; SERIAL_OCTETS]>, cert_serial: &[u8]) -> bool {
    serial_octets(cert_serial).is_some_and(|octets| serials.contains(&octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        push_element(&mut out, tag, contents);
        out
    }

    fn entry(serial: &[u8]) -> Vec<u8> {
        let mut contents = element(INTEGER, serial);
        contents.extend(element(UTC_TIME, b"260701000000Z"));
        element(SEQUENCE, &contents)
    }

    // A CRL outline (unsigned: the signature is not read here).
    fn crl(entries: &[&[u8]]) -> Vec<u8> {
        let mut tbs = element(INTEGER, &[1]);
        tbs.extend(element(SEQUENCE, &element(0x06, &[0x2a])));
        tbs.extend(element(SEQUENCE, &[]));
        tbs.extend(element(UTC_TIME, b"260701000000Z"));
        tbs.extend(element(UTC_TIME, b"260702000000Z"));
        let list: Vec<u8> = entries.iter().flat_map(|s| entry(s)).collect();
        if !entries.is_empty() {
            tbs.extend(element(SEQUENCE, &list));
        }
        let mut outer = element(SEQUENCE, &tbs);
        outer.extend(element(SEQUENCE, &element(0x06, &[0x2a])));
        outer.extend(element(0x03, &[0, 1, 2]));
        element(SEQUENCE, &outer)
    }

    // SPEC 10: the CRL writes a high first octet with a 00 sign octet and a
    // database 00 first octet non-minimally; both read as the profile's
    // 16 octets, and only the non-minimal one is rewritten.
    #[test]
    fn spec_10_entries_read_as_written_and_non_minimal_ones_rewritten() {
        let mut high = vec![0x00, 0x9c];
        high.extend([0x11; 15]);
        let mut low_nonminimal = vec![0x00, 0x12];
        low_nonminimal.extend([0x22; 14]);
        let minimal_der = crl(&[&high]);
        let read = read_entries(&minimal_der).unwrap();
        assert_eq!(read.canonical, None);
        assert!(lists(&read.serials, high.get(1..).unwrap_or_default()));

        let der = crl(&[&high, &low_nonminimal]);
        let read = read_entries(&der).unwrap();
        let canonical = read.canonical.clone().unwrap_or_default();
        assert_eq!(
            canonical,
            crl(&[&high, low_nonminimal.get(1..).unwrap_or_default()])
        );
        // The certificate's serial for the database's 00 12 … is 15 octets.
        assert!(lists(
            &read.serials,
            low_nonminimal.get(1..).unwrap_or_default()
        ));
        assert!(lists(&read.serials, &high));
        assert!(!lists(&read.serials, &[0x12; 15]));
    }

    #[test]
    fn spec_10_long_lengths_and_no_entries() {
        // Enough entries for multi-octet lengths at every level.
        let serials: Vec<Vec<u8>> = (0u8..40).map(|i| vec![0x00, 0x05, i]).collect();
        let refs: Vec<&[u8]> = serials.iter().map(Vec::as_slice).collect();
        let read = read_entries(&crl(&refs)).unwrap();
        let minimal: Vec<Vec<u8>> = (0u8..40).map(|i| vec![0x05, i]).collect();
        let minimal_refs: Vec<&[u8]> = minimal.iter().map(Vec::as_slice).collect();
        assert_eq!(read.canonical, Some(crl(&minimal_refs)));
        assert_eq!(read.serials.len(), 40);
        let read = read_entries(&crl(&[])).unwrap();
        assert_eq!((read.canonical, read.serials.len()), (None, 0));
    }

    // Hostile input: every truncation of a CRL is refused or read, never a
    // panic; lengths past the input are refused.
    #[test]
    fn truncated_and_hostile_input_never_panics() {
        let mut serial = vec![0x00, 0x12];
        serial.extend([0x33; 14]);
        let der = crl(&[&serial]);
        for end in 0..der.len() {
            assert!(
                read_entries(der.get(..end).unwrap_or_default()).is_err(),
                "{end}"
            );
        }
        for bad in [
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff][..],
            &[0x30, 0x85, 1, 0, 0, 0, 0],
            &[0x30, 0x80, 0x00, 0x00],
            &[0x3f, 0x01, 0x00],
            &[0x30, 0x00],
            &[],
        ] {
            assert!(read_entries(bad).is_err());
        }
        assert_eq!(minimal_integer(&[0x00, 0x00, 0x00]), &[0x00]);
        assert_eq!(minimal_integer(&[0xff, 0xff, 0x80]), &[0x80]);
        assert_eq!(minimal_integer(&[0x00, 0x80]), &[0x00, 0x80]);
    }
}
