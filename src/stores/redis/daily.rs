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
/// Longest total text accepted from Redis (a normalized total of at most
/// `MAX_DECIMAL_DIGITS` digits is far shorter unless its exponent is huge).
const MAX_TOTAL_TEXT: usize = 16_384;

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
/// decided on a total Redis confirmed in the same call; a total that cannot
/// be held exactly ([`Decimal::checked_add`] fails) is denied the same way,
/// never rounded. A refund never takes a total below zero, and one for a
/// day with no total writes nothing. A key expires 24 h
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
            // A total that cannot be held exactly is never rounded: deny.
            let new = total.checked_add(spend.size).ok_or_else(exceeds)?;
            if new > *spend.limit {
                if confirmed {
                    return Err(exceeds());
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
            // Never below zero.
            let new = total.checked_sub(size).unwrap_or_else(Decimal::zero);
            // No total yet stays none (the swap then only confirms it).
            let text = if new.is_zero() && seen.is_empty() {
                String::new()
            } else {
                new.to_string()
            };
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
    Decimal::parse_plain(text).ok_or_else(|| unexpected("daily limiter"))
}

fn exceeds() -> Error {
    Error::AmountExceedsLimit("daily limit reached for this agent".into())
}

fn contended() -> Error {
    Error::Overloaded("daily limiter: total changed too often, try again".into())
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
