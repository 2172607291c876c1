/**
 * EVENT_BUS=nats with no NATS at start (a private nats-server's port, not yet started): the gateway
 * starts anyway, /readyz is 200 and says degraded, and subscribers get events from the table
 * poll; once NATS comes up the gateway connects, becomes (or hears) the relay, reports ok, and
 * delivers the next events straight from NATS messages. PGlite or PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeLoanStatus } from "./support/events.js";
import { makeCustomer, makeLoan, makePartner } from "./support/factories.js";
import { startExtraGateway, type ExtraGateway } from "./support/gateways.js";
import { natsServerBinary, startPrivateNats, type PrivateNats } from "./support/nats.js";
import { closeNatsGatewayOfWorker } from "./support/transports.js";
import { collect, wsClient } from "./support/ws.js";
import { adminToken, setSubscriptionGateway } from "./support/world.js";

const LOAN_SUB = `subscription($loanId: ID) { loanStatusChanged(loanId: $loanId) { cursor toStatus } }`;
const ci = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";
if (!natsServerBinary()) {
  if (ci) throw new Error("subscriptions-nats-down: nats-server not found (CI=true: a missing engine is a failure)");
  console.log("subscriptions-nats-down: skipped (nats-server not found; NATS_SERVER_BIN)");
}

describe.skipIf(!natsServerBinary())("EVENT_BUS=nats when NATS is not there yet", () => {
  let nats: PrivateNats;
  let g: ExtraGateway;

  beforeAll(async () => {
    // The worker's NATS gateway (another NATS) could hold the relay lock of this database.
    await closeNatsGatewayOfWorker();
    nats = await startPrivateNats({ start: false });
    g = await startExtraGateway({ eventBus: { transport: "nats", servers: nats.url, pollMs: 500 } });
    setSubscriptionGateway(g.gateway);
  });

  afterAll(async () => {
    setSubscriptionGateway(undefined);
    await g?.close();
    await nats?.stop();
  });

  it("starts degraded and delivers from the table; moves to NATS when it comes up", async () => {
    const res = await fetch(g.url.replace(/\/graphql$/, "/readyz"));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ready", eventBus: { transport: "nats", state: "degraded", connected: false } });

    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const { loan } = await makeLoan({ customer, status: "CURRENT" });
    const c = wsClient(g.wsUrl, await adminToken());
    try {
      const sub = collect(c, LOAN_SUB, { loanId: loan.id });
      const bus = g.gateway.app.events;
      for (let i = 0; bus.subscriberCount < 1 && i < 200; i++) await new Promise((r) => setTimeout(r, 20));
      const fromTable = bus.fromTable;
      await changeLoanStatus(loan.id, customer, "CURRENT", "LATE_1DPD");
      await sub.waitFor(1);
      expect(bus.fromTable).toBeGreaterThan(fromTable);

      await nats.start();
      const deadline = Date.now() + 10_000;
      while (bus.health().state !== "ok" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(bus.health()).toMatchObject({ state: "ok", connected: true, relay: true });
      // The catch-up read made on connecting has finished (a heartbeat went round meanwhile).
      await new Promise((r) => setTimeout(r, 1500));
      const viaTable = bus.fromTable;
      const dispatched = bus.dispatched;
      await changeLoanStatus(loan.id, customer, "LATE_1DPD", "LATE_5DPD");
      const events = await sub.waitFor(2);
      expect(events.map((e) => e.loanStatusChanged.toStatus)).toEqual(["LATE_1DPD", "LATE_5DPD"]);
      // The second came in a NATS message, not from the table.
      expect(bus.fromTable).toBe(viaTable);
      expect(bus.dispatched).toBeGreaterThan(dispatched);
    } finally {
      await c.dispose();
    }
  });
});
