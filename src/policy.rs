//! SPEC section 3: the `AgentPolicy` and `ModelProvenance` extensions.
//!
//! The `der` derives below mirror the ASN.1 module field for field
//! (`IMPLICIT TAGS`, field order, `OPTIONAL`). Decoding is strict DER
//! (trailing bytes, unknown enumerations and wrong tags are errors); the
//! ranges and sizes the SPEC states are then checked one rule at a time.
//! Every failure is `policy_invalid`. The DER structures borrow from the
//! extension's bytes (integers and strings are views, validated by `der` as
//! the owned types are), so only the validated model allocates: a new
//! agent's certificate is decoded on the cold path of its first request.

use der::asn1::{IntRef, OctetStringRef, Utf8StringRef};
use der::{Decode, Enumerated, Sequence};
use serde_json::{json, Value};

use crate::decimal::Decimal;
use crate::error::Error;

/// SPEC 3: strings are 1 to 256 bytes.
pub const MAX_STRING_BYTES: usize = 256;
/// SPEC 3: lists hold at most 256 entries.
pub const MAX_LIST_ENTRIES: usize = 256;
/// SPEC 3: `revocationTimeout` is 1..86400 seconds.
pub const MAX_REVOCATION_TIMEOUT_SECONDS: u32 = 86_400;
/// SPEC 3: `Amount.exponent` is −18..18.
pub const MAX_AMOUNT_EXPONENT: i64 = 18;
/// Largest `Amount.mantissa` held exactly (`u128`); beyond it the policy is
/// refused rather than rounded.
pub const MAX_MANTISSA_OCTETS: usize = 16;

// --- the ASN.1 module, as DER structures --------------------------------

#[derive(Sequence)]
#[asn1(tag_mode = "IMPLICIT")]
struct AgentPolicyDer<'a> {
    version: IntRef<'a>,
    #[asn1(context_specific = "0", optional = "true")]
    scopes: Option<Vec<Utf8StringRef<'a>>>,
    #[asn1(context_specific = "1", optional = "true")]
    max_transaction: Option<AmountDer<'a>>,
    #[asn1(context_specific = "2", optional = "true")]
    allowed_markets: Option<Vec<Utf8StringRef<'a>>>,
    #[asn1(context_specific = "3", optional = "true")]
    revocation_timeout: Option<IntRef<'a>>,
    #[asn1(context_specific = "4", optional = "true")]
    data_access: Option<Vec<PathRuleDer<'a>>>,
    #[asn1(context_specific = "5", optional = "true")]
    allowed_hours: Option<TimeWindowDer<'a>>,
    #[asn1(context_specific = "6", optional = "true")]
    rate_limit: Option<RateLimitDer<'a>>,
    // SPEC 3 (revision 1.2).
    #[asn1(context_specific = "7", optional = "true")]
    daily_limit: Option<AmountDer<'a>>,
}

#[derive(Sequence)]
struct AmountDer<'a> {
    mantissa: IntRef<'a>,
    exponent: IntRef<'a>,
    currency: Option<Utf8StringRef<'a>>,
}

#[derive(Clone, Copy, Debug, Eq, PartialEq, Enumerated)]
#[repr(u8)]
enum EffectDer {
    Allow = 0,
    Deny = 1,
}

#[derive(Sequence)]
struct PathRuleDer<'a> {
    effect: EffectDer,
    pattern: Utf8StringRef<'a>,
    operations: Vec<Utf8StringRef<'a>>,
}

#[derive(Sequence)]
struct TimeWindowDer<'a> {
    start_minute: IntRef<'a>,
    end_minute: IntRef<'a>,
}

#[derive(Sequence)]
struct RateLimitDer<'a> {
    max_actions: IntRef<'a>,
    period_seconds: IntRef<'a>,
}

