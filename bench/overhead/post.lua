-- post.lua — wrk script for bench/overhead.sh: the same GraphQL POST every time (OV_BODY, a file),
-- with OV_AUTH as the Authorization header; counts responses that are not 200 or carry "errors".
local f = assert(io.open(assert(os.getenv("OV_BODY"), "OV_BODY not set"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = assert(os.getenv("OV_AUTH"), "OV_AUTH not set")

local bad = 0
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then bad = bad + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("OVERHEAD requests=%d bad=%d p50us=%d p99us=%d\n", summary.requests, bad, latency:percentile(50), latency:percentile(99)))
end
