// Writes results.json and summary.md of bench/fanout.sh from bench/fanout.ts's JSON and the R_* values.
import fs from "node:fs";

const [input, out] = process.argv.slice(2);
const e = process.env;
const f = JSON.parse(fs.readFileSync(input, "utf8"));
const r = {
  kind: "fanout",
  run: e.R_TS,
  command: "npm run bench:fanout",
  ...f,
  machine: JSON.parse(e.R_MACHINE),
  load: { ...f.load, loadavg_at_start: e.R_LOAD_START, loadavg_at_end: e.R_LOAD_END },
  data: e.R_DATA,
  exit_code: Number(e.R_RC),
};
const d = r.delivery, s = r.settings, m = r.memory, c = r.cpu_rounds, k = r.connect, mc = r.machine;
r.pass = k.connected === s.subscribers && d.missing === 0 && d.duplicates === 0 && d.scope_violations === 0 && d.unexpected === 0 && d.loan_mismatch === 0;
fs.writeFileSync(`${out}/results.json`, JSON.stringify(r, null, 2) + "\n");
const L = d.latency_ms_from_response, Q = d.latency_ms_from_request;
const rows = d.per_round
  .map((x) => `| ${x.round} | ${x.label} | ${x.expected} | ${x.received} | ${x.latency_ms_from_response ? `${x.latency_ms_from_response.p50} / ${x.latency_ms_from_response.p99} / ${x.latency_ms_from_response.max}` : "(warm-up, not counted)"} |`)
  .join("\n");
fs.writeFileSync(
  `${out}/summary.md`,
  `# Subscription fan-out — ${r.run}

\`npm run bench:fanout\`: ${s.subscribers} graphql-ws \`loanStatusChanged\` subscribers, one WebSocket each, in ${s.client_processes} client
processes: ${s.admin_subscribers} ADMIN, ${s.partner_subscribers} PARTNER over ${s.partners} partners (of which ${s.partner_subscribers_asking_for_another_partner} ask for
\`partnerId\` of ANOTHER partner and must receive nothing). Events: \`disburseLoan\` over HTTP (INACTIVE → CURRENT),
${s.rounds} rounds of one loan each (one round a loan without partner)${s.burst_round ? `, then one burst round of ${s.partners + 1} disbursements at once` : ""}, after a warm-up round.
Subscription: \`${s.query}\`.

| subscribers connected | connect time s | gateway RSS before → with subscribers MiB | RSS per idle subscriber KiB |
|---:|---:|---:|---:|
| ${k.connected} / ${s.subscribers} (failed ${k.failed}) | ${k.seconds} | ${m.gateway_rss_before_mib} → ${m.gateway_rss_with_subscribers_mib} | ${m.rss_per_idle_subscriber_kib} |

RSS after the events ${m.gateway_rss_after_events_mib} MiB, after the clients disconnected ${m.gateway_rss_after_disconnect_mib} MiB (no forced GC).

Delivery latency, from the mutation's HTTP response (committed) to receipt in the subscriber process, ms:

| delivered / expected | missing | duplicates | scope violations | unexpected | p50 | p90 | p99 | max |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
| ${d.delivered} / ${d.expected} | ${d.missing} | ${d.duplicates} | ${d.scope_violations} | ${d.unexpected} | ${L.p50} | ${L.p90} | ${L.p99} | ${L.max} |

From the mutation's request instead: p50 ${Q.p50}, p99 ${Q.p99}, max ${Q.max} ms. Partner subscribers only: p50 ${d.latency_ms_partner_subscribers.p50}, p99 ${d.latency_ms_partner_subscribers.p99} ms.
Client-side errors: ${d.client_error_count}. Checks (all connected, every permitted event delivered exactly once, no scope
violation): **${r.pass ? "PASS" : "FAILED"}**. Target p99 < 1000 ms: **${L.p99 < 1000 ? "met" : "NOT met"}**. Rounds wait at most
${s.round_timeout_s} s, then the run waits up to ${s.final_drain_s} s for stragglers; "missing" = not received by then.

| round | event | expected | received | p50 / p99 / max ms |
|---:|---|---:|---:|---|
${rows}

CPU over the measured rounds (${c.wall_s} s incl. 1.5 s pauses; CPU-seconds per wall second): gateway ${c.gateway}
(${c.gateway_cpu_ms_per_event} ms CPU per event), our PG backends ${c.postgres_our_backends}, PG cluster ${c.postgres_cluster}, subscriber processes +
orchestrator ${c.clients_and_orchestrator}, machine busy ${c.machine_busy}, other ${c.other} (other tenants, other databases, kernel); steal ${c.steal_pct} %.
Database transactions during the rounds: ${r.database_transactions_during_rounds.total} for ${d.delivered} deliveries (${r.database_transactions_during_rounds.per_delivery} per delivery; see results.json).
Connecting: gateway ${k.cpu.gateway} cores, clients ${k.cpu.clients_and_orchestrator}, other ${k.cpu.other}.

**Machine**: ${mc.nproc} CPUs (${mc.cpu}), ${mc.memory_gib} GiB RAM, ${mc.kernel}; node ${mc.node}; ${mc.postgres}.
Load average at start ${r.load.loadavg_at_start}, before the rounds ${r.load.loadavg_before}, after them ${r.load.loadavg_after}, at the end ${r.load.loadavg_at_end}.
Data: ${r.data}.
`,
);
process.exitCode = r.pass ? 0 : 1;
