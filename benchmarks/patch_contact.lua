-- wrk script for PATCH /api/v1/contacts/{id}: each request changes the job title of the
-- next contact of ROLODEX_BENCH_IDS (comma-separated ids), through ROLODEX_BENCH_API_KEY.
local api_key = os.getenv("ROLODEX_BENCH_API_KEY") or ""
local ids = {}
for id in string.gmatch(os.getenv("ROLODEX_BENCH_IDS") or "", "[^,]+") do
  table.insert(ids, id)
end
local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "PATCH"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  wrk.headers["X-API-Key"] = api_key
end

function request()
  counter = counter + 1
  -- threads take disjoint halves of the ids' cycle, so two never patch the same row at once
  local id = ids[((counter * #threads + (thread_no or 1)) % #ids) + 1]
  local body = string.format('{"job_title":"Patched %d-%d"}', thread_no or 0, counter)
  return wrk.format(nil, "/api/v1/contacts/" .. id, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
