-- Takes a turn in the bot's shared limit of sends: one send per interval,
-- whichever process sends. A turn is taken only when it is due, and the
-- next is due an interval later; a sender a little late (up to slack) keeps
-- the schedule, one much later starts it afresh from now, so a stalled
-- sender is never made up for with a burst that Telegram would count.
-- KEYS[1] the time (ms, fractional) the next turn is due
-- ARGV[1] interval in ms (fractional), ARGV[2] slack in ms
-- Returns 0 when the caller has the turn (it sends now), else how many
-- microseconds until the next turn is due.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < due then
  return math.ceil((due - now) * 1000)
end
local interval = tonumber(ARGV[1])
local nextDue = math.max(due, now - tonumber(ARGV[2])) + interval
redis.call('SET', KEYS[1], string.format('%.3f', nextDue), 'PX', math.ceil(nextDue - now) + 1000)
return 0
