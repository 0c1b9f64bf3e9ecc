//! JSON numbers: the public [`JsonNumber`] view and the exact-decimal
//! comparison behind SPEC 4.3's "every number keeps its exact decimal value
//! through JCS" (no allocation, no floats).

/// Largest exponent magnitude tracked when comparing decimals; larger
/// exponents saturate here (no finite double comes anywhere close).
const EXP_CAP: i64 = 1_000_000_000_000_000;

/// A JSON number as written in the body, with its nearest IEEE-754 double.
///
/// ```
/// use kakunin_verify::canonical::canonicalize;
/// let body = canonicalize(br#"{"size": 50000.00}"#).unwrap();
/// let size = body.get("size").and_then(|v| v.as_number()).unwrap();
/// assert_eq!(size.source_text(), "50000.00");
/// assert_eq!(size.as_f64(), 50000.0);
/// assert_eq!(body.canonical_bytes(), br#"{"size":50000}"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsonNumber<'a> {
    text: &'a str,
}

impl<'a> JsonNumber<'a> {
    /// From source text the parser accepted (finite, JSON number grammar).
    pub(super) fn from_verified(text: &'a str) -> Self {
        // The double is parsed when asked for: authorization reads amounts
        // from the text, and parsing every number looked up cost about 250
        // instructions per request.
        JsonNumber { text }
    }

    /// The number exactly as written in the body (JSON number grammar).
    ///
    /// Authorization compares amounts as exact decimals from this text, never
    /// through binary floating point (SPEC 5.3).
    pub fn source_text(&self) -> &'a str {
        self.text
    }

    /// The nearest IEEE-754 double (always finite). Under the request-body
    /// rule it has exactly the decimal value of [`source_text`](Self::source_text).
    pub fn as_f64(&self) -> f64 {
        // The parser refused the text unless this parse gave a finite value.
        self.text.parse().unwrap_or(f64::NAN)
    }

    /// Whether the number is below zero. `-0` and `-0.00` are not negative.
    pub fn is_negative(&self) -> bool {
        self.text.starts_with('-')
            && self
                .text
                .bytes()
                .take_while(|b| !matches!(b, b'e' | b'E'))
                .any(|b| matches!(b, b'1'..=b'9'))
    }

    pub(super) fn to_serde_number(self) -> Option<serde_json::Number> {
        let t = self.text;
        if !t.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            if let Ok(u) = t.parse::<u64>() {
                return Some(u.into());
            }
            if let Ok(i) = t.parse::<i64>() {
                return Some(i.into());
            }
        }
        serde_json::Number::from_f64(self.as_f64())
    }
}

/// A decimal in JSON number grammar (exponent may have `+`), split in parts.
struct Decimal<'a> {
    negative: bool,
    int: &'a [u8],
    frac: &'a [u8],
    exp: i64,
}

fn scan_decimal(t: &str) -> Option<Decimal<'_>> {
    fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
        let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
        s.split_at(n.min(s.len()))
    }
    let t = t.as_bytes();
    let (negative, rest) = match t.split_first() {
        Some((b'-', r)) => (true, r),
        _ => (false, t),
    };
    let (int, rest) = split_digits(rest);
    if int.is_empty() {
        return None;
    }
    let (frac, rest) = match rest.split_first() {
        Some((b'.', r)) => split_digits(r),
        _ => (&[][..], rest),
    };
    let exp = match rest.split_first() {
        None => 0,
        Some((b'e' | b'E', r)) => {
            let (neg, r) = match r.split_first() {
                Some((b'-', r)) => (true, r),
                Some((b'+', r)) => (false, r),
                _ => (false, r),
            };
            if r.is_empty() || !r.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let mag = r.iter().fold(0i64, |acc, d| {
                acc.saturating_mul(10)
                    .saturating_add(i64::from(d - b'0'))
                    .min(EXP_CAP)
            });
            if neg {
                -mag
            } else {
                mag
            }
        }
        Some(_) => return None,
    };
    Some(Decimal {
        negative,
        int,
        frac,
        exp,
    })
}

/// A decimal normalized to `±0.d1d2…dn × 10^point` with `d1` and `dn` non-zero.
struct Normal<'a> {
    dec: Decimal<'a>,
    lead: usize,
    len: usize,
    point: i64,
}

impl<'a> Normal<'a> {
    fn new(dec: Decimal<'a>) -> Option<Self> {
        let digits = || dec.int.iter().chain(dec.frac.iter());
        let total = dec.int.len() + dec.frac.len();
        let lead = digits().take_while(|&&d| d == b'0').count();
        if lead >= total {
            return None; // zero
        }
        let trail = digits().rev().take_while(|&&d| d == b'0').count();
        let len = total.saturating_sub(lead).saturating_sub(trail);
        let point = (dec.int.len() as i64)
            .saturating_sub(lead as i64)
            .saturating_add(dec.exp);
        Some(Normal {
            dec,
            lead,
            len,
            point,
        })
    }

    fn significant(&self) -> impl Iterator<Item = &u8> + '_ {
        self.dec
            .int
            .iter()
            .chain(self.dec.frac.iter())
            .skip(self.lead)
            .take(self.len)
    }
}

/// Whether two decimal texts have exactly the same value (`-0` equals `0`).
pub(super) fn same_decimal(a: &str, b: &str) -> bool {
    let (Some(a), Some(b)) = (scan_decimal(a), scan_decimal(b)) else {
        return false;
    };
    match (Normal::new(a), Normal::new(b)) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x.dec.negative == y.dec.negative
                && x.point == y.point
                && x.len == y.len
                && x.significant().eq(y.significant())
        }
        _ => false,
    }
}
