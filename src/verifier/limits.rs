//! The stateful end of SPEC 5.1 step 9: the daily limit (5.3, revision 1.2)
//! and then the rate (5.5). Both record a request only when it is allowed,
//! so a daily add the rate limit then denies is taken back.

use std::sync::Arc;

use super::builder::{Daily, Rate};
use super::{CachedCertificate, Verifier};
use crate::decimal::Decimal;
use crate::error::Error;
use crate::policy::AgentPolicy;
use crate::stores::daily::{utc_day, DailySpend};

/// Proof that a trade's size was added to its agent's daily total: what
/// [`Verifier::refund_daily`] needs to take it back.
#[must_use = "a daily add must be refunded if a later step denies the trade"]
pub(super) struct DailyCharge {
    /// The agent's certificate, shared (its URN keys the daily total).
    certificate: Arc<CachedCertificate>,
    day: u64,
    size: Decimal,
}

impl Verifier {
    // SPEC 5.3 (1.2): on a `trade` route whose policy has `dailyLimit`, the
    // agent URN's allowed trade sizes today (UTC), this one included, must
    // not exceed it, else `amount_exceeds_limit`. Other routes, and
    // policies without `dailyLimit`, are unaffected.
    pub(super) async fn add_to_daily_total(
        &self,
        policy: &AgentPolicy,
        trade_route: bool,
        size: Option<Decimal>,
        certificate: &Arc<CachedCertificate>,
        now_ms: u64,
    ) -> Result<Option<DailyCharge>, Error> {
        let Some(limit) = policy.daily_limit.as_ref().filter(|_| trade_route) else {
            return Ok(None);
        };
        // A trade route requires a size (SPEC 5.3); fail closed regardless.
        let size = size.ok_or_else(|| Error::MalformedBody("a trade needs a size".into()))?;
        let spend = DailySpend {
            agent_urn: &certificate.agent_urn,
            day: utc_day(now_ms),
            size: &size,
            limit: limit.value(),
        };
        match &self.daily {
            Daily::Memory(m) => m.try_add_now(spend)?,
            Daily::Shared(s) => s.try_add(spend).await?,
        }
        let day = spend.day;
        Ok(Some(DailyCharge {
            certificate: Arc::clone(certificate),
            day,
            size,
        }))
    }

    // SPEC 5.1 step 9 / 5.3 (1.2): only allowed trades count, so a trade
    // denied after its add (by the rate limit, or by an audit sink that could
    // not record the decision) is taken back out of the daily total. A
    // refund that fails leaves the total higher (stricter); the request
    // stays denied.
    pub(super) async fn refund_daily(&self, charge: DailyCharge) {
        let DailyCharge {
            certificate,
            day,
            size,
        } = charge;
        let agent_urn = certificate.agent_urn.as_str();
        let refunded = match &self.daily {
            Daily::Memory(m) => m.refund_now(agent_urn, day, &size),
            Daily::Shared(s) => s.refund(agent_urn, day, &size).await,
        };
        #[cfg(feature = "tracing")]
        if let Err(e) = &refunded {
            tracing::warn!(
                code = e.code().as_str(),
                "kakunin daily limit: refund of a denied trade failed; the total stays higher"
            );
        }
        #[cfg(not(feature = "tracing"))]
        let _ = refunded;
    }

    // SPEC 5.5: at most `maxActions` allowed actions per agent URN in the
    // sliding window `(now − periodSeconds, now]`, else `rate_limited`.
    pub(super) async fn acquire_rate(
        &self,
        policy: &AgentPolicy,
        agent_urn: &str,
        now_ms: u64,
    ) -> Result<(), Error> {
        let Some(rl) = policy.rate_limit else {
            return Ok(());
        };
        let period_ms = rl.period_seconds.saturating_mul(1000);
        match &self.rate {
            Rate::Memory(m) => m.try_acquire_now(agent_urn, rl.max_actions, period_ms, now_ms),
            Rate::Shared(s) => {
                s.try_acquire(agent_urn, rl.max_actions, period_ms, now_ms)
                    .await
            }
        }
    }
}
