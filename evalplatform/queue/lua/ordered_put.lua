-- Put one message into a queue's list at its place in priority order; atomic, as every
-- Redis script is. kombu's consumers BRPOP from the RIGHT end, so index -1 is the head
-- (taken next) and index 0 the tail. The list is kept ordered head to tail by priority,
-- descending, and by arrival within a priority.
--
-- KEYS[1]  the queue's list
-- ARGV[1]  the message (kombu's JSON envelope)
-- ARGV[2]  its priority (an integer)
-- ARGV[3]  "1": ahead of the messages of equal priority (a message put back after a worker
--          took it: it was first of its priority); "0": behind them (a new message)
-- ARGV[4]  the envelope header that holds a message's priority
-- ARGV[5]  the priority of a message that has none
-- Returns how many messages are now ahead of it.
local key, message = KEYS[1], ARGV[1]
local priority, ahead_of_equals = tonumber(ARGV[2]), ARGV[3] == "1"
local header, default = ARGV[4], tonumber(ARGV[5])
-- Messages read per LRANGE: one at first (the usual case needs only the tail's), then twice
-- as many each time, up to BATCH. A first read of BATCH copied up to 128 envelopes into the
-- script to decode one: 60 us of Redis's time per put at a depth of 26, 200 us from 128.
local BATCH = 128

-- Must this waiting message still be taken before ours?
local function stays_ahead(raw)
  local other = priority_of(raw, header, default)
  if ahead_of_equals then return other > priority end
  return other >= priority
end

-- From the tail towards the head, pass the messages ours goes ahead of: in the usual case
-- (a new message of the lowest waiting priority) that is none, and this is an LPUSH.
local length, index, size = redis.call("LLEN", key), 0, 1
while index < length do
  local chunk = redis.call("LRANGE", key, index, index + size - 1)
  for offset, raw in ipairs(chunk) do
    if stays_ahead(raw) then
      -- LINSERT finds the first equal element from index 0: this one (envelopes are unique,
      -- each has its own delivery tag).
      redis.call("LINSERT", key, "BEFORE", raw, message)
      return length - (index + offset - 1)
    end
  end
  index = index + size
  size = math.min(size * 2, BATCH)
end
redis.call("RPUSH", key, message)
return 0
