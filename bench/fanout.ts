/**
 * bench/fanout.ts — subscription fan-out benchmark (run by bench/fanout.sh, which starts the
 * gateway and passes FANOUT_* below). Prepares loans (one per round) through the GraphQL
 * lifecycle, opens FANOUT_SUBS graphql-ws `loanStatusChanged` subscribers in FANOUT_WORKERS
 * child processes (bench/fanout-client.mjs), measures the gateway's RSS before/after, then
 * disburses one loan per round and measures, per subscriber, the time from the mutation's HTTP
 * response to the event's receipt; checks every subscriber got exactly what it may see, once.
 *
 * Env: FANOUT_URL, FANOUT_GW_PID, FANOUT_SECRET, FANOUT_OUT, FANOUT_DB_URL, FANOUT_PM_PID (postmaster)
 *   FANOUT_SUBS=5000 FANOUT_WORKERS=2 FANOUT_ADMIN_SHARE=0.4 FANOUT_PARTNERS=5 FANOUT_OTHER_SHARE=0.1
 *   (share of partner subscribers that ask for ANOTHER partner's id: must receive nothing)
 *   FANOUT_ROUNDS=10 FANOUT_BURST=1 (a last round disbursing one loan of every partner + one
 *   without partner at once) FANOUT_QUERY=nested|flat FANOUT_ROUND_TIMEOUT_S=60 FANOUT_DRAIN_S=120
 *   (after the last round, wait this long at most for deliveries still on their way) FANOUT_SETTLE_S=5
 */
import { execFileSync, fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ask, CLK, eventIdOf, graphqlClient, loadavg, now, psql as psqlOn, rssKiB, sleep, stats, stopWorkers, ticks, workerRegistry } from "./lib/fanout-common.js";
import { mintToken, tokenKey } from "../src/auth/tokens.js";

