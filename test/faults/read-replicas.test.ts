/**
 * Read replicas (DATABASE_READ_URL, src/db/replicas.ts) against a real streaming replica: the
 * gateway (`src/main.ts` as a child process) runs on a private primary with a hot standby of it
 * (test/support/private-pg.ts, `pg_basebackup -R`), both on loopback.
 *
 * It proves: reads (compiled and resolver) run on the replica, writes on the primary; a caller
 * sees its own write at once while the replica's replay is paused, another caller does not yet;
 * a replica lagging past REPLICA_MAX_LAG_MS leaves rotation and comes back once it catches up; a
 * replica stopped (or frozen by SIGSTOP) under mixed load stops getting reads within 2 s with no
 * request failing, and gets them again once started; /readyz reports each state.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoadClient, Q, lifecycle, ok, pay, paymentKey, registration, sleep, type PaymentKey } from "../support/load.js";
import { startPrivatePostgres, startPrivateReplica, type PrivatePostgres, type PrivateReplica } from "../support/private-pg.js";
import { startGatewayProcess, type GatewayProcess } from "../support/process.js";
import { tokenFor } from "../support/world.js";
import { skipWithoutPrivatePg } from "./prerequisites.js";

const SUITE = "read replicas: routing, read-your-writes, lag and outage";
const unavailable = skipWithoutPrivatePg(SUITE);

/** Long enough for the read-your-writes test to run while replay is paused; the lag test waits it out. */
const MAX_LAG_MS = 3_000;
const DB = "faults_replicas";

const CUSTOMER_BY_ID = `query($id: ID!) { customer(id: $id) { id fullName } }`;
/** A connection with a filter: answered by the resolvers, not compiled (compiler/read-models.ts). */
const CUSTOMER_SEARCH = `query($s: String!) { customers(first: 5, filter: { search: $s }) { nodes { id } } }`;
const LOANS_FILTERED = `query($p: ID!) { loans(first: 20, filter: { partnerId: $p }) { totalCount nodes { id status } } }`;

interface ReplicaReport {
  name: string;
  state: string;
  inRotation: boolean;
  lagMs: number | null;
}

