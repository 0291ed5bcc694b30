-- Ends a claim: removes the entries that are done and, if entries remain,
-- schedules the chat again: ready now, or waiting for a delay (its rate
-- limit, a retry_after, a backoff), in the band of its next entry.
-- KEYS[1] the chat's send queue
-- KEYS[2] the chat's next allowed send time
-- KEYS[3..2+n] waiting chats by band, KEYS[3+n..2+2n] ready chats by band
-- KEYS[3+2n] the head score of each chat with entries
-- KEYS[4+2n..] Sending state of the entries done (deleted)
-- ARGV[1] slot, ARGV[2] delay in ms, ARGV[3] number of bands n,
-- ARGV[4] score per band, ARGV[5..] the entries done (queue members)
-- Returns the number of entries left.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot, delay, n, scale = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 5, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
end
for i = 4 + 2 * n, #KEYS do
  redis.call('DEL', KEYS[i])
end
for b = 0, 2 * n - 1 do
  redis.call('ZREM', KEYS[3 + b], slot)
end
if delay > 0 then
  redis.call('SET', KEYS[2], now + delay, 'PX', delay)
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if not head[2] then
  redis.call('HDEL', KEYS[3 + 2 * n], slot)
  return 0
end
local band = math.min(math.floor(tonumber(head[2]) / scale), n - 1)
redis.call('HSET', KEYS[3 + 2 * n], slot, head[2])
if delay > 0 then
  redis.call('ZADD', KEYS[3 + band], now + delay, slot)
else
  redis.call('ZADD', KEYS[3 + n + band], head[2], slot)
end
return redis.call('ZCARD', KEYS[1])
