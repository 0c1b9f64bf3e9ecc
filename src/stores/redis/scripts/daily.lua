-- SPEC 5.3 dailyLimit: compare-and-set of one agent's total for one UTC day.
-- The sum is computed by the caller with exact decimals (Lua numbers are
-- doubles): this script only swaps text.
--
-- KEYS[1]  the total: a string of normalized decimal text
-- ARGV[1]  the total the caller expects ('' for none yet)
-- ARGV[2]  the new total
-- ARGV[3]  backstop lifetime (ms from now): to the end of the day plus a margin
--
-- Returns {1, new} when swapped, else {0, current} ('' for none). With new
-- equal to expected it only confirms the total (nothing written).

local current = redis.call('GET', KEYS[1])
if not current then
  current = ''
end
if current ~= ARGV[1] then
  return {0, current}
end
if ARGV[2] ~= ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return {1, ARGV[2]}
