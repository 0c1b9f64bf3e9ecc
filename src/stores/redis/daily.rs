//! [`RedisDailyLimiter`]: the per-agent daily total shared by a fleet
//! (SPEC 5.3 `dailyLimit`, revision 1.2).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use redis::Script;

use super::{agent_id, unexpected, RedisStores, BACKSTOP_MARGIN_MS, DAILY_MAX_ATTEMPTS};
use crate::decimal::Decimal;
use crate::error::Error;
use crate::future::BoxFuture;
use crate::hex;
use crate::stores::daily::{DailyLimiter, DailySpend, DAY_MS};
use crate::stores::nonce::MAX_AGENT_URN_LEN;

/// Last-seen totals kept (one per agent and day); the map is emptied when
/// full, which only costs one more round trip per agent.
const MAX_HINTS: usize = 10_000;
/// Longest decimal text handled by the exact addition below.
const MAX_TOTAL_TEXT: usize = 256;

/// The [`DailyLimiter`] in Redis (SPEC 5.3), for a fleet of verifiers.
///
/// Each (agent URN, UTC day) total is a string of normalized decimal text.
/// The addition is exact, in Rust; Redis only swaps the text with a
/// compare-and-set script (Lua numbers are doubles and are never used for
/// amounts). The limiter remembers the last total it saw per agent and day,
/// so a trade usually costs one round trip; when another instance changed
/// the total meanwhile the script answers the current one and the trade is
/// tried again on it, at most [`DAILY_MAX_ATTEMPTS`] times, then
/// [`Error::Overloaded`]. A denial (`amount_exceeds_limit`) is only ever
/// decided on a total Redis confirmed in the same call. A key expires 24 h
/// plus a margin after its last change, so past days drop by themselves.
pub struct RedisDailyLimiter {
    stores: RedisStores,
    script: Script,
    key_prefix: String,
    /// Redis key → the total (text) this instance last saw there.
    hints: Mutex<HashMap<String, String>>,
}

/// One compare-and-set's answer.
enum Swap {
    /// The total was as expected and is now the new one.
    Done,
    /// The total was something else (`""`: none yet): nothing changed.
    Current(String),
}

impl RedisDailyLimiter {
    pub(super) fn new(stores: RedisStores) -> Self {
        let key_prefix = format!("{}d:", stores.key_prefix());
        RedisDailyLimiter {
            stores,
            script: Script::new(include_str!("scripts/daily.lua")),
            key_prefix,
            hints: Mutex::new(HashMap::new()),
        }
    }

    // SPEC 5.3: add if the new total stays within the limit, atomically
    // (compare-and-set on the exact total).
    async fn try_add_async(&self, spend: DailySpend<'_>) -> Result<(), Error> {
        let key = self.key(spend.agent_urn, spend.day)?;
        let mut seen = self.hint(&key);
        let mut confirmed = false;
        for _ in 0..DAILY_MAX_ATTEMPTS {
            let total = parse_total(&seen)?;
            let new = exact_add(&total, spend.size).ok_or_else(total_out_of_range)?;
            if new > *spend.limit {
                if confirmed {
                    return Err(Error::AmountExceedsLimit(
                        "daily limit reached for this agent".into(),
                    ));
                }
                // Confirm the total before denying on it (a no-op swap).
                match self.swap(&key, &seen, &seen).await? {
                    Swap::Done => confirmed = true,
                    Swap::Current(current) => {
                        seen = current;
                        confirmed = true;
                    }
                }
                continue;
            }
            let text = new.to_string();
            match self.swap(&key, &seen, &text).await? {
                Swap::Done => {
                    self.remember(key, text);
                    return Ok(());
                }
                Swap::Current(current) => {
                    seen = current;
                    confirmed = true;
                }
            }
        }
        Err(contended())
    }

