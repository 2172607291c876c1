/**
 * PostgreSQL only: EVENT_BUS=nats across gateway processes (src/main.ts, like production) on one
 * database, with a private nats-server (support/nats.ts) the tests can stop:
 * - exactly one relay; events committed through either instance reach the subscribers of both,
 *   each exactly once, in id order;
 * - NATS stopped (kill -9) and started again under a stream of status changes: every event is
 *   delivered, in order, none lost or duplicated; meanwhile /readyz stays 200 and says degraded;
 * - the relay killed (kill -9) under a stream: the other instance takes over, nothing is lost.
 * Events are application rejections (one DENIED event each) made over HTTP on alternating
 * instances; the subscribers are ADMINs watching the test's partner.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { makeApplication, makeCustomer, makePartner } from "./support/factories.js";
import { natsServerBinary, startPrivateNats, type PrivateNats } from "./support/nats.js";
import { startGatewayProcess, type GatewayProcess } from "./support/process.js";
import { closeNatsGatewayOfWorker } from "./support/transports.js";
import { collect, wsClient, type Collected } from "./support/ws.js";
import { adminToken, usingPostgres, world } from "./support/world.js";

const APP_SUB = `subscription($partnerId: ID) {
  applicationStatusChanged(partnerId: $partnerId) { cursor toStatus application { id } }
}`;
const REJECT = `mutation($id: ID!) { rejectApplication(input: { applicationId: $id, reason: "nats test" }) { status } }`;

const ci = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";
const missing = !usingPostgres() ? "needs TEST_DATABASE_URL (several processes on one PostgreSQL)" : !natsServerBinary() ? "nats-server not found (NATS_SERVER_BIN)" : undefined;
if (missing && ci && usingPostgres()) throw new Error(`subscriptions-nats: ${missing} (CI=true: a missing engine is a failure)`);
if (missing) console.log(`subscriptions-nats: skipped (${missing})`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The event id inside a cursor (`e2|<type>|<id>|<tag>`, base64url). */
function idOf(cursor: string): bigint {
  return BigInt(Buffer.from(cursor, "base64url").toString("utf8").split("|")[2]!);
}

interface Readyz {
  status: string;
  eventBus?: { transport: string; state: string; connected?: boolean; relay?: boolean };
}

async function readyz(p: GatewayProcess): Promise<{ code: number; body: Readyz }> {
  const res = await fetch(p.url.replace(/\/graphql$/, "/readyz"));
  return { code: res.status, body: (await res.json()) as Readyz };
}

/** A gauge's value from the process's /metrics (served to loopback callers). */
async function gauge(p: GatewayProcess, line: string): Promise<number | undefined> {
  const text = await (await fetch(p.url.replace(/\/graphql$/, "/metrics"))).text();
  const hit = text.split("\n").find((l) => l.startsWith(line + " "));
  return hit === undefined ? undefined : Number(hit.slice(line.length + 1));
}

