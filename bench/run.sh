#!/usr/bin/env bash
# bench/run.sh — side-by-side benchmark of this gateway against PostGraphile and the one-SQL
# "limit" server, using the shared harness ../shared/peer-bench (called where it is, never
# copied). See bench/README.md. Every load is time-bounded and on 127.0.0.1 only; every process
# started here is stopped here (by PID). The bench database is kept for reuse.
#
# Env (all optional)
#   BENCH_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/gateway_bench (created if missing)
#   BENCH_CUSTOMERS     customers to seed when the database has none (default 20000)
#   BENCH_PORT          our gateway's port (default 4000)
#   BENCH_JWT_SECRET    JWT secret of the bench gateway (default a fixed bench-only value)
#   BENCH_COMPARE=1     check that both servers return the same data (needs PostGraphile)
#   BENCH_SQL_COUNT=1   measure transactions and table scans per request of our gateway
#   BENCH_ANALYZE=1     0 = do NOT run ANALYZE first (measure a database without planner statistics,
#                       e.g. right after a bulk load; machine.txt records the statistics present)
#   BENCH_PROFILE=0     1 = afterwards, CPU-profile our gateway under one op's load
#   BENCH_PROFILE_OP=list  the op profiled: list or point
#   BENCH_PROFILE_SECONDS=10
#   PEER_BENCH_DIR      default ../shared/peer-bench (beside the repository)
#   passed through to peer-bench/bench.sh: TARGETS (default "custom postgraphile limit
#   pgbench_pool"), DURATION (10), WARMUP (2), REPEAT (1), CONC, THREADS, OPS, IDS_N, PEER_POOL_MAX
#   PEER_POOL_MAX is also our gateway's DB_POOL_MAX: every server gets the same pool (default 10)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The harness beside the repository (../shared/peer-bench, as every checkout of the team has it).
PEER="${PEER_BENCH_DIR:-$ROOT/../shared/peer-bench}"
if [ ! -x "$PEER/bench.sh" ]; then
  echo "bench: the peer harness is not at $PEER (../shared/peer-bench beside the repository); set PEER_BENCH_DIR" >&2
  exit 1
fi
PEER="$(cd "$PEER" && pwd)"
DB_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gateway_bench}"
CUSTOMERS="${BENCH_CUSTOMERS:-20000}"
PORT="${BENCH_PORT:-4000}"
SECRET="${BENCH_JWT_SECRET:-gateway-bench-only-secret-not-for-production}"
export TARGETS="${TARGETS:-custom postgraphile limit pgbench_pool}"
export DURATION="${DURATION:-10}" WARMUP="${WARMUP:-2}" REPEAT="${REPEAT:-1}"
TS="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/results/$TS"
WORK="$(mktemp -d /tmp/gateway-bench.XXXXXX)"
URL="http://127.0.0.1:$PORT"
cd "$ROOT"

# Process bookkeeping (stopped by PID on exit), log(), q() and start_gateway() — shared with
# payments.sh and fanout.sh. Its ensure_database() refuses gateway_bench, so the database is
# handled below.
BENCH_KIND=bench
# shellcheck source=lib/common.sh
source "$ROOT/bench/lib/common.sh"

