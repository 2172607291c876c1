#!/usr/bin/env bash
# bench/payments.sh (npm run bench:payments) — payment write load on our gateway: recordPayment
# mutations (ADMIN), each on a different loan of a prepared set (round robin), unique
# idempotency keys, an amount far below an installment (loans stay open), at a fixed concurrency
# for a bounded time, with wrk + bench/payments.lua. Afterwards: the ledger audit and a
# key-by-key check that every successful response is one committed payment transaction.
# See bench/README.md. Loopback only; everything started here is stopped here by PID.
#
# Env (all optional)
#   BENCH_PAYMENTS_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/gateway_bench_payments
#                      (created if missing; refuses gateway_bench, gateway_ci and *_test*)
#   PAY_LOANS=2000     open (CURRENT/LATE) loans to spread the payments over; seeded through
#                      src/cli/seed.ts (the lifecycle commands) when the database has fewer
#   PAY_AMOUNT=5000    IDR per payment (installments are 0.4–3 M IDR in the seeded data)
#   CONC=32 THREADS=2 DURATION=15 WARMUP=3
#   BENCH_PORT=4100    BENCH_JWT_SECRET (bench-only default)   DB_POOL_MAX (gateway default 10)
#   PAY_SQL=1          afterwards, count the SQL statements of 20 sequential payments (bench/payments-sql.ts)
#   PAY_PROFILE=0      1 = afterwards, CPU-profile the gateway under the same load (PAY_PROFILE_SECONDS=10)
#   PAY_RESULTS_DIR    where the results go (default bench/results/payments-<ts>; payments-limit.sh sets it)
#   PEER_WRK           wrk binary (default: wrk on PATH, else /tmp/peer-wrk as peer-bench extracts it)
set -euo pipefail
BENCH_KIND=payments
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DB_URL="${BENCH_PAYMENTS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gateway_bench_payments}"
PORT="${BENCH_PORT:-4100}"
SECRET="${BENCH_JWT_SECRET:-gateway-bench-only-secret-not-for-production}"
NLOANS="${PAY_LOANS:-2000}"
AMOUNT="${PAY_AMOUNT:-5000}"
CONC="${CONC:-32}" THREADS="${THREADS:-2}" DURATION="${DURATION:-15}" WARMUP="${WARMUP:-3}"
TS="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${PAY_RESULTS_DIR:-$ROOT/bench/results/payments-$TS}"
WORK="$(mktemp -d /tmp/gateway-bench-payments.XXXXXX)"
RUN="bench-$TS-$$"            # idempotency key prefix of this run
cd "$ROOT"
# shellcheck source=lib/common.sh
source "$ROOT/bench/lib/common.sh"

