#!/usr/bin/env bash
# bench/daily-update-limit.sh (npm run bench:daily-update-limit) — the daily update's code path
# against the same evaluation as one set-based SQL statement (bench/daily-update-limit.sql), on
# fresh copies of the payments bench database (bench/daily-update-limit.ts does the rounds): a
# template copy is taken first (nobody may be connected to the bench database meanwhile: run it
# after bench:payments / bench:payments-limit, not during), each round copies it twice, runs the
# code path on one and the SQL on the other as of the same date, compares the end states, and
# drops both. Installments evaluated per second of each, the ratio, median and spread.
#
# Env: BENCH_PAYMENTS_DATABASE_URL (as payments.sh), DU_ROUNDS=5,
#      DU_DAYS=35 (asOf = today in Jakarta + DU_DAYS: statuses move and late fees fall due)
set -euo pipefail
BENCH_KIND=daily-update-limit
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DB_URL="${BENCH_PAYMENTS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gateway_bench_payments}"
TS="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/results/daily-update-limit-$TS"
WORK="$(mktemp -d /tmp/gateway-bench-du-limit.XXXXXX)"
PORT=0
cd "$ROOT"
# shellcheck source=lib/common.sh
source "$ROOT/bench/lib/common.sh"
NAME="$(db_name "$DB_URL")"
TPL="${NAME}_du_tpl"
ADMIN="$(node -e 'const u=new URL(process.argv[1]); u.pathname="/postgres"; console.log(u.href)' "$DB_URL")"
TPL_URL="$(node -e 'const u=new URL(process.argv[1]); u.pathname="/"+process.argv[2]; console.log(u.href)' "$DB_URL" "$TPL")"
AS_OF="$(TZ=Asia/Jakarta date -d "+${DU_DAYS:-35} days" +%F)"
psql -XAtq "$ADMIN" -c "drop database if exists $TPL" -c "create database $TPL template $NAME"
trap 'psql -XAtq "$ADMIN" -c "drop database if exists $TPL with (force)"; cleanup' EXIT
log "template $TPL; ${DU_ROUNDS:-5} rounds as of $AS_OF"
mkdir -p "$OUT"
DU_TEMPLATE_URL="$TPL_URL" DU_ROUNDS="${DU_ROUNDS:-5}" DU_AS_OF="$AS_OF" DU_PREFIX="${NAME}_du" \
  timeout 900 node --import tsx bench/daily-update-limit.ts > "$OUT/rounds.json" 2> "$WORK/log.txt" || { cat "$WORK/log.txt" >&2; exit 1; }
export R_MACHINE="$(machine_json)" R_DATA="$(q "select format('%s customers, %s loans (%s open), %s installments', (select count(*) from customers), (select count(*) from loans), (select count(*) from loans where status in ('CURRENT','LATE_1DPD','LATE_5DPD','LATE_30DPD','LATE_60DPD','LATE_90DPD','LATE_120DPD','LATE_150DPD','LATE_180DPD')), (select count(*) from payments))")"
set +e
node bench/lib/daily-update-limit-report.mjs "$OUT"
RC=$?
set -e
cat "$OUT/summary.md" >&2
log "results in $OUT"
rm -rf "$WORK"
exit $RC
