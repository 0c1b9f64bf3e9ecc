//! SPEC section 7: revocation.
//!
//! A [`RevocationSource`] answers for one certificate at a time. The
//! verifier asks only after the signature verified (SPEC 5.1 step 7), so
//! unsigned traffic never causes a fetch. Answers from networked sources go
//! through the cache of SPEC 7.2 (`cache` module); local sources (CRLs) are
//! consulted directly.

pub mod cache;
pub mod crl;
#[cfg(feature = "fetch")]
pub mod endpoint;
pub mod endpoint_answer;
pub mod fixed;
#[cfg(feature = "fetch")]
pub mod http;
pub mod ocsp;
#[cfg(feature = "fetch")]
pub mod ocsp_source;
pub mod webhook;

/// SPEC 7.2: the age limit of a networked source that names none (the
/// endpoint's 300 s; OCSP sources say 24 h). See
/// [`RevocationSource::max_answer_age_ms`].
pub const DEFAULT_MAX_ANSWER_AGE_MS: u64 = 300_000;

pub use crate::certificate::SerialForm;

/// The crate's boxed future ([`crate::future::BoxFuture`]), re-exported
/// where revocation sources have always found it.
pub use crate::future::BoxFuture;

/// What a source is asked about: one certificate of a validated path, with
/// its issuer.
#[derive(Debug, Clone, Copy)]
pub struct CertificateRef<'a> {
    /// The certificate's whole DER.
    pub der: &'a [u8],
    /// The whole DER of the certificate that issued it (an intermediate or a
    /// pinned root).
    pub issuer_der: &'a [u8],
    /// The serial's DER INTEGER content octets exactly as encoded (a leading
    /// `00` sign octet included when present).
    pub serial: &'a [u8],
    /// The serial in SPEC 7.1 text form (lowercase hex, no sign octet).
    pub serial_hex: &'a str,
    /// The certificate's notAfter, Unix milliseconds.
    pub not_after_ms: u64,
    /// SPEC 10: the serial form of the path's leaf. With
    /// [`SerialForm::Kakunin2026`] (a `kakunin-2026` profile certificate
    /// and, when the whole path is checked, the CAs of its path) sources
    /// apply the profile's rules: serials compared by the profile's text
    /// (computed from [`Self::serial`]), the endpoint asked by that text,
    /// and a CRL of [`Self::root_der`] covering the certificate.
    pub serial_form: SerialForm,
    /// The whole DER of the pinned root the validated path ends at, when
    /// known (SPEC 10: a CRL the root issued and signed covers a profile
    /// certificate's whole path). `None`: no root-signed coverage.
    pub root_der: Option<&'a [u8]>,
}

/// A definite revocation status (SPEC 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationStatus {
    /// Not revoked: continue.
    Valid,
    /// Revoked (or suspended, or expired by the CA's word): `certificate_revoked`.
    Revoked,
    /// The source does not know the certificate: `certificate_unknown`.
    Unknown,
}

/// A risk band reported by Kakunin's verify endpoint (SPEC 5.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RiskBand {
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`: always `risk_too_high`.
    High,
}

/// A source's answer about one certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct RevocationAnswer {
    /// The status.
    pub status: RevocationStatus,
    /// When the answer was made (OCSP `thisUpdate`; for the endpoint the
    /// fetch time less any HTTP `Age`), Unix ms. The answer's age (SPEC 7.2
    /// age limit, audit `revocation_age_ms`) counts from here.
    pub produced_at_ms: u64,
    /// OCSP `nextUpdate` / CRL `nextUpdate`, Unix ms, when the source gave one.
    pub next_update_ms: Option<u64>,
    /// A risk score from 0 to 1, when the source reports one (SPEC 5.7).
    pub risk_score: Option<f64>,
    /// A risk band, when the source reports one (SPEC 5.7).
    pub risk_band: Option<RiskBand>,
    /// The source's name for the audit record (`ocsp`, `endpoint`, `crl`).
    pub source: &'static str,
}

impl RevocationAnswer {
    /// An answer with no `nextUpdate` and no risk report — what a custom
    /// [`RevocationSource`] that knows only a status returns.
    ///
    /// ```
    /// use kakunin_verify::revocation::{RevocationAnswer, RevocationStatus};
    /// let answer = RevocationAnswer::new(RevocationStatus::Valid, 1_782_897_300_000, "in-house");
    /// assert_eq!(answer.next_update_ms, None);
    /// assert_eq!(answer.source, "in-house");
    /// ```
    pub fn new(status: RevocationStatus, produced_at_ms: u64, source: &'static str) -> Self {
        RevocationAnswer {
            status,
            produced_at_ms,
            next_update_ms: None,
            risk_score: None,
            risk_band: None,
            source,
        }
    }
}

/// Why a source could not answer: always `revocation_unavailable` (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("revocation unavailable: {0}")]
pub struct Unavailable(pub std::borrow::Cow<'static, str>);

impl Unavailable {
    /// An unavailable answer with a short reason (no secrets, no whole documents).
    pub fn new(reason: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Unavailable(reason.into())
    }
}

/// A revocation source (SPEC 7.1): OCSP, Kakunin's verify endpoint, CRLs.
///
/// Implementations must fail closed: anything they cannot verify is
/// [`Unavailable`], never [`RevocationStatus::Valid`].
pub trait RevocationSource: Send + Sync + 'static {
    /// The name recorded as `revocation_source` in the audit record.
    fn name(&self) -> &'static str;

    /// `true` when answers are fetched per certificate over the network and
    /// so belong in the SPEC 7.2 cache (OCSP, endpoint); `false` for local
    /// sources such as CRLs, which are consulted on every request.
    fn is_networked(&self) -> bool;

    /// SPEC 7.2: the oldest answer of this source the cache relies on, ms,
    /// or the certificate's `revocationTimeout` when that is shorter (the
    /// answer's age at each use: `now` minus when it was made). Only
    /// networked sources are held to it (SPEC 7.1: a CRL serves until its
    /// nextUpdate). Default [`DEFAULT_MAX_ANSWER_AGE_MS`].
    fn max_answer_age_ms(&self) -> u64 {
        DEFAULT_MAX_ANSWER_AGE_MS
    }

    /// The crypto backend this source verifies signatures with, when it
    /// verifies any itself (CRLs, OCSP answers); `None` (the default) for a
    /// source that does not. The verifier refuses to be built with a source
    /// whose backend is not its own, so that one backend verifies every
    /// signature a decision rests on.
    fn crypto_backend(&self) -> Option<crate::CryptoBackend> {
        None
    }

    /// Answers for `cert` at `now_ms` (the verifier's injected clock).
    fn check<'a>(
        &'a self,
        cert: CertificateRef<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<RevocationAnswer, Unavailable>>;
}
