//! SPEC 10: the `.3` financial-scope extension — a `UTF8String` holding an
//! I-JSON object (4.3's rules, at most 4 KiB) — decoded with the crate's own
//! strict parser ([`crate::canonical::canonicalize`]) and mapped into the
//! [`AgentPolicy`] the rest of the verifier enforces.
//!
//! Nesting is bounded by the parser ([`crate::canonical::MAX_DEPTH`]).
//! Every failure is `policy_invalid`: text that is not such an object, a
//! member of the wrong type or out of range.

use der::asn1::Utf8StringRef;
use der::Decode;

use crate::canonical::JsonValue;
use crate::decimal::Decimal;
use crate::error::Error;
use crate::policy::{AgentPolicy, Amount, VenueRule, MAX_LIST_ENTRIES, MAX_STRING_BYTES};

/// SPEC 10: the scope's JSON text is at most 4 KiB.
pub const MAX_SCOPE_BYTES: usize = 4096;

/// The currency label of the profile's USD amounts.
pub const USD: &str = "USD";

/// The scope's members (SPEC 10), typed and range-checked; unknown members
/// are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FinancialScope {
    /// `max_single_trade_usd` (number > 0).
    pub max_single_trade_usd: Option<Decimal>,
    /// `daily_limit_usd` (number > 0).
    pub daily_limit_usd: Option<Decimal>,
    /// `permitted_instruments` (1–256 strings of 1–256 bytes).
    pub permitted_instruments: Option<Vec<String>>,
    /// `permitted_venues` (1–256 strings of 1–256 bytes).
    pub permitted_venues: Option<Vec<String>>,
    /// `leverage_permitted` (default false).
    pub leverage_permitted: bool,
    /// `max_leverage_ratio` (number > 0).
    pub max_leverage_ratio: Option<Decimal>,
}

fn invalid(msg: &'static str) -> Error {
    Error::PolicyInvalid(msg.into())
}

/// SPEC 10: the extension value (a DER `UTF8String`) as text, at most
/// [`MAX_SCOPE_BYTES`].
pub fn extension_text(value: &[u8]) -> Result<String, Error> {
    let s = Utf8StringRef::from_der(value)
        .map_err(|_| invalid("financial scope is not a DER UTF8String"))?;
    let text = s.as_str();
    check_size(text)?;
    Ok(text.to_owned())
}

// SPEC 10: at most 4 KiB of JSON.
fn check_size(text: &str) -> Result<(), Error> {
    if text.len() > MAX_SCOPE_BYTES {
        return Err(invalid("financial scope longer than 4 KiB"));
    }
    Ok(())
}

// SPEC 10 / 3: a number > 0, exact from its own text.
fn positive_number(v: JsonValue<'_>, msg: &'static str) -> Result<Decimal, Error> {
    let n = v.as_number().ok_or_else(|| invalid(msg))?;
    match Decimal::parse_json_number(n.source_text()) {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(invalid(msg)),
    }
}

// SPEC 10 / 3: an array of 1 to 256 strings, each 1 to 256 bytes.
fn string_list(v: JsonValue<'_>, msg: &'static str) -> Result<Vec<String>, Error> {
    let a = v.as_array().ok_or_else(|| invalid(msg))?;
    if a.is_empty() || a.len() > MAX_LIST_ENTRIES {
        return Err(invalid(msg));
    }
    a.iter()
        .map(|item| match item.as_str() {
            Some(s) if !s.is_empty() && s.len() <= MAX_STRING_BYTES => Ok(s.to_owned()),
            _ => Err(invalid(msg)),
        })
        .collect()
}

