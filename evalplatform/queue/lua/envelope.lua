-- Prepended to each of the queue's scripts: the priority a message's envelope carries.
-- kombu's envelope is JSON with the task's headers under "headers"; a message without the
-- priority header (or with one that is not a number) counts as `default`.
local function priority_of(raw, header, default)
  local ok, envelope = pcall(cjson.decode, raw)
  if ok and type(envelope) == "table" and type(envelope["headers"]) == "table" then
    local value = tonumber(envelope["headers"][header])
    if value then return value end
  end
  return default
end

