#!/usr/bin/env bash
# bench/filters.sh — a filtered list, resolvers vs compiled (issue 14, part 6).
#
# The ADMIN's `customers(first: 50, filter: { partnerId: P }) { nodes { …applications → loan →
# payments… } }` (the list op of bench/ops/list.graphql with a filter) used to be answered by the
# resolvers; filters are compiled now. This measures, on one seeded database and in one run:
#
#   admin-filter-resolvers  the filtered read on a gateway with COMPILED_READS=false (the old path)
#   admin-filter-compiled   the same request on a gateway with compiled reads (the default)
#   partner-compiled        the same rows read by partner P without a filter (compiled; the
#                           issue's reference figure)
#   postgraphile-filter     with FILTERS_PEER=1: PostGraphile v5 (stock Amber preset, as
#                           ../shared/peer-bench/run-postgraphile.sh starts it, same pool size) on
#                           the same database, `allCustomers(first: 50, orderBy: CREATED_AT_ASC,
#                           condition: { partnerId: P })` with the same nested fields: the same 50
#                           customers (checked: names and installments compared as sets)
#
# Both gateways run at once (ports BENCH_PORT and BENCH_PORT+1, same database, same pool size);
# the three targets take turns, REPEAT rounds of DURATION seconds each (the order rotates per
# round), and the report gives each target's median, min and max req/s and the gateway's CPU
# milliseconds per request. Before measuring, the three answers are compared byte for byte.
# Loopback only; everything started here is stopped here by PID. See bench/README.md.
#
# Env (all optional)
#   BENCH_FILTERS_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/gateway_bench_filters
#                      (created if missing; refuses gateway_bench, gateway_ci and *_test*)
#   FILTERS_CUSTOMERS=3000 FILTERS_PARTNERS=8   seeded through src/cli/seed.ts when the database
#                      has no customers (~35 s for 3,000 on 2 cores)
#   FILTERS_PARTNER    the partner id P (default: the partner with the most customers)
#   FILTERS_PAGE=oldest  the page measured: P's 50 OLDEST customers (`after` the cursor of the
#                      51st-oldest, found through the API as bench/list-cursor.mjs does for run.sh):
#                      the seed's newest customers have applications but hardly any loans yet, so
#                      the literal first page is far lighter. `first` = the literal first page.
#   CONC=16 THREADS=2 DURATION=10 WARMUP=3 REPEAT=5
#   BENCH_PORT=4200    BENCH_JWT_SECRET (bench-only default)   DB_POOL_MAX (gateway default 10)
#   FILTERS_PEER=0     1 = also PostGraphile (installed into /tmp by run-postgraphile.sh if missing)
#   PEER_WRK           wrk binary (default: wrk on PATH, else /tmp/peer-wrk as peer-bench extracts it)
set -euo pipefail
BENCH_KIND=filters
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DB_URL="${BENCH_FILTERS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gateway_bench_filters}"
BASE_PORT="${BENCH_PORT:-4200}"
PORT="$BASE_PORT"
SECRET="${BENCH_JWT_SECRET:-gateway-bench-only-secret-not-for-production}"
NCUST="${FILTERS_CUSTOMERS:-3000}" NPART="${FILTERS_PARTNERS:-8}"
CONC="${CONC:-16}" THREADS="${THREADS:-2}" DURATION="${DURATION:-10}" WARMUP="${WARMUP:-3}" REPEAT="${REPEAT:-5}"
TS="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/results/filters-$TS"
WORK="$(mktemp -d /tmp/gateway-bench-filters.XXXXXX)"
cd "$ROOT"
# shellcheck source=lib/common.sh
source "$ROOT/bench/lib/common.sh"
trap 'cleanup; rm -rf "$WORK"' EXIT