# ---- database --------------------------------------------------------------------------------
DB_NAME="$(node -e 'console.log(decodeURIComponent(new URL(process.argv[1]).pathname.slice(1)))' "$DB_URL")"
ADMIN_URL="$(node -e 'const u=new URL(process.argv[1]); u.pathname="/postgres"; console.log(u.href)' "$DB_URL")"
[[ "$DB_NAME" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "unexpected database name: $DB_NAME" >&2; exit 2; }
if [ -z "$(psql -XAtq "$ADMIN_URL" -c "select 1 from pg_database where datname = '$DB_NAME'")" ]; then
  log "creating database $DB_NAME"
  psql -XAtq "$ADMIN_URL" -c "create database $DB_NAME"
fi
HAVE="$(q "select case when to_regclass('public.customers') is null then 0 else (select count(*) from customers) end")"
SEED_NOTE="existing data (not seeded by this run)"
if [ "$HAVE" = 0 ]; then
  log "seeding $CUSTOMERS customers through src/cli/seed.ts (lifecycle commands; minutes)"
  t0=$(date +%s)
  DATABASE_URL="$DB_URL" NODE_ENV=production JWT_SECRET="$SECRET" \
    npx tsx src/cli/seed.ts --customers "$CUSTOMERS" > "$WORK/seed.json"
  SEED_NOTE="seeded by this run in $(( $(date +%s) - t0 )) s: $(tail -1 "$WORK/seed.json")"
fi
if [ "${BENCH_ANALYZE:-1}" = 1 ]; then
  log "ANALYZE"
  q "analyze" >/dev/null
else
  log "BENCH_ANALYZE=0: no ANALYZE ($(q "select count(*) from pg_stats where schemaname = 'public'") pg_stats rows in public)"
fi
STATS_NOTE="$(q "select format('%s pg_stats rows in public; customers reltuples %s, last analyze %s', (select count(*) from pg_stats where schemaname = 'public'), (select reltuples::bigint from pg_class where oid = 'public.customers'::regclass), coalesce((select greatest(last_analyze, last_autoanalyze)::text from pg_stat_user_tables where relid = 'public.customers'::regclass), 'never'))")"

# ---- our gateway -----------------------------------------------------------------------------
POOL="${PEER_POOL_MAX:-10}"
export PEER_POOL_MAX="$POOL"
start_gateway DB_POOL_MAX="$POOL"
TOKEN="$(npx tsx src/cli/token.ts --role ADMIN --sub bench --secret "$SECRET" --expires 6h)"
AUTH="Bearer $TOKEN"

# our two operations, in our schema's names (sources: bench/ops/). Our lists are newest-first and
# PostGraphile's list op takes the 50 OLDEST customers; with BENCH_LIST_PAGE=oldest (default) our
# list op gets `after: <cursor of the 51st-oldest>` so both servers serve the same 50 customers
# (the newest customers of a fresh seed have applications but no loans yet: a far lighter page).
# BENCH_LIST_PAGE=first measures the literal `customers(first: 50)`.
mkdir -p "$WORK/ops"
cp bench/ops/point.graphql "$WORK/ops/"
LIST_PAGE="${BENCH_LIST_PAGE:-oldest}"
if [ "$LIST_PAGE" = oldest ]; then
  CURSOR="$(BENCH_AUTH="$AUTH" node bench/list-cursor.mjs "$URL/graphql" 50)"
  sed "/^[[:space:]]*#/!s/customers(first: 50)/customers(first: 50, after: \"$CURSOR\")/" bench/ops/list.graphql > "$WORK/ops/list.graphql"
  grep -q 'after: "' "$WORK/ops/list.graphql" || { echo "could not insert the cursor into list.graphql" >&2; exit 1; }
else
  cp bench/ops/list.graphql "$WORK/ops/"
fi
q "select id from loans order by md5(id::text) limit 1000" > "$WORK/loan-ids.txt"   # same pick as bench.sh
mkdir -p "$OUT"

# ---- same data? ------------------------------------------------------------------------------
if [ "${BENCH_COMPARE:-1}" = 1 ] && [[ " $TARGETS " == *" postgraphile "* ]]; then
  log "starting PostGraphile on :5688 for the data comparison"
  PGL_PID="$(PEER_POSTGRAPHILE_PORT=5688 PEER_LOG_DIR="$WORK/pgl-compare" DATABASE_URL="$DB_URL" \
    "$PEER/run-postgraphile.sh" | tail -1)"
  PIDS+=("$PGL_PID:postgraphile(compare)")
  set +e
  BENCH_AUTH="$AUTH" node bench/compare.mjs "$URL/graphql" http://127.0.0.1:5688/graphql "$WORK/ops" "$PEER/ops" \
    "$WORK/loan-ids.txt" "$OUT/compare.json" | tee "$OUT/compare.txt"
  CMP_RC=${PIPESTATUS[0]}
  set -e
  stop_pid "$PGL_PID" "postgraphile(compare)"
  [ "$CMP_RC" = 0 ] && log "compare: same data" || log "WARNING: compare found differences (see $OUT/compare.json)"
fi

# ---- SQL work per request of our gateway -----------------------------------------------------
# pg_stat_database.xact_commit (= statements when each runs in autocommit) and table scans
# (seq_scan + idx_scan per table). Backends flush their counters within ~10 s of going idle
# (PostgreSQL 15), hence the sleeps; an idle window of the same length is the baseline.
if [ "${BENCH_SQL_COUNT:-1}" = 1 ]; then
  N=100
  snap() {
    psql -XAtq -F ' ' "$DB_URL" -c "select 'xact', xact_commit + xact_rollback from pg_stat_database where datname = current_database()
      union all select relname, coalesce(seq_scan,0) + coalesce(idx_scan,0) from pg_stat_user_tables order by 1"
  }
  delta() { awk 'NR==FNR { a[$1]=$2; next } { d=$2-a[$1]; if (d) printf "%s=%s ", $1, d }' "$1" "$2"; }
  send() { # op n — n sequential requests (point: a different loan id each)
    BENCH_AUTH="$AUTH" node -e '
      const fs = require("fs"); const [url, dir, op, n, idsFile] = process.argv.slice(1);
      const query = fs.readFileSync(`${dir}/${op}.graphql`, "utf8");
      const ids = fs.readFileSync(idsFile, "utf8").split("\n").filter(Boolean);
      (async () => {
        for (let i = 0; i < Number(n); i++) {
          const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json",
            authorization: process.env.BENCH_AUTH }, body: JSON.stringify({ query, variables: op === "point" ? { id: ids[i] } : undefined }) });
          const b = await r.json(); if (r.status !== 200 || b.errors) throw new Error(JSON.stringify(b).slice(0, 300));
        }
      })().catch((e) => { console.error(e); process.exit(1); });' "$URL/graphql" "$WORK/ops" "$1" "$2" "$WORK/loan-ids.txt"
  }
  printf 'window\trequests\tdeltas (xact = committed+rolled back transactions; table = seq+idx scans)\n' > "$OUT/sql-per-request.tsv"
  sleep 11
  snap > "$WORK/s0"; sleep 14; snap > "$WORK/s1"
  printf 'idle 14s\t0\t%s\n' "$(delta "$WORK/s0" "$WORK/s1")" >> "$OUT/sql-per-request.tsv"
  for op in list point; do
    snap > "$WORK/s0"; t0=$(date +%s.%N); send "$op" "$N"; t1=$(date +%s.%N)
    sleep 11; snap > "$WORK/s1"
    printf '%s (%.0fs sequential + 11s)\t%s\t%s\n' "$op" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{ print b-a }')" "$N" "$(delta "$WORK/s0" "$WORK/s1")" >> "$OUT/sql-per-request.tsv"
  done
  log "SQL work per request:"; cat "$OUT/sql-per-request.tsv" >&2