    // SPEC 5.3: only allowed trades count; a refund never goes below zero.
    async fn refund_async(&self, agent_urn: &str, day: u64, size: &Decimal) -> Result<(), Error> {
        let key = self.key(agent_urn, day)?;
        let mut seen = self.hint(&key);
        for _ in 0..DAILY_MAX_ATTEMPTS {
            let total = parse_total(&seen)?;
            let new = exact_sub_floor(&total, size).ok_or_else(total_out_of_range)?;
            let text = new.to_string();
            match self.swap(&key, &seen, &text).await? {
                Swap::Done => {
                    self.remember(key, text);
                    return Ok(());
                }
                Swap::Current(current) => seen = current,
            }
        }
        Err(contended())
    }

    // `P d:A:DAY`; a URN of bounded length (SPEC 1).
    fn key(&self, agent_urn: &str, day: u64) -> Result<String, Error> {
        if agent_urn.len() > MAX_AGENT_URN_LEN {
            return Err(Error::MalformedCertificate("agent URN too long".into()));
        }
        Ok(format!(
            "{}{}:{day}",
            self.key_prefix,
            hex::encode(&agent_id(agent_urn))
        ))
    }

    // One compare-and-set round trip (scripts/daily.lua).
    async fn swap(&self, key: &str, expected: &str, new: &str) -> Result<Swap, Error> {
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(key)
            .arg(expected)
            .arg(new)
            .arg(DAY_MS.saturating_add(BACKSTOP_MARGIN_MS));
        let mut connection = self.stores.connection();
        let (swapped, current): (i64, String) = self
            .stores
            .call("daily limiter", invocation.invoke_async(&mut connection))
            .await?;
        match swapped {
            1 => Ok(Swap::Done),
            0 => {
                if current.len() > MAX_TOTAL_TEXT {
                    return Err(unexpected("daily limiter"));
                }
                Ok(Swap::Current(current))
            }
            _ => Err(unexpected("daily limiter")),
        }
    }

    fn hint(&self, key: &str) -> String {
        let hints = self.hints.lock().unwrap_or_else(PoisonError::into_inner);
        hints.get(key).cloned().unwrap_or_default()
    }

    // Bounded memory: the map is emptied when full.
    fn remember(&self, key: String, total: String) {
        let mut hints = self.hints.lock().unwrap_or_else(PoisonError::into_inner);
        if hints.len() >= MAX_HINTS && !hints.contains_key(&key) {
            hints.clear();
        }
        hints.insert(key, total);
    }
}

// A stored total: `""` is none yet (zero); anything not a decimal denies.
fn parse_total(text: &str) -> Result<Decimal, Error> {
    if text.is_empty() {
        return Ok(Decimal::zero());
    }
    Decimal::parse_json_number(text).ok_or_else(|| unexpected("daily limiter"))
}

fn total_out_of_range() -> Error {
    Error::Overloaded("daily limiter: total out of range".into())
}

fn contended() -> Error {
    Error::Overloaded("daily limiter: total changed too often, try again".into())
}

// Exact decimal arithmetic on plain decimal text (`Decimal`'s `Display`),
// digit by digit: no binary floating point anywhere.

/// A plain decimal as its digits with `frac` of them after the point.
struct Digits {
    digits: Vec<u8>,
    frac: usize,
}

impl Digits {
    fn of(value: &Decimal) -> Option<Digits> {
        let text = value.to_string();
        if text.len() > MAX_TOTAL_TEXT {
            return None;
        }
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut digits = Vec::with_capacity(int.len() + frac.len());
        for c in int.bytes().chain(frac.bytes()) {
            if !c.is_ascii_digit() {
                return None;
            }
            digits.push(c - b'0');
        }
        Some(Digits {
            digits,
            frac: frac.len(),
        })
    }

    // Pads with trailing zeros to `frac` fraction digits and leading zeros
    // to `len` digits in all.
    fn aligned(mut self, frac: usize, len: usize) -> Vec<u8> {
        self.digits
            .resize(self.digits.len() + (frac - self.frac), 0);
        let mut out = vec![0u8; len.saturating_sub(self.digits.len())];
        out.extend_from_slice(&self.digits);
        out
    }