#[derive(Sequence)]
#[asn1(tag_mode = "IMPLICIT")]
struct ModelProvenanceDer<'a> {
    model_name: Utf8StringRef<'a>,
    #[asn1(context_specific = "0", optional = "true")]
    model_version: Option<Utf8StringRef<'a>>,
    #[asn1(context_specific = "1", optional = "true")]
    weights_sha256: Option<&'a OctetStringRef>,
    #[asn1(context_specific = "2", optional = "true")]
    system_prompt_sha256: Option<&'a OctetStringRef>,
}

// --- validated, public model ----------------------------------------------

/// A validated `AgentPolicy` (SPEC 3).
///
/// ```
/// use kakunin_verify::policy::AgentPolicy;
/// // SEQUENCE { version 1, scopes [0] { "read_data" } }
/// let der = [0x30, 0x10, 0x02, 0x01, 0x01, 0xa0, 0x0b, 0x0c, 0x09,
///            b'r', b'e', b'a', b'd', b'_', b'd', b'a', b't', b'a'];
/// let policy = AgentPolicy::from_der(&der).unwrap();
/// assert_eq!(policy.scopes.as_deref(), Some(&["read_data".to_string()][..]));
/// assert!(AgentPolicy::from_der(&der[..10]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPolicy {
    /// Always 1.
    pub version: u8,
    /// Action names the agent may perform.
    pub scopes: Option<Vec<String>>,
    /// The largest `size` a request may carry.
    pub max_transaction: Option<Amount>,
    /// Markets the agent may trade.
    pub allowed_markets: Option<Vec<String>>,
    /// The oldest revocation answer to rely on, in seconds (1..86400).
    pub revocation_timeout: Option<u32>,
    /// Data path rules (SPEC 5.4).
    pub data_access: Option<Vec<PathRule>>,
    /// The daily window in which actions are allowed (SPEC 5.5).
    pub allowed_hours: Option<TimeWindow>,
    /// The per-agent rate limit (SPEC 5.5).
    pub rate_limit: Option<RateLimit>,
    /// The most the sizes of one UTC day's allowed trades may add up to
    /// (SPEC 3 `dailyLimit`, 5.3; revision 1.2).
    pub daily_limit: Option<Amount>,
    /// A venue constraint (SPEC 10 `permitted_venues`, mapped by a
    /// profile): `None` checks no venue. Section 3 policies never set it.
    pub venue: Option<VenueRule>,
    /// The highest `leverage` a trade may carry (SPEC 10, mapped by a
    /// profile): `None` checks no leverage. Section 3 policies never set it.
    pub max_leverage: Option<Decimal>,
}

/// SPEC 10 venues: the verifier's own venue must be among the permitted
/// ones (compared ASCII case-insensitively; no list: deny).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueRule {
    /// The verifier's venue name (configuration).
    pub venue: String,
    /// The venues the certificate permits; `None` when it lists none.
    pub permitted: Option<Vec<String>>,
}

impl VenueRule {
    /// SPEC 10: whether the verifier's venue is permitted.
    pub fn permits(&self) -> bool {
        self.permitted
            .as_ref()
            .is_some_and(|list| list.iter().any(|v| v.eq_ignore_ascii_case(&self.venue)))
    }
}

/// An exact amount: `mantissa × 10^exponent` (SPEC 3 `Amount`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    /// The mantissa (≥ 0).
    pub mantissa: u128,
    /// The exponent (−18..18).
    pub exponent: i8,
    /// A label for people (e.g. `USD`); never converted.
    pub currency: Option<String>,
    value: Decimal,
}

impl Amount {
    /// An amount from its parts; `policy_invalid` when the exponent is
    /// outside SPEC 3's −18..18.
    pub fn new(mantissa: u128, exponent: i8, currency: Option<String>) -> Result<Amount, Error> {
        if i64::from(exponent).abs() > MAX_AMOUNT_EXPONENT {
            return Err(invalid("amount exponent out of range"));
        }
        Ok(Amount {
            mantissa,
            exponent,
            currency,
            value: Decimal::from_parts(mantissa, i32::from(exponent)),
        })
    }

