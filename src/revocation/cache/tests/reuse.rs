//! SPEC 7.2: when a cached answer is used, fetched again or refused
//! (reuse, age, nextUpdate, failures, revoked answers, local sources).

use super::*;

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

/// SPEC 7.2: "the age limit is the CA's to tighten": a revocationTimeout
/// longer than the source's maximum does not lengthen it (the source's 300
/// s still bounds every use), a shorter one does shorten it.
#[tokio::test]
async fn spec_7_2_a_long_revocation_timeout_does_not_loosen_the_source_limit() {
    let reply = Reply::Aged {
        age: DEFAULT_MAX_ANSWER_AGE - 1_000,
        next_update_in: None,
    };
    let (cache, clock, fake, source) = setup(no_refresh(), reply);
    let hour = Some(3_600_000);
    status(&cache, &source, hour).await.unwrap();
    clock.advance_ms(1_000); // 300 s old: at the source's limit
    status(&cache, &source, hour).await.unwrap();
    assert_eq!(fake.calls(), 1);
    // Past the source's limit, well within the hour: not used from the
    // cache; asked again, the source has only an answer 301 s old, refused.
    fake.set(Reply::Aged {
        age: DEFAULT_MAX_ANSWER_AGE + 1_000,
        next_update_in: None,
    });
    clock.advance_ms(1);
    assert!(status(&cache, &source, hour).await.is_err());
    assert_eq!(fake.calls(), 2);
    // A timeout shorter than the source's maximum is the limit.
    fake.set(Reply::Aged {
        age: 16_000,
        next_update_in: None,
    });
    clock.advance_ms(1_001); // past the remembered failure
    assert!(status(&cache, &source, Some(15_000)).await.is_err());
    clock.advance_ms(1_001);
    assert!(status(&cache, &source, Some(17_000)).await.is_ok());
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
