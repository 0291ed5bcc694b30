-- Puts an outbox entry in its chat's send queue and schedules the chat.
-- KEYS[1] the chat's send queue (sorted set: rank * scale + creation time in µs)
-- KEYS[2] the chat's next allowed send time (ms), if it was sent to lately
-- KEYS[3..2+n] waiting chats by band, KEYS[3+n..2+2n] ready chats by band
-- KEYS[3+2n] the head score of each chat with entries
-- ARGV[1] slot (the chat's member in the sets), ARGV[2] entry (JSON),
-- ARGV[3] its score, ARGV[4] number of bands n, ARGV[5] score per band
-- A chat is in one set at a time: ready (scored by its oldest entry) or
-- waiting (scored by when it may be sent to: its rate limit, a claim).
-- Returns 1 when the entry was added, 0 when it was queued already.
if redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[2]) == 0 then
  return 0
end
local slot, n, scale = ARGV[1], tonumber(ARGV[4]), tonumber(ARGV[5])
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local hs = tonumber(head[2])
local band = math.min(math.floor(hs / scale), n - 1)
redis.call('HSET', KEYS[3 + 2 * n], slot, head[2])
for b = 0, n - 1 do
  local w = redis.call('ZSCORE', KEYS[3 + b], slot)
  if w then
    if b ~= band then
      redis.call('ZREM', KEYS[3 + b], slot)
      redis.call('ZADD', KEYS[3 + band], w, slot)
    end
    return 1
  end
  if redis.call('ZSCORE', KEYS[3 + n + b], slot) then
    redis.call('ZREM', KEYS[3 + n + b], slot)
    redis.call('ZADD', KEYS[3 + n + band], head[2], slot)
    return 1
  end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextAt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nextAt > now then
  redis.call('ZADD', KEYS[3 + band], nextAt, slot)
else
  redis.call('ZADD', KEYS[3 + n + band], head[2], slot)
end
return 1
