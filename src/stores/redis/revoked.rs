//! SPEC 7.3 with a fleet: [`RedisRevokedSet`], the revoked set every
//! instance of one audience shares (feature `redis`).
//!
//! Each verifier keeps its local revoked set and answers from it on the hot
//! path, with no round trip. This keeps the local sets equal:
//!
//! * a revocation one instance learns is recorded in the sorted set
//!   `P` `rv` (member `{issuer SHA-256 hex | *}|{serial}|{source}|{marked ms}`,
//!   score = revoked until, Unix ms) and announced on the channel `P` `rv:ch`
//!   in the same Lua script, so that a recorded revocation is always
//!   announced and an announced one always recorded;
//! * every instance subscribes to the channel and adds each announcement to
//!   its local set; on every (re)subscription it first subscribes, then
//!   reads the whole sorted set (`ZRANGE … BYSCORE`, in pages of
//!   [`RESYNC_PAGE`]), and only then reports itself current — an
//!   announcement made meanwhile is buffered by the subscription, so none is
//!   lost between the two;
//! * the subscription is probed with `PING` every [`PROBE_INTERVAL`]; a
//!   probe that fails or takes longer than the store's timeout, or a
//!   subscription that ends, makes the instance not current (every request
//!   `overloaded`) until it has resubscribed and resynchronized, which it
//!   retries by itself.
//!
//! Entries whose end has passed are removed by the next recording; the
//! sorted set holds at most [`MAX_SHARED_REVOKED`] live entries (a
//! recording beyond it is refused, so the webhook is answered 503), and the
//! key's expiry is lengthened to the latest end plus a margin, so an idle
//! deployment's key vanishes by itself.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_core::Stream;
use redis::Script;

use super::{backstop, unexpected, RedisStores};
use crate::error::{ConfigError, Error};
use crate::future::BoxFuture;
use crate::revocation::cache::normalize_serial_hex;
use crate::stores::revoked::{source_name, RevocationNotice, RevokedMirror, SharedRevokedSet};

/// Entries read per `ZRANGE` page while resynchronizing.
pub const RESYNC_PAGE: usize = 1_000;
/// Live revocations the shared set holds at most.
pub const MAX_SHARED_REVOKED: u64 = 1_000_000;
/// How often the subscription is probed.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// Wait between two attempts to resubscribe.
pub const RESUBSCRIBE_DELAY: Duration = Duration::from_millis(100);
/// Longest announcement accepted from the channel, in bytes.
pub const MAX_NOTICE_LEN: usize = 512;

// KEYS[1] the sorted set, KEYS[2] the channel.
// ARGV: now, until, member, expiry ms, capacity, message.
// Returns 1 recorded (or already there), -1 full.
const PUBLISH_SCRIPT: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) == false then
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then
    return -1
  end
end
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
local want = tonumber(ARGV[4])
if ttl < want then
  redis.call('PEXPIRE', KEYS[1], want)
end
redis.call('PUBLISH', KEYS[2], ARGV[6])
return 1
";

/// The fleet's shared revoked set on Redis (SPEC 7.3). Give it to
/// [`VerifierBuilder::shared_revoked_set`](crate::VerifierBuilder::shared_revoked_set);
/// its subscription starts when the verifier is built, on the tokio runtime
/// it was made in.
#[derive(Clone)]
pub struct RedisRevokedSet {
    inner: Arc<Inner>,
}

struct Inner {
    stores: RedisStores,
    runtime: tokio::runtime::Handle,
    set_key: String,
    channel: String,
    script: Script,
    current: AtomicBool,
    mirror: OnceLock<RevokedMirror>,
}

impl std::fmt::Debug for RedisRevokedSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRevokedSet")
            .field("set_key", &self.inner.set_key)
            .field("current", &self.is_current())
            .finish()
    }
}

impl RedisRevokedSet {
    /// A shared revoked set on `stores`' Redis, under its key prefix. Must
    /// be called inside a tokio runtime (its subscription runs there).
    pub fn new(stores: &RedisStores) -> Result<Self, ConfigError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| ConfigError::new("the shared revoked set needs a tokio runtime"))?;
        let prefix = stores.key_prefix();
        Ok(RedisRevokedSet {
            inner: Arc::new(Inner {
                stores: stores.clone(),
                runtime,
                set_key: format!("{prefix}rv"),
                channel: format!("{prefix}rv:ch"),
                script: Script::new(PUBLISH_SCRIPT),
                current: AtomicBool::new(false),
                mirror: OnceLock::new(),
            }),
        })
    }

    /// Waits (up to `limit`) until the subscription is up and resynchronized;
    /// `true` when it is. For start-up and tests: requests are `overloaded`
    /// until then.
    pub async fn wait_current(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.is_current() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }
}

