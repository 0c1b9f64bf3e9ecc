//! SPEC 5.1 step 9 and 5.2–5.6: what a verified agent may do.
//!
//! Checked in the SPEC's order — policy present, route and scope, model
//! provenance, market then size, data path, hours, the daily limit (1.2),
//! then rate — and the first failing rule decides the code. The rules here
//! use the request and the certificate only; the daily limit and the rate,
//! which keep state, are applied by the verifier.

use std::collections::HashSet;

use crate::canonical::{CanonicalBody, JsonValue};
use crate::certificate::AgentCertificate;
use crate::decimal::Decimal;
use crate::error::Error;
use crate::policy::{AgentPolicy, Effect, ModelProvenance, Operation};
use crate::routes::{Route, RouteTable};

/// Top-level body member names of SPEC 5.3 (configurable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeFields {
    /// The market member (default `market`).
    pub market: String,
    /// The size member (default `size`).
    pub size: String,
    /// The leverage member (SPEC 10; default `leverage`), read only when
    /// the policy bounds leverage.
    pub leverage: String,
}

impl Default for TradeFields {
    fn default() -> Self {
        TradeFields {
            market: "market".into(),
            size: "size".into(),
            leverage: "leverage".into(),
        }
    }
}

/// An inventory of authorized model-weight hashes (SPEC 5.6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelInventory(HashSet<[u8; 32]>);

impl ModelInventory {
    /// Parses lowercase hex SHA-256 values, one per line; `#` starts a comment.
    ///
    /// ```
    /// use kakunin_verify::authorization::ModelInventory;
    /// let inv = ModelInventory::parse("# models\n6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b\n").unwrap();
    /// assert_eq!(inv.len(), 1);
    /// assert!(ModelInventory::parse("XYZ").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, crate::ConfigError> {
        let mut set = HashSet::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let h = crate::hex::decode_sha256_lower(line).ok_or_else(|| {
                crate::ConfigError::new(format!(
                    "model inventory line {}: not a lowercase hex SHA-256",
                    i + 1
                ))
            })?;
            set.insert(h);
        }
        Ok(ModelInventory(set))
    }

    /// Whether `hash` is authorized.
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.0.contains(hash)
    }

    /// How many hashes are listed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when no hash is listed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The request facts authorization needs.
#[derive(Debug, Clone, Copy)]
pub struct ActionRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The path (no query), already checked plain (SPEC 4.2).
    pub path: &'a str,
    /// The verified body.
    pub body: &'a CanonicalBody,
    /// `X-Agent-Model-Sha256`, when sent.
    pub model_sha256: Option<&'a str>,
    /// `X-Agent-Prompt-Sha256`, when sent.
    pub prompt_sha256: Option<&'a str>,
}

// SPEC 5.1 step 9: policy present.
pub(crate) fn require_policy(cert: &AgentCertificate) -> Result<&AgentPolicy, Error> {
    match cert.policy().as_result()? {
        Some(p) => Ok(p),
        None => Err(Error::PolicyMissing(
            "the certificate carries no agentPolicy".into(),
        )),
    }
}

// SPEC 5.2: the first matching route; no match is action_not_allowed.
pub(crate) fn find_route<'r>(
    routes: &'r RouteTable,
    method: &str,
    path: &str,
) -> Result<&'r Route, Error> {
    routes
        .find(method, path)
        .ok_or_else(|| Error::ActionNotAllowed("no route matches this method and path".into()))
}

// SPEC 5.2: the route's scope must be in the policy's scopes.
pub(crate) fn check_scope(policy: &AgentPolicy, route: &Route) -> Result<(), Error> {
    let granted = policy
        .scopes
        .as_ref()
        .is_some_and(|s| s.contains(&route.scope));
    if !granted {
        return Err(Error::ActionNotAllowed(
            "the route's scope is not granted by the policy".into(),
        ));
    }
    Ok(())
}

// SPEC 5.6: certified hashes must be presented; an inventory, when
// configured, must list the certified weights.
pub(crate) fn check_provenance(
    provenance: Option<&ModelProvenance>,
    inventory: Option<&ModelInventory>,
    model_header: Option<&str>,
    prompt_header: Option<&str>,
) -> Result<(), Error> {
    let mismatch = |m: &'static str| Err(Error::ModelMismatch(m.into()));
    let presented = |h: Option<&str>| h.and_then(crate::hex::decode_sha256_lower);
    if let Some(w) = provenance.and_then(|p| p.weights_sha256) {
        if presented(model_header) != Some(w) {
            return mismatch("X-Agent-Model-Sha256 does not match the certified weights");
        }
    }
    if let Some(p) = provenance.and_then(|p| p.system_prompt_sha256) {
        if presented(prompt_header) != Some(p) {
            return mismatch("X-Agent-Prompt-Sha256 does not match the certified system prompt");
        }
    }
    if let Some(inv) = inventory {
        match provenance.and_then(|p| p.weights_sha256) {
            Some(w) if inv.contains(&w) => {}
            Some(_) => return mismatch("the certified model is not in the inventory"),
            None => return mismatch("the certificate certifies no model weights"),
        }
    }
    Ok(())
}

/// The trade fields a body carries, type-checked (SPEC 5.3).
#[derive(Debug, Clone, Default)]
pub(crate) struct TradeAction<'b> {
    pub market: Option<&'b str>,
    pub size_text: Option<&'b str>,
}

