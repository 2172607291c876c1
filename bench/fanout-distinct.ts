/**
 * bench/fanout-distinct.ts — subscription fan-out with DISTINCT viewers (issue 14 part 3; run by
 * bench/fanout.sh with FANOUT_MODE=distinct, `npm run bench:fanout:distinct`). Unlike
 * bench/fanout.ts, no two subscribers share a token, so the shared execution cannot group them:
 * what is measured is the per-subscriber path.
 *
 * 1. One loan through the GraphQL lifecycle (a template), then with SQL, fast: FANOUT_SUBS ×
 *    FANOUT_PARTNER_SHARE partners, the rest customers (spread over the partners), and
 *    FANOUT_RATE × FANOUT_DURATION_S (+ warm-up) INACTIVE loans of those customers, each with its
 *    OFFER_ACCEPTED application, cloned from the template's rows.
 * 2. One graphql-ws subscriber per customer (CUSTOMER token, its own loans) and per partner
 *    (PARTNER token, its customers' loans), in FANOUT_WORKERS client processes
 *    (bench/fanout-client.mjs), all with the same subscription text. FANOUT_OTHER_SHARE of the
 *    partners ask for ANOTHER partner's `partnerId`, and as many customers for ANOTHER customer's
 *    `loanId`: they must receive nothing.
 * 3. The gateway's RSS before and after connecting them (idle), per subscriber.
 * 4. `disburseLoan` (INACTIVE → CURRENT) at FANOUT_RATE per second for FANOUT_DURATION_S, open
 *    loop (each on its schedule, not waiting for the previous one); per delivery the latency
 *    from the mutation's request start; every permitted event delivered exactly once, nothing
 *    else delivered to anyone.
 *
 * Env: FANOUT_URL, FANOUT_GW_PID, FANOUT_SECRET, FANOUT_OUT, FANOUT_DB_URL (from fanout.sh)
 *   FANOUT_SUBS=10000 FANOUT_PARTNER_SHARE=0.2 FANOUT_OTHER_SHARE=0.05 FANOUT_WORKERS=2
 *   FANOUT_RATE=50 FANOUT_DURATION_S=60 FANOUT_SETTLE_S=5 FANOUT_DRAIN_S=60
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ask, CLK, eventIdOf, graphqlClient, loadavg, now, psql as psqlOn, r1, rssKiB, sleep, stats, stopWorkers, ticks, workerRegistry } from "./lib/fanout-common.js";
import { mintToken, tokenKey } from "../src/auth/tokens.js";

const env = process.env;
const need = (k: string) => env[k] ?? (console.error(`fanout-distinct: ${k} not set (run bench/fanout.sh)`), process.exit(2));
const URL_HTTP = need("FANOUT_URL");
const GW_PID = Number(need("FANOUT_GW_PID"));
const SECRET = need("FANOUT_SECRET");
const OUT = need("FANOUT_OUT");
const DB_URL = need("FANOUT_DB_URL");
const SUBS = Number(env.FANOUT_SUBS ?? 10000);
const PARTNER_SHARE = Number(env.FANOUT_PARTNER_SHARE ?? 0.2);
const OTHER_SHARE = Number(env.FANOUT_OTHER_SHARE ?? 0.05);
const WORKERS = Number(env.FANOUT_WORKERS ?? 2);
const RATE = Number(env.FANOUT_RATE ?? 50);
const DURATION_S = Number(env.FANOUT_DURATION_S ?? 60);
const SETTLE_MS = Number(env.FANOUT_SETTLE_S ?? 5) * 1000;
const DRAIN_MS = Number(env.FANOUT_DRAIN_S ?? 60) * 1000;
const WARMUP = 5;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const log = (m: string) => process.stderr.write(`[fanout-distinct ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const QUERY =
  "subscription S($partnerId: ID, $loanId: ID) { loanStatusChanged(partnerId: $partnerId, loanId: $loanId) { cursor fromStatus toStatus at loan { id status } } }";

const workers = workerRegistry();
const cpuTicks = (pid: number) => ticks(pid, false);
const psql = (sqlText: string) => psqlOn(DB_URL, sqlText);
const gql = graphqlClient(URL_HTTP, 60_000);

async function main() {
  const runId = Date.now().toString(36).toUpperCase();
  const key = tokenKey(SECRET);
  const admin = await mintToken(key, { role: "ADMIN", sub: "bench-fanout-distinct", expiresIn: "2h" });
  const nPartners = Math.max(1, Math.round(SUBS * PARTNER_SHARE));
  const nCustomers = SUBS - nPartners;
  const nLoans = Math.round(RATE * DURATION_S) + WARMUP;
  if (nCustomers < 1) throw new Error("FANOUT_PARTNER_SHARE leaves no customers");

  // ---- the template loan (the lifecycle, over HTTP) -----------------------------------------
  const t0 = now();
  const { data: pd } = await gql(`mutation($input: CreatePartnerInput!) { createPartner(input: $input) { id } }`,
    { input: { code: `FD${runId}`.slice(0, 20), name: `Fan-out distinct template ${runId}` } }, admin);
  const templatePartner = await mintToken(key, { role: "PARTNER", sub: pd.createPartner.id, expiresIn: "2h" });
  const n = Number(psql("select count(*) from customers")) + 1;
  const reg = await gql(`mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token customer { id } } }`, {
    input: {
      fullName: `Fanout Template ${runId}`,
      nik: `31${String(n % 10000).padStart(4, "0")}570590${String(Date.now() % 10000).padStart(4, "0")}`,
      phone: `+628${String(Date.now()).slice(-10)}`,
      email: `fd-template-${runId.toLowerCase()}@example.id`,
      dateOfBirth: "1990-05-17",
      monthlyIncome: "10000000",
      pin: "246810",
    },
  }, templatePartner);
  const custToken: string = reg.data.registerCustomer.token;
  const app = await gql(`mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id status } }`,
    { input: { productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: "Modal usaha" } }, custToken);
  const applicationId = app.data.submitApplication.id;
  await gql(`mutation($input: ApproveApplicationInput!) { approveApplication(input: $input) { id status } }`, { input: { applicationId } }, admin);
  const acc = await gql(`mutation($id: ID!) { acceptOffer(applicationId: $id) { id status } }`, { id: applicationId }, custToken);
  const templateLoan: string = acc.data.acceptOffer.id;

  // ---- partners, customers, applications and loans with SQL (cloned from the template) ------
  log(`creating ${nPartners} partners, ${nCustomers} customers and ${nLoans} INACTIVE loans with SQL`);
  const tag = runId.toLowerCase();
  psql(`
begin;
create temp table fd_p as select i, gen_random_uuid() as id from generate_series(0, ${nPartners - 1}) i;
insert into partners (id, code, name) select id, 'FD${runId}-' || i, 'Fan-out distinct ${runId} ' || i from fd_p;
create temp table fd_c as select c.i, gen_random_uuid() as id, p.id as partner_id
  from generate_series(0, ${nCustomers - 1}) c(i) join fd_p p on p.i = c.i % ${nPartners};
with t as (select * from customers where id = (select customer_id from loans where id = '${templateLoan}')),
     base as (select coalesce(max(nik::numeric), 0) as nik,
                     coalesce(max(substr(phone, 5)::numeric) filter (where phone ~ '^[+]629[0-9]+$'), 0) as phone from customers)
insert into customers (id, partner_id, full_name, nik, phone, email, date_of_birth, monthly_income, pin_hash)
  select fd_c.id, fd_c.partner_id, 'Fanout Distinct ' || fd_c.i, lpad((base.nik + 1 + fd_c.i)::text, 16, '0'),
         '+629' || lpad((base.phone + 1 + fd_c.i)::text, 10, '0'), 'fd-${tag}-' || fd_c.i || '@example.id',
         t.date_of_birth, t.monthly_income, t.pin_hash
  from fd_c, t, base;
create temp table fd_l as select l.k, gen_random_uuid() as id, gen_random_uuid() as app_id, c.id as customer_id, c.partner_id
  from generate_series(0, ${nLoans - 1}) l(k) join fd_c c on c.i = l.k % ${nCustomers};
insert into loan_applications
  select r.* from loan_applications a, fd_l,
    jsonb_populate_record(null::loan_applications, to_jsonb(a) || jsonb_build_object('id', fd_l.app_id, 'customer_id', fd_l.customer_id, 'partner_id', fd_l.partner_id)) r
  where a.id = (select application_id from loans where id = '${templateLoan}');
insert into loans
  select r.* from loans t, fd_l,
    jsonb_populate_record(null::loans, to_jsonb(t) || jsonb_build_object('id', fd_l.id, 'application_id', fd_l.app_id, 'customer_id', fd_l.customer_id, 'partner_id', fd_l.partner_id)) r
  where t.id = '${templateLoan}';
commit;`);
  const partners = psql(`select id from partners where code like 'FD${runId}-%' order by split_part(code, '-', 2)::int`).split("\n");
  const customerRows = psql(`select c.id, c.partner_id from customers c where c.email like 'fd-${tag}-%' order by split_part(split_part(c.email, '@', 1), '-', 3)::int`).split("\n").map((l) => l.split("|") as [string, string]);
  const loanRows = psql(`select l.id, l.customer_id, l.partner_id from loans l join customers c on c.id = l.customer_id
    where c.email like 'fd-${tag}-%' and l.status = 'INACTIVE' order by l.id`).split("\n").map((l) => l.split("|") as [string, string, string]);
  if (partners.length !== nPartners || customerRows.length !== nCustomers || loanRows.length !== nLoans)
    throw new Error(`SQL setup: ${partners.length} partners, ${customerRows.length} customers, ${loanRows.length} loans`);
  log(`setup in ${((now() - t0) / 1000).toFixed(1)} s`);

  // ---- subscribers: one distinct token each --------------------------------------------------
  type Sub = { i: number; role: "CUSTOMER" | "PARTNER"; id: string; token: string; variables: Record<string, string> };
  const every = OTHER_SHARE > 0 ? Math.max(1, Math.round(1 / OTHER_SHARE)) : 0;
  const subs: Sub[] = [];
  for (let k = 0; k < nCustomers; k++) {
    const [id] = customerRows[k]!;
    // every 1/OTHER_SHARE-th customer asks for a loan of another customer (gets nothing)
    const other = every && k % every === every - 1 ? loanRows.find((l) => l[1] !== id)?.[0] : undefined;
    subs.push({ i: subs.length, role: "CUSTOMER", id, token: "", variables: other ? { loanId: other } : {} });
  }
  for (let k = 0; k < nPartners; k++) {
    const other = every && nPartners > 1 && k % every === every - 1 ? partners[(k + 1) % nPartners] : undefined;
    subs.push({ i: subs.length, role: "PARTNER", id: partners[k]!, token: "", variables: other ? { partnerId: other } : {} });
  }
  for (const s of subs) s.token = await mintToken(key, { role: s.role, sub: s.id, expiresIn: "2h" });
  if (new Set(subs.map((s) => s.token)).size !== subs.length) throw new Error("two subscribers share a token");
  const byCustomer = new Map<string, Sub>();
  const byPartner = new Map<string, Sub>();
  for (const s of subs) (s.role === "CUSTOMER" ? byCustomer : byPartner).set(s.id, s);
  /** The subscribers that may receive the event of this loan (and only they). */
  const permitted = (loan: [string, string, string]): Sub[] => {
    const out: Sub[] = [];
    const c = byCustomer.get(loan[1]);
    if (c && (c.variables.loanId === undefined || c.variables.loanId === loan[0])) out.push(c);
    const p = byPartner.get(loan[2]);
    if (p && p.variables.partnerId === undefined) out.push(p);
    return out;
  };

  // interleave over the workers
  const perWorker: Sub[][] = Array.from({ length: WORKERS }, () => []);
  subs.forEach((s, i) => perWorker[i % WORKERS]!.push(s));

  await sleep(2000);
  const rssBefore = rssKiB(GW_PID);
  log(`gateway RSS before subscribers: ${(rssBefore / 1024).toFixed(1)} MiB; ${subs.length} subscribers (${nCustomers} customers, ${nPartners} partners), ${WORKERS} client processes`);
  for (let w = 0; w < WORKERS; w++) {
    const child = fork(path.join(HERE, "fanout-client.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    workers.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`client process exited (${code})`)));
    });
  }
  const wsUrl = URL_HTTP.replace(/^http/, "ws") + "/graphql";
  const tOpen = now();
  const opened = await Promise.all(
    workers.map((w, k) =>
      ask<{ connected: number; failed: number; errors: string[] }>(
        w, { type: "open", url: wsUrl, query: QUERY, subs: perWorker[k]!.map(({ i, token, variables }) => ({ i, token, variables })), parallel: 50 },
        "opened", 600_000),
    ),
  );
  const openSeconds = (now() - tOpen) / 1000;
  const connected = opened.reduce((s, o) => s + o.connected, 0);
  const failedConnect = opened.reduce((s, o) => s + o.failed, 0);
  log(`${connected} connected, ${failedConnect} failed in ${openSeconds.toFixed(1)} s; settling ${SETTLE_MS / 1000} s`);
  await sleep(SETTLE_MS);
  const rssAfter = rssKiB(GW_PID);
  const perSub = (rssAfter - rssBefore) / Math.max(1, connected);
  log(`gateway RSS with ${connected} idle subscribers: ${(rssAfter / 1024).toFixed(1)} MiB (+${perSub.toFixed(1)} KiB each)`);

  // ---- status changes at RATE/s --------------------------------------------------------------
  const progress = async () => {
    const ps = await Promise.all(workers.map((w) => ask<{ received: number }>(w, { type: "progress" }, "progress", 30_000)));
    return ps.reduce((s, p) => s + p.received, 0);
  };
  type Fired = { loan: [string, string, string]; sent: number; t: number; warm: boolean; error?: string };
  const fired: Fired[] = [];
  const disburse = async (loan: [string, string, string], warm: boolean) => {
    const f: Fired = { loan, sent: now(), t: NaN, warm };
    fired.push(f);
    try {
      const res = await gql(`mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { id status } }`, { input: { loanId: loan[0] } }, admin);
      if (res.data.disburseLoan.status !== "CURRENT") throw new Error(JSON.stringify(res.data));
      f.sent = res.sent;
      f.t = res.t;
    } catch (err) {
      f.error = String((err as Error).message).slice(0, 300);
    }
  };
  // warm-up: a few, one at a time
  for (let k = 0; k < WARMUP; k++) await disburse(loanRows[k]!, true);
  await sleep(2000);
  const measured = loanRows.slice(WARMUP);
  const cpu0 = cpuTicks(GW_PID);
  const load0 = loadavg();
  const start = now() + 100;
  const inflight: Promise<void>[] = [];
  let behind = 0;
  for (let k = 0; k < measured.length; k++) {
    const due = start + (k * 1000) / RATE;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    else if (wait < -50) behind++;
    inflight.push(disburse(measured[k]!, false));
  }
  const firedIn = (now() - start) / 1000;
  await Promise.all(inflight);
  const mutationsDone = (now() - start) / 1000;
  const expectedAll = fired.reduce((s, f) => s + (f.error ? 0 : permitted(f.loan).length), 0);
  const drainStart = now();
  let got = await progress();
  while (got < expectedAll && now() - drainStart < DRAIN_MS) {
    await sleep(250);
    got = await progress();
  }
  await sleep(2000); // late duplicates or strays would show up
  const wall = (now() - start) / 1000;
  const cpuS = (cpuTicks(GW_PID) - cpu0) / CLK;
  const load1 = loadavg();
  const rssAfterEvents = rssKiB(GW_PID);

  // ---- check ---------------------------------------------------------------------------------
  const reports = await Promise.all(workers.map((w) => ask<{ receipts: [number, number, string | null, string | null][]; errors: string[] }>(w, { type: "report" }, "report", 120_000)));
  await Promise.all(workers.map((w) => ask(w, { type: "close" }, "closed", 120_000)));
  const ids = fired.map((f) => `'${f.loan[0]}'`).join(",");
  const firedByLoan = new Map(fired.map((f) => [f.loan[0], f]));
  const loanOfEvent = new Map<string, Fired>();
  for (const line of psql(`select id, entity_id from status_events where entity_type = 'LOAN' and to_status = 'CURRENT' and entity_id in (${ids})`).split("\n").filter(Boolean)) {
    const [id, entity] = line.split("|");
    loanOfEvent.set(id!, firedByLoan.get(entity!)!);
  }
  const seen = new Set<string>();
  let duplicates = 0;
  let outOfScope = 0;
  let unknown = 0;
  let loanMismatch = 0;
  const latency: number[] = [];
  const fromResponse: number[] = [];
  /** From the request, by the 10-s window of the run the mutation was sent in (is the tail at the start?). */
  const byWindow = new Map<number, number[]>();
  const latencyCustomer: number[] = [];
  const latencyPartner: number[] = [];
  for (const rep of reports) {
    for (const [i, t, cursor, loanId] of rep.receipts) {
      const s = subs[i]!;
      const f = cursor ? loanOfEvent.get(eventIdOf(cursor)) : undefined;
      if (!f) {
        unknown++;
        continue;
      }
      if (loanId !== f.loan[0]) loanMismatch++;
      const k = `${i}|${cursor}`;
      if (seen.has(k)) {
        duplicates++;
        continue;
      }
      seen.add(k);
      if (!permitted(f.loan).includes(s)) {
        outOfScope++;
        continue;
      }
      if (f.warm) continue;
      latency.push(t - f.sent);
      fromResponse.push(t - f.t);
      const wdw = Math.max(0, Math.floor((f.sent - start) / 10_000));
      if (!byWindow.has(wdw)) byWindow.set(wdw, []);
      byWindow.get(wdw)!.push(t - f.sent);
      (s.role === "CUSTOMER" ? latencyCustomer : latencyPartner).push(t - f.sent);
    }
  }
  const measuredFired = fired.filter((f) => !f.warm);
  const mutationErrors = measuredFired.filter((f) => f.error);
  const expected = measuredFired.reduce((s, f) => s + (f.error ? 0 : permitted(f.loan).length), 0);
  const delivered = latency.length;
  const clientErrors = reports.flatMap((r) => r.errors);
  const lat = stats(latency);
  const result = {
    kind: "fanout-distinct",
    settings: {
      subscribers: SUBS, customers: nCustomers, partners: nPartners, distinct_tokens: subs.length, client_processes: WORKERS,
      asking_for_another_customers_loan: subs.filter((s) => s.variables.loanId).length,
      asking_for_another_partner: subs.filter((s) => s.variables.partnerId).length,
      rate_per_s: RATE, duration_s: DURATION_S, events_measured: measuredFired.length, warmup_events: WARMUP, query: QUERY,
    },
    connect: { connected, failed: failedConnect, seconds: r1(openSeconds), errors: opened.flatMap((o) => o.errors).slice(0, 10) },
    memory: {
      gateway_rss_before_mib: r1(rssBefore / 1024),
      gateway_rss_with_subscribers_mib: r1(rssAfter / 1024),
      rss_per_idle_subscriber_kib: r1(perSub),
      gateway_rss_after_events_mib: r1(rssAfterEvents / 1024),
      note: "VmRSS of the gateway, no forced GC; per subscriber = (with − before) / connected, one WebSocket + one subscription + one distinct token each",
    },
    load: {
      fired_in_s: r1(firedIn), mutations_done_in_s: r1(mutationsDone), achieved_rate_per_s: r1(measuredFired.length / firedIn),
      schedule_slips_over_50ms: behind, mutation_errors: mutationErrors.length, mutation_error_samples: mutationErrors.slice(0, 5).map((f) => f.error),
      mutation_latency_ms: stats(measuredFired.filter((f) => !f.error).map((f) => f.t - f.sent)),
      gateway_cpu_s: r1(cpuS), gateway_cores: Number((cpuS / wall).toFixed(2)), wall_s: r1(wall), loadavg_before: load0, loadavg_after: load1,
    },
    delivery: {
      expected, delivered, missing: expected - delivered, duplicates, out_of_scope: outOfScope, unknown, loan_mismatch: loanMismatch,
      latency_ms_from_request: lat, latency_ms_from_response: stats(fromResponse),
      by_10s_window: [...byWindow.keys()].sort((a, b) => a - b).map((k) => ({ from_s: k * 10, ...stats(byWindow.get(k)!) })), customers: stats(latencyCustomer), partners: stats(latencyPartner),
      client_errors: clientErrors.slice(0, 20), client_error_count: clientErrors.length,
      note: "latency = receipt in the subscriber process − start of the disburseLoan request (same clock)",
    },
  };
  const pass = connected === SUBS && failedConnect === 0 && mutationErrors.length === 0 && expected - delivered === 0 && duplicates === 0 && outOfScope === 0 && unknown === 0 && loanMismatch === 0;
  const goals = {
    exactly_once_and_in_scope: pass,
    p99_le_1000ms: lat.p99 <= 1000,
    rss_per_idle_subscriber_le_20kib: perSub <= 20,
  };
  fs.writeFileSync(path.join(OUT, "fanout.json"), JSON.stringify({ ...result, goals, pass }, null, 2) + "\n");
  const yes = (b: boolean) => (b ? "**met**" : "**not met**");
  fs.writeFileSync(path.join(OUT, "summary.md"), `# Subscription fan-out, distinct viewers

\`npm run bench:fanout:distinct\`: ${connected}/${SUBS} graphql-ws subscribers (failed ${failedConnect}), each with its own token:
${nCustomers} CUSTOMERs (their own loans; ${result.settings.asking_for_another_customers_loan} ask for another customer's \`loanId\`) and
${nPartners} PARTNERs (their customers' loans; ${result.settings.asking_for_another_partner} ask for another partner's \`partnerId\`), in ${WORKERS} client processes.
Status changes: \`disburseLoan\` at ${RATE}/s for ${DURATION_S} s (${measuredFired.length} fired in ${r1(firedIn)} s, ${mutationErrors.length} errors;
mutation p50/p99 ${result.load.mutation_latency_ms.p50}/${result.load.mutation_latency_ms.p99} ms). Gateway ${result.load.gateway_cores} cores over the ${r1(wall)} s.

| | figure | goal | |
|---|---:|---:|---|
| RSS per idle subscriber | ${r1(perSub)} KiB (${r1(rssBefore / 1024)} → ${r1(rssAfter / 1024)} MiB) | ≤ 20 KiB | ${yes(goals.rss_per_idle_subscriber_le_20kib)} |
| delivered / expected | ${delivered} / ${expected} (missing ${expected - delivered}, duplicates ${duplicates}) | all, once | ${yes(expected === delivered && duplicates === 0)} |
| out of scope / unknown | ${outOfScope} / ${unknown} | 0 | ${yes(outOfScope === 0 && unknown === 0)} |
| latency from request start p50 / p90 / p99 / max | ${lat.p50} / ${lat.p90} / ${lat.p99} / ${lat.max} ms | p99 ≤ 1000 ms | ${yes(goals.p99_le_1000ms)} |

From the mutation's response (committed) instead: p50/p99 ${result.delivery.latency_ms_from_response.p50}/${result.delivery.latency_ms_from_response.p99} ms.
p99 by 10-s window of the run (from the request): ${result.delivery.by_10s_window.map((w) => `${w.from_s} s: ${w.p99}`).join(", ")} ms.
Customers p50/p99 ${result.delivery.customers.p50}/${result.delivery.customers.p99} ms, partners ${result.delivery.partners.p50}/${result.delivery.partners.p99} ms.
Client errors: ${clientErrors.length}. Load average ${load0} → ${load1}.
`);
  log(`${delivered}/${expected} delivered, dup ${duplicates}, out of scope ${outOfScope}, unknown ${unknown}; p99 ${lat.p99} ms; ${r1(perSub)} KiB/subscriber`);
  log(pass ? "all checks passed" : "CHECKS FAILED");
  process.exitCode = pass ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
}).finally(() => {
  stopWorkers(workers);
  setTimeout(() => process.exit(), 500).unref();
});
