-- Puts an outbox entry in its chat's send queue and makes the chat ready.
-- KEYS[1] the chat's send queue (sorted set of entries by priority, then age)
-- KEYS[2] ready chats, band 0 (next entry is a safety message or an ack)
-- KEYS[3] ready chats, band 1 (everything else)
-- ARGV[1] slot (the chat's member in the ready sets)
-- ARGV[2] entry (JSON), ARGV[3] its score in the queue, ARGV[4] its band (0 or 1)
-- A chat already in a ready set keeps its score (the time it may next be
-- sent to); an entry of band 0 moves the chat to band 0.
-- Returns 1 when the entry was added, 0 when it was queued already.
if redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[2]) == 0 then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[4] == '0' then
  local s = redis.call('ZSCORE', KEYS[3], ARGV[1])
  if s then
    redis.call('ZREM', KEYS[3], ARGV[1])
    redis.call('ZADD', KEYS[2], s, ARGV[1])
  else
    redis.call('ZADD', KEYS[2], 'NX', now, ARGV[1])
  end
elseif not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[3], 'NX', now, ARGV[1])
end
return 1
