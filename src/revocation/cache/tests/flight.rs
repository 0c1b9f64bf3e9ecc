//! SPEC 7.2: one fetch per key (concurrent misses, a dropped fetch, a
//! running refresh), the bound on cached answers, and refresh-ahead.

use super::*;

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
