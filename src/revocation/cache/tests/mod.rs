//! Unit tests of the SPEC 7.2 cache and the SPEC 7.3 revoked set, with the
//! fake sources and helpers they share.

mod flight;
mod reuse;
mod revoked_set;

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
                next_update_ms,
                ..RevocationAnswer::new(status, produced_at_ms, "fake")
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
