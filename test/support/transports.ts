/**
 * The subscription suites run once per event transport (EVENT_BUS): `postgres` on the world's
 * gateway, `nats` on a second gateway of the worker's database with the NATS transport (the
 * machine's NATS, TEST_NATS_URL or nats://127.0.0.1:4222). Inside a `describe` after
 * `useEventTransport(t)`, the helpers of ws.ts and events.ts subscribe to and commit through that
 * gateway. The NATS run checks that NATS was reachable and that events really came from its
 * messages (not only from the table poll a degraded bus falls back to), so it cannot pass without it.
 */
import { afterAll, beforeAll, expect } from "vitest";
import type { Gateway } from "../../src/server/http.js";
import { startExtraGateway } from "./gateways.js";
import { setSubscriptionGateway, world } from "./world.js";

export const EVENT_TRANSPORTS = ["postgres", "nats"] as const;
export type EventTransportName = (typeof EVENT_TRANSPORTS)[number];

export const TEST_NATS_URL = process.env.TEST_NATS_URL || "nats://127.0.0.1:4222";

let natsGateway: Promise<Gateway> | undefined;

/** The worker's gateway with EVENT_BUS=nats (kept for the worker's files, like the world). */
export function natsGatewayOfWorker(): Promise<Gateway> {
  natsGateway ??= (async () => {
    await world();
    const g = await startExtraGateway({ eventBus: { transport: "nats", servers: TEST_NATS_URL } });
    const health = g.gateway.app.events.health();
    if (!health.connected) {
      await g.close();
      throw new Error(`NATS is not reachable at ${TEST_NATS_URL} (the nats transport's tests need it; set TEST_NATS_URL)`);
    }
    return g.gateway;
  })();
  return natsGateway;
}

/** Stop the worker's NATS gateway (a test that counts the relays of its database starts clean). */
export async function closeNatsGatewayOfWorker(): Promise<void> {
  const g = natsGateway;
  natsGateway = undefined;
  if (g) await (await g).close();
}

/**
 * The gateway of this transport for the tests of the enclosing describe block. `deliveries:
 * false` for a block that commits no event (then only the NATS connection is checked).
 */
export function useEventTransport(transport: EventTransportName, o: { deliveries?: boolean } = {}): void {
  let fromBatches = 0;
  beforeAll(async () => {
    const gateway = transport === "nats" ? await natsGatewayOfWorker() : (await world()).gateway;
    setSubscriptionGateway(gateway);
    const bus = gateway.app.events;
    fromBatches = bus.dispatched - bus.fromTable;
  });
  afterAll(async () => {
    const gateway = transport === "nats" ? await natsGatewayOfWorker() : undefined;
    setSubscriptionGateway(undefined);
    if (gateway) {
      const bus = gateway.app.events;
      expect(bus.health().connected, "NATS stayed connected").toBe(true);
      // Events reached this gateway through NATS messages, not only through the table.
      if (o.deliveries !== false) expect(bus.dispatched - bus.fromTable - fromBatches).toBeGreaterThan(0);
    }
  });
}
