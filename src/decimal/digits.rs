//! Inline digit storage for [`Decimal`]: no allocation to parse, compare,
//! add or subtract.

use std::fmt;

use super::{Decimal, MAX_DECIMAL_DIGITS};

/// At most [`MAX_DECIMAL_DIGITS`] ASCII digits, inline. Equality, hashing
/// and `Debug` see only the digits in use.
#[derive(Clone)]
pub(super) struct Digits {
    buf: [u8; MAX_DECIMAL_DIGITS],
    len: usize,
}

impl Digits {
    pub(super) const EMPTY: Digits = Digits {
        buf: [0; MAX_DECIMAL_DIGITS],
        len: 0,
    };

    pub(super) fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(super) fn len(&self) -> usize {
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
pub(super) struct DigitSink {
    digits: Digits,
    held_zeros: usize,
    /// More than [`MAX_DECIMAL_DIGITS`] significant digits came.
    overflow: bool,
}

impl DigitSink {
    pub(super) fn new() -> Self {
        DigitSink {
            digits: Digits::EMPTY,
            held_zeros: 0,
            overflow: false,
        }
    }

    pub(super) fn push(&mut self, d: u8) {
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
    pub(super) fn finish(self, exponent: i64) -> Option<Decimal> {
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