/// SPEC 10: parses the scope's JSON text (I-JSON under 4.3's rules, one
/// object, at most 4 KiB) into its typed members.
///
/// ```
/// use kakunin_verify::profile::kakunin::scope::parse_scope;
/// let s = parse_scope(r#"{"max_single_trade_usd": 5000, "permitted_instruments": ["BTC-USD"]}"#).unwrap();
/// assert_eq!(s.max_single_trade_usd.unwrap().to_string(), "5000");
/// assert!(parse_scope(r#"{"max_single_trade_usd": "5000"}"#).is_err());
/// ```
pub fn parse_scope(text: &str) -> Result<FinancialScope, Error> {
    check_size(text)?;
    let body = crate::canonical::canonicalize(text.as_bytes())
        .map_err(|_| invalid("financial scope is not an I-JSON object"))?;
    let obj = body
        .value()
        .and_then(JsonValue::as_object)
        .ok_or_else(|| invalid("financial scope is not a JSON object"))?;
    let mut out = FinancialScope::default();
    if let Some(v) = obj.get("max_single_trade_usd") {
        out.max_single_trade_usd = Some(positive_number(
            v,
            "max_single_trade_usd is not a number > 0",
        )?);
    }
    if let Some(v) = obj.get("daily_limit_usd") {
        out.daily_limit_usd = Some(positive_number(v, "daily_limit_usd is not a number > 0")?);
    }
    if let Some(v) = obj.get("permitted_instruments") {
        out.permitted_instruments = Some(string_list(
            v,
            "permitted_instruments is not an array of 1-256 strings",
        )?);
    }
    if let Some(v) = obj.get("permitted_venues") {
        out.permitted_venues = Some(string_list(
            v,
            "permitted_venues is not an array of 1-256 strings",
        )?);
    }
    if let Some(v) = obj.get("leverage_permitted") {
        out.leverage_permitted = v
            .as_bool()
            .ok_or_else(|| invalid("leverage_permitted is not a boolean"))?;
    }
    if let Some(v) = obj.get("max_leverage_ratio") {
        out.max_leverage_ratio = Some(positive_number(
            v,
            "max_leverage_ratio is not a number > 0",
        )?);
    }
    Ok(out)
}

/// SPEC 3 `Amount` of an exact decimal: `policy_invalid` when it cannot be
/// held exactly (mantissa beyond `u128`, exponent outside −18..18).
pub fn usd_amount(d: &Decimal) -> Result<Amount, Error> {
    let text = d.to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let exponent = i64::try_from(frac.len()).map_err(|_| invalid("amount out of range"))?;
    let mut digits = String::with_capacity(int.len() + frac.len());
    digits.push_str(int);
    digits.push_str(frac);
    let mantissa: u128 = digits
        .parse()
        .map_err(|_| invalid("amount too large to hold exactly"))?;
    let exponent = i8::try_from(-exponent).map_err(|_| invalid("amount out of range"))?;
    // SPEC 3: the exponent range is Amount::new's to enforce.
    Amount::new(mantissa, exponent, Some(USD.to_owned()))
}

impl FinancialScope {
    /// SPEC 10: the policy this scope maps to, with the scopes and the venue
    /// the verifier's configuration names: `maxTransaction` and `dailyLimit`
    /// in USD, `allowedMarkets`, the venue rule (only with a venue
    /// configured) and the leverage ceiling (1 unless leverage is permitted;
    /// `max_leverage_ratio` when it is; none when permitted without a ratio).
    pub fn to_policy(&self, scopes: &[String], venue: Option<&str>) -> Result<AgentPolicy, Error> {
        Ok(AgentPolicy {
            version: 1,
            scopes: (!scopes.is_empty()).then(|| scopes.to_vec()),
            max_transaction: self
                .max_single_trade_usd
                .as_ref()
                .map(usd_amount)
                .transpose()?,
            allowed_markets: self.permitted_instruments.clone(),
            revocation_timeout: None,
            data_access: None,
            allowed_hours: None,
            rate_limit: None,
            daily_limit: self.daily_limit_usd.as_ref().map(usd_amount).transpose()?,
            venue: venue.map(|v| VenueRule {
                venue: v.to_owned(),
                permitted: self.permitted_venues.clone(),
            }),
            max_leverage: self.max_leverage(),
        })
    }

    // SPEC 10 leverage: <= 1 when not permitted; <= max_leverage_ratio when
    // permitted and present; unbounded when permitted without a ratio.
    fn max_leverage(&self) -> Option<Decimal> {
        if !self.leverage_permitted {
            return Some(Decimal::from_parts(1, 0));
        }
        self.max_leverage_ratio.clone()
    }
}
