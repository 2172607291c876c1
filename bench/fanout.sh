#!/usr/bin/env bash
# bench/fanout.sh (npm run bench:fanout) — subscription fan-out: 5,000 graphql-ws
# `loanStatusChanged` subscribers (ADMIN and PARTNER tokens) in 2 client processes, the
# gateway's RSS per idle subscriber, and per-subscriber delivery latency of loan status changes
# triggered by disburseLoan mutations. The work is in bench/fanout.ts (+ fanout-client.mjs);
# this wrapper raises the fd limit, makes the database, starts the gateway and writes the
# results. Loopback only; everything started here is stopped here by PID. See bench/README.md.
#
# Env (all optional)
#   BENCH_FANOUT_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/gateway_bench_fanout
#                      (created if missing; refuses gateway_bench, gateway_ci and *_test*)
#   BENCH_PORT=4200    BENCH_JWT_SECRET (bench-only default)
#   FANOUT_SUBS=5000 FANOUT_WORKERS=2 FANOUT_ADMIN_SHARE=0.4 FANOUT_PARTNERS=5 FANOUT_OTHER_SHARE=0.1
#   FANOUT_ROUNDS=10 FANOUT_BURST=1 FANOUT_QUERY=nested|flat FANOUT_ROUND_TIMEOUT_S=60 FANOUT_DRAIN_S=120
#   FANOUT_SETTLE_S=5
#   FANOUT_TIMEOUT_S=900 (the whole TypeScript part)
#   FANOUT_MODE=distinct (npm run bench:fanout:distinct): every subscriber its own CUSTOMER or
#     PARTNER token, status changes at a rate (bench/fanout-distinct.ts; its FANOUT_* there;
#     FANOUT_SUBS defaults to 10000, the database to gateway_bench_fanout_distinct)
set -euo pipefail
BENCH_KIND=fanout
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE="${FANOUT_MODE:-shared}"
if [ "$MODE" = distinct ]; then
  DB_URL="${BENCH_FANOUT_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gateway_bench_fanout_distinct}"
  SUBS="${FANOUT_SUBS:-10000}"; export FANOUT_SUBS="$SUBS"; SCRIPT=bench/fanout-distinct.ts; BENCH_KIND=fanout-distinct
else
  DB_URL="${BENCH_FANOUT_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gateway_bench_fanout}"
  SUBS="${FANOUT_SUBS:-5000}"; SCRIPT=bench/fanout.ts
fi
PORT="${BENCH_PORT:-4200}"
SECRET="${BENCH_JWT_SECRET:-gateway-bench-only-secret-not-for-production}"
TS="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/results/$BENCH_KIND-$TS"
WORK="$(mktemp -d /tmp/gateway-bench-fanout.XXXXXX)"
cd "$ROOT"
# shellcheck source=lib/common.sh
source "$ROOT/bench/lib/common.sh"

# file descriptors: the gateway holds one socket per subscriber, each client process its share
WANT=$(( SUBS + 1000 ))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$WANT" ]; then
  ulimit -n "$WANT" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$WANT" ] || { echo "fd limit $(ulimit -n) < $WANT (hard limit $(ulimit -Hn))" >&2; exit 1; }
log "fd limit $(ulimit -n)"

ensure_database "$DB_URL"
start_gateway WS_KEEPALIVE_MS=12000
mkdir -p "$OUT"
LOAD_START="$(loadavg)"; top_procs > "$WORK/top-before.txt"
set +e
FANOUT_URL="http://127.0.0.1:$PORT" FANOUT_GW_PID="$GW_PID" FANOUT_SECRET="$SECRET" FANOUT_OUT="$WORK" \
  FANOUT_DB_URL="$DB_URL" FANOUT_PM_PID="$PM_PID" \
  timeout -k 10 "${FANOUT_TIMEOUT_S:-900}" node --import tsx "$SCRIPT"
RC=$?
set -e
LOAD_END="$(loadavg)"; top_procs > "$WORK/top-after.txt"
stop_pid "$GW_PID" gateway
{ echo "# before"; cat "$WORK/top-before.txt"; echo "# after"; cat "$WORK/top-after.txt"; } > "$OUT/top.txt"
cp "$WORK/gateway.log" "$OUT/gateway.log"
[ -f "$WORK/fanout.json" ] || { echo "bench/fanout.ts wrote no results (exit $RC)" >&2; exit 1; }
export R_TS="$TS" R_MACHINE="$(machine_json)" R_LOAD_START="$LOAD_START" R_LOAD_END="$LOAD_END" R_RC="$RC"
export R_DATA="$(q "select format('%s customers, %s loans, %s status events in the database after the run', (select count(*) from customers), (select count(*) from loans), (select count(*) from status_events))")"
if [ "$MODE" = distinct ]; then
  node -e 'const fs=require("fs"); const [i,o]=process.argv.slice(1); const e=process.env;
    const r={run:e.R_TS, command:"npm run bench:fanout:distinct", ...JSON.parse(fs.readFileSync(i,"utf8")), machine:JSON.parse(e.R_MACHINE),
      loadavg_at_start:e.R_LOAD_START, loadavg_at_end:e.R_LOAD_END, data:e.R_DATA, exit_code:Number(e.R_RC)};
    fs.writeFileSync(o+"/results.json", JSON.stringify(r,null,2)+"\n");' "$WORK/fanout.json" "$OUT"
  { cat "$WORK/summary.md"; echo; echo "Machine: $R_MACHINE. $R_DATA."; } > "$OUT/summary.md"
else
  node bench/lib/fanout-report.mjs "$WORK/fanout.json" "$OUT" || true   # exit status: bench/fanout.ts's checks
fi
cat "$OUT/summary.md" >&2
log "results in $OUT (work files in $WORK)"
exit $RC
