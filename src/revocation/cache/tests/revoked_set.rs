//! SPEC 7.3: the revoked set — full means fail closed, nothing lapses
//! early, pushed revocations are kept for the longest validity.

use super::*;

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
