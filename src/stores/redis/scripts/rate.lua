-- SPEC 5.5: allow and record one action if fewer than the limit fall in the
-- window (now - period, now], in one atomic step.
--
-- KEYS[1]  the agent's window: sorted set, member unique per action, score its time
-- ARGV[1]  now (Unix ms)
-- ARGV[2]  now - period (Unix ms), or '' when the window reaches back past 0
-- ARGV[3]  limit (allowed actions per window)
-- ARGV[4]  this action's unique member
-- ARGV[5]  backstop lifetime (ms from now, on Redis' clock)
--
-- Returns 0 allowed and recorded, 1 limit reached (nothing recorded).
-- Actions at or before now - period have slid out and are dropped; actions
-- after now (a clock that stepped back) still count: fail closed.

if ARGV[2] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 1
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return 0
