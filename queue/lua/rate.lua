-- Counts one event in a fixed window and says whether it is within the limit.
-- KEYS[1] counter for this window
-- ARGV[1] limit, ARGV[2] window length in milliseconds
-- Returns the count including this event.
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return n
