-- Adds an inbound message to the stream once per source id.
-- KEYS[1] seen marker for the source id (Telegram update_id, email Message-ID)
-- KEYS[2] inbound stream
-- ARGV[1] seconds to remember the source id
-- ARGV[2] field name, ARGV[3] payload (JSON)
-- Returns the new stream entry id, or false when the id was seen before.
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], '*', ARGV[2], ARGV[3])
end
return false