// SPEC 5.3: on a trade route `market` (string) and `size` (number >= 0) are
// required; elsewhere they are checked when present.
pub(crate) fn read_trade_fields<'b>(
    body: &'b CanonicalBody,
    fields: &TradeFields,
    required: bool,
) -> Result<TradeAction<'b>, Error> {
    let bad = |m: &'static str| Error::MalformedBody(m.into());
    let (market, size) = body.get_pair(&fields.market, &fields.size);
    let market = match market {
        Some(JsonValue::String(s)) => Some(s),
        Some(_) => return Err(bad("market must be a string")),
        None if required => return Err(bad("a trade needs a market")),
        None => None,
    };
    let size_text = match size {
        Some(JsonValue::Number(n)) if !n.is_negative() || n.as_f64() == 0.0 => {
            Some(n.source_text())
        }
        Some(JsonValue::Number(_)) => return Err(bad("size must not be negative")),
        Some(_) => return Err(bad("size must be a number")),
        None if required => return Err(bad("a trade needs a size")),
        None => None,
    };
    Ok(TradeAction { market, size_text })
}

// SPEC 5.3: the market must be in allowedMarkets (no list: deny).
pub(crate) fn check_market(policy: &AgentPolicy, market: Option<&str>) -> Result<(), Error> {
    let Some(market) = market else { return Ok(()) };
    let allowed = policy
        .allowed_markets
        .as_ref()
        .is_some_and(|m| m.iter().any(|a| a == market));
    if !allowed {
        return Err(Error::MarketNotAllowed(
            "the market is not in allowedMarkets".into(),
        ));
    }
    Ok(())
}

// SPEC 5.3: size <= maxTransaction, exactly, from the number's own text
// (no maxTransaction: deny). The size is parsed once: the daily limit
// (5.3, 1.2) adds the same exact value.
pub(crate) fn check_size(
    policy: &AgentPolicy,
    size_text: Option<&str>,
) -> Result<Option<Decimal>, Error> {
    let Some(text) = size_text else {
        return Ok(None);
    };
    let size = Decimal::parse_json_number(text)
        .ok_or_else(|| Error::MalformedBody("size is not a non-negative decimal".into()))?;
    match &policy.max_transaction {
        Some(limit) if size <= *limit.value() => Ok(Some(size)),
        Some(_) => Err(Error::AmountExceedsLimit(
            "size exceeds maxTransaction".into(),
        )),
        None => Err(Error::AmountExceedsLimit(
            "the policy sets no maxTransaction".into(),
        )),
    }
}

// SPEC 10 venues (a policy constraint a profile maps): the verifier's venue
// must be permitted, else action_not_allowed, checked with the route's scope.
pub(crate) fn check_venue(policy: &AgentPolicy) -> Result<(), Error> {
    match &policy.venue {
        Some(rule) if !rule.permits() => Err(Error::ActionNotAllowed(
            "the verifier's venue is not permitted by the policy".into(),
        )),
        _ => Ok(()),
    }
}

// SPEC 10 leverage (a policy constraint a profile maps): on a trade route,
// the top-level number `leverage` (absent means 1) must not exceed the
// policy's ceiling, else amount_exceeds_limit; checked after the size.
pub(crate) fn check_leverage(
    policy: &AgentPolicy,
    body: &CanonicalBody,
    fields: &TradeFields,
    trade: bool,
) -> Result<(), Error> {
    let Some(max) = policy.max_leverage.as_ref().filter(|_| trade) else {
        return Ok(());
    };
    let leverage = match body.get(&fields.leverage) {
        None => Decimal::from_parts(1, 0),
        Some(JsonValue::Number(n)) => Decimal::parse_json_number(n.source_text())
            .ok_or_else(|| Error::MalformedBody("leverage must not be negative".into()))?,
        Some(_) => return Err(Error::MalformedBody("leverage must be a number".into())),
    };
    if leverage > *max {
        return Err(Error::AmountExceedsLimit(
            "leverage exceeds the policy's ceiling".into(),
        ));
    }
    Ok(())
}

/// SPEC 5.4: `read` for GET and HEAD, `write` otherwise.
pub fn operation_for(method: &str) -> Operation {
    if method == "GET" || method == "HEAD" {
        Operation::Read
    } else {
        Operation::Write
    }
}

// SPEC 5.4: a matching deny rule wins; no matching allow rule, or no
// dataAccess at all, is path_denied. A rule applies only to its operations.
pub(crate) fn check_data_path(policy: &AgentPolicy, method: &str, path: &str) -> Result<(), Error> {
    let op = operation_for(method);
    let denied = || Error::PathDenied("no dataAccess rule allows this path".into());
    let rules = policy.data_access.as_ref().ok_or_else(denied)?;
    let applying = rules
        .iter()
        .filter(|r| r.operations.contains(&op) && r.compiled.matches(path));
    let mut allowed = false;
    for r in applying {
        match r.effect {
            Effect::Deny => {
                return Err(Error::PathDenied(
                    "a dataAccess rule denies this path".into(),
                ))
            }
            Effect::Allow => allowed = true,
        }
    }
    if allowed {
        Ok(())
    } else {
        Err(denied())
    }
}

// SPEC 5.5: the verifier's now (UTC minute of day) must fall in allowedHours.
pub(crate) fn check_hours(policy: &AgentPolicy, now_ms: u64) -> Result<(), Error> {
    match policy.allowed_hours {
        Some(w) if !w.contains(crate::time::minute_of_day(now_ms)) => Err(
            Error::OutsideAllowedHours("outside the policy's allowedHours".into()),
        ),
        _ => Ok(()),
    }
}