impl SharedRevokedSet for RedisRevokedSet {
    fn attach(&self, mirror: RevokedMirror) {
        if self.inner.mirror.set(mirror).is_ok() {
            let inner = Arc::clone(&self.inner);
            self.inner.runtime.spawn(subscription(inner));
        }
    }

    fn publish<'a>(&'a self, notice: &'a RevocationNotice) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(publish(&self.inner, notice))
    }

    fn announce(&self, notice: RevocationNotice) {
        let inner = Arc::clone(&self.inner);
        self.inner.runtime.spawn(async move {
            // Best effort: this instance holds it; the others would fetch it.
            let _ = publish(&inner, &notice).await;
        });
    }

    fn is_current(&self) -> bool {
        self.inner.current.load(Ordering::Acquire)
    }
}

// SPEC 7.3: recorded and announced in one script, or refused.
async fn publish(inner: &Inner, notice: &RevocationNotice) -> Result<(), Error> {
    let now = inner
        .mirror
        .get()
        .and_then(RevokedMirror::now_ms)
        .ok_or_else(|| Error::Overloaded("the shared revoked set is not attached".into()))?;
    let member = encode_member(notice);
    let message = format!("{}|{member}", notice.until_ms);
    let mut connection = inner.stores.connection();
    let mut invocation = inner.script.prepare_invoke();
    invocation
        .key(&inner.set_key)
        .key(&inner.channel)
        .arg(now)
        .arg(notice.until_ms)
        .arg(&member)
        .arg(backstop(notice.until_ms, now))
        .arg(MAX_SHARED_REVOKED)
        .arg(&message);
    let answer: i64 = inner
        .stores
        .call(
            "shared revoked set",
            invocation.invoke_async(&mut connection),
        )
        .await?;
    match answer {
        1 => Ok(()),
        -1 => Err(Error::Overloaded("the shared revoked set is full".into())),
        _ => Err(unexpected("shared revoked set")),
    }
}

// The subscription: (re)subscribe, resynchronize, mirror, probe; until the
// verifier is gone.
async fn subscription(inner: Arc<Inner>) {
    loop {
        let Some(mirror) = inner.mirror.get() else {
            return;
        };
        if mirror.now_ms().is_none() {
            return; // the verifier was dropped
        }
        let ended = follow(&inner, mirror).await;
        inner.current.store(false, Ordering::Release);
        if ended == Followed::VerifierGone {
            return;
        }
        tokio::time::sleep(RESUBSCRIBE_DELAY).await;
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Followed {
    Lost,
    VerifierGone,
}

async fn follow(inner: &Inner, mirror: &RevokedMirror) -> Followed {
    let timeout = inner.stores.timeout();
    let connecting = inner.stores.client().get_async_pubsub();
    let Ok(Ok(mut pubsub)) = tokio::time::timeout(timeout.max(PROBE_INTERVAL), connecting).await
    else {
        return Followed::Lost;
    };
    let subscribing = pubsub.subscribe(&inner.channel);
    if !matches!(
        tokio::time::timeout(timeout.max(PROBE_INTERVAL), subscribing).await,
        Ok(Ok(()))
    ) {
        return Followed::Lost;
    }
    let (mut sink, stream) = pubsub.split();
    let mut stream = Box::pin(stream);
    match resync(inner, mirror).await {
        Ok(true) => {}
        Ok(false) => return Followed::VerifierGone,
        Err(()) => return Followed::Lost,
    }
    inner.current.store(true, Ordering::Release);
    let mut probe = tokio::time::interval(PROBE_INTERVAL);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = poll_fn(|cx| stream.as_mut().poll_next(cx)) => {
                let Some(message) = message else { return Followed::Lost };
                if let Some(notice) = decode_message(message.get_payload_bytes()) {
                    match mirror.apply(&notice) {
                        Ok(true) => {}
                        Ok(false) => return Followed::VerifierGone,
                        // A full local set fails every lookup closed itself.
                        Err(_) => {}
                    }
                }
            }
            _ = probe.tick() => {
                let pinged = tokio::time::timeout(timeout, sink.ping::<redis::Value>()).await;
                if !matches!(pinged, Ok(Ok(_))) {
                    return Followed::Lost;
                }
                if mirror.now_ms().is_none() {
                    return Followed::VerifierGone;
                }
            }
        }
    }
}