WRK="${PEER_WRK:-$(command -v wrk || echo /tmp/peer-wrk/root/usr/bin/wrk)}"
if [ ! -x "$WRK" ]; then
  log "extracting wrk + libluajit from Debian .debs into /tmp/peer-wrk (as peer-bench does; no system install)"
  mkdir -p /tmp/peer-wrk/debs
  (cd /tmp/peer-wrk/debs && apt-get download wrk libluajit-5.1-2 >/dev/null 2>&1)
  for d in /tmp/peer-wrk/debs/*.deb; do dpkg-deb -x "$d" /tmp/peer-wrk/root; done
fi
export LD_LIBRARY_PATH="/tmp/peer-wrk/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
{ "$WRK" -v 2>&1 || true; } | grep -q "^wrk " || { echo "wrk does not run: $WRK" >&2; exit 1; }

# ---- database --------------------------------------------------------------------------------
ensure_database "$DB_URL"
HAVE=0
[ "$(q "select to_regclass('public.customers') is not null")" = t ] && HAVE="$(q "select count(*) from customers")"
SEED_NOTE="reused: $HAVE customers present"
if [ "$HAVE" -eq 0 ]; then
  log "seeding $NCUST customers of $NPART partners through src/cli/seed.ts (lifecycle commands)"
  t0=$(date +%s)
  DATABASE_URL="$DB_URL" NODE_ENV=production JWT_SECRET="$SECRET" \
    timeout 3600 npx tsx src/cli/seed.ts --customers "$NCUST" --partners "$NPART" > "$WORK/seed.json"
  SEED_NOTE="seeded $NCUST customers in $(( $(date +%s) - t0 )) s"
fi
q "analyze" >/dev/null
P="${FILTERS_PARTNER:-$(q "select partner_id from customers where partner_id is not null group by 1 order by count(*) desc, 1 limit 1")}"
[ -n "$P" ] || { echo "no partner with customers" >&2; exit 1; }

# ---- gateways --------------------------------------------------------------------------------
PORT=$BASE_PORT start_gateway ${DB_POOL_MAX:+DB_POOL_MAX=$DB_POOL_MAX}
GW_COMPILED=$GW_PID
PORT=$((BASE_PORT + 1)) start_gateway COMPILED_READS=false ${DB_POOL_MAX:+DB_POOL_MAX=$DB_POOL_MAX}
GW_RESOLVERS=$GW_PID
ADMIN_AUTH="Bearer $(npx tsx src/cli/token.ts --role ADMIN --sub bench-filters --secret "$SECRET" --expires 2h)"
PARTNER_AUTH="Bearer $(npx tsx src/cli/token.ts --role PARTNER --sub "$P" --secret "$SECRET" --expires 2h)"

# The page: P's 50 oldest customers (after the 51st-oldest's cursor, issued by the API), or the first.
AFTER=""
if [ "${FILTERS_PAGE:-oldest}" = oldest ]; then
  AFTER="$(node -e '
    const [url, auth, p] = process.argv.slice(1);
    (async () => {
      const cursors = []; let after = null;
      for (;;) {
        const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: auth },
          body: JSON.stringify({ query: "query($a: String, $p: ID) { customers(first: 100, after: $a, filter: { partnerId: $p }) { edges { cursor } pageInfo { hasNextPage endCursor } } }", variables: { a: after, p } }) });
        const c = (await res.json()).data.customers;
        cursors.push(...c.edges.map((e) => e.cursor));
        if (!c.pageInfo.hasNextPage) break;
        after = c.pageInfo.endCursor;
      }
      console.log(cursors.length > 50 ? cursors[cursors.length - 51] : "");
    })();' "http://127.0.0.1:$BASE_PORT/graphql" "$ADMIN_AUTH" "$P")"
fi
ARGS="first: 50${AFTER:+, after: \"$AFTER\"}"
NESTED='nodes { fullName applications { nodes { id status requestedAmount loan { id status principal payments { installmentNumber dueDate principalDue interestDue status } } } } }'
body() { # file query
  node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({ query: process.argv[2] }))' "$1" "$2"
}
body "$WORK/admin-filter.json" "query CustomersOfPartner { customers($ARGS, filter: { partnerId: \"$P\" }) { $NESTED } }"
body "$WORK/partner.json" "query CustomersWithLoans { customers($ARGS) { $NESTED } }"

# target -> "port body auth gateway-pid"
declare -A T_PORT=([admin-filter-resolvers]=$((BASE_PORT + 1)) [admin-filter-compiled]=$BASE_PORT [partner-compiled]=$BASE_PORT)
declare -A T_BODY=([admin-filter-resolvers]=admin-filter [admin-filter-compiled]=admin-filter [partner-compiled]=partner)
declare -A T_AUTH=([admin-filter-resolvers]="$ADMIN_AUTH" [admin-filter-compiled]="$ADMIN_AUTH" [partner-compiled]="$PARTNER_AUTH")
declare -A T_GW=([admin-filter-resolvers]=$GW_RESOLVERS [admin-filter-compiled]=$GW_COMPILED [partner-compiled]=$GW_COMPILED)
TARGETS=(admin-filter-resolvers admin-filter-compiled partner-compiled)
PEER_BENCH="$ROOT/../shared/peer-bench"
if [ "${FILTERS_PEER:-0}" = 1 ]; then
  [ -x "$PEER_BENCH/run-postgraphile.sh" ] || { echo "FILTERS_PEER=1 needs $PEER_BENCH" >&2; exit 1; }
  PGL_PORT=$((BASE_PORT + 2))
  PGL_PID="$(DATABASE_URL="$DB_URL" PEER_POSTGRAPHILE_PORT=$PGL_PORT PEER_POOL_MAX="${DB_POOL_MAX:-10}" PEER_LOG_DIR="$WORK" \
    bash "$PEER_BENCH/run-postgraphile.sh" 2>>"$WORK/postgraphile-start.log" | tail -1)"
  [[ "$PGL_PID" =~ ^[0-9]+$ ]] || { cat "$WORK/postgraphile-start.log" >&2; echo "PostGraphile did not start" >&2; exit 1; }
  PIDS+=("$PGL_PID:postgraphile")
  PGL_NESTED='nodes { fullName loanApplicationsByCustomerId { nodes { rowId status requestedAmount loanByApplicationId { rowId status principal paymentsByLoanId { nodes { installmentNumber dueDate principalDue interestDue status } } } } } }'
  body "$WORK/postgraphile.json" "query CustomersOfPartner { allCustomers(first: 50, orderBy: CREATED_AT_ASC, condition: { partnerId: \"$P\" }) { $PGL_NESTED } }"
  T_PORT[postgraphile-filter]=$PGL_PORT; T_BODY[postgraphile-filter]=postgraphile; T_AUTH[postgraphile-filter]=""; T_GW[postgraphile-filter]=$PGL_PID
  TARGETS+=(postgraphile-filter)
fi
NT=${#TARGETS[@]}

# ---- same answer? ------------------------------------------------------------------------------
for t in "${TARGETS[@]}"; do
  curl -s -m 60 -X POST -H 'content-type: application/json' -H "authorization: ${T_AUTH[$t]}" \
    --data-binary @"$WORK/${T_BODY[$t]}.json" "http://127.0.0.1:${T_PORT[$t]}/graphql" > "$WORK/answer-$t.json"
  grep -q '"errors"' "$WORK/answer-$t.json" && { cat "$WORK/answer-$t.json" >&2; echo "$t answered with errors" >&2; exit 1; }
done
SAME_PEER=""
if [ -f "$WORK/answer-postgraphile-filter.json" ]; then
  # Same customers and installments? (names and formats differ: compare what they hold, as sets)
  SAME_PEER="$(node -e '
    const fs = require("fs");
    const ours = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).data.customers.nodes.map((c) =>
      [c.fullName, ...c.applications.nodes.flatMap((a) => a.loan ? a.loan.payments.map((p) => `${a.loan.id}/${p.installmentNumber}/${p.dueDate}/${p.principalDue}/${p.interestDue}/${p.status}`) : [])].sort().join("|"));
    const theirs = JSON.parse(fs.readFileSync(process.argv[2], "utf8")).data.allCustomers.nodes.map((c) =>
      [c.fullName, ...c.loanApplicationsByCustomerId.nodes.flatMap((a) => a.loanByApplicationId ? a.loanByApplicationId.paymentsByLoanId.nodes.map((p) => `${a.loanByApplicationId.rowId}/${p.installmentNumber}/${p.dueDate}/${p.principalDue}/${p.interestDue}/${p.status}`) : [])].sort().join("|"));
    console.log(JSON.stringify(ours.sort()) === JSON.stringify(theirs.sort()) ? "yes" : "no");' \
    "$WORK/answer-admin-filter-compiled.json" "$WORK/answer-postgraphile-filter.json")"
  log "PostGraphile holds the same customers and installments: $SAME_PEER"
  [ "$SAME_PEER" = yes ] || { echo "PostGraphile's page holds other data" >&2; exit 1; }
fi
SAME=yes
cmp -s "$WORK/answer-admin-filter-resolvers.json" "$WORK/answer-admin-filter-compiled.json" || SAME=no
SAME_PARTNER=yes
cmp -s "$WORK/answer-admin-filter-compiled.json" "$WORK/answer-partner-compiled.json" || SAME_PARTNER=no
[ "$SAME" = yes ] || { echo "compiled and resolvers answers differ" >&2; exit 1; }
PAGE="$(node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).data.customers.nodes;
  const apps = d.flatMap((c) => c.applications.nodes), loans = apps.filter((a) => a.loan), pays = loans.flatMap((a) => a.loan.payments);
  console.log(`${d.length} customers, ${apps.length} applications, ${loans.length} loans, ${pays.length} installments, ${require("fs").statSync(process.argv[1]).size} bytes`);' \
  "$WORK/answer-admin-filter-compiled.json")"
log "page: $PAGE; compiled = resolvers: $SAME; = partner's unfiltered read: $SAME_PARTNER"

# ---- load --------------------------------------------------------------------------------------
run_wrk() { # target secs name
  PEER_BODY="$WORK/${T_BODY[$1]}.json" PEER_AUTH="${T_AUTH[$1]}" \
    timeout $(( $2 + 30 )) "$WRK" -t"$THREADS" -c"$CONC" -d"${2}s" --timeout 10s --latency \
    -s "$ROOT/../shared/peer-bench/wrk-post.lua" "http://127.0.0.1:${T_PORT[$1]}/graphql" > "$WORK/$3.txt" 2>&1
}
[ -f "$ROOT/../shared/peer-bench/wrk-post.lua" ] || { echo "needs ../shared/peer-bench/wrk-post.lua beside the repository" >&2; exit 1; }
for t in "${TARGETS[@]}"; do log "warm-up $t ${WARMUP}s"; run_wrk "$t" "$WARMUP" "warmup-$t" || true; done
printf "round\ttarget\treq_per_s\tnon_2xx\tp50_ms\tp99_ms\tgateway_cpu_ms_per_req\n" > "$WORK/runs.tsv"
for r in $(seq 1 "$REPEAT"); do
  # rotate the order each round, so no target always runs first or last
  order=("${TARGETS[@]:$(( (r - 1) % NT ))}" "${TARGETS[@]:0:$(( (r - 1) % NT ))}")
  for t in "${order[@]}"; do
    sleep 1
    gw="${T_GW[$t]}"; g0=$(ticks "$gw")
    log "round $r: $t ${DURATION}s at concurrency $CONC"
    run_wrk "$t" "$DURATION" "run-$r-$t" || true
    g1=$(ticks "$gw")
    node -e '
      const [file, round, target, dticks, clk] = process.argv.slice(1);
      const s = require("fs").readFileSync(file, "utf8");
      const rps = Number((s.match(/Requests\/sec:\s+([\d.]+)/) || [])[1] || 0);
      const total = Number((s.match(/(\d+) requests in/) || [])[1] || 0);
      const non2xx = Number((s.match(/Non-2xx or 3xx responses: (\d+)/) || [])[1] || 0);
      const ms = (label) => { const m = s.match(new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)`, "m")); return m ? (Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]]).toFixed(2) : ""; };
      const cpu = total ? ((Number(dticks) / Number(clk)) * 1000 / total).toFixed(3) : "";
      console.log([round, target, rps.toFixed(1), non2xx, ms("50"), ms("99"), cpu].join("\t"));' \
      "$WORK/run-$r-$t.txt" "$r" "$t" $((g1 - g0)) "$CLK" >> "$WORK/runs.tsv"
    tail -1 "$WORK/runs.tsv" >&2
  done
done

# ---- results -----------------------------------------------------------------------------------
mkdir -p "$OUT"
cp "$WORK/runs.tsv" "$OUT/"
for t in "${TARGETS[@]}"; do cp "$WORK/answer-$t.json" "$OUT/answer-$t.json"; done
cp "$WORK/admin-filter.json" "$OUT/request-admin-filter.json"; cp "$WORK/partner.json" "$OUT/request-partner.json"
[ -f "$WORK/postgraphile.json" ] && cp "$WORK/postgraphile.json" "$OUT/request-postgraphile.json"
for f in "$WORK"/run-*.txt; do cat "$f"; done > "$OUT/wrk.txt"
DATA="$(q "select format('%s customers, %s partners, %s applications, %s loans, %s installments', (select count(*) from customers), (select count(*) from partners), (select count(*) from loan_applications), (select count(*) from loans), (select count(*) from payments))")"
node - "$OUT" <<EOF
const fs = require("fs");
const out = process.argv[2];
const rows = fs.readFileSync(out + "/runs.tsv", "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
const by = {};
for (const [round, t, rps, non2xx, p50, p99, cpu] of rows) (by[t] ??= []).push({ rps: Number(rps), non2xx: Number(non2xx), p50: Number(p50), p99: Number(p99), cpu: Number(cpu) });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const summary = {};
for (const [t, rs] of Object.entries(by)) {
  const rps = rs.map((r) => r.rps);
  const round = (x, d) => Number(x.toFixed(d));
  summary[t] = { runs: rps, median: median(rps), min: Math.min(...rps), max: Math.max(...rps), p50_ms_median: round(median(rs.map((r) => r.p50)), 1), p99_ms_median: round(median(rs.map((r) => r.p99)), 1), gateway_cpu_ms_per_req_median: round(median(rs.map((r) => r.cpu)), 3), non_2xx: rs.reduce((a, r) => a + r.non2xx, 0) };
}
const ratio = summary["admin-filter-compiled"].median / summary["admin-filter-resolvers"].median;
const peer = summary["postgraphile-filter"] ? summary["admin-filter-compiled"].median / summary["postgraphile-filter"].median : undefined;
const result = { ts: "$TS", partner: "$P", page: "$PAGE", data: "$DATA", seed: "$SEED_NOTE", same_body_compiled_vs_resolvers: "$SAME", same_body_as_partner_unfiltered: "$SAME_PARTNER",
  conc: $CONC, threads: $THREADS, duration_s: $DURATION, repeat: $REPEAT, pool: "${DB_POOL_MAX:-10 (default)}", machine: $(machine_json), summary, compiled_over_resolvers: Number(ratio.toFixed(2)),
  ...(peer ? { compiled_over_postgraphile: Number(peer.toFixed(2)), same_data_as_postgraphile: "$SAME_PEER" } : {}) };
fs.writeFileSync(out + "/summary.json", JSON.stringify(result, null, 2) + "\n");
const md = [
  "# Filtered list: resolvers vs compiled (bench/filters.sh, $TS)",
  "",
  "Data: $DATA ($SEED_NOTE). Partner P = $P; page (${FILTERS_PAGE:-oldest}): $PAGE.",
  "Same body compiled vs resolvers: $SAME; the same as P's own unfiltered read: $SAME_PARTNER.",
  "wrk -t$THREADS -c$CONC, $REPEAT rounds of ${DURATION} s per target (order rotated), both gateways on one database, pool ${DB_POOL_MAX:-10}.",
  "",
  "| target | median req/s | min | max | p50 ms | p99 ms | gateway CPU ms/req | non-2xx |",
  "|---|---|---|---|---|---|---|---|",
  ...Object.entries(summary).map(([t, s]) => "| " + [t, s.median.toFixed(1), s.min.toFixed(1), s.max.toFixed(1), s.p50_ms_median, s.p99_ms_median, s.gateway_cpu_ms_per_req_median, s.non_2xx].join(" | ") + " |"),
  "",
  "Compiled / resolvers (medians): " + ratio.toFixed(2) + "x." + (peer ? " Compiled / PostGraphile: " + peer.toFixed(2) + "x (same customers and installments: $SAME_PEER; CPU column = PostGraphile's process)." : ""),
  "",
];
fs.writeFileSync(out + "/summary.md", md.join("\n"));
EOF
cat "$OUT/summary.md" >&2
log "results in $OUT"