async function waitUntil(what: string, ok: () => Promise<boolean>, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  while (!(await ok())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}

async function relays(ps: GatewayProcess[]): Promise<boolean[]> {
  return Promise.all(ps.map(async (p) => (await readyz(p)).body.eventBus?.relay === true));
}

describe.skipIf(!!missing)("EVENT_BUS=nats across gateway processes (PostgreSQL, private NATS)", () => {
  let nats: PrivateNats;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let token: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    const w = await world();
    // The worker's in-process NATS gateway (subscriptions.test.ts) would take part in the election.
    await closeNatsGatewayOfWorker();
    nats = await startPrivateNats();
    const env = { DATABASE_URL: w.databaseUrl!, EVENT_BUS: "nats", NATS_URL: nats.url };
    [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
    token = await adminToken();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await Promise.all([a?.stop(), b?.stop()]);
    await nats?.stop();
  });

  /** A partner with `n` submitted applications, and a subscriber of it on each given process. */
  async function setup(n: number, on: GatewayProcess[]) {
    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const apps = [];
    for (let i = 0; i < n; i++) apps.push(await makeApplication({ customer, status: "SUBMITTED" }));
    const subs: Collected[] = [];
    for (const p of on) {
      const c = wsClient(p.url.replace(/^http/, "ws"), token);
      clients.push(c);
      subs.push(collect(c, APP_SUB, { partnerId: partner.id }));
    }
    // Let the subscriptions register and the factory's own events go by (they are not DENIED).
    await sleep(1000);
    return { apps, subs };
  }

  async function reject(p: GatewayProcess, appId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(p.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: REJECT, variables: { id: appId } }),
        });
        const body = (await res.json()) as { data?: { rejectApplication?: { status: string } }; errors?: unknown };
        expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
        expect(body.data?.rejectApplication?.status).toBe("DENIED");
        return;
      } catch (err) {
        if (attempt >= 2) throw err;
        await sleep(200);
      }
    }
  }

  /** The DENIED events a subscriber got: each application once, ids strictly increasing. */
  function checkDelivered(sub: Collected, apps: { id: string }[], label: string): void {
    const denied = sub.events.map((e) => e.applicationStatusChanged).filter((e) => e.toStatus === "DENIED");
    const ids = sub.events.map((e) => idOf(e.applicationStatusChanged.cursor));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${label}: event ids in order`).toBe(true);
    expect(sub.errors, label).toEqual([]);
    expect(denied.map((e) => e.application.id).sort(), `${label}: every rejection once`).toEqual(apps.map((x) => x.id).sort());
  }

  async function allDenied(sub: Collected, n: number, timeoutMs = 20_000): Promise<void> {
    await waitUntil(`${n} DENIED events`, async () => sub.events.filter((e) => e.applicationStatusChanged.toStatus === "DENIED").length >= n, timeoutMs);
  }

  it("elects exactly one relay; events committed through either instance reach both, each once, in order", async () => {
    await waitUntil("exactly one relay", async () => (await relays([a, b])).filter(Boolean).length === 1);
    for (const p of [a, b]) expect((await readyz(p)).body).toMatchObject({ status: "ready", eventBus: { transport: "nats", state: "ok", connected: true } });
    const { apps, subs } = await setup(20, [a, b]);
    for (let i = 0; i < apps.length; i++) await reject(i % 2 ? b : a, apps[i]!.id);
    for (const [i, s] of subs.entries()) await allDenied(s, apps.length, 10_000).catch(() => checkDelivered(s, apps, `instance ${i}`));
    await sleep(500); // anything extra (a duplicate) would arrive meanwhile
    subs.forEach((s, i) => checkDelivered(s, apps, `instance ${i}`));
    expect((await relays([a, b])).filter(Boolean)).toHaveLength(1);
    subs.forEach((s) => s.stop());
  });

  it("NATS killed and restarted under a stream of status changes: every event delivered, in order, none lost or duplicated", async () => {
    const { apps, subs } = await setup(60, [a, b]);
    let during: { code: number; body: Readyz }[] = [];
    let degradedGauge: (number | undefined)[] = [];
    const outage = (async () => {
      await sleep(800);
      await nats.stop("SIGKILL");
      await sleep(700);
      during = await Promise.all([readyz(a), readyz(b)]);
      degradedGauge = await Promise.all([a, b].map((p) => gauge(p, 'gateway_event_bus_degraded{transport="nats"}')));
      await sleep(1500);
      await nats.start();
    })();
    const started = Date.now();
    for (let i = 0; i < apps.length; i++) {
      await reject(i % 2 ? b : a, apps[i]!.id);
      await sleep(40);
    }
    await outage;
    console.log(`nats outage: ${apps.length} rejections over ${Date.now() - started} ms, NATS down ~2.2 s in the middle`);
    // The gateway stayed up and ready, and said the bus was degraded.
    for (const r of during) expect(r).toMatchObject({ code: 200, body: { status: "ready", eventBus: { state: "degraded", connected: false } } });
    expect(degradedGauge).toEqual([1, 1]);
    for (const [i, s] of subs.entries()) await allDenied(s, apps.length).catch(() => checkDelivered(s, apps, `instance ${i}`));
    await sleep(500);
    subs.forEach((s, i) => checkDelivered(s, apps, `instance ${i}`));
    // Back on NATS: both connected, one relay.
    await waitUntil("both reconnected", async () => (await Promise.all([readyz(a), readyz(b)])).every((r) => r.body.eventBus?.state === "ok"));
    expect((await relays([a, b])).filter(Boolean)).toHaveLength(1);
    expect(await Promise.all([a, b].map((p) => gauge(p, 'gateway_event_bus_degraded{transport="nats"}')))).toEqual([0, 0]);
    expect((await gauge(a, "gateway_event_relay"))! + (await gauge(b, "gateway_event_relay"))!).toBe(1);
    subs.forEach((s) => s.stop());
  });

  it("the relay killed (kill -9) under a stream: the other instance takes over and nothing is lost", async () => {
    const isRelay = await relays([a, b]);
    const [relay, survivor] = isRelay[0] ? [a, b] : [b, a];
    const { apps, subs } = await setup(40, [survivor]);
    const [sub] = subs;
    // Commits on the relay right before it dies: they may never have been published.
    for (let i = 0; i < 10; i++) await reject(relay, apps[i]!.id);
    await relay.stop("SIGKILL");
    const killedAt = Date.now();
    const takeover = waitUntil("the survivor to become the relay", async () => (await relays([survivor]))[0] === true);
    for (let i = 10; i < apps.length; i++) {
      await reject(survivor, apps[i]!.id);
      await sleep(30);
    }
    const tookMs = await takeover;
    console.log(`relay failover: the survivor reported itself relay ${tookMs} ms after the kill -9 (${Date.now() - killedAt} ms for the whole stream)`);
    await allDenied(sub!, apps.length).catch(() => checkDelivered(sub!, apps, "survivor"));
    await sleep(500);
    checkDelivered(sub!, apps, "survivor");
    expect((await readyz(survivor)).body.eventBus).toMatchObject({ state: "ok", relay: true });
  });
});
