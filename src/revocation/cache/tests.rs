//! Unit tests of the SPEC 7.2 cache and the SPEC 7.3 revoked set.

use super::*;
use crate::clock::ManualClock;
use crate::revocation::BoxFuture;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const T0: u64 = 1_782_897_300_000;
const NOT_AFTER: u64 = T0 + 86_400_000;
const DEFAULT_MAX_ANSWER_AGE: u64 = crate::revocation::DEFAULT_MAX_ANSWER_AGE_MS;

/// What the fake source answers.
#[derive(Clone)]
enum Reply {
    Status(RevocationStatus),
    /// Valid, made `age` ms before the asked time, with a nextUpdate.
    Aged {
        age: u64,
        next_update_in: Option<u64>,
    },
    /// Valid, dated `ahead` ms after the asked time (skew).
    Ahead(u64),
    Fail,
    /// An answer that never comes (a hung responder).
    Never,
}

struct FakeSource {
    calls: AtomicUsize,
    reply: Mutex<Reply>,
    networked: bool,
    delay_ms: u64,
}

impl FakeSource {
    fn new(reply: Reply) -> Arc<Self> {
        Arc::new(FakeSource {
            calls: AtomicUsize::new(0),
            reply: Mutex::new(reply),
            networked: true,
            delay_ms: 0,
        })
    }
    fn set(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl RevocationSource for FakeSource {
    fn name(&self) -> &'static str {
        "fake"
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
        let reply = self.reply.lock().unwrap().clone();
        let delay = self.delay_ms;
        Box::pin(async move {
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let answer = |status, produced_at_ms, next_update_ms| RevocationAnswer {
                status,
                produced_at_ms,
                next_update_ms,
                risk_score: None,
                risk_band: None,
                source: "fake",
            };
            match reply {
                Reply::Status(s) => Ok(answer(s, now_ms, None)),
                Reply::Aged {
                    age,
                    next_update_in,
                } => Ok(answer(
                    RevocationStatus::Valid,
                    now_ms - age,
                    next_update_in.map(|n| now_ms + n),
                )),
                Reply::Ahead(ahead) => Ok(answer(RevocationStatus::Valid, now_ms + ahead, None)),
                Reply::Fail => Err(Unavailable::new("responder down")),
                Reply::Never => std::future::pending().await,
            }
        })
    }
}

fn cert(serial_hex: &'static str) -> CertificateRef<'static> {
    CertificateRef {
        der: b"leaf",
        issuer_der: b"issuer",
        serial: b"\x0a\x3f",
        serial_hex,
        not_after_ms: NOT_AFTER,
        serial_form: crate::revocation::SerialForm::Rfc5280,
        root_der: None,
    }
}

fn setup(
    config: CacheConfig,
    reply: Reply,
) -> (
    RevocationCache,
    Arc<ManualClock>,
    Arc<FakeSource>,
    Arc<dyn RevocationSource>,
) {
    let clock = Arc::new(ManualClock::new(T0));
    let cache = RevocationCache::new(config, clock.clone());
    let fake = FakeSource::new(reply);
    let source: Arc<dyn RevocationSource> = fake.clone();
    (cache, clock, fake, source)
}

fn no_refresh() -> CacheConfig {
    CacheConfig {
        refresh_ahead_ms: 0,
        ..CacheConfig::default()
    }
}

async fn status(
    cache: &RevocationCache,
    source: &Arc<dyn RevocationSource>,
    timeout: Option<u64>,
) -> Result<RevocationStatus, Unavailable> {
    cache
        .check(source, cert("0a3f"), timeout)
        .await
        .map(|a| a.answer.status)
}

/// SPEC 7.2 (reuse): the TTL counts from the fetch.
#[tokio::test]
async fn spec_7_2_valid_answer_is_reused_for_the_ttl_from_its_fetch_then_refetched() {
    let (cache, clock, fake, source) = setup(no_refresh(), Reply::Status(RevocationStatus::Valid));
    let first = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert!(!first.from_cache);
    assert_eq!(first.fetched_at_ms, T0);
    clock.advance_ms(4_999);
    let cached = cache.check(&source, cert("0A:3F"), None).await.unwrap();
    assert!(cached.from_cache);
    assert_eq!(cached.age_ms, 4_999);
    assert_eq!(fake.calls(), 1);
    clock.advance_ms(1);
    let again = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert!(!again.from_cache);
    assert_eq!(fake.calls(), 2);
}

/// SPEC 7.2: an RFC 5019 answer made long before its fetch is used (its
/// age is under the source's limit), for the TTL counted from the fetch.
#[tokio::test]
async fn spec_7_2_an_old_answer_is_reused_for_the_ttl_counted_from_the_fetch() {
    let reply = Reply::Aged {
        age: 200_000,
        next_update_in: None,
    };
    let (cache, clock, fake, source) = setup(no_refresh(), reply);
    let first = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert_eq!(first.age_ms, 200_000);
    clock.advance_ms(4_999);
    let cached = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert!(cached.from_cache);
    assert_eq!(cached.age_ms, 204_999);
    assert_eq!(fake.calls(), 1);
    clock.advance_ms(1);
    status(&cache, &source, None).await.unwrap();
    assert_eq!(fake.calls(), 2);
}

/// SPEC 7.2 (age): the age limit applies at each use, within the TTL.
#[tokio::test]
async fn spec_7_2_age_limit_applies_at_each_use() {
    let reply = Reply::Aged {
        age: 298_000,
        next_update_in: None,
    };
    let (cache, clock, fake, source) = setup(no_refresh(), reply);
    status(&cache, &source, None).await.unwrap();
    clock.advance_ms(2_000); // age 300 s: at the limit, still used
    let at_limit = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert!(at_limit.from_cache);
    assert_eq!(at_limit.age_ms, DEFAULT_MAX_ANSWER_AGE);
    assert_eq!(fake.calls(), 1);
    clock.advance_ms(1); // too old, though within the TTL: asked again
    let refetched = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert!(!refetched.from_cache);
    assert_eq!(fake.calls(), 2);
}

/// SPEC 7.2: the policy's revocationTimeout is the age limit; it does
/// not lengthen the TTL.
#[tokio::test]
async fn spec_7_2_revocation_timeout_is_the_age_limit_not_the_ttl() {
    let reply = Reply::Aged {
        age: 14_000,
        next_update_in: None,
    };
    let (cache, clock, fake, source) = setup(no_refresh(), reply);
    let ok = cache
        .check(&source, cert("0a3f"), Some(15_000))
        .await
        .unwrap();
    assert_eq!(ok.age_ms, 14_000);
    clock.advance_ms(1_000);
    status(&cache, &source, Some(15_000)).await.unwrap();
    assert_eq!(fake.calls(), 1);
    clock.advance_ms(1);
    status(&cache, &source, Some(15_000)).await.unwrap();
    assert_eq!(fake.calls(), 2, "15 s old: asked again");
    // A long revocationTimeout does not extend the reuse past the TTL.
    clock.advance_ms(5_000);
    status(&cache, &source, Some(86_400_000)).await.unwrap();
    assert_eq!(fake.calls(), 3);
}

/// SPEC 7.2: an answer already older than the age limit is
/// unavailable, remembered as a failure (not asked for every request).
#[tokio::test]
async fn spec_7_2_an_answer_older_than_the_age_limit_is_unavailable() {
    let reply = Reply::Aged {
        age: 16_000,
        next_update_in: None,
    };
    let (cache, clock, fake, source) = setup(no_refresh(), reply);
    assert!(status(&cache, &source, Some(15_000)).await.is_err());
    assert!(status(&cache, &source, Some(15_000)).await.is_err());
    assert_eq!(fake.calls(), 1);
    // The source's own limit applies without a revocationTimeout.
    fake.set(Reply::Aged {
        age: DEFAULT_MAX_ANSWER_AGE + 1,
        next_update_in: None,
    });
    clock.advance_ms(1_000);
    assert_eq!(
        status(&cache, &source, None).await,
        Err(Unavailable::new(
            "revocation answer older than its age limit"
        ))
    );
    assert_eq!(fake.calls(), 2);
}

/// SPEC 7.2: never used at or past nextUpdate, whatever the TTL.
#[tokio::test]
async fn spec_7_2_next_update_caps_the_ttl() {
    let reply = Reply::Aged {
        age: 0,
        next_update_in: Some(1_000),
    };
    let config = CacheConfig {
        ttl_ms: 3_600_000,
        ..no_refresh()
    };
    let (cache, clock, fake, source) = setup(config, reply);
    status(&cache, &source, None).await.unwrap();
    clock.advance_ms(999);
    status(&cache, &source, None).await.unwrap();
    assert_eq!(fake.calls(), 1);
    clock.advance_ms(1);
    status(&cache, &source, None).await.unwrap();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn an_answer_dated_in_the_future_counts_as_made_at_the_fetch() {
    let (cache, clock, fake, source) = setup(no_refresh(), Reply::Ahead(3_000));
    let first = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert_eq!(first.answer.produced_at_ms, T0);
    clock.advance_ms(1_000);
    let cached = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert_eq!(cached.age_ms, 1_000);
    clock.advance_ms(4_000);
    status(&cache, &source, None).await.unwrap();
    assert_eq!(fake.calls(), 2, "not kept past the TTL");
}

#[tokio::test]
async fn unknown_is_cached_like_valid() {
    let (cache, clock, fake, source) =
        setup(no_refresh(), Reply::Status(RevocationStatus::Unknown));
    assert_eq!(
        status(&cache, &source, None).await,
        Ok(RevocationStatus::Unknown)
    );
    clock.advance_ms(4_000);
    assert_eq!(
        status(&cache, &source, None).await,
        Ok(RevocationStatus::Unknown)
    );
    assert_eq!(fake.calls(), 1);
    clock.advance_ms(1_000);
    status(&cache, &source, None).await.unwrap();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn revoked_never_turns_valid() {
    let (cache, clock, fake, source) =
        setup(no_refresh(), Reply::Status(RevocationStatus::Revoked));
    assert_eq!(
        status(&cache, &source, None).await,
        Ok(RevocationStatus::Revoked)
    );
    fake.set(Reply::Status(RevocationStatus::Valid));
    for _ in 0..5 {
        clock.advance_ms(3_600_000);
        assert_eq!(
            status(&cache, &source, None).await,
            Ok(RevocationStatus::Revoked)
        );
    }
    assert_eq!(fake.calls(), 1);
    // Learnt from a source: kept for (issuer, serial), not as a push for any issuer.
    assert_eq!(cache.revoked_set().len(), 1);
    assert!(!cache.is_marked_revoked("0a3f"));
}

#[tokio::test]
async fn failures_are_cached_at_most_one_second_and_never_as_valid() {
    let config = CacheConfig {
        failure_ttl_ms: 60_000,
        ..no_refresh()
    }; // capped to 1 s
    let (cache, clock, fake, source) = setup(config, Reply::Fail);
    assert!(status(&cache, &source, None).await.is_err());
    fake.set(Reply::Status(RevocationStatus::Valid));
    clock.advance_ms(999);
    assert_eq!(
        status(&cache, &source, None).await,
        Err(Unavailable::new("responder down"))
    );
    assert_eq!(fake.calls(), 1);
    clock.advance_ms(1);
    assert_eq!(
        status(&cache, &source, None).await,
        Ok(RevocationStatus::Valid)
    );
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn failed_refetch_after_expiry_denies() {
    let (cache, clock, fake, source) = setup(no_refresh(), Reply::Status(RevocationStatus::Valid));
    status(&cache, &source, None).await.unwrap();
    fake.set(Reply::Fail);
    clock.advance_ms(5_000);
    assert!(status(&cache, &source, None).await.is_err());
}

#[tokio::test]
async fn mark_revoked_takes_effect_at_once() {
    let (cache, _clock, fake, source) = setup(no_refresh(), Reply::Status(RevocationStatus::Valid));
    // Cached serial.
    status(&cache, &source, None).await.unwrap();
    assert_eq!(cache.mark_revoked("0A:3F", None), Ok(()));
    let hit = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert_eq!(hit.answer.status, RevocationStatus::Revoked);
    assert_eq!(hit.answer.source, PUSH_SOURCE_NAME);
    // Never-cached serial.
    cache.mark_revoked("77", Some(NOT_AFTER)).unwrap();
    let other = cache.check(&source, cert("77"), None).await.unwrap();
    assert_eq!(other.answer.status, RevocationStatus::Revoked);
    assert_eq!(fake.calls(), 1);
    assert_eq!(
        cache.mark_revoked("xyz", None),
        Err(RevokeError::InvalidSerial)
    );
}

#[tokio::test]
async fn local_sources_are_not_cached() {
    let clock = Arc::new(ManualClock::new(T0));
    let cache = RevocationCache::new(no_refresh(), clock);
    let fake = Arc::new(FakeSource {
        calls: AtomicUsize::new(0),
        reply: Mutex::new(Reply::Status(RevocationStatus::Valid)),
        networked: false,
        delay_ms: 0,
    });
    let source: Arc<dyn RevocationSource> = fake.clone();
    status(&cache, &source, None).await.unwrap();
    status(&cache, &source, None).await.unwrap();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_share_one_fetch() {
    let clock = Arc::new(ManualClock::new(T0));
    let cache = RevocationCache::new(no_refresh(), clock);
    let fake = Arc::new(FakeSource {
        calls: AtomicUsize::new(0),
        reply: Mutex::new(Reply::Status(RevocationStatus::Valid)),
        networked: true,
        delay_ms: 50,
    });
    let source: Arc<dyn RevocationSource> = fake.clone();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            let source = source.clone();
            tokio::spawn(async move { status(&cache, &source, None).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Ok(RevocationStatus::Valid));
    }
    assert_eq!(fake.calls(), 1);
}

/// SPEC 7.2 (bounded memory): however many certificates are looked up, at
/// most `max_entries` answers are kept — counted after every lookup.
#[test]
fn spec_7_2_the_cache_never_holds_more_than_max_entries() {
    const MAX: u64 = 40;
    let config = CacheConfig {
        max_entries: MAX,
        ..no_refresh()
    };
    let (cache, _clock, fake, source) = setup(config, Reply::Status(RevocationStatus::Valid));
    let serials: Vec<&'static str> = (0..3 * MAX)
        .map(|i| &*Box::leak(format!("{:04x}", 0x1000 + i).into_boxed_str()))
        .collect();
    let mut most = 0;
    for serial in &serials {
        let answer = pollster::block_on(cache.check(&source, cert(serial), None));
        assert_eq!(answer.map(|a| a.answer.status), Ok(RevocationStatus::Valid));
        most = most.max(cache.cached_answers());
        assert!(
            cache.cached_answers() as u64 <= MAX,
            "{} cached",
            cache.cached_answers()
        );
    }
    assert!(most > 0);
    assert_eq!(fake.calls(), serials.len());
}

/// `max_entries: 0` keeps nothing: every lookup asks the source, and its
/// answer still decides.
#[test]
fn no_room_means_every_lookup_fetches() {
    let config = CacheConfig {
        max_entries: 0,
        ..no_refresh()
    };
    let (cache, _clock, fake, source) = setup(config, Reply::Status(RevocationStatus::Valid));
    for _ in 0..3 {
        let answer = pollster::block_on(cache.check(&source, cert("0a3f"), None)).unwrap();
        assert_eq!(answer.answer.status, RevocationStatus::Valid);
        assert!(!answer.from_cache);
    }
    assert_eq!(fake.calls(), 3);
    assert_eq!(cache.cached_answers(), 0);
    fake.set(Reply::Fail);
    assert!(pollster::block_on(status(&cache, &source, None)).is_err());
}

/// SPEC 7.2 (one fetch per key): a lookup dropped while it fetches (its
/// request cancelled, its responder hung) does not leave the key blocked —
/// the next lookup fetches for itself and is answered.
#[test]
fn a_fetch_dropped_midway_does_not_block_the_key() {
    let (cache, _clock, fake, source) = setup(no_refresh(), Reply::Never);
    {
        let mut hung = Box::pin(status(&cache, &source, None));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(hung.as_mut().poll(&mut cx).is_pending());
        assert_eq!(fake.calls(), 1, "the first lookup is fetching");
    } // dropped here, as a cancelled request's future is
    fake.set(Reply::Status(RevocationStatus::Valid));
    let answer = pollster::block_on(status(&cache, &source, None));
    assert_eq!(answer, Ok(RevocationStatus::Valid));
    assert_eq!(fake.calls(), 2);
}

#[cfg(feature = "fetch")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_refreshes_once_in_the_background() {
    let config = CacheConfig {
        refresh_ahead_ms: 1_000,
        ..CacheConfig::default()
    };
    let (cache, clock, fake, source) = setup(config, Reply::Status(RevocationStatus::Valid));
    status(&cache, &source, None).await.unwrap();
    clock.advance_ms(4_500);
    let first = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert_eq!(
        first.answer.produced_at_ms, T0,
        "the cached answer, at once"
    );
    for _ in 0..10 {
        // The old answer, or the refreshed one once it landed: never a wait.
        let served = cache.check(&source, cert("0a3f"), None).await.unwrap();
        assert!(served.from_cache);
        assert!([T0, T0 + 4_500].contains(&served.answer.produced_at_ms));
    }
    for _ in 0..200 {
        if fake.calls() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(fake.calls(), 2, "exactly one background refresh");
    clock.advance_ms(1_000); // past the first answer's expiry
    let refreshed = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert_eq!(refreshed.answer.produced_at_ms, T0 + 4_500);
    assert!(refreshed.from_cache);
    assert_eq!(fake.calls(), 2);
}

/// A networked source answering valid, each fetch held until the test
/// lets one through.
#[cfg(feature = "fetch")]
struct GatedSource {
    calls: AtomicUsize,
    gate: tokio::sync::Semaphore,
}

#[cfg(feature = "fetch")]
impl RevocationSource for GatedSource {
    fn name(&self) -> &'static str {
        "gated"
    }
    fn is_networked(&self) -> bool {
        true
    }
    fn check<'a>(
        &'a self,
        _cert: CertificateRef<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<RevocationAnswer, Unavailable>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            self.gate
                .acquire()
                .await
                .map_err(|_| Unavailable::new("closed"))?
                .forget();
            Ok(RevocationAnswer::new(
                RevocationStatus::Valid,
                now_ms,
                "gated",
            ))
        })
    }
}

/// SPEC 7.2 (one fetch per key) with refresh-ahead: a lookup that finds the
/// answer past its limits while its background refresh is still fetching
/// waits for that refresh and is served its answer — it does not fetch the
/// same answer a second time. (One poll shows where the lookup stopped: at
/// the refresh, or at a fetch of its own.)
#[cfg(feature = "fetch")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_7_2_a_lookup_past_the_limits_waits_for_the_running_refresh() {
    let clock = Arc::new(ManualClock::new(T0));
    let config = CacheConfig {
        refresh_ahead_ms: 1_000,
        ..CacheConfig::default()
    };
    let cache = RevocationCache::new(config, clock.clone());
    let gated = Arc::new(GatedSource {
        calls: AtomicUsize::new(0),
        gate: tokio::sync::Semaphore::new(1),
    });
    let source: Arc<dyn RevocationSource> = gated.clone();
    cache.check(&source, cert("0a3f"), None).await.unwrap();
    clock.advance_ms(4_500);
    let served = cache.check(&source, cert("0a3f"), None).await.unwrap();
    assert!(
        served.from_cache,
        "inside the refresh window: the cached answer"
    );
    for _ in 0..100_000 {
        if gated.calls.load(Ordering::SeqCst) == 2 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        gated.calls.load(Ordering::SeqCst),
        2,
        "the refresh is fetching"
    );
    clock.advance_ms(1_500); // past the first answer's TTL
    let mut lookup = Box::pin(cache.check(&source, cert("0a3f"), None));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(lookup.as_mut().poll(&mut cx).is_pending());
    assert_eq!(
        gated.calls.load(Ordering::SeqCst),
        2,
        "the lookup waits for the refresh instead of fetching again"
    );
    gated.gate.add_permits(1);
    let answer = lookup.await.unwrap();
    assert_eq!(
        answer.answer.produced_at_ms,
        T0 + 4_500,
        "the refreshed answer"
    );
    assert!(answer.from_cache);
    assert_eq!(gated.calls.load(Ordering::SeqCst), 2);
}

#[test]
fn no_refresh_ahead_without_a_tokio_runtime() {
    let config = CacheConfig {
        refresh_ahead_ms: 1_000,
        ..CacheConfig::default()
    };
    let (cache, clock, fake, source) = setup(config, Reply::Status(RevocationStatus::Valid));
    pollster::block_on(async {
        status(&cache, &source, None).await.unwrap();
        clock.advance_ms(4_500);
        let served = cache.check(&source, cert("0a3f"), None).await.unwrap();
        assert!(served.from_cache);
    });
    assert_eq!(fake.calls(), 1);
}

/// SPEC 7.3: a full set refuses a new revocation, fails every other
/// lookup closed, forgets nothing live, and recovers when entries lapse.
#[test]
fn spec_7_3_full_revoked_set_fails_closed_until_entries_lapse() {
    let set = RevokedSet::new(2);
    let now = 1_000;
    assert_eq!(set.insert("01", 2_000, "push", now), Ok(()));
    assert_eq!(set.lookup("04", now), RevokedLookup::NotRevoked);
    assert_eq!(set.insert("02", 9_000, "push", now), Ok(()));
    // Full of live serials: every serial it does not hold is unavailable.
    assert!(set.is_full(now));
    assert_eq!(set.lookup("04", now), RevokedLookup::Full);
    assert_eq!(set.insert("03", 5_000, "push", now), Err(RevokeError::Full));
    assert_eq!(RevokeError::Full.http_status(), 503);
    assert_eq!(set.lookup("03", now), RevokedLookup::Full);
    assert!(matches!(
        set.lookup("01", now),
        RevokedLookup::Revoked { .. }
    ));
    // An already held serial is still extended.
    assert_eq!(set.insert("02", 9_500, "push", now), Ok(()));
    assert_eq!(set.lookup("04", 1_999), RevokedLookup::Full);
    // "01" lapsed: room again; "02" still revoked.
    assert_eq!(set.lookup("04", 2_000), RevokedLookup::NotRevoked);
    assert!(matches!(
        set.lookup("02", 9_499),
        RevokedLookup::Revoked { .. }
    ));
    assert_eq!(set.insert("03", 5_000, "push", 2_000), Ok(()));
    assert!(matches!(
        set.lookup("03", 2_000),
        RevokedLookup::Revoked { .. }
    ));
    assert_eq!(set.len(), 2);
}

/// SPEC 7.3: revoked serials never lapse before their end time, however
/// many others come and go.
#[test]
fn spec_7_3_a_revoked_serial_never_lapses_early() {
    let set = RevokedSet::new(3);
    set.insert("aa", 1_000_000, "push", 0).unwrap();
    for round in 0..20u64 {
        let now = round * 100;
        let serial = format!("{:02x}", round + 1);
        let _ = set.insert(&serial, now + 150, "push", now);
        assert!(
            matches!(set.lookup("aa", now), RevokedLookup::Revoked { .. }),
            "round {round}"
        );
    }
    assert_eq!(set.lookup("aa", 1_000_000), RevokedLookup::NotRevoked);
}

#[test]
fn an_empty_set_with_no_room_is_full() {
    let set = RevokedSet::new(0);
    assert_eq!(set.lookup("01", 0), RevokedLookup::Full);
    assert_eq!(set.insert("01", 10, "push", 0), Err(RevokeError::Full));
}

/// SPEC 7.3: a pushed revocation is kept at least the retention (the
/// longest validity accepted), and until a later known notAfter.
#[tokio::test]
async fn spec_7_3_pushed_revocations_are_kept_for_the_longest_validity() {
    let (cache, clock, _fake, _source) =
        setup(no_refresh(), Reply::Status(RevocationStatus::Valid));
    cache.mark_revoked("01", Some(T0 + 1_000)).unwrap();
    cache.mark_revoked("02", None).unwrap();
    let far = T0 + DEFAULT_PUSHED_RETENTION_MS + 10_000;
    cache.mark_revoked("03", Some(far)).unwrap();
    clock.advance_ms(DEFAULT_PUSHED_RETENTION_MS - 1);
    assert!(cache.is_marked_revoked("01"), "not lapsed at its notAfter");
    assert!(cache.is_marked_revoked("02"));
    clock.advance_ms(1);
    assert!(!cache.is_marked_revoked("01"));
    assert!(!cache.is_marked_revoked("02"));
    assert!(cache.is_marked_revoked("03"));
}

#[tokio::test]
async fn full_revoked_set_makes_checks_unavailable() {
    let config = CacheConfig {
        max_revoked: 1,
        ..no_refresh()
    };
    let (cache, _clock, fake, source) = setup(config, Reply::Status(RevocationStatus::Valid));
    cache.mark_revoked("01", None).unwrap();
    assert_eq!(cache.mark_revoked("02", None), Err(RevokeError::Full));
    assert_eq!(
        status(&cache, &source, None).await,
        Err(Unavailable::new("the revoked set is full"))
    );
    assert_eq!(fake.calls(), 0);
}
