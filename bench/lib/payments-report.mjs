// Writes results.json and summary.md of bench/payments.sh from wrk's summary (payments.lua),
// the audit JSON and the R_* values the script exports. Exit 1 when a check failed.
import fs from "node:fs";

const [work, out] = process.argv.slice(2);
const e = process.env;
const num = (k) => Number(e[k]);
const wrk = JSON.parse(fs.readFileSync(`${work}/measured/summary.json`, "utf8"));
let audit = {};
try {
  audit = JSON.parse(fs.readFileSync(`${work}/audit.json`, "utf8"));
} catch {
  audit = { ok: false, checks: [], error: "audit output unreadable" };
}
const violations = (audit.checks ?? []).reduce((s, c) => s + c.violations, 0);
const sock = wrk.socket_errors;
const errors = wrk.graphql_errors + wrk.http_errors + sock.connect + sock.read + sock.write + sock.timeout;
const r = {
  kind: "payments",
  run: e.R_TS,
  command: "npm run bench:payments",
  settings: {
    concurrency: num("R_CONC"), threads: num("R_THREADS"), duration_s: num("R_DURATION"), warmup_s: num("R_WARMUP"),
    loans: num("R_LOANS"), amount_idr: e.R_AMOUNT, db_pool_max: e.R_POOL, load_generator: "wrk 4.1.0 + bench/payments.lua",
    operation: "bench/ops/record-payment.graphql",
  },
  machine: JSON.parse(e.R_MACHINE),
  postgres_settings: JSON.parse(e.R_PG_SETTINGS),
  data: e.R_DATA,
  seed: e.R_SEED,
  result: {
    payments_per_s: Number((wrk.ok / wrk.duration_s).toFixed(1)),
    responses: wrk.responses, ok: wrk.ok, errors,
    graphql_errors: wrk.graphql_errors, http_errors: wrk.http_errors, socket_errors: sock,
    latency_ms: wrk.latency_ms, wrk_duration_s: wrk.duration_s,
  },
  verification: {
    committed_with_run_keys: num("R_DB_KEYS"), ok_responses: wrk.ok,
    ok_keys_not_in_db: num("R_OK_NOT_IN_DB"), duplicate_ok_keys: num("R_DUP_OK"),
    committed_without_ok_response: num("R_DB_NOT_OK"),
    committed_without_ok_response_note: "requests in flight when wrk stopped (at most the concurrency): they commit after wrk closed the connection",
    sent_minus_responses: wrk.sent - wrk.responses,
    all_new_transactions: num("R_ALL_NEW"), all_new_transactions_note: "incl. the check request and the warm-up",
    audit_ok: audit.ok === true, audit_exit_code: num("R_AUDIT_RC"), audit_checks: (audit.checks ?? []).length,
    audit_violations: violations, audit_ms: audit.ms,
  },
  cpu_cores: {
    gateway: num("R_GW_C"), postgres_our_backends: num("R_BE_C"), postgres_cluster: num("R_PG_C"),
    postgres_cluster_minus_ours: num("R_PG_OTHER_C"), load_generator: num("R_LG_C"), machine_busy: num("R_MACH_C"),
    machine_total_ticks_as_cores: num("R_MACH_TOTAL_C"),
    other: num("R_OTHER_C"), steal_pct: num("R_STEAL"), wall_s: num("R_WALL"),
    note:
      "CPU-seconds per wall second during the measured run. machine_busy = nproc × busy/total ticks of /proc/stat (its total ran at machine_total_ticks_as_cores, not always nproc, on this VM). other = machine_busy - (gateway + our PostgreSQL backends + wrk): " +
      "other tenants, other databases' backends, PostgreSQL background processes (WAL writer, checkpointer), kernel.",
  },
  sql_per_payment: JSON.parse(fs.readFileSync(`${work}/sql.json`, "utf8") || "{}"),
  load: { loadavg_before: e.R_LOAD_BEFORE, loadavg_after: e.R_LOAD_AFTER },
  gateway_pool_backends: { before: e.R_BACKENDS.trim(), after: e.R_BACKENDS_AFTER.trim() },
};
const v = r.verification;
r.pass =
  errors === 0 && v.audit_ok && v.ok_keys_not_in_db === 0 && v.duplicate_ok_keys === 0 &&
  v.committed_with_run_keys === v.ok_responses + v.committed_without_ok_response &&
  v.committed_without_ok_response <= r.settings.concurrency;