    // Back to a `Decimal` through its text (no leading zeros, as JSON wants).
    fn to_decimal(digits: &[u8], frac: usize) -> Option<Decimal> {
        let split = digits.len().checked_sub(frac)?;
        let (int, rest) = digits.split_at(split);
        let mut text: String = int.iter().map(|d| char::from(b'0' + d)).collect();
        let trimmed = text.trim_start_matches('0').len();
        text.drain(..text.len() - trimmed);
        if text.is_empty() {
            text.push('0');
        }
        if !rest.is_empty() {
            text.push('.');
            text.extend(rest.iter().map(|d| char::from(b'0' + d)));
        }
        Decimal::parse_json_number(&text)
    }
}

// Two aligned digit vectors of one length, with their fraction length.
fn align(a: &Decimal, b: &Decimal) -> Option<(Vec<u8>, Vec<u8>, usize)> {
    let (a, b) = (Digits::of(a)?, Digits::of(b)?);
    let frac = a.frac.max(b.frac);
    let int = (a.digits.len() - a.frac).max(b.digits.len() - b.frac);
    let len = int + frac + 1;
    Some((a.aligned(frac, len), b.aligned(frac, len), frac))
}

/// `a + b`, exactly; `None` past what a `Decimal` holds.
fn exact_add(a: &Decimal, b: &Decimal) -> Option<Decimal> {
    let (x, y, frac) = align(a, b)?;
    let mut sum = vec![0u8; x.len()];
    let mut carry = 0;
    for ((s, dx), dy) in sum.iter_mut().zip(&x).zip(&y).rev() {
        let v = dx + dy + carry;
        *s = v % 10;
        carry = v / 10;
    }
    Digits::to_decimal(&sum, frac)
}

/// `max(a − b, 0)`, exactly.
fn exact_sub_floor(a: &Decimal, b: &Decimal) -> Option<Decimal> {
    if a <= b {
        return Some(Decimal::zero());
    }
    let (x, y, frac) = align(a, b)?;
    let mut diff = vec![0u8; x.len()];
    let mut borrow = 0;
    for ((d, dx), dy) in diff.iter_mut().zip(&x).zip(&y).rev() {
        let take = dy + borrow;
        if *dx >= take {
            *d = dx - take;
            borrow = 0;
        } else {
            *d = dx + 10 - take;
            borrow = 1;
        }
    }
    Digits::to_decimal(&diff, frac)
}

impl fmt::Debug for RedisDailyLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDailyLimiter")
            .field("key_prefix", &self.key_prefix)
            .finish_non_exhaustive()
    }
}

impl DailyLimiter for RedisDailyLimiter {
    fn try_add<'a>(&'a self, spend: DailySpend<'a>) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.try_add_async(spend))
    }

    fn refund<'a>(
        &'a self,
        agent_urn: &'a str,
        day: u64,
        size: &'a Decimal,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.refund_async(agent_urn, day, size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse_json_number(s).unwrap()
    }

    // SPEC 5.3: sizes are added exactly as decimals.
    #[test]
    fn spec_5_3_exact_add_and_floored_sub() {
        assert_eq!(exact_add(&d("0.1"), &d("0.2")).unwrap(), d("0.3"));
        assert_eq!(exact_add(&d("999.99"), &d("0.01")).unwrap(), d("1000"));
        assert_eq!(exact_add(&d("0"), &d("2.5")).unwrap(), d("2.5"));
        assert_eq!(
            exact_add(&d("1e20"), &d("1e-20")).unwrap().to_string(),
            "100000000000000000000.00000000000000000001"
        );
        assert_eq!(
            exact_sub_floor(&d("1000"), &d("0.01")).unwrap(),
            d("999.99")
        );
        assert_eq!(exact_sub_floor(&d("0.3"), &d("0.1")).unwrap(), d("0.2"));
        assert_eq!(exact_sub_floor(&d("1"), &d("2")).unwrap(), Decimal::zero());
        assert_eq!(exact_sub_floor(&d("2"), &d("2")).unwrap(), Decimal::zero());
        // Past what the text arithmetic handles: refused, never rounded.
        assert!(exact_add(&d("1e300"), &d("1")).is_none());
    }
}