describe.skipIf(unavailable)(SUITE, () => {
  let primary: PrivatePostgres;
  let replica: PrivateReplica;
  let gw: GatewayProcess;
  let base: string;
  let admin: string;
  let c: LoadClient;
  let partnerId: string;
  let partnerToken: string;
  const loans: string[] = [];

  beforeAll(async () => {
    primary = await startPrivatePostgres();
    await primary.createDatabase(DB);
    replica = await startPrivateReplica(primary);
    gw = await startGatewayProcess({
      DATABASE_URL: primary.url(DB),
      DATABASE_READ_URL: replica.url(DB),
      REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
      DB_POOL_MAX: "8",
    });
    base = gw.url.replace(/\/graphql$/, "");
    admin = await tokenFor("ADMIN", "replicas");
    c = new LoadClient(gw.url, admin, 20_000);
    const partner = await c.gql("setup", Q.createPartner, { input: { code: `RR${Date.now() % 100000}`, name: "Replicas" } });
    expect(partner.code, partner.message).toBeUndefined();
    partnerId = partner.data.createPartner.id;
    partnerToken = await tokenFor("PARTNER", partnerId);
    for (let i = 0; i < 3; i++) {
      const r = await lifecycle(c, partnerToken);
      expect(r.failed, JSON.stringify(r.failed)).toBeUndefined();
      loans.push(r.loanId!);
    }
  }, 180_000);

  afterAll(async () => {
    if (gw && gw.child.exitCode !== null) console.log(`gateway exited with ${gw.child.exitCode}:\n${gw.output().slice(-4000)}`);
    if (gw) await gw.stop("SIGKILL");
    if (replica) await replica.destroy();
    if (primary) await primary.destroy();
  });

  async function readyz(): Promise<{ status: number; replicas: ReplicaReport[] }> {
    const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { replicas?: ReplicaReport[] };
    return { status: res.status, replicas: body.replicas ?? [] };
  }

  /** gateway_db_reads_total by target, from /metrics (loopback: allowed without a token). */
  async function reads(): Promise<{ replica: number; primary: number; primary_retry: number; inRotation: number }> {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    return {
      replica: num(/^gateway_db_reads_total\{target="replica"\} (\S+)$/m),
      primary: num(/^gateway_db_reads_total\{target="primary"\} (\S+)$/m),
      primary_retry: num(/^gateway_db_reads_total\{target="primary_retry"\} (\S+)$/m),
      inRotation: num(/^gateway_db_replica_in_rotation\{replica="[^"]+"\} (\S+)$/m),
    };
  }

  async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<{ value: T; ms: number }> {
    const started = Date.now();
    for (;;) {
      const value = await probe();
      if (value !== undefined) return { value, ms: Date.now() - started };
      if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  const replicaState = async (state: string) => {
    const r = await readyz();
    return r.replicas[0]?.state === state ? r : undefined;
  };

  it("sends reads (compiled and resolver) to the replica and writes to the primary; /readyz lists it", async () => {
    await replica.waitForCatchUp();
    await until("replica in rotation", 5_000, () => replicaState("in-rotation"));
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.replicas).toHaveLength(1);
    expect(ready.replicas[0]).toMatchObject({ name: `127.0.0.1:${replica.port}/${DB}`, state: "in-rotation", inRotation: true });
    // Replayed what the admin wrote above: its reads may go to the replica.
    await sleep(600);

    const before = await reads();
    expect(before.inRotation).toBe(1);
    for (let i = 0; i < 10; i++) {
      expect(ok(await c.gql("loan", Q.loan, { id: loans[i % loans.length] }))).toBe(true);
      expect(ok(await c.gql("list", Q.list, { first: 10 }))).toBe(true);
      expect(ok(await c.gql("filtered", LOANS_FILTERED, { p: partnerId }))).toBe(true);
    }
    const after = await reads();
    expect(after.replica - before.replica).toBe(30);
    expect(after.primary - before.primary).toBe(0);

    // The replica's own view: the gateway's connections there ran the read statements, the
    // compiled reads' and the resolvers' (drizzle's "select ... from \"loans\"").
    const onReplica = postgres(replica.url(DB), { max: 1, onnotice: () => {} });
    try {
      const rows = await onReplica<{ query: string }[]>`select query from pg_stat_activity where application_name = 'julo-gateway' and datname = ${DB}`;
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.some((r) => /json|"loans"|"customers"/i.test(r.query))).toBe(true);
      expect(rows.some((r) => /^\s*(insert|update|delete)/i.test(r.query))).toBe(false);
    } finally {
      await onReplica.end();
    }

    // A write (a mutation, and the reads inside it) runs on the primary: the replica would refuse it.
    const reg = await c.gql("register", Q.register, { input: registration() }, partnerToken);
    expect(reg.code, reg.message).toBeUndefined();
    expect((await reads()).replica - after.replica).toBe(0);
  });

  it("read-your-writes: with replay paused the writer sees its write at once (on this instance by memory, on another by X-Read-After), another caller does not yet", async () => {
    // A second instance on the same primary and replica: it never saw the write.
    const other = await startGatewayProcess({
      DATABASE_URL: primary.url(DB),
      DATABASE_READ_URL: replica.url(DB),
      REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
      DB_POOL_MAX: "4",
    });
    const otherBase = other.url.replace(/\/graphql$/, "");
    const otherReads = async () => {
      const text = await (await fetch(`${otherBase}/metrics`)).text();
      return Number(/^gateway_db_reads_total\{target="primary"\} (\S+)$/m.exec(text)?.[1] ?? NaN);
    };
    try {
      await replica.waitForCatchUp();
      await sleep(600);
      const observer = await tokenFor("ADMIN", "observer");
      // Clients that do not send X-Read-After back: only the gateway's memory of the write counts.
      const writer = new LoadClient(gw.url, admin);
      const plain = new LoadClient(gw.url, admin);
      await replica.pauseReplay();
      try {
        const input = registration();
        const reg = await writer.gql("register", Q.register, { input }, partnerToken);
        expect(reg.code, reg.message).toBeUndefined();
        const readAfter = writer.readAfter;
        expect(readAfter).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
        writer.readAfter = undefined;
        const id = reg.data.registerCustomer.customer.id as string;
        const customerToken = reg.data.registerCustomer.token as string;
        const before = await reads();

        // The writer (the partner): its compiled and its resolver reads see the new customer.
        const mine = await writer.gql("mine", CUSTOMER_BY_ID, { id }, partnerToken);
        expect(mine.code, mine.message).toBeUndefined();
        expect(mine.data.customer?.id).toBe(id);
        const search = await writer.gql("mine-search", CUSTOMER_SEARCH, { s: input.fullName }, partnerToken);
        expect(search.data.customers.nodes.map((n: { id: string }) => n.id)).toEqual([id]);
        // The customer the registration issued a token to sees itself too.
        const me = await plain.gql("me", `query { me { customer { id } } }`, {}, customerToken);
        expect(me.data.me.customer?.id).toBe(id);
        const mid = await reads();
        expect(mid.primary - before.primary).toBe(3);

        // Someone else reads from the replica, which has not replayed the registration yet.
        const otherCaller = await plain.gql("other", CUSTOMER_BY_ID, { id }, observer);
        expect(otherCaller.data?.customer ?? null).toBeNull();
        const otherSearch = await plain.gql("other-search", CUSTOMER_SEARCH, { s: input.fullName }, observer);
        expect(otherSearch.data.customers.nodes).toEqual([]);
        const after = await reads();
        expect(after.replica - mid.replica).toBe(2);
        expect((await readyz()).replicas[0]!.state).toBe("in-rotation");

        // The other instance: the writer's reads see the write when they carry X-Read-After
        // (compiled and resolver reads), and do not without it.
        const otherPrimary = await otherReads();
        const withHeader = new LoadClient(other.url, admin);
        withHeader.readAfter = readAfter;
        expect((await withHeader.gql("mine", CUSTOMER_BY_ID, { id }, partnerToken)).data.customer?.id).toBe(id);
        const searched = await withHeader.gql("mine-search", CUSTOMER_SEARCH, { s: input.fullName }, partnerToken);
        expect(searched.data.customers.nodes).toHaveLength(1);
        expect((await otherReads()) - otherPrimary).toBe(2);
        const withoutHeader = await new LoadClient(other.url, admin).gql("mine", CUSTOMER_BY_ID, { id }, partnerToken);
        expect(withoutHeader.data?.customer ?? null).toBeNull();

        await replica.resumeReplay();
        await replica.waitForCatchUp();
        await sleep(600);
        const later = await plain.gql("other", CUSTOMER_BY_ID, { id }, observer);
        expect(later.data.customer?.id).toBe(id);
      } finally {
        await replica.resumeReplay().catch(() => {});
      }
    } finally {
      await other.stop("SIGKILL");
    }
  });

  it("a replica lagging past REPLICA_MAX_LAG_MS leaves rotation (reads go to the primary) and comes back when it catches up", async () => {
    const observer = await tokenFor("ADMIN", "lag-observer");
    await replica.pauseReplay();
    let resumed = false;
    try {
      const input = registration();
      expect(ok(await c.gql("register", Q.register, { input }, partnerToken))).toBe(true);
      const paused = Date.now();
      const out = await until("replica lagging", MAX_LAG_MS + 3_000, () => replicaState("lagging"));
      const sincePause = Date.now() - paused;
      expect(sincePause).toBeGreaterThanOrEqual(MAX_LAG_MS - 300);
      expect(out.value.status).toBe(200); // a replica out of rotation only degrades
      expect(out.value.replicas[0]!.lagMs).toBeGreaterThan(MAX_LAG_MS);
      const before = await reads();
      expect(before.inRotation).toBe(0);
      // Out of rotation: every read goes to the primary, so everyone sees the write.
      const seen = await c.gql("search", CUSTOMER_SEARCH, { s: input.fullName }, observer);
      expect(seen.data.customers.nodes).toHaveLength(1);
      const after = await reads();
      expect(after.primary - before.primary).toBe(1);
      expect(after.replica - before.replica).toBe(0);

      await replica.resumeReplay();
      resumed = true;
      const back = await until("replica back in rotation", 5_000, () => replicaState("in-rotation"));
      console.log(`replica lag: out of rotation ${sincePause} ms after replay paused (bound ${MAX_LAG_MS} ms), back ${back.ms} ms after resuming`);
      const r0 = await reads();
      expect(ok(await c.gql("search", CUSTOMER_SEARCH, { s: input.fullName }, observer))).toBe(true);
      expect((await reads()).replica - r0.replica).toBe(1);
    } finally {
      if (!resumed) await replica.resumeReplay().catch(() => {});
    }
  });

  it("replica stopped (fast, immediate) or frozen under mixed load: reads go to the primary within 2 s and nothing fails; started again: reads return to it", async () => {
    await replica.waitForCatchUp();
    await until("replica in rotation", 5_000, () => replicaState("in-rotation"));
    // Reads on a client of their own (no writes, so no X-Read-After: they go to the replica
    // whenever it is in rotation), writes on another.
    const load = new LoadClient(gw.url, admin, 20_000);
    const writes = new LoadClient(gw.url, admin, 20_000);
    const keys: PaymentKey[] = loans.map((l) => paymentKey(l, "60000"));
    const readers = await Promise.all([0, 1, 2].map((i) => tokenFor("ADMIN", `reader-${i}`)));
    let running = true;
    const worker = async (n: number) => {
      while (running) {
        const r = Math.random();
        const token = readers[n % readers.length]!;
        if (r < 0.35) await load.gql("loan", Q.loan, { id: loans[n % loans.length] }, token);
        else if (r < 0.6) await load.gql("list", Q.list, { first: 10 }, token);
        else if (r < 0.8) await load.gql("filtered", LOANS_FILTERED, { p: partnerId }, token);
        else if (r < 0.9) await pay(writes, keys[Math.floor(Math.random() * keys.length)]!);
        else await lifecycle(writes, partnerToken, "approve"); // each step's outcome is recorded by the client
      }
    };
    const workers = [0, 1, 2, 3, 4].map(worker);
    try {
      await sleep(1_500);
      // A clean stop (backends told to terminate), a crash-like one (connections reset), and a
      // frozen server (SIGSTOP: connections stay open, nothing answers; reads already sent to it
      // are given up when it leaves rotation).
      for (const mode of ["fast", "immediate", "frozen"] as const) {
        const beforeStop = await reads();
        const stopAt = Date.now();
        if (mode === "frozen") replica.freeze();
        else await replica.stop(mode);
        const stopped = Date.now();
        const down = await until(`replica reported down (${mode})`, 5_000, () => replicaState("down"));
        const downMs = Date.now() - stopAt;
        // From 2 s after the stop on, no read is sent to the replica.
        await sleep(Math.max(0, stopAt + 2_000 - Date.now()));
        const at2s = await reads();
        await sleep(2_000);
        const at4s = await reads();
        expect(at4s.replica).toBe(at2s.replica);
        expect(at4s.primary).toBeGreaterThan(at2s.primary);
        expect(down.value.status).toBe(200);
        expect(at4s.inRotation).toBe(0);

        if (mode === "frozen") replica.thaw();
        else await replica.start();
        const back = await until(`replica back in rotation (${mode})`, 15_000, () => replicaState("in-rotation"));
        await sleep(1_000);
        const end = await reads();
        expect(end.replica).toBeGreaterThan(at4s.replica);
        console.log(
          `replica ${mode} (stop took ${stopped - stopAt} ms): reported down ${downMs} ms after the stop; ` +
            `reads sent to the replica between the stop and 2 s after: ${at2s.replica - beforeStop.replica} (retried on the primary: ${at4s.primary_retry - beforeStop.primary_retry}); ` +
            `back in rotation ${back.ms} ms after the start; replica reads in the next second: ${end.replica - at4s.replica}`,
        );
      }
    } finally {
      running = false;
      await Promise.all(workers);
    }
    console.log(`requests: ${load.outcomes.length} reads, ${writes.outcomes.length} writes`);
    const failed = [...load.outcomes, ...writes.outcomes].filter((o) => !ok(o));
    expect(failed.map((o) => `${o.kind}: ${o.code} ${o.message}`)).toEqual([]);
    expect(load.outcomes.length).toBeGreaterThan(50);
    expect(writes.outcomes.length).toBeGreaterThan(5);
  });
});
