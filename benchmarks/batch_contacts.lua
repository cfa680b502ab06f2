-- wrk script for POST /api/v1/contacts/batch: 250 new contacts per request, unique emails.
local api_key = os.getenv("ROLODEX_BENCH_API_KEY") or ""
local threads = {}
local counter = 0
local tag = ""

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tag = string.format("%d-%d", os.time(), thread_no or 0)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  wrk.headers["X-API-Key"] = api_key
end

function request()
  counter = counter + 1
  local items = {}
  for n = 1, 250 do
    items[n] = string.format(
      '{"first_name":"Batch","last_name":"Item %d","email":"batch-%s-%d-%d@example.com",' ..
      '"job_title":"Load tester","source":"wrk"}', n, tag, counter, n)
  end
  return wrk.format(nil, nil, nil, '{"items":[' .. table.concat(items, ",") .. ']}')
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
