//! A revocation source that gives one fixed answer without asking anyone:
//! for tests of a server's middleware, benchmarks and examples, where a
//! real OCSP responder or verify endpoint is not the point. It is a
//! [`RevocationSource`] like any other, so the verifier treats its answers
//! exactly as a real source's (cached by SPEC 7.2 when networked, checked
//! for age and `nextUpdate`, recorded in the audit record under its name).
//!
//! Not for production: a source that always answers valid is revocation
//! switched off, under another name ([`crate::Revocation::Disabled`] says so
//! openly and records `"disabled"`).

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    BoxFuture, CertificateRef, RevocationAnswer, RevocationSource, RevocationStatus, Unavailable,
};

/// What a [`FixedSource`] answers.
#[derive(Debug, Clone)]
enum Fixed {
    /// This status, made at the `now` of each check.
    Status(RevocationStatus),
    /// Exactly this answer (its `produced_at_ms` and `nextUpdate` as given).
    Answer(RevocationAnswer),
    /// Never an answer: `revocation_unavailable`.
    Unavailable(Unavailable),
}

/// A [`RevocationSource`] with one fixed answer, counting the times it is
/// asked. Networked by default (its answers go through the SPEC 7.2
/// cache, as OCSP's and the endpoint's do); [`FixedSource::local`] makes it
/// consulted on every request, as a CRL is.
///
/// ```
/// use std::sync::Arc;
/// use kakunin_verify::revocation::fixed::FixedSource;
/// use kakunin_verify::Revocation;
///
/// let down = Arc::new(FixedSource::unavailable("ocsp", "responder down"));
/// let revocation = Revocation::Source(down.clone());
/// // ... build a verifier with it: every new agent is denied
/// // `revocation_unavailable` (503), and `down.calls()` counts the asks.
/// assert_eq!(down.calls(), 0);
/// # let _ = revocation;
/// ```
#[derive(Debug)]
pub struct FixedSource {
    name: &'static str,
    networked: bool,
    answer: Fixed,
    calls: AtomicU64,
}

impl FixedSource {
    fn new(name: &'static str, answer: Fixed) -> Self {
        FixedSource {
            name,
            networked: true,
            answer,
            calls: AtomicU64::new(0),
        }
    }

    /// Answers `status`, made at the verifier's `now` (age 0 when asked).
    ///
    /// ```
    /// use kakunin_verify::revocation::fixed::FixedSource;
    /// use kakunin_verify::revocation::{RevocationSource, RevocationStatus};
    /// let source = FixedSource::status("staging", RevocationStatus::Unknown);
    /// assert_eq!(source.name(), "staging");
    /// assert!(source.is_networked());
    /// ```
    pub fn status(name: &'static str, status: RevocationStatus) -> Self {
        FixedSource::new(name, Fixed::Status(status))
    }

    /// Answers [`RevocationStatus::Valid`], made at the verifier's `now`.
    pub fn valid(name: &'static str) -> Self {
        FixedSource::status(name, RevocationStatus::Valid)
    }

    /// Answers [`RevocationStatus::Revoked`], made at the verifier's `now`.
    pub fn revoked(name: &'static str) -> Self {
        FixedSource::status(name, RevocationStatus::Revoked)
    }

    /// Answers exactly `answer` — its `produced_at_ms`, `nextUpdate` and
    /// risk report as given — except that its `source` is `name`, so the
    /// audit record names the source that answered.
    ///
    /// The verifier judges it as any source's answer. Networked (the
    /// default), it is cached and served under SPEC 7.2's limits: once it
    /// is older than the age limit ([`RevocationSource::max_answer_age_ms`],
    /// 300 s, or the policy's shorter `revocationTimeout`) or past its
    /// `nextUpdate` by the verifier's clock, it is refused, and since this
    /// source can only give it again, the request is
    /// `revocation_unavailable`; so date it by the verifier's clock. Local
    /// ([`FixedSource::local`]), it is taken as given on every request, as
    /// a CRL source's answer is (a CRL source checks its own `nextUpdate`).
    pub fn answer(name: &'static str, answer: RevocationAnswer) -> Self {
        FixedSource::new(
            name,
            Fixed::Answer(RevocationAnswer {
                source: name,
                ..answer
            }),
        )
    }

    /// Never answers: every check is [`Unavailable`] with `reason`
    /// (`revocation_unavailable`, unless the verifier is built to fail open).
    pub fn unavailable(name: &'static str, reason: impl Into<Cow<'static, str>>) -> Self {
        FixedSource::new(name, Fixed::Unavailable(Unavailable::new(reason)))
    }

    /// Consulted on every request, as a local source (a CRL) is, instead of
    /// through the SPEC 7.2 cache.
    ///
    /// ```
    /// use kakunin_verify::revocation::fixed::FixedSource;
    /// use kakunin_verify::revocation::RevocationSource;
    /// assert!(!FixedSource::valid("crl-like").local().is_networked());
    /// ```
    #[must_use]
    pub fn local(mut self) -> Self {
        self.networked = false;
        self
    }

    /// How many times the source has been asked.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl RevocationSource for FixedSource {
    fn name(&self) -> &'static str {
        self.name
    }

    fn is_networked(&self) -> bool {
        self.networked
    }

    fn check<'a>(
        &'a self,
        _cert: CertificateRef<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<RevocationAnswer, Unavailable>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = match &self.answer {
            Fixed::Status(status) => Ok(RevocationAnswer::new(*status, now_ms, self.name)),
            Fixed::Answer(answer) => Ok(answer.clone()),
            Fixed::Unavailable(why) => Err(why.clone()),
        };
        Box::pin(std::future::ready(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::SerialForm;
    use crate::revocation::RiskBand;

    fn ask(source: &FixedSource, now_ms: u64) -> Result<RevocationAnswer, Unavailable> {
        let cert = CertificateRef {
            der: b"leaf",
            issuer_der: b"issuer",
            serial: &[1],
            serial_hex: "01",
            not_after_ms: u64::MAX,
            serial_form: SerialForm::default(),
            root_der: None,
        };
        pollster::block_on(source.check(cert, now_ms))
    }

    #[test]
    fn a_status_is_made_at_the_asked_now_and_every_ask_is_counted() {
        let source = FixedSource::revoked("fixed");
        assert_eq!(
            ask(&source, 7),
            Ok(RevocationAnswer::new(RevocationStatus::Revoked, 7, "fixed"))
        );
        assert_eq!(ask(&source, 9).map(|a| a.produced_at_ms), Ok(9));
        assert_eq!(source.calls(), 2);
        assert!(source.is_networked());
    }

    #[test]
    fn an_answer_is_given_as_it_is_under_the_sources_name() {
        let given = RevocationAnswer {
            status: RevocationStatus::Valid,
            produced_at_ms: 1_000,
            next_update_ms: Some(5_000),
            risk_score: Some(0.4),
            risk_band: Some(RiskBand::Medium),
            source: "elsewhere",
        };
        let source = FixedSource::answer("scripted", given.clone()).local();
        assert_eq!(
            ask(&source, 3_000),
            Ok(RevocationAnswer {
                source: "scripted",
                ..given
            })
        );
        assert!(!source.is_networked());
    }

    #[test]
    fn unavailable_is_never_an_answer() {
        let source = FixedSource::unavailable("down", "responder down");
        assert_eq!(ask(&source, 1), Err(Unavailable::new("responder down")));
        assert_eq!(source.calls(), 1);
    }
}
