//! Exact decimal amounts (SPEC 3 `Amount`, SPEC 5.3 size comparison).
//!
//! A value is `mantissa × 10^exponent`, held exactly as decimal digits: a
//! trade size from a request body is compared against a certificate's
//! `maxTransaction` without ever passing through binary floating point, so
//! `50000.01` is above `50000` and `4.5e4` equals `45000`.

use std::cmp::Ordering;
use std::fmt;

/// Most significant digits a decimal may carry. A JSON number that survives
/// RFC 8785 has at most 17 significant digits and an `Amount` mantissa at
/// most 39 (`u128`); this bound only keeps hostile text cheap.
pub const MAX_DECIMAL_DIGITS: usize = 64;

/// Largest decimal exponent magnitude accepted from text.
pub const MAX_DECIMAL_EXPONENT: i64 = 10_000;

/// A non-negative exact decimal: `digits × 10^exponent`, normalized so the
/// digits have no leading or trailing zeros (zero has no digits).
///
/// The digits are held inline (at most [`MAX_DECIMAL_DIGITS`]): parsing,
/// comparing, adding and subtracting never allocate.
///
/// ```
/// use kakunin_verify::decimal::Decimal;
/// let limit = Decimal::from_parts(50_000, 0);
/// assert!(Decimal::parse_json_number("4.5e4").unwrap() < limit);
/// assert!(Decimal::parse_json_number("50000.00").unwrap() == limit);
/// assert!(Decimal::parse_json_number("50000.01").unwrap() > limit);
/// assert_eq!(Decimal::from_parts(25, -1).to_string(), "2.5");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// ASCII digits, no leading or trailing zero; empty for zero.
    digits: Digits,
    /// Power of ten applied to `digits`.
    exponent: i64,
}

/// At most [`MAX_DECIMAL_DIGITS`] ASCII digits, inline. Equality, hashing
/// and `Debug` see only the digits in use.
#[derive(Clone)]
struct Digits {
    buf: [u8; MAX_DECIMAL_DIGITS],
    len: usize,
}

impl Digits {
    const EMPTY: Digits = Digits {
        buf: [0; MAX_DECIMAL_DIGITS],
        len: 0,
    };

    fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl PartialEq for Digits {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Digits {}

impl std::hash::Hash for Digits {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

/// Collects the significant digits of a stream of digits: leading zeros
/// are dropped, zeros after a significant digit are held back (counted)
/// until another significant digit follows, so whatever their number only
/// the significant digits take room.
struct DigitSink {
    digits: Digits,
    held_zeros: usize,
    /// More than [`MAX_DECIMAL_DIGITS`] significant digits came.
    overflow: bool,
}

impl DigitSink {
    fn new() -> Self {
        DigitSink {
            digits: Digits::EMPTY,
            held_zeros: 0,
            overflow: false,
        }
    }

    fn push(&mut self, d: u8) {
        if d == b'0' {
            if !self.digits.is_empty() {
                self.held_zeros = self.held_zeros.saturating_add(1);
            }
            return;
        }
        let len = self.digits.len;
        let end = len.saturating_add(self.held_zeros).saturating_add(1);
        match self.digits.buf.get_mut(len..end) {
            Some([zeros @ .., last]) => {
                zeros.fill(b'0');
                *last = d;
                self.digits.len = end;
                self.held_zeros = 0;
            }
            _ => self.overflow = true,
        }
    }

    /// The normalized decimal `digits pushed × 10^exponent`; `None` past
    /// [`MAX_DECIMAL_DIGITS`] significant digits.
    fn finish(self, exponent: i64) -> Option<Decimal> {
        if self.overflow {
            return None;
        }
        if self.digits.is_empty() {
            return Some(Decimal::zero());
        }
        let trailing = i64::try_from(self.held_zeros).unwrap_or(i64::MAX);
        Some(Decimal {
            digits: self.digits,
            exponent: exponent.saturating_add(trailing),
        })
    }
}

impl Decimal {
    /// Zero.
    pub fn zero() -> Self {
        Decimal {
            digits: Digits::EMPTY,
            exponent: 0,
        }
    }

    /// `mantissa × 10^exponent`.
    pub fn from_parts(mantissa: u128, exponent: i32) -> Self {
        // u128::MAX has 39 digits; written most significant first.
        let mut rev = [0u8; 39];
        let mut n = 0;
        let mut m = mantissa;
        while m > 0 {
            if let Some(slot) = rev.get_mut(n) {
                *slot = b'0' + (m % 10) as u8;
            }
            m /= 10;
            n += 1;
        }
        let mut sink = DigitSink::new();
        for &d in rev.get(..n).unwrap_or_default().iter().rev() {
            sink.push(d);
        }
        // At most 39 digits: never past the limit.
        sink.finish(i64::from(exponent))
            .unwrap_or_else(Decimal::zero)
    }

    /// The normalized decimal `digits × 10^exponent` (any leading and
    /// trailing zeros); `None` past [`MAX_DECIMAL_DIGITS`] significant digits.
    fn normalize(digits: &[u8], exponent: i64) -> Option<Self> {
        let mut sink = DigitSink::new();
        for &d in digits {
            sink.push(d);
        }
        sink.finish(exponent)
    }

    /// Parses a non-negative JSON number text (RFC 8259 grammar) exactly.
    /// Returns `None` for a negative number, bad grammar or absurd sizes.
    pub fn parse_json_number(text: &str) -> Option<Decimal> {
        let b = text.as_bytes();
        let mut i = 0;
        if b.first() == Some(&b'-') {
            // SPEC 5.3: a size must be >= 0; "-0" is zero.
            let rest = Decimal::parse_json_number(text.get(1..)?)?;
            return rest.is_zero().then_some(rest);
        }
        let mut sink = DigitSink::new();
        let int_start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            sink.push(*c);
            i += 1;
        }
        let int_len = i - int_start;
        if int_len == 0 || (int_len > 1 && b.get(int_start) == Some(&b'0')) {
            return None;
        }
        let mut exponent: i64 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let frac_start = i;
            while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                sink.push(*c);
                i += 1;
            }
            if i == frac_start {
                return None;
            }
            exponent = -i64::try_from(i - frac_start).ok()?;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            let negative = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let exp_start = i;
            let mut e: i64 = 0;
            while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                e = e.saturating_mul(10).saturating_add(i64::from(c - b'0'));
                i += 1;
            }
            if i == exp_start || e > MAX_DECIMAL_EXPONENT {
                return None;
            }
            exponent += if negative { -e } else { e };
        }
        if i != b.len() {
            return None;
        }
        sink.finish(exponent)
    }

    /// Parses exactly the text [`Display`](fmt::Display) writes (the plain
    /// form, e.g. `"0.3"`, `"45000"`, `"0"`): what a shared store keeps a
    /// total as. Anything else — an exponent, a sign, a leading `+`, leading
    /// or trailing zeros that `Display` would not write — is `None`, so a
    /// stored value that was tampered with or truncated is refused rather than
    /// read loosely. `Display` then `parse_plain` gives back every value.
    ///
    /// ```
    /// use kakunin_verify::decimal::Decimal;
    /// let total = Decimal::from_parts(1, -1)
    ///     .checked_add(&Decimal::from_parts(2, -1))
    ///     .unwrap();
    /// assert_eq!(total.to_string(), "0.3");
    /// assert_eq!(Decimal::parse_plain("0.3"), Some(total));
    /// assert_eq!(Decimal::parse_plain("3e-1"), None);
    /// assert_eq!(Decimal::parse_plain("0.30"), None);
    /// ```
    pub fn parse_plain(text: &str) -> Option<Decimal> {
        // Only ASCII digits and at most one point: no exponent, no sign.
        if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        let value = Decimal::parse_json_number(text)?;
        // Canonical: the one text Display writes for this value.
        (value.to_string() == text).then_some(value)
    }

    /// `self + other`, exact; `None` when the sum would need more than
    /// [`MAX_DECIMAL_DIGITS`] significant digits (never rounded).
    ///
    /// ```
    /// use kakunin_verify::decimal::Decimal;
    /// let d = |s| Decimal::parse_json_number(s).unwrap();
    /// assert_eq!(d("0.1").checked_add(&d("0.2")), Some(d("0.3")));
    /// assert_eq!(d("1e300").checked_add(&d("1e-20")), None); // 321 digits
    /// ```
    pub fn checked_add(&self, other: &Decimal) -> Option<Decimal> {
        if self.is_zero() {
            return Some(other.clone());
        }
        if other.is_zero() {
            return Some(self.clone());
        }
        let (low, width) = aligned_width(self, other)?;
        let a = self.aligned(low, width)?;
        let b = other.aligned(low, width)?;
        // One more position in front for the carry.
        let mut sum = [b'0'; ALIGNED + 1];
        let mut carry = 0u8;
        for ((s, x), y) in sum
            .get_mut(1..=width)?
            .iter_mut()
            .zip(a.get(..width)?)
            .zip(b.get(..width)?)
            .rev()
        {
            let t = (x - b'0') + (y - b'0') + carry;
            *s = b'0' + t % 10;
            carry = t / 10;
        }
        if let Some(first) = sum.first_mut() {
            *first = b'0' + carry;
        }
        Decimal::normalize(sum.get(..=width)?, low)
    }

    /// `self − other`, exact; `None` when `other > self` (a decimal is never
    /// negative) or the difference would need more than
    /// [`MAX_DECIMAL_DIGITS`] significant digits.
    ///
    /// ```
    /// use kakunin_verify::decimal::Decimal;
    /// let d = |s| Decimal::parse_json_number(s).unwrap();
    /// assert_eq!(d("0.3").checked_sub(&d("0.1")), Some(d("0.2")));
    /// assert_eq!(d("0.1").checked_sub(&d("0.3")), None);
    /// ```
    pub fn checked_sub(&self, other: &Decimal) -> Option<Decimal> {
        if *other > *self {
            return None;
        }
        if other.is_zero() {
            return Some(self.clone());
        }
        let (low, width) = aligned_width(self, other)?;
        let a = self.aligned(low, width)?;
        let b = other.aligned(low, width)?;
        let mut diff = [b'0'; ALIGNED];
        let mut borrow = 0u8;
        for ((s, x), y) in diff
            .get_mut(..width)?
            .iter_mut()
            .zip(a.get(..width)?)
            .zip(b.get(..width)?)
            .rev()
        {
            let take = (y - b'0') + borrow;
            let have = x - b'0';
            if have >= take {
                *s = b'0' + (have - take);
                borrow = 0;
            } else {
                *s = b'0' + (have + 10 - take);
                borrow = 1;
            }
        }
        // `other <= self`, so nothing is left to borrow.
        if borrow != 0 {
            return None;
        }
        Decimal::normalize(diff.get(..width)?, low)
    }

    /// The digits written out over `width` positions whose lowest has the
    /// power `low` (`low <= self.exponent`, `magnitude <= low + width`),
    /// in the first `width` bytes.
    fn aligned(&self, low: i64, width: usize) -> Option<[u8; ALIGNED]> {
        let trailing = usize::try_from(self.exponent.checked_sub(low)?).ok()?;
        let digits = self.digits.as_slice();
        let leading = width.checked_sub(trailing)?.checked_sub(digits.len())?;
        let mut out = [b'0'; ALIGNED];
        out.get_mut(leading..leading + digits.len())?
            .copy_from_slice(digits);
        Some(out)
    }

    /// `true` for zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Position of the most significant digit: `digits.len() + exponent`.
    fn magnitude(&self) -> i64 {
        i64::try_from(self.digits.len())
            .unwrap_or(i64::MAX)
            .saturating_add(self.exponent)
    }
}

