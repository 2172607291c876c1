#!/usr/bin/env bash
# bench/payments-limit.sh (npm run bench:payments-limit) — recordPayment through our API against
# the limit of the same transaction on this machine: the posting written as one PL/pgSQL function
# (bench/payments-limit.sql, created in the bench database only) run by pgbench
# (bench/payments-limit.pgbench) on the same loans with the same amount. ROUNDS rounds, each an
# API run (bench/payments.sh: wrk, the key-by-key check, the ledger audit) and a pgbench run with
# the same duration and as many database connections as the gateway's pool, the order swapped
# every other round (API first, then pgbench first) so a drift of the machine's load hits both.
# Each pgbench round runs on a copy of the bench database taken right before it, audited after it
# (the function's postings must pass the ledger audit too) and dropped. At the end, the same
# postings through both on two more copies, compared row for row (bench/payments-limit-equal.ts),
# and the bench database audited once more. Reports req/s of each, the ratio per round, median and spread.
# See bench/README.md. Loopback only; everything started here is stopped here (payments.sh stops
# its gateway; pgbench ends at -T).
#
# Env (all optional; the API side takes payments.sh's: PAY_LOANS, PAY_AMOUNT, CONC, THREADS, …)
#   BENCH_PAYMENTS_DATABASE_URL  as payments.sh (default …/gateway_bench_payments)
#   ROUNDS=3  DURATION=15  WARMUP=3  DB_POOL_MAX=10 (gateway pool = pgbench clients)
#   PGB_MIN_PAYMENTS=200  pgbench pays loans with this many payments' worth outstanding (on its copy)
#   PGBENCH   default /usr/lib/postgresql/15/bin/pgbench, else pgbench on PATH
set -euo pipefail
BENCH_KIND=payments-limit
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DB_URL="${BENCH_PAYMENTS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gateway_bench_payments}"
ROUNDS="${ROUNDS:-3}" DURATION="${DURATION:-15}" WARMUP="${WARMUP:-3}" THREADS="${THREADS:-2}"
POOL="${DB_POOL_MAX:-10}" NLOANS="${PAY_LOANS:-2000}" AMOUNT="${PAY_AMOUNT:-5000}"
SECRET="${BENCH_JWT_SECRET:-gateway-bench-only-secret-not-for-production}"
TS="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/results/payments-limit-$TS"
WORK="$(mktemp -d /tmp/gateway-bench-payments-limit.XXXXXX)"
PGBENCH="${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}"
[ -x "$PGBENCH" ] || PGBENCH="$(command -v pgbench)" || { echo "pgbench not found" >&2; exit 1; }
cd "$ROOT"
PORT=0
# shellcheck source=lib/common.sh
source "$ROOT/bench/lib/common.sh"
mkdir -p "$OUT"
NAME="$(db_name "$DB_URL")"
ADMIN="$(node -e 'const u=new URL(process.argv[1]); u.pathname="/postgres"; console.log(u.href)' "$DB_URL")"
COPIES=()
trap 'for c in "${COPIES[@]}"; do psql -XAtq "$ADMIN" -c "drop database if exists $c with (force)"; done; cleanup' EXIT

