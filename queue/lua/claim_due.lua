-- Claims follow-up timers that are due, so one scheduler handles each.
-- A claimed timer leaves the due set for the claims set with a lease; one
-- whose lease ran out (its scheduler died) is claimed again.
-- KEYS[1] due sorted set (member "kind|ref", score due time in ms)
-- KEYS[2] claims sorted set (member as above, score lease expiry in ms)
-- ARGV[1] now in ms, ARGV[2] lease in ms, ARGV[3] most timers to claim
-- Returns the claimed members.
local now = tonumber(ARGV[1])
local lease = now + tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local out = {}
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
for _, m in ipairs(expired) do
  redis.call('ZADD', KEYS[2], lease, m)
  table.insert(out, m)
end
if #out < limit then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit - #out)
  for _, m in ipairs(due) do
    redis.call('ZREM', KEYS[1], m)
    redis.call('ZADD', KEYS[2], lease, m)
    table.insert(out, m)
  end
end
return out