    /// The exact value.
    pub fn value(&self) -> &Decimal {
        &self.value
    }
}

/// Whether a path rule allows or denies (SPEC 3 `PathRule.effect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `allow(0)`.
    Allow,
    /// `deny(1)`.
    Deny,
}

/// A data operation (SPEC 5.4): `read` for GET and HEAD, `write` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `read`.
    Read,
    /// `write`.
    Write,
}

impl Operation {
    /// The SPEC name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Write => "write",
        }
    }
}

/// A `dataAccess` rule (SPEC 3 `PathRule`, SPEC 5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    /// Allow or deny.
    pub effect: Effect,
    /// The pattern as written in the certificate.
    pub pattern: String,
    /// The compiled pattern (SPEC 5.2 syntax).
    pub compiled: crate::routes::PathPattern,
    /// The operations the rule applies to.
    pub operations: Vec<Operation>,
}

/// Minutes after 00:00 UTC, end exclusive; `start > end` wraps past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// 0..1439.
    pub start_minute: u16,
    /// 1..1440.
    pub end_minute: u16,
}

impl TimeWindow {
    /// SPEC 5.5: whether `minute_of_day` (0..1439) falls in the window.
    pub fn contains(&self, minute_of_day: u16) -> bool {
        if self.start_minute < self.end_minute {
            self.start_minute <= minute_of_day && minute_of_day < self.end_minute
        } else {
            minute_of_day >= self.start_minute || minute_of_day < self.end_minute
        }
    }
}

/// At most `max_actions` allowed actions per `period_seconds` (SPEC 5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// ≥ 1.
    pub max_actions: u64,
    /// ≥ 1.
    pub period_seconds: u64,
}

/// A validated `ModelProvenance` (SPEC 3, 5.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelProvenance {
    /// The model's name.
    pub model_name: String,
    /// The model's version.
    pub model_version: Option<String>,
    /// SHA-256 of the model weights.
    pub weights_sha256: Option<[u8; 32]>,
    /// SHA-256 of the system prompt.
    pub system_prompt_sha256: Option<[u8; 32]>,
}

fn invalid(msg: &'static str) -> Error {
    Error::PolicyInvalid(msg.into())
}

// SPEC 3: strings are 1 to 256 bytes.
fn check_string(s: Utf8StringRef<'_>) -> Result<String, Error> {
    let s = s.as_str();
    if s.is_empty() || s.len() > MAX_STRING_BYTES {
        return Err(invalid("a policy string is empty or longer than 256 bytes"));
    }
    Ok(s.to_owned())
}

// SPEC 3: lists hold at most 256 entries, each a valid string.
fn check_string_list(list: Vec<Utf8StringRef<'_>>) -> Result<Vec<String>, Error> {
    check_list_len(list.len())?;
    list.into_iter().map(check_string).collect()
}

// SPEC 3: lists hold at most 256 entries.
fn check_list_len(len: usize) -> Result<(), Error> {
    if len > MAX_LIST_ENTRIES {
        return Err(invalid("a policy list holds more than 256 entries"));
    }
    Ok(())
}

/// An INTEGER's value when it fits `i64`, else `None`.
fn int_value(i: &IntRef<'_>) -> Option<i64> {
    let bytes = i.as_bytes();
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut v: i64 = if negative { -1 } else { 0 };
    for b in bytes {
        v = (v << 8) | i64::from(*b);
    }
    Some(v)
}

