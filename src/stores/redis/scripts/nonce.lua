-- SPEC 4.5: record the pair (leaf SHA-256, nonce) if absent, within the
-- store's capacity and the agent's share, in one atomic step.
--
-- KEYS[1]  global live set: member agent id (16 bytes) .. pair key (16 bytes)
-- KEYS[2]  this agent's live set: member pair key; both scored by keep-until
-- ARGV[1]  now (Unix ms)            ARGV[2]  keep-until (Unix ms, >= now)
-- ARGV[3]  agent id (16 bytes)      ARGV[4]  pair key (16 bytes)
-- ARGV[5]  capacity                 ARGV[6]  agent quota
-- ARGV[7]  agent set key prefix     ARGV[8]  expired entries to forget first
-- ARGV[9]  backstop lifetime (ms from now, on Redis' clock)
--
-- Returns 0 recorded, 1 replayed, 2 agent share reached, 3 store full.
-- A pair is live while now <= keep-until. Numbers handed to Redis are the
-- caller's strings, never Lua doubles turned back into text.

local now = tonumber(ARGV[1])
local below_now = '(' .. ARGV[1]

local function hex(s)
  return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end))
end

-- Forget up to n expired entries of the global set (oldest first), from both sets.
local function prune_global(n)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', below_now, 'LIMIT', 0, n)
  for _, m in ipairs(expired) do
    redis.call('ZREM', KEYS[1], m)
    redis.call('ZREM', ARGV[7] .. hex(string.sub(m, 1, 16)), string.sub(m, 17))
  end
end

-- Forget every expired entry of this agent (at most its quota), from both sets.
local function prune_agent()
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', below_now)
  for _, p in ipairs(expired) do
    redis.call('ZREM', KEYS[2], p)
    redis.call('ZREM', KEYS[1], ARGV[3] .. p)
  end
end

-- The key lives at least `ms` more milliseconds (relative, so that an offset
-- between Redis' clock and the verifiers' cannot expire it early).
local function extend(key, ms)
  if redis.call('PTTL', key) < tonumber(ms) then
    redis.call('PEXPIRE', key, ms)
  end
end

prune_global(tonumber(ARGV[8]))

-- A live recorded pair is a replay; an expired one is forgotten.
local member = ARGV[3] .. ARGV[4]
local seen = redis.call('ZSCORE', KEYS[1], member)
if seen then
  if tonumber(seen) >= now then
    return 1
  end
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZREM', KEYS[2], ARGV[4])
end

-- One agent URN holds at most its share, counted exactly.
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then
  prune_agent()
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then
    return 2
  end
end

-- A full store denies; it never evicts a live pair. Counted exactly: the
-- first step forgot the oldest expired entries, so if any was left the
-- store is no longer full.
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then
  return 3
end

redis.call('ZADD', KEYS[1], ARGV[2], member)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
extend(KEYS[1], ARGV[9])
extend(KEYS[2], ARGV[9])
return 0
