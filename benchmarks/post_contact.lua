-- wrk script for POST /api/v1/contacts: a JSON body with a unique email per request.
-- The API key comes from the environment (run.sh exports ROLODEX_BENCH_API_KEY).
--   ROLODEX_BENCH_API_KEY=rdx_k_... wrk -t2 -c16 -d15s --latency \
--     -s benchmarks/post_contact.lua http://127.0.0.1:8765/api/v1/contacts

-- With ROLODEX_BENCH_API_KEYS (comma-separated keys of several accounts) each connection
-- writes through the next key in turn, so the load is spread over those accounts.
local api_key = os.getenv("ROLODEX_BENCH_API_KEY") or ""
local api_keys = {}
for key in string.gmatch(os.getenv("ROLODEX_BENCH_API_KEYS") or "", "[^,]+") do
  table.insert(api_keys, key)
end
local threads = {}
local counter = 0
local tag = ""

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  -- thread_no is set by setup(); time and thread keep emails unique across runs
  tag = string.format("%d-%d", os.time(), thread_no or 0)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  wrk.headers["X-API-Key"] = api_key
end

function request()
  counter = counter + 1
  if #api_keys > 0 then
    wrk.headers["X-API-Key"] = api_keys[((counter + (thread_no or 0)) % #api_keys) + 1]
  end
  local body = string.format(
    '{"first_name":"Bench","last_name":"Mark %d","email":"bench-%s-%d@example.com",' ..
    '"phone":"+49 30 1234567","job_title":"Load tester","source":"wrk",' ..
    '"custom_fields":{"run":"%s"}}',
    counter, tag, counter, tag)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