fi

# ---- the side-by-side run --------------------------------------------------------------------
log "peer-bench: TARGETS=\"$TARGETS\" DURATION=$DURATION WARMUP=$WARMUP REPEAT=$REPEAT"
PEER_OUT="$WORK/peer" DATABASE_URL="$DB_URL" \
  CUSTOM_URL="$URL/graphql" CUSTOM_PID="$GW_PID" CUSTOM_OPS_DIR="$WORK/ops" CUSTOM_AUTH="$AUTH" \
  "$PEER/bench.sh" 2>&1 | tee "$WORK/bench.out"

cp "$WORK/peer/results.tsv" "$WORK/peer/env.txt" "$OUT/"
cp "$WORK/ops/list.graphql" "$OUT/ours.list.graphql"
mkdir -p "$OUT/raw"
for f in "$WORK"/peer/*.rep*.txt; do [ -f "$f" ] && cp "$f" "$OUT/raw/"; done
for f in "$WORK"/peer/got.*.json; do [ -f "$f" ] && printf '%s\t%s bytes\n' "$(basename "$f")" "$(wc -c < "$f")"; done > "$OUT/response-sizes.tsv"
{
  echo "run: $TS (UTC)  bench/run.sh  TARGETS=\"$TARGETS\" DURATION=$DURATION WARMUP=$WARMUP REPEAT=$REPEAT CONC=${CONC:-32}"
  echo "machine: $(uname -srm); $(nproc) CPUs: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo); $(awk '/MemTotal/{printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
  echo "  shared by the load generator (wrk), the servers and PostgreSQL; other tenants possible (see other_cores)"
  echo "node: $(node -v) (gateway, limit); PostGraphile on node 22 from npm (see env.txt)"
  echo "postgres: $(q 'select version()')"
  echo "database: $(echo "$DB_URL" | sed -E 's#//([^:/@]+):[^@]*@#//\1:***@#') size $(q "select pg_size_pretty(pg_database_size(current_database()))")"
  echo "data: $(q "select format('%s customers, %s applications, %s loans, %s payments', (select count(*) from customers), (select count(*) from loan_applications), (select count(*) from loans), (select count(*) from payments))")"
  echo "  max applications per customer: $(q "select coalesce(max(n),0) from (select count(*) n from loan_applications group by customer_id) x") (our applications page is first: 20)"
  echo "code: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo " + uncommitted changes in src/ ($(git diff --stat HEAD -- src | tail -1 | sed 's/^ *//'))")"
  echo "seed: $SEED_NOTE"
  echo "planner statistics: BENCH_ANALYZE=${BENCH_ANALYZE:-1}: $STATS_NOTE"
  echo "our list page: BENCH_LIST_PAGE=$LIST_PAGE ($( [ "$LIST_PAGE" = oldest ] && echo 'customers(first: 50, after: <cursor of the 51st-oldest>) = the same 50 customers as PostGraphile' || echo 'customers(first: 50) = the 50 NEWEST customers, not the ones PostGraphile serves'))"
  echo "gateway: NODE_ENV=production LOG_LEVEL=warn node --import tsx src/main.ts (DB_POOL_MAX=$POOL; PostGraphile and the limit server: PEER_POOL_MAX=$POOL; pgbench_pool: -c $POOL)"
} > "$OUT/machine.txt"

