// bench/lib/payments-limit-report.mjs <out> — results.json + summary.md of bench/payments-limit.sh:
// per round the API's payments/s (payments.sh's results.json) and pgbench's tps of the PL/pgSQL
// posting, their ratio, median and spread, every check of both sides and the final ledger audit.
import fs from "node:fs";
import path from "node:path";

const out = process.argv[2];
const env = process.env;
const read = (f) => JSON.parse(fs.readFileSync(path.join(out, f), "utf8"));
const rounds = [];
for (let r = 1; r <= Number(env.R_ROUNDS); r++) {
  const api = read(`api-${r}/results.json`);
  const pg = read(`pgbench-${r}.json`);
  const apiRate = api.result.payments_per_s;
  rounds.push({
    round: r,
    order: r === 1 || r % 2 === 1 ? "API, pgbench" : "pgbench, API",
    api_payments_per_s: apiRate,
    api_pass: api.pass,
    api_p50_ms: api.result.latency_ms?.p50,
    api_machine_busy_cores: api.cpu_cores?.machine_busy,
    api_gateway_cores: api.cpu_cores?.gateway,
    pgbench_tps: Number(pg.tps.toFixed(1)),
    pgbench_pass: pg.exit_code === 0 && pg.failed === 0 && pg.committed_with_round_prefix === pg.transactions && pg.audit_exit_code === 0,
    pgbench_loans: pg.loans,
    pgbench_postings: pg.transactions,
    pgbench_machine_busy_cores: pg.machine_busy_cores,
    pgbench_pg_cluster_cores: pg.pg_cluster_cores,
    ratio: Number((apiRate / pg.tps).toFixed(3)),
  });
}
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const s = sorted(xs);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stat = (xs) => ({ median: Number(median(xs).toFixed(3)), min: Math.min(...xs), max: Math.max(...xs) });
let audit = {};
try {
  audit = read("audit-final.json");
} catch {}
let equal = {};
try {
  equal = read("equal.json");
} catch {}
const violations = (audit.checks ?? []).reduce((n, c) => n + c.violations, 0);
const r = {
  timestamp: env.R_TS,
  pool: Number(env.R_POOL),
  machine: JSON.parse(env.R_MACHINE || "{}"),
  data: env.R_DATA,
  rounds,
  api_payments_per_s: stat(rounds.map((x) => x.api_payments_per_s)),
  pgbench_tps: stat(rounds.map((x) => x.pgbench_tps)),
  ratio: stat(rounds.map((x) => x.ratio)),
  final_audit: { ok: audit.ok === true, exit_code: Number(env.R_AUDIT_RC), checks: (audit.checks ?? []).length, violations },
};
r.row_for_row = { exit_code: Number(env.R_EQUAL_RC), ...equal };
r.goal = { ratio_at_least: 0.5, reached: r.ratio.median >= 0.5 };
r.pass = rounds.every((x) => x.api_pass && x.pgbench_pass) && r.final_audit.ok && r.final_audit.exit_code === 0 && equal.same === true;
fs.writeFileSync(path.join(out, "results.json"), JSON.stringify(r, null, 2) + "\n");

const rows = rounds
  .map((x) => `| ${x.round} | ${x.order} | ${x.api_payments_per_s} | ${x.pgbench_tps.toFixed(1)} | ${x.ratio} | ${x.api_machine_busy_cores ?? "–"} / ${x.pgbench_machine_busy_cores} | ${x.api_pass && x.pgbench_pass ? "pass" : "FAIL"} |`)
  .join("\n");
fs.writeFileSync(
  path.join(out, "summary.md"),
  `# recordPayment through the API vs the same posting as one PL/pgSQL function (${env.R_TS})

Same database, loans and amount; gateway pool ${r.pool} = pgbench clients (\`-M prepared\`).

| round | order | API payments/s | pgbench tps (limit) | API / limit | machine busy cores API / pgbench | checks |
|---:|---|---:|---:|---:|---|---|
${rows}

API / limit: median **${r.ratio.median}** (min ${r.ratio.min}, max ${r.ratio.max}); goal ≥ 0.5: ${r.goal.reached ? "reached" : "NOT reached"}.
API payments/s median ${r.api_payments_per_s.median} (${r.api_payments_per_s.min}–${r.api_payments_per_s.max});
pgbench tps median ${r.pgbench_tps.median} (${r.pgbench_tps.min}–${r.pgbench_tps.max}).

Checks: API rounds as bench/payments.sh (no errors, every successful key committed once, ledger
audit); pgbench rounds, each on a copy of the database taken right before it (CREATE DATABASE …
TEMPLATE; ${rounds.map((x) => x.pgbench_loans).join(", ")} loans): exit 0 (no client aborted),
0 failed, committed rows with the round's key prefix = pgbench's transactions, and the ledger audit
of the copy after the round (${rounds.map((x) => x.pgbench_postings).join(", ")} PL/pgSQL postings)
clean. Row for row (\`bench/payments-limit-equal.ts\`): ${equal.postings ?? "–"} postings (5,000 IDR; exactly the first
unpaid installment; the whole loan + 1,000) through the API on one copy and through the function on
another, ${equal.loan_status_changes_written ?? "–"} of them moving the loan's status: ${(equal.compared ?? []).join(", ")}
${equal.same ? "identical" : "DIFFERENT: " + (equal.differs ?? ["not run"]).join(", ")}. Final ledger audit of the bench database: ${r.final_audit.ok ? "passed" : "FAILED"}, ${r.final_audit.checks} checks, ${violations} violations. **${r.pass ? "PASS" : "CHECK FAILED"}**

Data: ${r.data}.
`,
);
process.exitCode = r.pass ? 0 : 1;