// Every live entry of the shared set into the local one, page by page.
// `Ok(false)`: the verifier is gone.
async fn resync(inner: &Inner, mirror: &RevokedMirror) -> Result<bool, ()> {
    let Some(now) = mirror.now_ms() else {
        return Ok(false);
    };
    let mut connection = inner.stores.connection();
    let mut offset = 0usize;
    loop {
        let mut command = redis::cmd("ZRANGE");
        command
            .arg(&inner.set_key)
            .arg(format!("({now}"))
            .arg("+inf")
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(offset)
            .arg(RESYNC_PAGE)
            .arg("WITHSCORES");
        let page: Vec<(Vec<u8>, u64)> = inner
            .stores
            .call("shared revoked set", command.query_async(&mut connection))
            .await
            .map_err(|_| ())?;
        for (member, until_ms) in &page {
            if let Some(notice) = decode_member(member, *until_ms) {
                if !mirror.apply(&notice).unwrap_or(true) {
                    return Ok(false);
                }
            }
        }
        if page.len() < RESYNC_PAGE {
            return Ok(true);
        }
        offset = offset.saturating_add(page.len());
    }
}

// `{issuer hex | *}|{serial}|{source}|{marked ms}`
fn encode_member(notice: &RevocationNotice) -> String {
    let issuer = match &notice.issuer_sha256 {
        Some(i) => crate::hex::encode(i),
        None => "*".to_owned(),
    };
    format!(
        "{issuer}|{}|{}|{}",
        notice.serial_hex, notice.source, notice.marked_at_ms
    )
}

// `{until}|{member}` from the channel.
fn decode_message(payload: &[u8]) -> Option<RevocationNotice> {
    if payload.len() > MAX_NOTICE_LEN {
        return None;
    }
    let text = std::str::from_utf8(payload).ok()?;
    let (until, member) = text.split_once('|')?;
    decode_member(member.as_bytes(), until.parse().ok()?)
}

fn decode_member(member: &[u8], until_ms: u64) -> Option<RevocationNotice> {
    if member.len() > MAX_NOTICE_LEN {
        return None;
    }
    let text = std::str::from_utf8(member).ok()?;
    let mut parts = text.split('|');
    let issuer = parts.next()?;
    let serial = parts.next()?;
    let source = parts.next()?;
    let marked_at_ms = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let issuer_sha256 = match issuer {
        "*" => None,
        hex => Some(decode_hash(hex)?),
    };
    Some(RevocationNotice {
        issuer_sha256,
        serial_hex: normalize_serial_hex(serial)?,
        until_ms,
        marked_at_ms,
        source: source_name(source),
    })
}

fn decode_hash(hex: &str) -> Option<[u8; 32]> {
    crate::hex::decode_sha256_lower(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(issuer: Option<[u8; 32]>) -> RevocationNotice {
        RevocationNotice {
            issuer_sha256: issuer,
            serial_hex: "0a3f".into(),
            until_ms: 1_900_000_000_000,
            marked_at_ms: 1_800_000_000_000,
            source: "push",
        }
    }

    #[test]
    fn spec_7_3_a_notice_survives_the_channel_and_the_set() {
        for n in [notice(None), notice(Some([7; 32]))] {
            let member = encode_member(&n);
            assert_eq!(
                decode_member(member.as_bytes(), n.until_ms),
                Some(n.clone())
            );
            let message = format!("{}|{member}", n.until_ms);
            assert_eq!(decode_message(message.as_bytes()), Some(n));
        }
    }

    #[test]
    fn spec_7_3_malformed_announcements_are_ignored() {
        for bad in [
            &b""[..],
            b"x|*|0a3f|push|1",
            b"1|*|0a3f|push",
            b"1|*|0a3f|push|1|extra",
            b"1|zz|0a3f|push|1",
            b"1|*|not-hex|push|1",
            b"1|*|0a3f|push|-5",
            &[0xff; 600][..],
        ] {
            assert_eq!(decode_message(bad), None, "{bad:?}");
        }
        // An unknown source reads as `shared`.
        let n = decode_message(b"1|*|0a3f|mystery|1").map(|n| n.source);
        assert_eq!(n, Some("shared"));
    }
}
