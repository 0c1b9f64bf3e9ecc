//! Exact decimal amounts (SPEC 3 `Amount`, SPEC 5.3 size comparison).
//!
//! A value is `mantissa × 10^exponent`, held exactly as decimal digits: a
//! trade size from a request body is compared against a certificate's
//! `maxTransaction` without ever passing through binary floating point, so
//! `50000.01` is above `50000` and `4.5e4` equals `45000`.

use std::cmp::Ordering;
use std::fmt;

mod digits;

use digits::{DigitSink, Digits};

/// Most significant digits a decimal may carry. A JSON number that survives
/// RFC 8785 has at most 17 significant digits and an `Amount` mantissa at
/// most 39 (`u128`); this bound only keeps hostile text cheap.
pub const MAX_DECIMAL_DIGITS: usize = 64;

/// Largest exponent magnitude of a value, once normalized (no leading or
/// trailing zeros): `1e10000` is accepted, `1e10001` is not. The bound is
/// on the value, not on how its text writes it, so `0e-99999` is zero and
/// `0.00…01e20001` (twenty thousand zeros) is one (SPEC 5.3: the size is
/// compared exactly as the decimal its own text denotes). A number that
/// survives RFC 8785 (SPEC 4.3) has an exponent within ±400.
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
            if i == exp_start {
                return None;
            }
            // Saturating: a text exponent past ±2^63 is past any bound, and
            // only matters if the digits are not all zero.
            exponent = if negative {
                exponent.saturating_sub(e)
            } else {
                exponent.saturating_add(e)
            };
        }
        if i != b.len() {
            return None;
        }
        let value = sink.finish(exponent)?;
        (value.exponent.unsigned_abs() <= MAX_DECIMAL_EXPONENT.unsigned_abs()).then_some(value)
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
mod tests;
