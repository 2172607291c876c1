/**
 * PostgreSQL only, once per event transport (EVENT_BUS; support/transports.ts): events committed
 * through one gateway process reach subscribers of another, and a killed LISTEN connection (every
 * instance's with postgres; the relay's with nats) is re-established and caught up.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { makeApplication, makeCustomer, makeLoan, makePartner } from "./support/factories.js";
import { startGatewayProcess, type GatewayProcess } from "./support/process.js";
import { collect, gatewayWsUrl, subscribed, wsClient } from "./support/ws.js";
import { EVENT_TRANSPORTS, TEST_NATS_URL, useEventTransport } from "./support/transports.js";
import { adminToken, usingPostgres, world } from "./support/world.js";

const APP_SUB = `subscription($partnerId: ID) {
  applicationStatusChanged(partnerId: $partnerId) { cursor toStatus reason at application { id status } }
}`;
const LOAN_SUB = `subscription($loanId: ID) { loanStatusChanged(loanId: $loanId) { cursor toStatus } }`;

if (!usingPostgres()) console.log("subscriptions-instances: skipped on PGlite (needs TEST_DATABASE_URL: LISTEN/NOTIFY across processes)");

describe.skipIf(!usingPostgres()).each(EVENT_TRANSPORTS)("subscriptions across instances (PostgreSQL), event bus: %s", (transport) => {
  let other: GatewayProcess;
  const clients: Client[] = [];
  useEventTransport(transport);

  beforeAll(async () => {
    const w = await world();
    other = await startGatewayProcess({ DATABASE_URL: w.databaseUrl!, EVENT_BUS: transport, NATS_URL: TEST_NATS_URL });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    if (other) expect(await other.stop()).toBe(0);
  });

  it("delivers a change committed by another gateway process, and measures the delay", async () => {
    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const app = await makeApplication({ customer, status: "SUBMITTED" });
    const token = await adminToken();
    const c = wsClient(await gatewayWsUrl(), token);
    clients.push(c);
    const sub = collect(c, APP_SUB, { partnerId: partner.id });
    await subscribed(1);
    const res = await fetch(other.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation($id: ID!) { rejectApplication(input: { applicationId: $id, reason: "documents incomplete" }) { id status } }`,
        variables: { id: app.id },
      }),
    });
    const committedAt = Date.now();
    const body = (await res.json()) as { data?: { rejectApplication: { status: string } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data!.rejectApplication.status).toBe("DENIED");
    const [e] = await sub.waitFor(1, 5000);
    const receivedAt = Date.now();
    expect(e.applicationStatusChanged).toMatchObject({ toStatus: "DENIED", reason: "documents incomplete", application: { id: app.id, status: "DENIED" } });
    const delay = receivedAt - committedAt;
    console.log(`two-instance delivery (${transport}): response of the committing instance -> subscriber on the other: ${delay} ms`);
    expect(delay).toBeLessThan(5000);
  });

  it("re-listens after the LISTEN connection is killed and catches up", async () => {
    const w = await world();
    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const { loan } = await makeLoan({ customer, status: "CURRENT" });
    const c = wsClient(await gatewayWsUrl(), await adminToken());
    clients.push(c);
    const sub = collect(c, LOAN_SUB, { loanId: loan.id });
    await subscribed(2); // the first test's subscriber is still open
    const sql = postgres(w.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      const killed = await sql`select pid, pg_terminate_backend(pid) as ok from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'`;
      expect(killed.length).toBeGreaterThan(0);
      // Every LISTEN connection comes back as a new backend (not only the 2 s safety-net poll).
      const killedPids = killed.map((k) => k.pid as number);
      let relistened = 0;
      for (let i = 0; i < 100 && relistened < killed.length; i++) {
        const rows = await sql`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and query ilike 'listen%' and pid <> all(${killedPids})`;
        relistened = rows[0]!.n;
        if (relistened < killed.length) await new Promise((r) => setTimeout(r, 100));
      }
      expect(relistened).toBe(killed.length);
      // A change written by "someone else" (not through this process), announced with NOTIFY.
      await sql.begin(async (tx) => {
        await tx`update loans set status = 'LATE_1DPD' where id = ${loan.id}`;
        await tx`select pg_advisory_xact_lock(727002)`;
        await tx`insert into status_events (entity_type, entity_id, customer_id, partner_id, from_status, to_status, actor)
                 values ('LOAN', ${loan.id}, ${customer.id}, ${partner.id}, 'CURRENT', 'LATE_1DPD', 'system')`;
        await tx`select pg_notify('status_events', '')`;
      });
    } finally {
      await sql.end();
    }
    const [e] = await sub.waitFor(1, 10_000);
    expect(e.loanStatusChanged.toStatus).toBe("LATE_1DPD");
  });
});
