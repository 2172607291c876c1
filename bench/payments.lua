-- payments.lua — wrk script for bench/payments.sh: one recordPayment mutation per request, each
-- on the next loan of a fixed list (round robin, so the requests in flight are on distinct loans)
-- with a unique idempotency key, and per-response checking (GraphQL errors come with HTTP 200).
--   PAY_BODY     request body template with the markers __LOAN__ and __KEY__
--   PAY_LOANS    file of loan ids, one per line
--   PAY_PREFIX   idempotency key prefix (unique per run and phase)
--   PAY_AUTH     Authorization header value
--   PAY_OUT      directory: ok-<thread>.txt (idempotency keys of successful responses),
--                bad-<thread>.txt (the first bad responses), summary.json (from done())
local function readall(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = assert(os.getenv("PAY_AUTH"), "PAY_AUTH not set")

local body = readall(assert(os.getenv("PAY_BODY"), "PAY_BODY not set"))
local li, lj = string.find(body, "__LOAN__", 1, true)
local pre = body:sub(1, li - 1)
local rest = body:sub(lj + 1)
local ki, kj = string.find(rest, "__KEY__", 1, true)
local mid, post = rest:sub(1, ki - 1), rest:sub(kj + 1)
local prefix = assert(os.getenv("PAY_PREFIX"), "PAY_PREFIX not set")
local outdir = assert(os.getenv("PAY_OUT"), "PAY_OUT not set")

local loans = {}
for line in io.lines((assert(os.getenv("PAY_LOANS"), "PAY_LOANS not set"))) do
  if #line > 0 then loans[#loans + 1] = line end
end
assert(#loans > 0, "no loans in PAY_LOANS")

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local okf, badf, step, pos
local seq, bad_logged = 0, 0
-- globals: read by done() through thread:get
sent, ok, gql_errors, http_errors = 0, 0, 0, 0

function init(args)
  -- thread k (1-based) takes loans k, k+T, k+2T, ... with T = the number of threads
  step = tonumber(os.getenv("PAY_THREADS") or "1")
  pos = tid
  okf = assert(io.open(outdir .. "/ok-" .. tid .. ".txt", "w"))
  okf:setvbuf("line")
  badf = assert(io.open(outdir .. "/bad-" .. tid .. ".txt", "w"))
end

function request()
  seq = seq + 1
  sent = sent + 1
  local loan = loans[((pos - 1) % #loans) + 1]
  pos = pos + step
  return wrk.format(nil, nil, nil, pre .. loan .. mid .. prefix .. "-" .. tid .. "-" .. seq .. post)
end

function response(status, headers, resp)
  local key = resp and string.match(resp, '"idempotencyKey":"([^"]+)"')
  if status == 200 and key and not string.find(resp, '"errors"', 1, true) and string.find(resp, '"replayed":false', 1, true) then
    ok = ok + 1
    okf:write(key, "\n")
  else
    if status == 200 then gql_errors = gql_errors + 1 else http_errors = http_errors + 1 end
    if bad_logged < 20 then
      bad_logged = bad_logged + 1
      badf:write(status, " ", string.sub(resp or "", 1, 500), "\n")
      badf:flush()
    end
  end
end

function done(summary, latency, requests)
  local t_sent, t_ok, t_gql, t_http = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    t_sent = t_sent + t:get("sent")
    t_ok = t_ok + t:get("ok")
    t_gql = t_gql + t:get("gql_errors")
    t_http = t_http + t:get("http_errors")
  end
  local e = summary.errors
  local f = assert(io.open(outdir .. "/summary.json", "w"))
  f:write(string.format(
    '{"duration_s":%.3f,"responses":%d,"sent":%d,"ok":%d,"graphql_errors":%d,"http_errors":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"status_errors":%d,' ..
    '"latency_ms":{"p50":%.2f,"p90":%.2f,"p99":%.2f,"max":%.2f,"mean":%.2f}}\n',
    summary.duration / 1e6, summary.requests, t_sent, t_ok, t_gql, t_http,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
  f:close()
end
