#!/usr/bin/env bash
# bench/overhead.sh — what the gateway's own instrumentation costs per request: two revisions of
# the gateway (default: 392ac3e, the last one before metrics/tracing/pino, and the working tree)
# run one after the other on the same PostgreSQL database, alternating, ROUNDS times each, under
# the same wrk load of one compiled read. Reported per run: requests/s and the gateway process's
# CPU time per request (utime+stime from /proc over the measured interval, divided by requests),
# then the median and spread of each revision and the ratio B/A. CPU per request is the figure
# that matters on a shared 2-core machine: it moves much less than throughput when another process
# takes a core. Tracing stays off (no OTEL_* variables); metrics are on in B as in production.
#
#   REV_A (392ac3e)  REV_B (working tree: "WORKTREE")  ROUNDS (3)  DURATION (10 s)  CONC (8)
#   OV_OP: point (a loan with its schedule; default) or list (20 customers, nested)
#   BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/gateway_overhead: created, migrated
#   and given the demo portfolio by revision B when empty)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REV_A="${REV_A:-392ac3e}"
REV_B="${REV_B:-WORKTREE}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
CONC="${CONC:-8}"
OP="${OV_OP:-point}"
DB_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gateway_overhead}"
SECRET="overhead-bench-only-secret-0123456789"
PORT="${BENCH_PORT:-4310}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/results/overhead-$STAMP"
WORK="$(mktemp -d /tmp/overhead-XXXXXX)"
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "bench/overhead.sh: wrk not found (apt-get install wrk)" >&2; exit 1; }

DB_NAME="${DB_URL##*/}"
ADMIN_URL="${DB_URL%/*}/postgres"
psql "$ADMIN_URL" -tAc "select 1 from pg_database where datname = '$DB_NAME'" | grep -q 1 || psql "$ADMIN_URL" -qc "create database \"$DB_NAME\""

checkout() { # rev -> directory with that revision's tree and this repository's node_modules
  local rev="$1" dir
  if [ "$rev" = WORKTREE ]; then echo "$ROOT"; return; fi
  dir="$WORK/rev-$rev"
  git worktree add -q --detach "$dir" "$rev"
  ln -s "$ROOT/node_modules" "$dir/node_modules"
  echo "$dir"
}
DIR_A="$(checkout "$REV_A")"
DIR_B="$(checkout "$REV_B")"
cleanup() {
  [ -n "${GW_PID:-}" ] && kill "$GW_PID" 2>/dev/null || true
  for d in "$DIR_A" "$DIR_B"; do [ "$d" != "$ROOT" ] && git worktree remove --force "$d" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

start_gateway() { # dir seed -> GW_PID
  (cd "$1" && NODE_ENV=production LOG_LEVEL=warn DATABASE_URL="$DB_URL" JWT_SECRET="$SECRET" PORT="$PORT" HOST=127.0.0.1 \
    DB_POOL_MAX=10 SEED_DEMO="$2" exec node --import tsx src/main.ts) > "$WORK/gateway.log" 2>&1 &
  GW_PID=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$GW_PID" 2>/dev/null || { cat "$WORK/gateway.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "gateway did not become ready" >&2; exit 1
}
stop_gateway() { kill "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; GW_PID=; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Revision B migrates and, on an empty database, makes the demo portfolio (150 customers).
start_gateway "$DIR_B" true
for _ in $(seq 1 900); do
  [ "$(psql "$DB_URL" -tAc "select count(*) from loans where status <> 'INACTIVE'" 2>/dev/null || echo 0)" -ge 50 ] && break
  sleep 1
done
stop_gateway
TOKEN="$(npx tsx src/cli/token.ts --role ADMIN --sub bench-overhead --secret "$SECRET" --expires 2h)"
LOAN="$(psql "$DB_URL" -tAc "select id from loans where status = 'CURRENT' order by id limit 1")"
if [ "$OP" = list ]; then
  printf '%s' '{"query":"query List { customers(first: 20) { nodes { id fullName loans(first: 3) { nodes { id status outstandingAmount payments { installmentNumber amountDue status } } } } } }"}' > "$WORK/body.json"
else
  printf '{"query":"query Point($id: ID!) { loan(id: $id) { id status principal outstandingAmount totalPaid payments { installmentNumber dueDate amountDue paidAmount status } } }","variables":{"id":"%s"}}' "$LOAN" > "$WORK/body.json"
fi
HZ="$(getconf CLK_TCK)"

echo "revision,round,requests_per_s,cpu_us_per_request,p50_us,p99_us,bad" > "$OUT/runs.csv"
for round in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    dir="$DIR_A"; rev="$REV_A"; [ "$side" = B ] && dir="$DIR_B" && rev="$REV_B"
    start_gateway "$dir" false
    OV_BODY="$WORK/body.json" OV_AUTH="Bearer $TOKEN" wrk -t2 -c"$CONC" -d2s -s bench/overhead/post.lua "http://127.0.0.1:$PORT/graphql" > /dev/null
    t0="$(cpu_ticks "$GW_PID")"; s0="$(date +%s.%N)"
    OV_BODY="$WORK/body.json" OV_AUTH="Bearer $TOKEN" wrk -t2 -c"$CONC" -d"${DURATION}s" -s bench/overhead/post.lua "http://127.0.0.1:$PORT/graphql" > "$WORK/wrk.txt"
    t1="$(cpu_ticks "$GW_PID")"; s1="$(date +%s.%N)"
    stop_gateway
    line="$(grep OVERHEAD "$WORK/wrk.txt")"
    req="$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")"; bad="$(sed -E 's/.*bad=([0-9]+).*/\1/' <<<"$line")"
    p50="$(sed -E 's/.*p50us=([0-9]+).*/\1/' <<<"$line")"; p99="$(sed -E 's/.*p99us=([0-9]+).*/\1/' <<<"$line")"
    rps="$(awk -v r="$req" -v a="$s0" -v b="$s1" 'BEGIN { printf "%.0f", r / (b - a) }')"
    cpu="$(awk -v t="$((t1 - t0))" -v hz="$HZ" -v r="$req" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')"
    echo "$rev,$round,$rps,$cpu,$p50,$p99,$bad" | tee -a "$OUT/runs.csv"
  done
done

node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
const by = (rev, i) => rows.filter((r) => r[0] === rev).map((r) => Number(r[i])).sort((a, b) => a - b);
const med = (xs) => xs[Math.floor(xs.length / 2)];
const [a, b] = [process.argv[2], process.argv[3]];
const out = [];
for (const [i, what] of [[2, "requests/s"], [3, "CPU µs/request"]]) {
  const xa = by(a, i), xb = by(b, i);
  out.push(`${what}: ${a} median ${med(xa)} (${xa[0]}–${xa.at(-1)}), ${b} median ${med(xb)} (${xb[0]}–${xb.at(-1)}), ${b}/${a} = ${(med(xb) / med(xa)).toFixed(3)}`);
}
console.log(out.join("\n"));
' "$OUT/runs.csv" "$REV_A" "$REV_B" | tee "$OUT/summary.txt"
echo "results: $OUT"