ACTIVE="'CURRENT','LATE_1DPD','LATE_5DPD','LATE_30DPD','LATE_60DPD','LATE_90DPD','LATE_120DPD','LATE_150DPD','LATE_180DPD'"
api_round() { # round
  log "round $1: API (bench/payments.sh)"
  set +e
  PAY_RESULTS_DIR="$OUT/api-$1" PAY_SQL=0 DURATION="$DURATION" WARMUP="$WARMUP" DB_POOL_MAX="$POOL" \
    BENCH_PAYMENTS_DATABASE_URL="$DB_URL" bash bench/payments.sh > "$WORK/api-$1.log" 2>&1
  echo $? > "$WORK/api-$1.rc"
  set -e
  [ -f "$OUT/api-$1/results.json" ] || { tail -30 "$WORK/api-$1.log" >&2; echo "payments.sh wrote no results" >&2; exit 1; }
}
pg_round() { # round
  # pgbench runs on a copy of the database taken now (the state the adjacent API round sees): its
  # ~50,000 postings a round would otherwise drain the open loans both sides need (a loan paid
  # off mid-round aborts its pgbench client). The copy is audited after the round and dropped.
  local copy="${NAME}_pgb" copy_url
  copy_url="$(node -e 'const u=new URL(process.argv[1]); u.pathname="/"+process.argv[2]; console.log(u.href)' "$DB_URL" "$copy")"
  psql -XAtq "$ADMIN" -c "drop database if exists $copy" -c "create database $copy template $NAME"
  COPIES+=("$copy")
  log "round $1: pgbench on copy $copy, $POOL clients, ${WARMUP}s warm-up + ${DURATION}s"
  # payments.sh's query and order, with PGB_MIN_PAYMENTS (200) payments' worth outstanding
  psql -XAtq "$copy_url" -v ON_ERROR_STOP=1 -f bench/payments-limit.sql >/dev/null
  psql -XAtq "$copy_url" -v ON_ERROR_STOP=1 -c "truncate bench_pay_limit_loans;
     insert into bench_pay_limit_loans select row_number() over (), id from (
       select l.id from loans l join payments p on p.loan_id = l.id where l.status in ($ACTIVE)
       group by l.id having sum(p.principal_due + p.interest_due + p.late_fee_due - p.paid_amount) >= ${PGB_MIN_PAYMENTS:-200} * $AMOUNT
       order by md5(l.id::text) limit $NLOANS) x; analyze" >/dev/null
  local n per prefix="pgb-$TS-r$1-m-"
  n="$(psql -XAtq "$copy_url" -c "select count(*) from bench_pay_limit_loans")"; per=$(( n / POOL ))
  [ "$per" -ge 1 ] || { echo "only $n loans with ${PGB_MIN_PAYMENTS:-200} payments' worth outstanding" >&2; exit 1; }
  local args=(-n -M prepared -c "$POOL" -j "$THREADS" -D clients="$POOL" -D per="$per" -D amount="$AMOUNT" -f bench/payments-limit.pgbench)
  timeout $(( WARMUP + 60 )) "$PGBENCH" "${args[@]}" -D prefix="pgb-$TS-r$1-w-" -T "$WARMUP" "$copy_url" > "$WORK/pg-$1-warmup.txt" 2>&1 || true
  sleep 2
  read -r mb0 mt0 _ < <(machine_ticks); pg0=$(pg_cluster_ticks); w0=$(date +%s.%N)
  set +e
  timeout $(( DURATION + 60 )) "$PGBENCH" "${args[@]}" -D prefix="$prefix" -T "$DURATION" "$copy_url" > "$OUT/pgbench-$1.txt" 2>&1
  local rc=$?
  set -e
  read -r mb1 mt1 _ < <(machine_ticks); pg1=$(pg_cluster_ticks); w1=$(date +%s.%N)
  local committed audit_rc
  committed="$(psql -XAtq "$copy_url" -c "select count(*) from payment_transactions where idempotency_key like '$prefix%'")"
  set +e
  DATABASE_URL="$copy_url" NODE_ENV=production JWT_SECRET="$SECRET" timeout 600 npx tsx src/cli/audit.ts --json > "$OUT/audit-pgbench-$1.json"
  audit_rc=$?
  set -e
  psql -XAtq "$ADMIN" -c "drop database if exists $copy with (force)"
  local wall; wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN{ printf "%.3f", b-a }')
  local tps done_n failed
  tps="$(awk '/^tps = /{ print $3 }' "$OUT/pgbench-$1.txt")"
  done_n="$(awk -F': ' '/number of transactions actually processed/{ print $2 }' "$OUT/pgbench-$1.txt")"
  failed="$(awk -F': ' '/number of failed transactions/{ split($2, a, " "); print a[1] }' "$OUT/pgbench-$1.txt")"
  node -e 'const [r, rc, tps, done, failed, committed, loans, mach, pg, arc] = process.argv.slice(1);
    console.log(JSON.stringify({ round: +r, exit_code: +rc, tps: +tps, transactions: +done, failed: +(failed || 0),
      committed_with_round_prefix: +committed, loans: +loans, machine_busy_cores: +mach, pg_cluster_cores: +pg, audit_exit_code: +arc }))' \
    "$1" "$rc" "${tps:-0}" "${done_n:-0}" "${failed:-0}" "$committed" "$n" \
    "$(awk -v b=$((mb1 - mb0)) -v t=$((mt1 - mt0)) -v n="$(nproc)" 'BEGIN{ printf "%.2f", t ? n*b/t : 0 }')" \
    "$(cores $((pg1 - pg0)) "$wall")" "$audit_rc" > "$OUT/pgbench-$1.json"
  log "round $1: pgbench $tps tps ($done_n transactions, $committed committed, $failed failed, audit exit $audit_rc)"
}

log "the first API round seeds the database if needed (payments.sh)"
for r in $(seq 1 "$ROUNDS"); do
  if [ "$r" = 1 ]; then
    api_round 1; pg_round 1
  elif [ $(( r % 2 )) = 0 ]; then pg_round "$r"; api_round "$r"
  else api_round "$r"; pg_round "$r"; fi
done

log "row-for-row check: the same postings through the API and through the function on two copies"
set +e
EQ_TEMPLATE_URL="$DB_URL" EQ_PREFIX="${NAME}_eq" timeout 600 node --import tsx bench/payments-limit-equal.ts > "$OUT/equal.json" 2> "$WORK/equal.log"
EQUAL_RC=$?
set -e
[ -s "$OUT/equal.json" ] || { cat "$WORK/equal.log" >&2; echo '{}' > "$OUT/equal.json"; }
log "ledger audit of the bench database after every round"
set +e
DATABASE_URL="$DB_URL" NODE_ENV=production JWT_SECRET="$SECRET" timeout 600 npx tsx src/cli/audit.ts --json > "$OUT/audit-final.json"
AUDIT_RC=$?
set -e
export R_TS="$TS" R_ROUNDS="$ROUNDS" R_POOL="$POOL" R_AUDIT_RC="$AUDIT_RC" R_EQUAL_RC="$EQUAL_RC" R_MACHINE="$(machine_json)"
export R_DATA="$(q "select format('%s customers, %s loans (%s open), %s installments, %s payment transactions after the run', (select count(*) from customers), (select count(*) from loans), (select count(*) from loans where status in ($ACTIVE)), (select count(*) from payments), (select count(*) from payment_transactions))")"
set +e
node bench/lib/payments-limit-report.mjs "$OUT"
RC=$?
set -e
cat "$OUT/summary.md" >&2
log "results in $OUT (logs in $WORK)"
exit $RC
