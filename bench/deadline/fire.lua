-- wrk script for bench/deadline: each line of the plan file is "application_id token send_at_ms";
-- every connection sends one submission at its planned time (delay()), then idles until wrk's -d bound.
-- Prints one AMI-DEADLINE line with the counts.
-- Usage: wrk -t1 -c<count> -d<bound>s -s fire.lua URL -- PLAN_FILE DEADLINE_MS
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } ami_timeval;
  int gettimeofday(ami_timeval *tv, void *tz);
]]
local tv = ffi.new("ami_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  plan, queue, next_item = {}, {}, 1
  deadline = tonumber(args[2])
  for line in io.lines(args[1]) do
    local id, token, at = line:match("^(%d+) (%S+) (%d+)$")
    table.insert(plan, { id = id, token = token, at = tonumber(at) })
  end
  accepted, late, other, fivexx, sent_after, answered = 0, 0, 0, 0, 0, 0
  failures = ""
end

-- Called before each request of a connection: reserve the next item and wait for its planned time.
function delay()
  local item = plan[next_item]
  if not item then
    return 3600000 -- nothing left: idle until wrk's -d bound
  end
  next_item = next_item + 1
  table.insert(queue, item)
  return math.max(0, math.floor(item.at - now_ms()))
end

function request()
  local item = table.remove(queue, 1)
  if not item then
    return wrk.format("GET", "/healthz")
  end
  if now_ms() >= deadline then
    sent_after = sent_after + 1
  end
  return wrk.format("POST", "/api/v1/applications/" .. item.id .. "/submit",
    { ["Authorization"] = "Bearer " .. item.token, ["Content-Length"] = "0" })
end

function response(status, headers, body)
  answered = answered + 1
  if status == 200 then
    accepted = accepted + 1
  elseif status == 409 and body:find("date limite", 1, true) then
    late = late + 1
  else
    other = other + 1
    if status >= 500 then fivexx = fivexx + 1 end
    if #failures < 600 then
      failures = failures .. " | " .. status .. " " .. body:sub(1, 120):gsub("%s+", " ")
    end
  end
end

function done(summary, latency, requests)
  local t = { accepted = 0, late = 0, other = 0, fivexx = 0, sent_after = 0, answered = 0 }
  local failure_text = ""
  for _, thread in ipairs(threads) do
    for key in pairs(t) do
      t[key] = t[key] + thread:get(key)
    end
    failure_text = failure_text .. thread:get("failures")
  end
  local e = summary.errors
  io.write(string.format(
    "AMI-DEADLINE answered=%d accepted=%d late=%d other=%d fivexx=%d sent_after=%d connect=%d read=%d " ..
    "write=%d timeout=%d\n",
    t.answered, t.accepted, t.late, t.other, t.fivexx, t.sent_after, e.connect, e.read, e.write, e.timeout))
  io.write("AMI-FAILURES" .. failure_text .. "\n")
end