/// An INTEGER in `lo..=hi`, else `policy_invalid`.
fn int_in_range(i: &IntRef<'_>, lo: i64, hi: i64, what: &'static str) -> Result<i64, Error> {
    match int_value(i) {
        Some(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(invalid(what)),
    }
}

// SPEC 3: version is 1; any other value is policy_invalid.
fn check_version(v: &IntRef<'_>) -> Result<u8, Error> {
    int_in_range(v, 1, 1, "unknown policy version").map(|_| 1)
}

// SPEC 3: Amount, mantissa >= 0 (held exactly), exponent -18..18.
fn check_amount(a: AmountDer<'_>) -> Result<Amount, Error> {
    let bytes = a.mantissa.as_bytes();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(invalid("negative amount mantissa"));
    }
    let magnitude = match bytes {
        [0, rest @ ..] => rest,
        all => all,
    };
    if magnitude.len() > MAX_MANTISSA_OCTETS {
        return Err(invalid("amount mantissa too large"));
    }
    let mantissa = magnitude
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    let exponent = int_in_range(
        &a.exponent,
        -MAX_AMOUNT_EXPONENT,
        MAX_AMOUNT_EXPONENT,
        "amount exponent out of range",
    )?;
    let exponent = i8::try_from(exponent).map_err(|_| invalid("amount exponent out of range"))?;
    let currency = a.currency.map(check_string).transpose()?;
    Ok(Amount {
        mantissa,
        exponent,
        currency,
        value: Decimal::from_parts(mantissa, i32::from(exponent)),
    })
}