# ---- optional: where our time goes -----------------------------------------------------------
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
  stop_pid "$GW_PID" gateway
  mkdir -p "$WORK/prof"
  p0=$(date +%s%N)
  GW_NODE_FLAGS="--cpu-prof --cpu-prof-dir=$WORK/prof" start_gateway DB_POOL_MAX="$POOL"
  sleep 1
  SKIP_MS=$(( ($(date +%s%N) - p0) / 1000000 ))   # startup: left out of the summary
  WRK="$(command -v wrk || echo /tmp/peer-wrk/root/usr/bin/wrk)"
  export LD_LIBRARY_PATH="/tmp/peer-wrk/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  POP="${BENCH_PROFILE_OP:-list}"
  [[ "$POP" =~ ^(list|point)$ ]] || { echo "BENCH_PROFILE_OP must be list or point" >&2; exit 2; }
  log "profiling the gateway under the $POP load for ${BENCH_PROFILE_SECONDS:-10} s"
  PEER_BODY="$WORK/peer/custom.$POP.body.json" PEER_IDS="$WORK/peer/loan-ids.txt" PEER_AUTH="$AUTH" \
    timeout $(( ${BENCH_PROFILE_SECONDS:-10} + 30 )) "$WRK" -t2 -c"${CONC:-32}" -d"${BENCH_PROFILE_SECONDS:-10}s" \
    --timeout 10s --latency -s "$PEER/wrk-post.lua" "$URL/graphql" > "$OUT/profile-$POP.wrk.txt" 2>&1 || true
  stop_pid "$GW_PID" gateway
  PROF="$(ls -S "$WORK"/prof/*.cpuprofile 2>/dev/null | head -1)"   # main thread (tsx's loader thread is small)
  if [ -n "$PROF" ]; then node bench/profile-summary.mjs "$PROF" 40 "$SKIP_MS" > "$OUT/profile-$POP.txt"; head -50 "$OUT/profile-$POP.txt" >&2
  else log "no .cpuprofile written"; fi
fi

node bench/plot.mjs "$OUT/results.tsv" "$OUT/plot.svg"
cp "$OUT/plot.svg" bench/plot.svg
log "results in $OUT (raw harness output in $WORK)"
