-- Reserves the next send in the bot's shared token bucket: one send per
-- interval, whichever process sends (GCRA with a burst of one).
-- KEYS[1] bucket: the earliest time (ms, fractional) the next send may go
-- ARGV[1] interval in milliseconds (fractional)
-- Returns how many microseconds the caller waits before sending.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local next = tat + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.3f', next), 'PX', math.ceil(next - now) + 1000)
return math.floor((tat - now) * 1000)