WRK="${PEER_WRK:-$(command -v wrk || echo /tmp/peer-wrk/root/usr/bin/wrk)}"
if [ ! -x "$WRK" ]; then
  log "extracting wrk + libluajit from Debian .debs into /tmp/peer-wrk (as peer-bench does; no system install)"
  mkdir -p /tmp/peer-wrk/debs
  (cd /tmp/peer-wrk/debs && apt-get download wrk libluajit-5.1-2 >/dev/null 2>&1)
  for d in /tmp/peer-wrk/debs/*.deb; do dpkg-deb -x "$d" /tmp/peer-wrk/root; done
fi
export LD_LIBRARY_PATH="/tmp/peer-wrk/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
{ "$WRK" -v 2>&1 || true; } | grep -q "^wrk " || { echo "wrk does not run: $WRK" >&2; exit 1; }

# ---- database and loans ----------------------------------------------------------------------
ensure_database "$DB_URL"
ACTIVE="'CURRENT','LATE_1DPD','LATE_5DPD','LATE_30DPD','LATE_60DPD','LATE_90DPD','LATE_120DPD','LATE_150DPD','LATE_180DPD'"
# open loans with at least 100 payments' worth outstanding (so they stay open run after run)
open_loans_sql="select l.id from loans l join payments p on p.loan_id = l.id where l.status in ($ACTIVE)
  group by l.id having sum(p.principal_due + p.interest_due + p.late_fee_due - p.paid_amount) >= 100 * $AMOUNT"
count_open() {
  if [ "$(q "select to_regclass('public.loans') is not null")" = t ]; then q "select count(*) from ($open_loans_sql) x"; else echo 0; fi
}
HAVE="$(count_open)"
SEED_NOTE="reused: $HAVE open loans present"
if [ "$HAVE" -lt "$NLOANS" ]; then
  MORE=$(( (NLOANS - HAVE) * 7 / 2 + 50 ))   # ~30 % of seeded customers end with an open loan
  log "$HAVE open loans < $NLOANS: seeding $MORE customers through src/cli/seed.ts (lifecycle commands)"
  t0=$(date +%s)
  DATABASE_URL="$DB_URL" NODE_ENV=production JWT_SECRET="$SECRET" \
    timeout 3600 npx tsx src/cli/seed.ts --customers "$MORE" > "$WORK/seed.json"
  HAVE="$(count_open)"
  SEED_NOTE="seeded $MORE customers in $(( $(date +%s) - t0 )) s ($(tail -1 "$WORK/seed.json")); now $HAVE open loans"
  [ "$HAVE" -ge "$NLOANS" ] || { echo "only $HAVE open loans after seeding; rerun (it seeds more) or lower PAY_LOANS" >&2; exit 1; }
fi
log "daily update (brings statuses up to today so the payments do not do catch-up work)"
DATABASE_URL="$DB_URL" NODE_ENV=production JWT_SECRET="$SECRET" timeout 600 npx tsx src/cli/daily-update.ts > "$WORK/daily-update.json"
q "$open_loans_sql order by md5(l.id::text) limit $NLOANS" > "$WORK/loans.txt"
NL=$(wc -l < "$WORK/loans.txt")
[ "$NL" -ge "$NLOANS" ] || { echo "only $NL open loans" >&2; exit 1; }
q "analyze" >/dev/null
TX_BEFORE="$(q "select count(*) from payment_transactions")"

# ---- gateway ---------------------------------------------------------------------------------
start_gateway ${DB_POOL_MAX:+DB_POOL_MAX=$DB_POOL_MAX}
TOKEN="$(npx tsx src/cli/token.ts --role ADMIN --sub bench-payments --secret "$SECRET" --expires 2h)"
AUTH="Bearer $TOKEN"
node -e '
  const fs = require("fs");
  const query = fs.readFileSync(process.argv[1], "utf8").split("\n").filter((l) => !l.trimStart().startsWith("#")).join("\n").trim();
  fs.writeFileSync(process.argv[2], JSON.stringify({ operationName: "RecordPayment", query,
    variables: { input: { loanId: "__LOAN__", amount: process.argv[3], idempotencyKey: "__KEY__", channel: "VA_BCA" } } }));' \
  bench/ops/record-payment.graphql "$WORK/body.json" "$AMOUNT"
# one request first: fail fast with a readable answer
sed -e "s/__LOAN__/$(head -1 "$WORK/loans.txt")/" -e "s/__KEY__/$RUN-check/" "$WORK/body.json" > "$WORK/check.json"
curl -s -m 30 -X POST -H 'content-type: application/json' -H "authorization: $AUTH" --data-binary @"$WORK/check.json" \
  "http://127.0.0.1:$PORT/graphql" > "$WORK/check.out"
grep -q '"replayed":false' "$WORK/check.out" && ! grep -q '"errors"' "$WORK/check.out" || { cat "$WORK/check.out" >&2; echo; echo "check request failed" >&2; exit 1; }

run_wrk() { # phase secs
  mkdir -p "$WORK/$1"
  PAY_BODY="$WORK/body.json" PAY_LOANS="$WORK/loans.txt" PAY_PREFIX="$RUN-$1" PAY_AUTH="$AUTH" PAY_OUT="$WORK/$1" PAY_THREADS="$THREADS" \
    timeout $(( $2 + 30 )) "$WRK" -t"$THREADS" -c"$CONC" -d"${2}s" --timeout 10s --latency \
    -s bench/payments.lua "http://127.0.0.1:$PORT/graphql" > "$WORK/$1/wrk.txt" 2>&1
}

log "warm-up ${WARMUP}s"
run_wrk warmup "$WARMUP" || true
sleep 2
LOAD_BEFORE="$(loadavg)"; top_procs > "$WORK/top-before.txt"
BACKENDS="$(our_backends | tr '\n' ' ')"
read -r mb0 mt0 ms0 < <(machine_ticks)
gw0=$(ticks "$GW_PID"); pg0=$(pg_cluster_ticks)
declare -A BE0=(); for p in $BACKENDS; do BE0[$p]=$(ticks "$p"); done
w0=$(date +%s.%N)
log "measuring ${DURATION}s at concurrency $CONC over $NL loans"
TIMEFORMAT='%3U %3S'
{ time run_wrk measured "$DURATION"; } 2> "$WORK/wrk.time" || true
w1=$(date +%s.%N)
read -r mb1 mt1 ms1 < <(machine_ticks)
gw1=$(ticks "$GW_PID"); pg1=$(pg_cluster_ticks)
BACKENDS_AFTER="$(our_backends | tr '\n' ' ')"
# the pool opens connections lazily: a backend that appeared during the run counts in full
BE_D=0; for p in $BACKENDS_AFTER; do BE_D=$(( BE_D + $(ticks "$p") - ${BE0[$p]:-0} )); done
LOAD_AFTER="$(loadavg)"; top_procs > "$WORK/top-after.txt"
WALL=$(awk -v a="$w0" -v b="$w1" 'BEGIN{ printf "%.3f", b-a }')
GW_C=$(cores $((gw1 - gw0)) "$WALL"); PG_C=$(cores $((pg1 - pg0)) "$WALL"); BE_C=$(cores "$BE_D" "$WALL")
LG_C=$(awk -v w="$WALL" '{ printf "%.2f", ($1+$2)/w }' "$WORK/wrk.time")
MACH_TOTAL_C=$(cores $((mt1 - mt0)) "$WALL")   # should be nproc; it is not always (VM tick accounting)
MACH_C=$(awk -v b=$((mb1 - mb0)) -v t=$((mt1 - mt0)) -v n="$(nproc)" 'BEGIN{ printf "%.2f", t ? n*b/t : 0 }')
OTHER_C=$(awk -v m="$MACH_C" -v a="$GW_C" -v b="$BE_C" -v c="$LG_C" 'BEGIN{ printf "%.2f", m-a-b-c }')
PG_OTHER_C=$(awk -v p="$PG_C" -v b="$BE_C" 'BEGIN{ printf "%.2f", p-b }')
STEAL=$(awk -v s=$((ms1 - ms0)) -v t=$((mt1 - mt0)) 'BEGIN{ printf "%.1f", t ? 100*s/t : 0 }')

# ---- verification ----------------------------------------------------------------------------
sleep 3   # requests wrk abandoned at its deadline finish on the server
[ -f "$WORK/measured/summary.json" ] || { cat "$WORK/measured/wrk.txt" >&2; echo "wrk did not finish (no summary)" >&2; exit 1; }
cat "$WORK"/measured/ok-*.txt | sort > "$WORK/ok-keys.txt"
q "select idempotency_key from payment_transactions where idempotency_key like '$RUN-measured-%'" | sort > "$WORK/db-keys.txt"
TX_AFTER="$(q "select count(*) from payment_transactions")"
OK_NOT_IN_DB=$(comm -23 "$WORK/ok-keys.txt" "$WORK/db-keys.txt" | wc -l)
DB_NOT_OK=$(comm -13 "$WORK/ok-keys.txt" "$WORK/db-keys.txt" | wc -l)
DUP_OK=$(uniq -d "$WORK/ok-keys.txt" | wc -l)
log "ledger audit"
set +e
DATABASE_URL="$DB_URL" NODE_ENV=production JWT_SECRET="$SECRET" timeout 600 npx tsx src/cli/audit.ts --json > "$WORK/audit.json"
AUDIT_RC=$?
set -e
stop_pid "$GW_PID" gateway
# SQL round trips of one payment (in-process gateway, statements observed; sequential, unloaded by us)
echo '{}' > "$WORK/sql.json"
if [ "${PAY_SQL:-1}" = 1 ]; then
  log "SQL statements per payment (20 sequential requests, in-process gateway)"
  DATABASE_URL="$DB_URL" PAY_LOANS_FILE="$WORK/loans.txt" PAY_PREFIX="$RUN-sql" PAY_AMOUNT="$AMOUNT" PAY_SQL_N=20 \
    timeout 300 node --import tsx bench/payments-sql.ts > "$WORK/sql.json" || { log "payments-sql failed"; echo '{}' > "$WORK/sql.json"; }
fi

# optional: where the gateway's time goes under this load (V8 CPU profile, startup skipped)
if [ "${PAY_PROFILE:-0}" = 1 ]; then
  mkdir -p "$WORK/prof"
  p0=$(date +%s%N)
  GW_NODE_FLAGS="--cpu-prof --cpu-prof-dir=$WORK/prof" start_gateway ${DB_POOL_MAX:+DB_POOL_MAX=$DB_POOL_MAX}
  sleep 1
  SKIP_MS=$(( ($(date +%s%N) - p0) / 1000000 ))
  log "profiling the gateway under the payment load for ${PAY_PROFILE_SECONDS:-10} s"
  run_wrk profile "${PAY_PROFILE_SECONDS:-10}" || true
  stop_pid "$GW_PID" gateway
  PROF="$(ls -S "$WORK"/prof/*.cpuprofile 2>/dev/null | head -1)"   # main thread
  [ -n "$PROF" ] && node bench/profile-summary.mjs "$PROF" 40 "$SKIP_MS" > "$WORK/profile-payments.txt" || log "no profile written"
fi

# ---- results ---------------------------------------------------------------------------------
mkdir -p "$OUT"
cp "$WORK/measured/wrk.txt" "$OUT/wrk.txt"; cp "$WORK/warmup/wrk.txt" "$OUT/wrk-warmup.txt"
cat "$WORK"/measured/bad-*.txt > "$OUT/bad-responses.txt" 2>/dev/null || true
cp bench/ops/record-payment.graphql "$OUT/"
[ -f "$WORK/profile-payments.txt" ] && cp "$WORK/profile-payments.txt" "$OUT/"
{ echo "# before"; cat "$WORK/top-before.txt"; echo "# after"; cat "$WORK/top-after.txt"; } > "$OUT/top.txt"
export R_TS="$TS" R_CONC="$CONC" R_THREADS="$THREADS" R_DURATION="$DURATION" R_WARMUP="$WARMUP" R_LOANS="$NL" R_AMOUNT="$AMOUNT"
export R_POOL="${DB_POOL_MAX:-10 (default)}" R_MACHINE="$(machine_json)"
export R_PG_SETTINGS="$(q "select json_object_agg(name, setting) from pg_settings where name in ('synchronous_commit','fsync','wal_sync_method','shared_buffers','max_connections')")"
export R_DATA="$(q "select format('%s customers, %s loans (%s open), %s installments, %s payment transactions before the run', (select count(*) from customers), (select count(*) from loans), (select count(*) from loans where status in ($ACTIVE)), (select count(*) from payments), $TX_BEFORE)")"
export R_SEED="$SEED_NOTE" R_DB_KEYS="$(wc -l < "$WORK/db-keys.txt")" R_OK_NOT_IN_DB="$OK_NOT_IN_DB" R_DUP_OK="$DUP_OK" R_DB_NOT_OK="$DB_NOT_OK"
export R_ALL_NEW="$(( TX_AFTER - TX_BEFORE ))" R_AUDIT_RC="$AUDIT_RC"
export R_MACH_TOTAL_C="$MACH_TOTAL_C" R_GW_C="$GW_C" R_BE_C="$BE_C" R_PG_C="$PG_C" R_PG_OTHER_C="$PG_OTHER_C" R_LG_C="$LG_C" R_MACH_C="$MACH_C" R_OTHER_C="$OTHER_C" R_STEAL="$STEAL" R_WALL="$WALL"
export R_LOAD_BEFORE="$LOAD_BEFORE" R_LOAD_AFTER="$LOAD_AFTER" R_BACKENDS="$BACKENDS" R_BACKENDS_AFTER="$BACKENDS_AFTER"
set +e
node bench/lib/payments-report.mjs "$WORK" "$OUT"
RC=$?
set -e
cat "$OUT/summary.md" >&2
log "results in $OUT (work files in $WORK)"
exit $RC
