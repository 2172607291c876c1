/**
 * SIGTERM under load (RULES §11: stop accepting, finish in-flight requests, close
 * subscriptions cleanly, close the database, exit 0), on the real gateway process.
 *
 * "In flight" is made certain, not hoped for: a separate connection holds row locks on some
 * loans and an exclusive lock on `partners`, so payments on those loans and a partners read are
 * provably inside the gateway, waiting in PostgreSQL (pg_stat_activity says so), when SIGTERM
 * arrives. Meanwhile other clients keep sending big list queries and point reads, and
 * WebSocket subscriptions are open. test/process-lifecycle.test.ts keeps the light version
 * (keep-alive pings, 1001 on SIGTERM, exit 0) on the embedded database.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { LoadClient, lifecycle, ok, sleep, type Outcome } from "../support/load.js";
import { startPrivatePostgres, type PrivatePostgres } from "../support/private-pg.js";
import { skipWithoutPrivatePg } from "./prerequisites.js";
import { startGatewayProcess, type GatewayProcess } from "../support/process.js";
import { tokenFor } from "../support/world.js";

const SUITE = "SIGTERM under load";
// Skips with a message, or under CI=true fails with it (./prerequisites.ts).
const unavailable = skipWithoutPrivatePg(SUITE);

const LIST = `query { customers(first: 50) { totalCount nodes { id fullName applications(first: 5) { nodes { id status
  loan { id status principal payments { installmentNumber dueDate principalDue interestDue status } transactions(first: 10) { totalCount } } } } } } }`;
const POINT = `query($id: ID!) { loan(id: $id) { id status payments { installmentNumber amountDue } } }`;

/** A raw graphql-ws subscriber, to see the close code. */
async function subscriber(url: string, token: string): Promise<{ closed: Promise<number> }> {
  const ws = new WebSocket(url, "graphql-transport-ws");
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  const acked = new Promise<void>((resolve, reject) => {
    ws.on("message", (m) => JSON.parse(String(m)).type === "connection_ack" && resolve());
    ws.on("error", reject);
  });
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
  await acked;
  ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "subscription { loanStatusChanged { cursor toStatus } }" } }));
  return { closed };
}