/// Positions two aligned operands may span (see [`aligned_width`]).
const ALIGNED: usize = MAX_DECIMAL_DIGITS + 1;

// The common lowest power and the number of positions two non-zero decimals
// span. A span wider than the digit limit (plus one position a carry or
// borrow can add or remove) cannot give a result within the limit: the
// lowest non-zero digit of the lower operand stays non-zero in the result,
// and the result's highest digit is at most one position below the higher
// operand's. Refusing it first keeps hostile exponents cheap.
fn aligned_width(a: &Decimal, b: &Decimal) -> Option<(i64, usize)> {
    let low = a.exponent.min(b.exponent);
    let high = a.magnitude().max(b.magnitude());
    let width = usize::try_from(high.checked_sub(low)?).ok()?;
    (width <= ALIGNED).then_some((low, width))
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        // Both normalized and non-zero: the higher leading position wins,
        // then the digit strings compare lexicographically (a missing digit
        // is a trailing zero).
        self.magnitude()
            .cmp(&other.magnitude())
            .then_with(|| self.digits.as_slice().cmp(other.digits.as_slice()))
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Decimal {
    /// The shortest plain decimal string (SPEC 9: `"2.5"`, `"50000"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let digits = std::str::from_utf8(self.digits.as_slice()).map_err(|_| fmt::Error)?;
        if self.exponent >= 0 {
            f.write_str(digits)?;
            for _ in 0..self.exponent {
                f.write_str("0")?;
            }
            return Ok(());
        }
        let frac = usize::try_from(-self.exponent).map_err(|_| fmt::Error)?;
        if frac >= digits.len() {
            f.write_str("0.")?;
            for _ in 0..(frac - digits.len()) {
                f.write_str("0")?;
            }
            f.write_str(digits)
        } else {
            let (int, rest) = digits.split_at(digits.len() - frac);
            write!(f, "{int}.{rest}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse_json_number(s).unwrap()
    }

    #[test]
    fn compares_exactly_from_text() {
        let limit = Decimal::from_parts(50_000, 0);
        assert_eq!(d("4.5e4"), Decimal::from_parts(45_000, 0));
        assert_eq!(d("50000.00"), limit);
        assert!(d("50000.01") > limit);
        assert!(d("49999.999999999") < limit);
        assert_eq!(d("5E+4"), limit);
        assert_eq!(d("0.5e5"), limit);
        assert!(d("0") < d("0.0000001"));
        assert_eq!(d("-0"), Decimal::zero());
        assert!(d("1e-7") < d("1e-6"));
        assert!(d("123") > d("99.9999"));
        assert!(d("100") > d("99"));
        assert!(d("10.5") < d("10.51"));
    }

    #[test]
    fn rejects_negative_and_bad_grammar() {
        for bad in [
            "-1", "-0.5", "01", "1.", ".5", "+1", "1e", "1e+", "", "abc", "1e99999", "1.5x",
        ] {
            assert!(Decimal::parse_json_number(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_significant_digits_count_towards_the_limit() {
        // Any number of leading and trailing zeros: held inline as one digit.
        let zeros = "0".repeat(5_000);
        assert_eq!(d(&format!("1{zeros}")), Decimal::from_parts(1, 5_000));
        assert_eq!(d(&format!("0.{zeros}1")), Decimal::from_parts(1, -5_001));
        assert_eq!(d(&format!("0.{zeros}")), Decimal::zero());
        assert_eq!(d(&format!("{}e-2", "7".repeat(64))).to_string().len(), 65);
        // Zeros between significant digits do count.
        let inner = "0".repeat(MAX_DECIMAL_DIGITS - 2);
        assert!(Decimal::parse_json_number(&format!("1{inner}1")).is_some());
        assert!(Decimal::parse_json_number(&format!("1{inner}01")).is_none());
        assert!(Decimal::parse_json_number(&format!("1.{inner}01{zeros}")).is_none());
        assert!(Decimal::parse_json_number(&"9".repeat(MAX_DECIMAL_DIGITS + 1)).is_none());
        // Equal values compare and hash equal however they were built.
        let set: std::collections::HashSet<Decimal> =
            [d("1.50"), Decimal::from_parts(15, -1), d("15e-1")]
                .into_iter()
                .collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn displays_shortest_plain_form() {
        assert_eq!(Decimal::from_parts(25, -1).to_string(), "2.5");
        assert_eq!(Decimal::from_parts(50_000, 0).to_string(), "50000");
        assert_eq!(Decimal::from_parts(5, 4).to_string(), "50000");
        assert_eq!(Decimal::from_parts(500, -2).to_string(), "5");
        assert_eq!(Decimal::from_parts(5, -3).to_string(), "0.005");
        assert_eq!(Decimal::from_parts(0, 7).to_string(), "0");
        assert_eq!(Decimal::from_parts(1234, -2).to_string(), "12.34");
    }

    #[test]
    fn adds_and_subtracts_exactly() {
        assert_eq!(d("0.1").checked_add(&d("0.2")), Some(d("0.3")));
        assert_eq!(d("0.3").checked_sub(&d("0.1")), Some(d("0.2")));
        assert_eq!(d("0.3").checked_sub(&d("0.2")), Some(d("0.1")));
        assert_eq!(d("45000").checked_add(&d("45000")), Some(d("90000")));
        assert_eq!(d("99.99").checked_add(&d("0.01")), Some(d("100")));
        assert_eq!(d("999").checked_add(&d("1")), Some(d("1000")));
        assert_eq!(d("1000").checked_sub(&d("1")), Some(d("999")));
        assert_eq!(d("1000").checked_sub(&d("0.001")), Some(d("999.999")));
        assert_eq!(d("1e5").checked_add(&d("2.5e-3")), Some(d("100000.0025")));
        assert_eq!(d("5").checked_sub(&d("5")), Some(Decimal::zero()));
        assert_eq!(d("0").checked_add(&d("0")), Some(Decimal::zero()));
        assert_eq!(d("0").checked_add(&d("7e-3")), Some(d("0.007")));
        assert_eq!(d("7e-3").checked_sub(&d("0")), Some(d("0.007")));
        // Adding then taking back gives the start again.
        let start = d("123456.789");
        let size = d("0.000000001");
        let added = start.checked_add(&size).unwrap();
        assert_eq!(added.to_string(), "123456.789000001");
        assert_eq!(added.checked_sub(&size), Some(start));
    }

    #[test]
    fn never_negative() {
        assert_eq!(d("0.1").checked_sub(&d("0.3")), None);
        assert_eq!(d("0").checked_sub(&d("1e-18")), None);
        assert_eq!(d("99.9999").checked_sub(&d("100")), None);
    }

    #[test]
    fn refuses_results_beyond_the_digit_limit() {
        // 1e300 + 1e-20 needs 321 significant digits: refused, not rounded.
        assert_eq!(d("1e300").checked_add(&d("1e-20")), None);
        assert_eq!(d("1e300").checked_sub(&d("1e-20")), None);
        // Exactly MAX_DECIMAL_DIGITS digits is fine; one more is not.
        let top = Decimal::from_parts(1, 63);
        let one = Decimal::from_parts(1, 0);
        let sum = top.checked_add(&one).unwrap();
        assert_eq!(sum.to_string().len(), MAX_DECIMAL_DIGITS);
        assert_eq!(Decimal::from_parts(1, 64).checked_add(&one), None);
        // A carry to a 65th position: refused when the digits stay, fine
        // when they normalize away (99…9 + 1 = 1e64).
        let nines = d(&"9".repeat(MAX_DECIMAL_DIGITS));
        assert_eq!(nines.checked_add(&d("2")), None);
        assert_eq!(nines.checked_add(&one), Some(Decimal::from_parts(1, 64)));
        // A borrow that removes a digit brings a 65-position span back in.
        let big = Decimal::from_parts(1, 64);
        assert_eq!(big.checked_sub(&one).map(|r| r.digits.len()), Some(64));
        // Same huge exponent: exact and cheap.
        assert_eq!(d("1e300").checked_add(&d("1e300")), Some(d("2e300")));
        assert_eq!(d("3e-300").checked_sub(&d("1e-300")), Some(d("2e-300")));
        assert_eq!(
            d("1e10000").checked_add(&d("1e-10000")),
            None,
            "hostile exponents cost nothing"
        );
    }

    #[test]
    fn display_parses_back_for_every_value() {
        let values = [
            Decimal::zero(),
            d("0.3"),
            d("45000"),
            d("1e300"),
            d("1e-20"),
            d("1.5e-300"),
            d("123456789012345678901234567890e20"),
            d(&"9".repeat(MAX_DECIMAL_DIGITS)),
            Decimal::from_parts(u128::MAX, -18),
            Decimal::from_parts(u128::MAX, 18),
            Decimal::from_parts(1, -18),
            d("1e10000"),
            d("1e-10000"),
        ];
        for v in values {
            let text = v.to_string();
            assert_eq!(Decimal::parse_plain(&text).as_ref(), Some(&v), "{text}");
            assert_eq!(
                Decimal::parse_json_number(&text).as_ref(),
                Some(&v),
                "{text}"
            );
        }
        assert_eq!(d("1e-20").to_string(), format!("0.{}1", "0".repeat(19)));
        assert_eq!(d("1e300").to_string(), format!("1{}", "0".repeat(300)));
    }

    #[test]
    fn parse_plain_takes_only_the_display_form() {
        for bad in [
            "", "1e3", "1E3", "-1", "+1", "-0", "01", "0.10", "1.", ".1", "1.0", "00", "0.0", " 1",
            "1 ", "1..2", "abc",
        ] {
            assert_eq!(Decimal::parse_plain(bad), None, "{bad:?}");
        }
        assert_eq!(Decimal::parse_plain("0"), Some(Decimal::zero()));
        assert_eq!(Decimal::parse_plain("10"), Some(d("1e1")));
        assert_eq!(Decimal::parse_plain("0.05"), Some(d("5e-2")));
    }

    #[test]
    fn agrees_with_integer_arithmetic_on_a_grid() {
        // Every value m × 10^e with e in −6..=6 is an integer count of 10^−6.
        let scaled = |m: u128, e: i32| m * 10u128.pow(u32::try_from(e + 6).unwrap());
        let mantissas = [0u128, 1, 5, 9, 10, 99, 101, 12_345, 999_999];
        for &ma in &mantissas {
            for ea in -6..=6 {
                for &mb in &mantissas {
                    for eb in -6..=6 {
                        let (a, b) = (Decimal::from_parts(ma, ea), Decimal::from_parts(mb, eb));
                        let (sa, sb) = (scaled(ma, ea), scaled(mb, eb));
                        assert_eq!(a.checked_add(&b), Some(Decimal::from_parts(sa + sb, -6)));
                        let want = sa.checked_sub(sb).map(|r| Decimal::from_parts(r, -6));
                        assert_eq!(a.checked_sub(&b), want, "{a} - {b}");
                    }
                }
            }
        }
    }
}