// SPEC 3 / 5.2 / 5.4: effect, an absolute pattern, operations "read" | "write".
fn check_path_rule(r: PathRuleDer<'_>) -> Result<PathRule, Error> {
    let pattern = check_string(r.pattern)?;
    let compiled = crate::routes::PathPattern::parse(&pattern)
        .map_err(|_| invalid("dataAccess pattern is not an absolute path pattern"))?;
    check_list_len(r.operations.len())?;
    let operations = r
        .operations
        .iter()
        .map(|op| match op.as_str() {
            "read" => Ok(Operation::Read),
            "write" => Ok(Operation::Write),
            _ => Err(invalid("unknown dataAccess operation")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let effect = match r.effect {
        EffectDer::Allow => Effect::Allow,
        EffectDer::Deny => Effect::Deny,
    };
    Ok(PathRule {
        effect,
        pattern,
        compiled,
        operations,
    })
}

// SPEC 3: startMinute 0..1439, endMinute 1..1440, start = end invalid.
fn check_time_window(w: TimeWindowDer<'_>) -> Result<TimeWindow, Error> {
    let start = int_in_range(&w.start_minute, 0, 1439, "allowedHours start out of range")?;
    let end = int_in_range(&w.end_minute, 1, 1440, "allowedHours end out of range")?;
    if start == end {
        return Err(invalid("allowedHours start equals end"));
    }
    Ok(TimeWindow {
        start_minute: u16::try_from(start).map_err(|_| invalid("allowedHours start"))?,
        end_minute: u16::try_from(end).map_err(|_| invalid("allowedHours end"))?,
    })
}

// SPEC 3: maxActions >= 1, periodSeconds >= 1.
fn check_rate_limit(r: RateLimitDer<'_>) -> Result<RateLimit, Error> {
    let max = int_in_range(
        &r.max_actions,
        1,
        i64::MAX,
        "rateLimit maxActions out of range",
    )?;
    let period = int_in_range(
        &r.period_seconds,
        1,
        i64::MAX / 1000,
        "rateLimit periodSeconds out of range",
    )?;
    Ok(RateLimit {
        max_actions: u64::try_from(max).map_err(|_| invalid("rateLimit maxActions"))?,
        period_seconds: u64::try_from(period).map_err(|_| invalid("rateLimit periodSeconds"))?,
    })
}

// SPEC 3: hashes are exactly 32 octets.
fn check_hash(h: &OctetStringRef) -> Result<[u8; 32], Error> {
    <[u8; 32]>::try_from(h.as_bytes()).map_err(|_| invalid("provenance hash is not 32 octets"))
}

impl AgentPolicy {
    /// Decodes and validates the extension value (the OCTET STRING's
    /// contents). Any DER error or out-of-range field: `policy_invalid`.
    pub fn from_der(der: &[u8]) -> Result<AgentPolicy, Error> {
        let raw =
            AgentPolicyDer::from_der(der).map_err(|_| invalid("agentPolicy is not valid DER"))?;
        Ok(AgentPolicy {
            version: check_version(&raw.version)?,
            scopes: raw.scopes.map(check_string_list).transpose()?,
            max_transaction: raw.max_transaction.map(check_amount).transpose()?,
            allowed_markets: raw.allowed_markets.map(check_string_list).transpose()?,
            revocation_timeout: raw
                .revocation_timeout
                .map(|t| {
                    int_in_range(
                        &t,
                        1,
                        i64::from(MAX_REVOCATION_TIMEOUT_SECONDS),
                        "revocationTimeout out of range",
                    )
                    .and_then(|v| u32::try_from(v).map_err(|_| invalid("revocationTimeout")))
                })
                .transpose()?,
            data_access: raw
                .data_access
                .map(|rules| {
                    check_list_len(rules.len())?;
                    rules.into_iter().map(check_path_rule).collect()
                })
                .transpose()?,
            allowed_hours: raw.allowed_hours.map(check_time_window).transpose()?,
            rate_limit: raw.rate_limit.map(check_rate_limit).transpose()?,
            daily_limit: raw.daily_limit.map(check_amount).transpose()?,
            venue: None,
            max_leverage: None,
        })
    }

    /// The SPEC 9 JSON form: section 3 fields in snake_case, amounts as the
    /// shortest plain decimal string (the currency label beside it as
    /// `max_transaction_currency`).
    pub fn to_json(&self) -> Value {
        json!({
            "version": self.version,
            "scopes": self.scopes,
            "max_transaction": self.max_transaction.as_ref().map(|a| a.value().to_string()),
            "max_transaction_currency": self.max_transaction.as_ref().and_then(|a| a.currency.clone()),
            "allowed_markets": self.allowed_markets,
            "revocation_timeout": self.revocation_timeout,
            "data_access": self.data_access.as_ref().map(|rules| rules.iter().map(|r| json!({
                "effect": match r.effect { Effect::Allow => "allow", Effect::Deny => "deny" },
                "pattern": r.pattern,
                "operations": r.operations.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>()),
            "allowed_hours": self.allowed_hours.map(|w| json!({
                "start_minute": w.start_minute, "end_minute": w.end_minute,
            })),
            "rate_limit": self.rate_limit.map(|r| json!({
                "max_actions": r.max_actions, "period_seconds": r.period_seconds,
            })),
            "daily_limit": self.daily_limit.as_ref().map(|a| a.value().to_string()),
            "daily_limit_currency": self.daily_limit.as_ref().and_then(|a| a.currency.clone()),
        })
    }
}

impl ModelProvenance {
    /// Decodes and validates the extension value. Any error: `policy_invalid`.
    pub fn from_der(der: &[u8]) -> Result<ModelProvenance, Error> {
        let raw = ModelProvenanceDer::from_der(der)
            .map_err(|_| invalid("modelProvenance is not valid DER"))?;
        Ok(ModelProvenance {
            model_name: check_string(raw.model_name)?,
            model_version: raw.model_version.map(check_string).transpose()?,
            weights_sha256: raw.weights_sha256.map(check_hash).transpose()?,
            system_prompt_sha256: raw.system_prompt_sha256.map(check_hash).transpose()?,
        })
    }

    /// The SPEC 9 JSON form (hashes as lowercase hex).
    pub fn to_json(&self) -> Value {
        json!({
            "model_name": self.model_name,
            "model_version": self.model_version,
            "weights_sha256": self.weights_sha256.map(|h| crate::hex::encode(&h)),
            "system_prompt_sha256": self.system_prompt_sha256.map(|h| crate::hex::encode(&h)),
        })
    }
}