const env = process.env;
/** The event id a delivered cursor carries: base64url("e2|LOAN|<id>|tag") (signed; read here, never forged). */
const need = (k: string) => env[k] ?? (console.error(`fanout: ${k} not set (run bench/fanout.sh)`), process.exit(2));
const URL_HTTP = need("FANOUT_URL");
const GW_PID = Number(need("FANOUT_GW_PID"));
const SECRET = need("FANOUT_SECRET");
const OUT = need("FANOUT_OUT");
const DB_URL = need("FANOUT_DB_URL");
const PM_PID = env.FANOUT_PM_PID ? Number(env.FANOUT_PM_PID) : undefined;
const SUBS = Number(env.FANOUT_SUBS ?? 5000);
const WORKERS = Number(env.FANOUT_WORKERS ?? 2);
const ADMIN_SHARE = Number(env.FANOUT_ADMIN_SHARE ?? 0.4);
const NPARTNERS = Number(env.FANOUT_PARTNERS ?? 5);
const OTHER_SHARE = Number(env.FANOUT_OTHER_SHARE ?? 0.1);
const ROUNDS = Number(env.FANOUT_ROUNDS ?? 10);
const BURST = (env.FANOUT_BURST ?? "1") === "1";
const QUERY_KIND = env.FANOUT_QUERY ?? "nested";
const ROUND_TIMEOUT_MS = Number(env.FANOUT_ROUND_TIMEOUT_S ?? 60) * 1000;
const DRAIN_MS = Number(env.FANOUT_DRAIN_S ?? 120) * 1000;
const SETTLE_MS = Number(env.FANOUT_SETTLE_S ?? 5) * 1000;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const log = (m: string) => process.stderr.write(`[fanout ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const QUERY =
  QUERY_KIND === "flat"
    ? "subscription S($partnerId: ID) { loanStatusChanged(partnerId: $partnerId) { cursor fromStatus toStatus at } }"
    : "subscription S($partnerId: ID) { loanStatusChanged(partnerId: $partnerId) { cursor fromStatus toStatus at loan { id status } } }";

// ---- processes we start (the workers), stopped on exit -------------------------------------
const workers = workerRegistry();
const killWorkers = () => stopWorkers(workers);

// ---- /proc ---------------------------------------------------------------------------------
function machineTicks(): { busy: number; total: number; steal: number } {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total, steal: f[7]! };
}
function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)]).toString().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
const psql = (sqlText: string) => psqlOn(DB_URL, sqlText);
const ourBackends = () =>
  psql("select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()").split("\n").filter(Boolean).map(Number);

interface CpuSnap {
  t: number;
  gw: number;
  pgCluster: number;
  backends: Map<number, number>;
  workers: number;
  self: number;
  m: ReturnType<typeof machineTicks>;
}
function cpuSnap(backendPids: number[]): CpuSnap {
  const u = process.cpuUsage();
  return {
    t: now(),
    gw: ticks(GW_PID),
    pgCluster: PM_PID ? ticks(PM_PID) + childrenOf(PM_PID).reduce((s, p) => s + ticks(p), 0) : NaN,
    backends: new Map(backendPids.map((p) => [p, ticks(p)])),
    workers: workers.reduce((s, w) => s + ticks(w.pid!), 0),
    self: ((u.user + u.system) / 1e6) * CLK,
    m: machineTicks(),
  };
}
function cpuDelta(a: CpuSnap, b: CpuSnap) {
  const wall = (b.t - a.t) / 1000;
  const c = (x: number) => Number((x / CLK / wall).toFixed(2));
  // the pool opens connections lazily: a backend that appeared in the window counts in full
  let be = 0;
  for (const [p, t1] of b.backends) be += t1 - (a.backends.get(p) ?? 0);
  const gateway = c(b.gw - a.gw);
  const pgOurs = c(be);
  const clients = c(b.workers - a.workers + (b.self - a.self));
  // nproc × busy/total: the guest's tick total does not always advance at nproc per second
  const nproc = fs.readFileSync("/proc/stat", "utf8").split("\n").filter((l) => /^cpu\d/.test(l)).length;
  const machine = Number(((nproc * (b.m.busy - a.m.busy)) / Math.max(1, b.m.total - a.m.total)).toFixed(2));
  return {
    wall_s: Number(wall.toFixed(2)),
    gateway,
    gateway_cpu_s: Number(((b.gw - a.gw) / CLK).toFixed(2)),
    postgres_our_backends: pgOurs,
    postgres_cluster: c(b.pgCluster - a.pgCluster),
    clients_and_orchestrator: clients,
    machine_busy: machine,
    other: Number((machine - gateway - pgOurs - clients).toFixed(2)),
    steal_pct: Number(((100 * (b.m.steal - a.m.steal)) / Math.max(1, b.m.total - a.m.total)).toFixed(1)),
  };
}

// ---- GraphQL over HTTP ---------------------------------------------------------------------
const gql = graphqlClient(URL_HTTP, 30_000);

async function main() {
  const runId = Date.now().toString(36).toUpperCase();
  const key = tokenKey(SECRET);
  const admin = await mintToken(key, { role: "ADMIN", sub: "bench-fanout", expiresIn: "2h" });

  // ---- partners and loans (the lifecycle, over HTTP) ---------------------------------------
  log(`preparing ${NPARTNERS} partners and ${ROUNDS + 1 + (BURST ? NPARTNERS + 1 : 0)} INACTIVE loans through the API`);
  const partners: string[] = [];
  for (let i = 0; i < NPARTNERS; i++) {
    const { data } = await gql(`mutation($input: CreatePartnerInput!) { createPartner(input: $input) { id } }`,
      { input: { code: `FO${runId}${i}`.slice(0, 20), name: `Fan-out bench partner ${runId}-${i}` } }, admin);
    partners.push(data.createPartner.id);
  }
  const partnerTokens = await Promise.all(partners.map((p) => mintToken(key, { role: "PARTNER", sub: p, expiresIn: "2h" })));
  let n = Number(psql("select count(*) from customers"));
  async function prepareLoan(partnerIdx: number | null): Promise<{ loanId: string; partnerId: string | null }> {
    n++;
    const registrar = partnerIdx === null ? undefined : partnerTokens[partnerIdx];
    const reg = await gql(`mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token customer { id } } }`, {
      input: {
        fullName: `Fanout Bench ${n}`,
        nik: `31${String(Math.floor(n / 10000) % 10000).padStart(4, "0")}570590${String(n % 10000).padStart(4, "0")}`,
        phone: `+628${String(3_000_000_000 + n).slice(-10)}`,
        email: `fanout-${runId.toLowerCase()}-${n}@example.id`,
        dateOfBirth: "1990-05-17",
        monthlyIncome: "10000000",
        pin: "246810",
      },
    }, registrar);
    const customerToken: string = reg.data.registerCustomer.token;
    const app = await gql(`mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id status } }`,
      { input: { productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: "Modal usaha" } }, customerToken);
    if (app.data.submitApplication.status !== "SUBMITTED") throw new Error(`application ${JSON.stringify(app.data)}`);
    const applicationId = app.data.submitApplication.id;
    await gql(`mutation($input: ApproveApplicationInput!) { approveApplication(input: $input) { id status } }`, { input: { applicationId } }, admin);
    const acc = await gql(`mutation($id: ID!) { acceptOffer(applicationId: $id) { id status } }`, { id: applicationId }, customerToken);
    return { loanId: acc.data.acceptOffer.id, partnerId: partnerIdx === null ? null : partners[partnerIdx]! };
  }
  // round 0 = warm-up; rounds 1..ROUNDS cycle over the partners, round ceil(ROUNDS/2) has no partner
  type Round = { round: number; label: string; loans: { loanId: string; partnerId: string | null; t?: number; sent?: number }[] };
  const rounds: Round[] = [];
  rounds.push({ round: 0, label: "warm-up", loans: [await prepareLoan(0)] });
  const nullRound = Math.ceil(ROUNDS / 2);
  for (let r = 1; r <= ROUNDS; r++) {
    const idx = r === nullRound ? null : (r - 1) % NPARTNERS;
    rounds.push({ round: r, label: idx === null ? "no partner" : `partner ${idx}`, loans: [await prepareLoan(idx)] });
  }
  if (BURST) {
    const loans = [];
    for (let i = 0; i < NPARTNERS; i++) loans.push(await prepareLoan(i));
    loans.push(await prepareLoan(null));
    rounds.push({ round: ROUNDS + 1, label: `burst: ${NPARTNERS + 1} disbursements at once`, loans });
  }

  // ---- subscribers ---------------------------------------------------------------------------
  type Sub = { i: number; role: "ADMIN" | "PARTNER"; partnerId: string | null; partnerArg: string | null; token: string };
  const subs: Sub[] = [];
  const nAdmin = Math.round(SUBS * ADMIN_SHARE);
  for (let i = 0; i < SUBS; i++) {
    if (i < nAdmin) {
      subs.push({ i, role: "ADMIN", partnerId: null, partnerArg: null, token: admin });
    } else {
      const k = (i - nAdmin) % NPARTNERS;
      const j = Math.floor((i - nAdmin) / NPARTNERS);
      // every 1/OTHER_SHARE-th partner subscriber asks for another partner's events (gets none)
      const asksOther = OTHER_SHARE > 0 && j % Math.round(1 / OTHER_SHARE) === Math.round(1 / OTHER_SHARE) - 1;
      subs.push({ i, role: "PARTNER", partnerId: partners[k]!, partnerArg: asksOther ? partners[(k + 1) % NPARTNERS]! : null, token: partnerTokens[k]! });
    }
  }
  // interleave roles over the workers
  const perWorker: Sub[][] = Array.from({ length: WORKERS }, () => []);
  subs.forEach((s, i) => perWorker[i % WORKERS]!.push(s));
  const mayGet = (s: Sub, partnerId: string | null) =>
    s.role === "ADMIN" || (s.partnerArg === null && partnerId !== null && partnerId === s.partnerId);

  await sleep(2000);
  const rssBefore = rssKiB(GW_PID);
  log(`gateway RSS before subscribers: ${(rssBefore / 1024).toFixed(1)} MiB; starting ${WORKERS} client processes`);
  for (let w = 0; w < WORKERS; w++) {
    const child = fork(path.join(HERE, "fanout-client.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    workers.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`client process exited (${code})`)));
    });
  }
  const wsUrl = URL_HTTP.replace(/^http/, "ws") + "/graphql";
  const c0 = cpuSnap([]);
  const tOpen = now();
  const opened = await Promise.all(
    workers.map((w, k) =>
      ask<{ connected: number; failed: number; errors: string[] }>(
        w, { type: "open", url: wsUrl, query: QUERY, subs: perWorker[k]!.map(({ i, token, partnerArg }) => ({ i, token, partnerArg })), parallel: 50 },
        "opened", 300_000),
    ),
  );
  const openSeconds = (now() - tOpen) / 1000;
  const c1 = cpuSnap([]);
  const connected = opened.reduce((s, o) => s + o.connected, 0);
  const failedConnect = opened.reduce((s, o) => s + o.failed, 0);
  log(`${connected} connected, ${failedConnect} failed in ${openSeconds.toFixed(1)} s; settling ${SETTLE_MS / 1000} s`);
  await sleep(SETTLE_MS);
  const rssAfter = rssKiB(GW_PID);
  log(`gateway RSS with ${connected} subscribers: ${(rssAfter / 1024).toFixed(1)} MiB (+${((rssAfter - rssBefore) / connected).toFixed(1)} KiB each)`);

  // ---- rounds --------------------------------------------------------------------------------
  const progress = async () => {
    const ps = await Promise.all(workers.map((w) => ask<{ received: number; errors: number; closed: number }>(w, { type: "progress" }, "progress", 30_000)));
    return { received: ps.reduce((s, p) => s + p.received, 0), errors: ps.reduce((s, p) => s + p.errors, 0), closed: ps.reduce((s, p) => s + p.closed, 0) };
  };
  const loadBefore = loadavg();
  const backends = ourBackends();
  // statements our database ran (autocommit reads = 1 transaction each; backends report within ~10 s)
  const xacts = () => Number(psql("select xact_commit + xact_rollback from pg_stat_database where datname = current_database()"));
  const roundLog: { round: number; label: string; expected: number; received: number; waited_ms: number }[] = [];
  let c2: CpuSnap | undefined;
  let x0 = 0;
  let expectedAll = 0;
  for (const rd of rounds) {
    if (rd.round === 1) {
      await sleep(11_000); // let the warm-up's statement counters reach pg_stat_database
      x0 = xacts();
      c2 = cpuSnap(backends);
    }
    const expected = rd.loans.reduce((s, l) => s + subs.filter((x) => mayGet(x, l.partnerId)).length, 0);
    const base = (await progress()).received;
    const t0 = now();
    await Promise.all(
      rd.loans.map(async (l) => {
        const res = await gql(`mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { id status } }`, { input: { loanId: l.loanId } }, admin);
        if (res.data.disburseLoan.status !== "CURRENT") throw new Error(`disburse: ${JSON.stringify(res.data)}`);
        l.t = res.t;
        l.sent = res.sent;
      }),
    );
    let p = await progress();
    while (p.received - base < expected && now() - t0 < ROUND_TIMEOUT_MS) {
      await sleep(100);
      p = await progress();
    }
    const waited = Math.round(now() - t0);
    roundLog.push({ round: rd.round, label: rd.label, expected, received: p.received - base, waited_ms: waited });
    log(`round ${rd.round} (${rd.label}): ${p.received - base}/${expected} received in ${waited} ms (from the request)`);
    expectedAll += expected;
    await sleep(1500); // late or duplicate deliveries would show up in the next count
  }
  // deliveries still on their way after a round's timeout: wait for them (bounded) before judging
  const drainStart = now();
  let pAll = await progress();
  while (pAll.received < expectedAll && now() - drainStart < DRAIN_MS) {
    await sleep(200);
    pAll = await progress();
  }
  if (now() - drainStart > 1000) log(`final drain: ${pAll.received}/${expectedAll} after ${Math.round(now() - drainStart)} ms`);
  const c3 = cpuSnap(ourBackends());
  const loadAfter = loadavg();
  const rssAfterEvents = rssKiB(GW_PID);

  // ---- collect and check ---------------------------------------------------------------------
  const reports = await Promise.all(workers.map((w) => ask<{ receipts: [number, number, string | null, string | null][]; errors: string[]; closed: number }>(w, { type: "report" }, "report", 60_000)));
  await Promise.all(workers.map((w) => ask(w, { type: "close" }, "closed", 60_000)));
  await sleep(3000);
  const rssAfterClose = rssKiB(GW_PID);
  await sleep(8000);
  const xactsRounds = xacts() - x0; // incl. the orchestrator's own mutations and the bus's fetches

  const allLoans = rounds.flatMap((rd) => rd.loans.map((l) => ({ ...l, round: rd.round })));
  const ids = allLoans.map((l) => `'${l.loanId}'`).join(",");
  const loanOfEvent = new Map<string, (typeof allLoans)[number]>();
  for (const line of psql(`select id, entity_id from status_events where entity_type = 'LOAN' and to_status = 'CURRENT' and entity_id in (${ids})`).split("\n").filter(Boolean)) {
    const [id, entity] = line.split("|");
    const loan = allLoans.find((l) => l.loanId === entity)!;
    loanOfEvent.set(id!, loan);
  }
  const seen = new Set<string>();
  let duplicates = 0;
  let scopeViolations = 0;
  let unexpected = 0;
  let loanMismatch = 0;
  const latFromResponse: number[] = [];
  const latFromRequest: number[] = [];
  const perRound = new Map<number, number[]>();
  const latePartner: number[] = [];
  for (const rep of reports) {
    for (const [i, t, cursor, loanId] of rep.receipts) {
      const s = subs[i]!;
      const l = cursor ? loanOfEvent.get(eventIdOf(cursor)) : undefined;
      if (!l) {
        unexpected++;
        continue;
      }
      if (QUERY_KIND !== "flat" && loanId !== l.loanId) loanMismatch++;
      const k = `${i}|${cursor}`;
      if (seen.has(k)) {
        duplicates++;
        continue;
      }
      seen.add(k);
      if (!mayGet(s, l.partnerId)) {
        // a partner subscriber got an event it may not see (another partner's, or none's)
        if (s.role === "PARTNER" && l.partnerId !== s.partnerId) scopeViolations++;
        else unexpected++;
        continue;
      }
      if (l.round === 0) continue; // warm-up: not in the figures
      const d = t - l.t!;
      latFromResponse.push(d);
      latFromRequest.push(t - l.sent!);
      if (s.role === "PARTNER") latePartner.push(d);
      let arr = perRound.get(l.round);
      if (!arr) perRound.set(l.round, (arr = []));
      arr.push(d);
    }
  }
  const measuredRounds = rounds.filter((r) => r.round > 0);
  const expectedMeasured = measuredRounds.reduce((s, rd) => s + rd.loans.reduce((a, l) => a + subs.filter((x) => mayGet(x, l.partnerId)).length, 0), 0);
  const deliveredMeasured = latFromResponse.length;
  const warmExpected = rounds[0]!.loans.reduce((a, l) => a + subs.filter((x) => mayGet(x, l.partnerId)).length, 0);
  const warmDelivered = [...seen].filter((k) => loanOfEvent.get(eventIdOf(k.slice(k.indexOf("|") + 1)))?.round === 0).length;
  const clientErrors = reports.flatMap((r) => r.errors);
  const cpuRounds = cpuDelta(c2!, c3);
  const events = measuredRounds.reduce((s, r) => s + r.loans.length, 0);
  const result = {
    kind: "fanout",
    settings: {
      subscribers: SUBS, client_processes: WORKERS, admin_subscribers: nAdmin, partner_subscribers: SUBS - nAdmin, partners: NPARTNERS,
      partner_subscribers_asking_for_another_partner: subs.filter((s) => s.partnerArg).length,
      rounds: ROUNDS, burst_round: BURST, events_measured: events, query: QUERY, round_timeout_s: ROUND_TIMEOUT_MS / 1000, final_drain_s: DRAIN_MS / 1000,
    },
    connect: { connected, failed: failedConnect, seconds: Number(openSeconds.toFixed(1)), cpu: cpuDelta(c0, c1) },
    memory: {
      gateway_rss_before_mib: Number((rssBefore / 1024).toFixed(1)),
      gateway_rss_with_subscribers_mib: Number((rssAfter / 1024).toFixed(1)),
      rss_per_idle_subscriber_kib: Number(((rssAfter - rssBefore) / Math.max(1, connected)).toFixed(1)),
      gateway_rss_after_events_mib: Number((rssAfterEvents / 1024).toFixed(1)),
      gateway_rss_after_disconnect_mib: Number((rssAfterClose / 1024).toFixed(1)),
      note: "RSS from /proc/<pid>/status (VmRSS), no forced GC; per subscriber = (with − before) / connected, one WebSocket + one subscription each",
    },
    delivery: {
      expected: expectedMeasured, delivered: deliveredMeasured, missing: expectedMeasured - deliveredMeasured,
      duplicates, scope_violations: scopeViolations, unexpected, loan_mismatch: loanMismatch,
      warmup: { expected: warmExpected, delivered: warmDelivered },
      latency_ms_from_response: stats(latFromResponse),
      latency_ms_from_request: stats(latFromRequest),
      latency_ms_partner_subscribers: stats(latePartner),
      per_round: roundLog.map((r) => ({ ...r, latency_ms_from_response: r.round > 0 ? stats(perRound.get(r.round) ?? []) : undefined })),
      client_errors: clientErrors.slice(0, 20), client_error_count: clientErrors.length,
      note: "latency = receipt in the subscriber process − HTTP response of the disburseLoan mutation (committed); negative = the event arrived before the mutation's response",
    },
    database_transactions_during_rounds: {
      total: xactsRounds,
      deliveries: deliveredMeasured,
      per_delivery: Number((xactsRounds / Math.max(1, deliveredMeasured)).toFixed(3)),
      note: "pg_stat_database xact_commit+xact_rollback of our database from the first measured round to 11 s after the last: each autocommit read is one; includes the disburse mutations (a few each), the event bus fetches, the 2 s poll and the disconnects",
    },
    cpu_rounds: { ...cpuRounds, gateway_cpu_ms_per_event: Number(((cpuRounds.gateway_cpu_s * 1000) / events).toFixed(0)),
      note: "CPU-seconds per wall second over the measured rounds (incl. the 1.5 s pauses). other = machine − gateway − our PG backends − clients" },
    load: { loadavg_before: loadBefore, loadavg_after: loadAfter },
  };
  fs.writeFileSync(path.join(OUT, "fanout.json"), JSON.stringify(result, null, 2) + "\n");
  const pass = connected === SUBS && result.delivery.missing === 0 && duplicates === 0 && scopeViolations === 0 && unexpected === 0 && loanMismatch === 0;
  log(pass ? "all checks passed" : "CHECKS FAILED");
  process.exitCode = pass ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
}).finally(() => {
  killWorkers();
  setTimeout(() => process.exit(), 500).unref();
});
