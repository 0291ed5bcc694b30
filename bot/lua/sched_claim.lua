-- Claims the chat that has waited longest among those that may be sent to
-- now, band 0 first, for a lease: its score moves past the lease, so no
-- other sender takes it; a sender that dies leaves it to be claimed again.
-- KEYS[1] ready chats, band 0
-- KEYS[2] ready chats, band 1
-- ARGV[1] lease in milliseconds
-- Returns {slot, band}, or {'', ms until a chat is due} ({'', -1}: none waits).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for band = 1, 2 do
  local r = redis.call('ZRANGEBYSCORE', KEYS[band], '-inf', now, 'LIMIT', 0, 1)
  if r[1] then
    redis.call('ZADD', KEYS[band], now + tonumber(ARGV[1]), r[1])
    return {r[1], band - 1}
  end
end
local due = -1
for band = 1, 2 do
  local r = redis.call('ZRANGE', KEYS[band], 0, 0, 'WITHSCORES')
  if r[2] then
    local w = tonumber(r[2]) - now
    if due < 0 or w < due then
      due = w
    end
  end
end
return {'', due}
