-- Claims the chat whose oldest entry is oldest among the chats that may be
-- sent to now, most urgent band first. The chat waits until the claim's
-- lease runs out, so no other sender takes it; if its sender dies, it is
-- ready again then.
-- KEYS[1..n] waiting chats by band, KEYS[n+1..2n] ready chats by band,
-- KEYS[2n+1] the head score of each chat with entries
-- ARGV[1] lease in milliseconds
-- Returns {slot, band}, or {'', ms until a chat is due} ({'', -1}: none waits).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = (#KEYS - 1) / 2
for b = 1, n do
  -- Chats whose wait is over become ready, ordered by their oldest entry.
  local due = redis.call('ZRANGEBYSCORE', KEYS[b], '-inf', now, 'LIMIT', 0, 200)
  for _, slot in ipairs(due) do
    redis.call('ZREM', KEYS[b], slot)
    local h = redis.call('HGET', KEYS[2 * n + 1], slot)
    if h then
      redis.call('ZADD', KEYS[n + b], h, slot)
    end
  end
end
for b = 1, n do
  local r = redis.call('ZRANGE', KEYS[n + b], 0, 0)
  if r[1] then
    redis.call('ZREM', KEYS[n + b], r[1])
    redis.call('ZADD', KEYS[b], now + tonumber(ARGV[1]), r[1])
    return {r[1], b - 1}
  end
end
local wait = -1
for b = 1, n do
  local r = redis.call('ZRANGE', KEYS[b], 0, 0, 'WITHSCORES')
  if r[2] then
    local w = tonumber(r[2]) - now
    if wait < 0 or w < wait then
      wait = w
    end
  end
end
return {'', wait}
