-- How many messages wait in a queue's list, per priority: one flat reply
-- {priority, count, priority, count, ...} (priorities as decimal strings: exact for any
-- 32-bit integer, where a Lua number reply would be truncated to an integer anyway).
--
-- KEYS[1]  the queue's list
-- ARGV[1]  the envelope header that holds a message's priority
-- ARGV[2]  the priority of a message that has none
local header, default = ARGV[1], tonumber(ARGV[2])
local counts, order = {}, {}
for _, raw in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do
  local priority = string.format("%d", priority_of(raw, header, default))
  if counts[priority] == nil then
    counts[priority] = 0
    order[#order + 1] = priority
  end
  counts[priority] = counts[priority] + 1
end
local reply = {}
for _, priority in ipairs(order) do
  reply[#reply + 1] = priority
  reply[#reply + 1] = counts[priority]
end
return reply
