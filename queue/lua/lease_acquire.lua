-- Takes or renews a lease held by one process.
-- KEYS[1] lease key
-- ARGV[1] holder id, ARGV[2] lease length in milliseconds
-- Returns 1 when the caller holds the lease now, 0 when another process does.
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
