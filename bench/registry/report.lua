-- wrk script: optional path rotation, status counting, and one parseable result line.
-- Usage: wrk ... -s report.lua URL -- [PATH_TEMPLATE N]
--   PATH_TEMPLATE containing %05d is formatted with 1..N in a strided order (one project page per request).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, not_modified, other = 0, 0, 0
  local template, n = args[1], tonumber(args[2] or "")
  if template and n then
    local i = 0
    request = function()
      i = i + 1
      return wrk.format(nil, string.format(template, (i * 7919) % n + 1))
    end
  end
end

function response(status, headers, body)
  if status == 304 then
    not_modified = not_modified + 1
  elseif status >= 200 and status < 300 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local s200, s304, sother = 0, 0, 0
  for _, thread in ipairs(threads) do
    s200 = s200 + thread:get("ok")
    s304 = s304 + thread:get("not_modified")
    sother = sother + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "AMI-WRK requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "ok=%d not_modified=%d other=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    s200, s304, sother, e.connect, e.read, e.write, e.timeout))
end