describe.skipIf(unavailable)(SUITE, () => {
  let pg: PrivatePostgres;
  let gw: GatewayProcess;
  let dbUrl: string;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    dbUrl = await pg.createDatabase("faults_shutdown");
    gw = await startGatewayProcess({ DATABASE_URL: dbUrl, DB_POOL_MAX: "10" });
  }, 120_000);

  afterAll(async () => {
    if (gw) await gw.stop("SIGKILL");
    if (pg) await pg.destroy();
  });

  it("finishes every in-flight request, refuses new ones, closes subscriptions with 1001, exits 0", async () => {
    const admin = await tokenFor("ADMIN", "faults");
    const setup = new LoadClient(gw.url, admin);
    setup.record = false;
    const partner = await setup.gql("setup", `mutation { createPartner(input: { code: "SIG${Date.now() % 100000}", name: "Shutdown" }) { id } }`);
    const partnerId = partner.data.createPartner.id as string;
    const partnerToken = await tokenFor("PARTNER", partnerId);
    const loans: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await lifecycle(setup, partnerToken);
      expect(r.failed, JSON.stringify(r.failed)).toBeUndefined();
      if (r.steps.includes("disburse")) loans.push(r.loanId!);
    }
    expect(loans.length).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 10; i++) await lifecycle(setup, partnerToken, "submit"); // a bigger list page

    const wsUrl = gw.url.replace(/^http/, "ws");
    const subs = await Promise.all([subscriber(wsUrl, admin), subscriber(wsUrl, admin), subscriber(wsUrl, partnerToken)]);

    // Hold locks from outside the gateway: requests needing them wait inside PostgreSQL.
    const locker = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const observer = postgres(dbUrl, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holding = locker.begin(async (tx) => {
      await tx`select id from loans where id = any(${loans.slice(0, 3)}) for update`;
      await tx`lock table partners in access exclusive mode`;
      locked();
      await released;
    });
    await isLocked;

    const inflight = new LoadClient(gw.url, admin);
    const payments = loans.slice(0, 3).map((loanId, i) => ({ loanId, amount: String(100_000 + i), key: `sigterm-${loanId}` }));
    const blocked: Promise<Outcome>[] = [
      ...payments.map((p) =>
        inflight.gql("pay", `mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { replayed transaction { amount idempotencyKey } loan { id } } }`, {
          input: { loanId: p.loanId, amount: p.amount, idempotencyKey: p.key },
        }),
      ),
      inflight.gql("partners", `query { partners { id code } }`),
    ];
    // All four are inside the gateway, waiting on PostgreSQL locks.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [{ n }] = await observer`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and application_name = 'julo-gateway' and wait_event_type = 'Lock'`;
      if (n >= blocked.length) break;
      if (Date.now() > deadline) throw new Error(`only ${n} of ${blocked.length} requests are waiting on locks`);
      await sleep(50);
    }

    // Background load through the signal: big lists and point reads from 6 clients.
    const load = new LoadClient(gw.url, admin, 15_000);
    let running = true;
    const workers = Array.from({ length: 6 }, async (_, i) => {
      while (running) {
        const o = i % 2 ? await load.gql("list", LIST) : await load.gql("point", POINT, { id: loans[i % loans.length] });
        if (o.code === "FETCH_FAILED" || o.status === 503) await sleep(50);
      }
    });
    await sleep(1_000);

    const exit = new Promise<number | null>((resolve) => gw.child.once("exit", (code) => resolve(code)));
    const signalled = Date.now();
    gw.child.kill("SIGTERM");

    // Subscriptions close cleanly with 1001 (Going Away), right away.
    const codes = await Promise.race([Promise.all(subs.map((s) => s.closed)), sleep(5_000).then(() => "timeout" as const)]);
    expect(codes).toEqual([1001, 1001, 1001]);
    // New connections are refused (no listening socket any more); the process waits for the blocked requests.
    await sleep(300);
    const fresh = await fetch(gw.url.replace(/\/graphql$/, "/healthz"), { signal: AbortSignal.timeout(3_000) }).then(
      (r) => `status ${r.status}`,
      (e) => String((e as Error).cause ?? e),
    );
    expect(fresh).toMatch(/ECONNREFUSED|status 503/);
    const wsRefused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(wsUrl, "graphql-transport-ws");
      ws.on("open", () => (ws.close(), resolve("opened")));
      ws.on("error", (e) => resolve(String(e)));
    });
    expect(wsRefused).toMatch(/ECONNREFUSED|Unexpected server response: 503|socket hang up/);
    await sleep(1_000);
    expect(gw.child.exitCode).toBeNull();

    // Let the in-flight requests through: each completes with 200 and its real answer.
    release();
    await holding;
    const done = await Promise.all(blocked);
    running = false;
    await Promise.all(workers);
    for (const [i, p] of payments.entries()) {
      const o = done[i]!;
      expect(o.status, JSON.stringify(o)).toBe(200);
      expect(o.code, JSON.stringify(o)).toBeUndefined();
      expect(o.data.recordPayment).toEqual({ replayed: false, transaction: { amount: p.amount, idempotencyKey: p.key }, loan: { id: p.loanId } });
    }
    const partners = done[payments.length]!;
    expect(partners.status).toBe(200);
    expect(partners.code).toBeUndefined();
    expect(partners.data.partners.map((x: { id: string }) => x.id)).toContain(partnerId);

    expect(await Promise.race([exit, sleep(15_000).then(() => "still running")])).toBe(0);
    const stoppedAfter = Date.now() - signalled;
    expect(gw.output()).toContain('"msg":"stopped"');

    // The background load: answered in full, or refused; never a 500, a broken body or a hang.
    const bad: Outcome[] = [];
    let answered = 0;
    let refused = 0;
    for (const o of load.outcomes) {
      if (ok(o) && o.status === 200) {
        const good = o.kind === "list" ? o.data.customers.nodes.length === Math.min(50, o.data.customers.totalCount) : o.data.loan?.payments?.length === 3;
        if (!good) bad.push(o);
        answered++;
      } else if (o.startedAt + o.ms >= signalled && ((o.status === 503 && o.code === "SERVICE_UNAVAILABLE") || o.code === "FETCH_FAILED")) {
        refused++;
      } else bad.push(o);
    }
    console.log(`sigterm under load: ${blocked.length} blocked requests completed, ${answered} answered, ${refused} refused, exit after ${stoppedAfter} ms`);
    expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
    expect(answered).toBeGreaterThan(5);

    // The payments the shutdown let finish are in the books exactly once.
    const rows = await observer`select idempotency_key, amount::text from payment_transactions where idempotency_key = any(${payments.map((p) => p.key)}) order by idempotency_key`;
    expect(rows.map((r) => [r.idempotency_key, r.amount])).toEqual(
      [...payments].sort((a, b) => a.key.localeCompare(b.key)).map((p) => [p.key, p.amount]),
    );
    await observer.end();
    await locker.end();
  }, 180_000);
});
