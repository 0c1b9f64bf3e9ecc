//! [`RedisNonceStore`]: the nonce store shared by a fleet (SPEC 4.5).

use std::fmt;

use redis::Script;

use super::{agent_id, backstop, unexpected, RedisStores, MAX_EXACT, NONCE_PRUNE_BATCH};
use crate::error::Error;
use crate::future::BoxFuture;
use crate::hex;
use crate::stores::nonce::{check_record, NonceRecord, NonceStore, NonceStoreConfig};

/// The script's answers (scripts/nonce.lua).
const RECORDED: i64 = 0;
const REPLAYED: i64 = 1;
const SHARE_REACHED: i64 = 2;
const FULL: i64 = 3;

/// The [`NonceStore`] in Redis (SPEC 4.5), for a fleet of verifiers.
///
/// One Lua script per request checks the pair, the agent's share and the
/// capacity and records the pair, atomically for every instance on the same
/// Redis and key prefix: two concurrent copies of a request, on any
/// instances, cannot both pass. Same answers as
/// [`MemoryNonceStore`](crate::stores::nonce::MemoryNonceStore), plus
/// [`Error::Overloaded`] when Redis is unreachable or slow (see the
/// [module](super) documentation for keys, round trips and memory).
#[derive(Clone)]
pub struct RedisNonceStore {
    stores: RedisStores,
    script: Script,
    capacity: usize,
    max_per_agent: usize,
    live_key: String,
    agent_key_prefix: String,
}

impl RedisNonceStore {
    pub(super) fn new(stores: RedisStores, config: NonceStoreConfig) -> Self {
        let live_key = format!("{}n:live", stores.key_prefix());
        let agent_key_prefix = format!("{}n:a:", stores.key_prefix());
        RedisNonceStore {
            stores,
            script: Script::new(include_str!("scripts/nonce.lua")),
            capacity: config.capacity,
            max_per_agent: config.agent_quota(),
            live_key,
            agent_key_prefix,
        }
    }

    /// The capacity in live nonces, across the fleet.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most live nonces one agent (URN) may hold, across the fleet.
    pub fn max_per_agent(&self) -> usize {
        self.max_per_agent
    }

    // SPEC 4.5: check and record in one script.
    async fn check_and_record_async(
        &self,
        record: NonceRecord<'_>,
        now_ms: u64,
    ) -> Result<(), Error> {
        check_record(&record)?;
        // Scores are doubles: times past 2^53 ms (year 287 396) fail closed.
        if now_ms > MAX_EXACT {
            return Err(Error::Overloaded("nonce store: clock out of range".into()));
        }
        // SPEC 4.5: live at least at the moment it is recorded; capped
        // (later, never earlier) where scores stop being exact.
        let keep_until = record.keep_until_ms.clamp(now_ms, MAX_EXACT);
        let agent = agent_id(record.agent_urn);
        let pair = pair_key(record.cert_sha256, record.nonce);
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(&self.live_key)
            .key(format!("{}{}", self.agent_key_prefix, hex::encode(&agent)))
            .arg(now_ms)
            .arg(keep_until)
            .arg(&agent[..])
            .arg(&pair[..])
            .arg(self.capacity)
            .arg(self.max_per_agent)
            .arg(&self.agent_key_prefix)
            .arg(NONCE_PRUNE_BATCH)
            .arg(backstop(keep_until, now_ms));
        let mut connection = self.stores.connection();
        let answer: i64 = self
            .stores
            .call("nonce store", invocation.invoke_async(&mut connection))
            .await?;
        decision(answer)
    }
}

// The script's answer as the trait's result.
fn decision(answer: i64) -> Result<(), Error> {
    match answer {
        RECORDED => Ok(()),
        REPLAYED => Err(Error::ReplayedRequest(
            "nonce already used by this certificate".into(),
        )),
        SHARE_REACHED => Err(Error::RateLimited(
            "agent holds its maximum share of the nonce store".into(),
        )),
        FULL => Err(Error::Overloaded("nonce store is full".into())),
        _ => Err(unexpected("nonce store")),
    }
}

// The first 128 bits of SHA-256(cert SHA-256 ‖ nonce), as in the memory store.
fn pair_key(cert_sha256: &[u8; 32], nonce: &str) -> [u8; 16] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(cert_sha256);
    ctx.update(nonce.as_bytes());
    let digest = ctx.finish();
    let mut key = [0u8; 16];
    for (k, d) in key.iter_mut().zip(digest.as_ref()) {
        *k = *d;
    }
    key
}

impl fmt::Debug for RedisNonceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisNonceStore")
            .field("capacity", &self.capacity)
            .field("max_per_agent", &self.max_per_agent)
            .field("live_key", &self.live_key)
            .finish_non_exhaustive()
    }
}

impl NonceStore for RedisNonceStore {
    fn check_and_record<'a>(
        &'a self,
        record: NonceRecord<'a>,
        now_ms: u64,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.check_and_record_async(record, now_ms))
    }
}