fs.writeFileSync(`${out}/results.json`, JSON.stringify(r, null, 2) + "\n");

const m = r.machine, c = r.cpu_cores, l = r.result.latency_ms, s = r.settings, ps = r.postgres_settings;
fs.writeFileSync(
  `${out}/summary.md`,
  `# Payment write load — ${r.run}

\`npm run bench:payments\`: \`recordPayment\` (ADMIN, \`bench/ops/record-payment.graphql\`) on ${s.loans} open loans round
robin (every request in flight is on a different loan), a unique idempotency key each, ${s.amount_idr} IDR each,
concurrency ${s.concurrency} (wrk -t${s.threads}), ${s.duration_s} s measured after ${s.warmup_s} s warm-up. Gateway NODE_ENV=production,
LOG_LEVEL=warn, pool ${s.db_pool_max}, on PostgreSQL (synchronous_commit=${ps.synchronous_commit}, fsync=${ps.fsync}).

| payments/s | p50 ms | p90 ms | p99 ms | max ms | ok | errors |
|---:|---:|---:|---:|---:|---:|---:|
| ${r.result.payments_per_s} | ${l.p50} | ${l.p90} | ${l.p99} | ${l.max} | ${r.result.ok} | ${r.result.errors} |

Errors = HTTP non-200 + socket errors + HTTP 200 answers with GraphQL \`errors\` (or without \`replayed: false\`).

CPU cores (CPU-seconds per wall second, measured window ${c.wall_s} s):

| gateway | our PG backends | PG cluster (all DBs + background) | wrk | machine busy | other | steal % |
|---:|---:|---:|---:|---:|---:|---:|
| ${c.gateway} | ${c.postgres_our_backends} | ${c.postgres_cluster} | ${c.load_generator} | ${c.machine_busy} | ${c.other} | ${c.steal_pct} |

other = machine busy − (gateway + our PG backends + wrk): other engineers' processes and databases, PostgreSQL
background work (WAL writer, checkpointer), kernel.

**Verification**: ${v.committed_with_run_keys} payment transactions committed with this run's keys = ${v.ok_responses} successful
responses + ${v.committed_without_ok_response} in flight when wrk stopped (wrk sent − received = ${v.sent_minus_responses}); successful responses missing
in the database: ${v.ok_keys_not_in_db}; duplicated: ${v.duplicate_ok_keys}. Ledger audit (\`npm run audit\`): ${v.audit_ok ? "passed" : "FAILED"},
${v.audit_checks} checks, ${v.audit_violations} violations (${v.audit_ms} ms). **${r.pass ? "PASS" : "CHECK FAILED"}**

SQL per payment (\`bench/payments-sql.ts\`, 20 sequential requests through an in-process gateway): ${r.sql_per_payment.drizzle_statements_per_request ? `${r.sql_per_payment.drizzle_statements_per_request.median} statements + BEGIN/COMMIT; ${Object.entries(r.sql_per_payment.example.kinds).map(([k, n]) => `${k}${n > 1 ? ` ×${n}` : ""}`).join(", ")}; sequential latency median ${r.sql_per_payment.sequential_latency_ms.median} ms` : "not measured"}.

**Machine**: ${m.nproc} CPUs (${m.cpu}), ${m.memory_gib} GiB RAM, ${m.kernel}; node ${m.node}; ${m.postgres}.
Load average before ${r.load.loadavg_before}, after ${r.load.loadavg_after}.
Data: ${r.data}. Seed: ${r.seed}.
`,
);
process.exitCode = r.pass ? 0 : 1;
