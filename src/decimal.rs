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
    digits: Vec<u8>,
    /// Power of ten applied to `digits`.
    exponent: i64,
}

impl Decimal {
    /// Zero.
    pub fn zero() -> Self {
        Decimal {
            digits: Vec::new(),
            exponent: 0,
        }
    }

    /// `mantissa × 10^exponent`.
    pub fn from_parts(mantissa: u128, exponent: i32) -> Self {
        Self::normalize(mantissa.to_string().into_bytes(), i64::from(exponent))
    }

    fn normalize(mut digits: Vec<u8>, mut exponent: i64) -> Self {
        let lead = digits.iter().take_while(|&&d| d == b'0').count();
        digits.drain(..lead);
        while digits.last() == Some(&b'0') {
            digits.pop();
            exponent = exponent.saturating_add(1);
        }
        if digits.is_empty() {
            exponent = 0;
        }
        Decimal { digits, exponent }
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
        let mut digits = Vec::with_capacity(b.len());
        let int_start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            digits.push(*c);
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
                digits.push(*c);
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
        let d = Decimal::normalize(digits, exponent);
        (d.digits.len() <= MAX_DECIMAL_DIGITS).then_some(d)
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
            .then_with(|| self.digits.cmp(&other.digits))
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
        let digits = std::str::from_utf8(&self.digits).map_err(|_| fmt::Error)?;
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
    fn displays_shortest_plain_form() {
        assert_eq!(Decimal::from_parts(25, -1).to_string(), "2.5");
        assert_eq!(Decimal::from_parts(50_000, 0).to_string(), "50000");
        assert_eq!(Decimal::from_parts(5, 4).to_string(), "50000");
        assert_eq!(Decimal::from_parts(500, -2).to_string(), "5");
        assert_eq!(Decimal::from_parts(5, -3).to_string(), "0.005");
        assert_eq!(Decimal::from_parts(0, 7).to_string(), "0");
        assert_eq!(Decimal::from_parts(1234, -2).to_string(), "12.34");
    }
}
