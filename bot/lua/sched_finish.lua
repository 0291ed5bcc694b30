-- Ends a claim: removes the entries that are done and, if entries remain,
-- makes the chat ready again after a delay (its rate limit, a retry_after,
-- a backoff), in the band of its next entry.
-- KEYS[1] the chat's send queue
-- KEYS[2] ready chats, band 0
-- KEYS[3] ready chats, band 1
-- KEYS[4..] Sending state of the entries done (deleted)
-- ARGV[1] slot, ARGV[2] delay in ms, ARGV[3] lowest queue score of band 1
-- ARGV[4..] the entries done (queue members)
-- Returns the number of entries left.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 4, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
end
for i = 4, #KEYS do
  redis.call('DEL', KEYS[i])
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if head[2] then
  local ready = KEYS[3]
  if tonumber(head[2]) < tonumber(ARGV[3]) then
    ready = KEYS[2]
  end
  redis.call('ZADD', ready, now + tonumber(ARGV[2]), ARGV[1])
end
return redis.call('ZCARD', KEYS[1])
