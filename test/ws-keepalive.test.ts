/**
 * The graphql-ws keep-alive (server/websocket.ts): one sweep pings every socket each
 * `wsKeepAliveMs`; a socket that has not answered the previous ping by the next sweep is dropped,
 * one that answers stays open however long it is idle. (It replaced graphql-ws's per-socket
 * interval and pong timer, to make idle subscribers cheap.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startExtraGateway, type ExtraGateway } from "./support/gateways.js";
import { adminToken } from "./support/world.js";

const KEEPALIVE_MS = 300;

describe("graphql-ws keep-alive", () => {
  let gw: ExtraGateway;
  beforeAll(async () => {
    gw = await startExtraGateway({ wsKeepAliveMs: KEEPALIVE_MS });
  });
  afterAll(async () => {
    await gw?.close();
  });

  async function open(autoPong: boolean) {
    const ws = new WebSocket(gw.wsUrl, "graphql-transport-ws", { autoPong });
    let pings = 0;
    let closedAt: number | undefined;
    ws.on("ping", () => pings++);
    ws.on("error", () => {});
    const closed = new Promise<number>((resolve) =>
      ws.on("close", (code) => {
        closedAt = Date.now();
        resolve(code);
      }),
    );
    await new Promise<void>((resolve, reject) => {
      ws.on("message", (m) => (JSON.parse(String(m)).type === "connection_ack" ? resolve() : undefined));
      ws.once("open", async () => ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${await adminToken()}` } })));
      ws.once("close", () => reject(new Error("closed before ack")));
    });
    ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "subscription { loanStatusChanged { cursor } }" } }));
    return { ws, pings: () => pings, closed, closedAt: () => closedAt };
  }

  it("drops a peer that stops answering pings within two periods, keeps one that answers", async () => {
    const answering = await open(true);
    const silent = await open(false);
    const opened = Date.now();
    const code = await Promise.race([silent.closed, new Promise<string>((r) => setTimeout(() => r("still open"), 10 * KEEPALIVE_MS))]);
    expect(code).toBe(1006); // terminated: no close frame
    expect(silent.closedAt()! - opened).toBeLessThan(2 * KEEPALIVE_MS + 500);
    expect(silent.pings()).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 4 * KEEPALIVE_MS));
    expect(answering.ws.readyState).toBe(WebSocket.OPEN);
    expect(answering.pings()).toBeGreaterThanOrEqual(4);
    answering.ws.close();
    await answering.closed;
  });
});
