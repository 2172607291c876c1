/**
 * A token that expires while its WebSocket is open (graphql-ws on the world's gateway): a new
 * operation after `exp` is refused (nothing runs: no query answered, no mutation written), a
 * running subscription still ends with UNAUTHENTICATED, and the socket is then closed with 4403,
 * idle or not. Tokens live ~1-2 s (`exp` is in whole seconds), so each test takes about that.
 * Once per event transport (EVENT_BUS; support/transports.ts).
 */
import { randomInt } from "node:crypto";
import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { partners } from "../src/db/schema.js";
import { EVENT_TRANSPORTS, useEventTransport } from "./support/transports.js";
import { subscriptionGateway, tokenFor, world } from "./support/world.js";

interface Frame {
  at: number;
  msg: any;
}

interface RawSocket {
  frames: Frame[];
  send(frame: unknown): void;
  /** Resolves with the close (or undefined after `timeoutMs`). */
  closed(timeoutMs: number): Promise<{ code: number; reason: string; at: number } | undefined>;
  terminate(): void;
}

/** A graphql-transport-ws socket, acknowledged, every frame received kept with its arrival time. */
async function openSocket(token: string): Promise<RawSocket> {
  const ws = new WebSocket(`${(await subscriptionGateway()).url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
  const frames: Frame[] = [];
  let close: { code: number; reason: string; at: number } | undefined;
  const closeWaiters: (() => void)[] = [];
  ws.on("error", () => {});
  ws.on("close", (code, reason) => {
    close = { code, reason: String(reason), at: Date.now() };
    for (const f of closeWaiters.splice(0)) f();
  });
  await new Promise<void>((resolve, reject) => {
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data));
      frames.push({ at: Date.now(), msg });
      if (msg.type === "connection_ack") resolve();
    });
    ws.on("close", (code) => reject(new Error(`closed with ${code} before connection_ack`)));
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })));
  });
  return {
    frames,
    send: (frame) => ws.send(JSON.stringify(frame)),
    closed: (timeoutMs) =>
      close
        ? Promise.resolve(close)
        : new Promise((resolve) => {
            const t = setTimeout(() => resolve(undefined), timeoutMs);
            closeWaiters.push(() => {
              clearTimeout(t);
              resolve(close);
            });
          }),
    terminate: () => ws.terminate(),
  };
}

/** A token expiring in 1-2 s, and its `exp` in ms. */
async function shortToken(role: "ADMIN" | "PARTNER", sub: string): Promise<{ token: string; expMs: number }> {
  const token = await tokenFor(role, sub, 2);
  const { exp } = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as { exp: number };
  return { token, expMs: exp * 1000 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function framesFor(sock: RawSocket, id: string, timeoutMs = 3000): Promise<Frame[]> {
  const deadline = Date.now() + timeoutMs;
  while (!sock.frames.some((f) => f.msg.id === id && (f.msg.type === "complete" || f.msg.type === "error")) && Date.now() < deadline) {
    await sleep(20);
  }
  return sock.frames.filter((f) => f.msg.id === id);
}

async function partnersWithCode(code: string): Promise<number> {
  const [r] = await (await world()).database.db.select({ n: count() }).from(partners).where(eq(partners.code, code));
  return r!.n;
}

describe.each(EVENT_TRANSPORTS)("a token that expires on an open WebSocket (event bus: %s)", (transport) => {
  // The world (database, gateway) first: the short tokens must not expire while it starts.
  beforeAll(async () => {
    await world();
  });
  useEventTransport(transport, { deliveries: false });

  it("refuses operations sent after exp: a query gets no data, a mutation writes nothing; the socket closes with 4403", async () => {
    const { token, expMs } = await shortToken("ADMIN", "ws-expiry");
    const sock = await openSocket(token);
    try {
      // Before exp the socket works (ADMIN).
      sock.send({ id: "before", type: "subscribe", payload: { query: "{ me { role } }" } });
      const before = await framesFor(sock, "before");
      expect(before.find((f) => f.msg.type === "next")?.msg.payload).toEqual({ data: { me: { role: "ADMIN" } } });

      // The gateway runs in this process: blocking the event loop across exp keeps the server's
      // own expiry timer from closing the socket first, so the frames below are sent on a socket
      // that is still open and reach the server after the token has expired.
      await sleep(expMs - 300 - Date.now());
      while (Date.now() < expMs + 150) {
        // busy-wait
      }
      const code = `WSX${Date.now().toString(36).toUpperCase()}${randomInt(1000)}`.slice(0, 20);
      sock.send({ id: "after", type: "subscribe", payload: { query: "{ me { role } }" } });
      sock.send({
        id: "write",
        type: "subscribe",
        payload: { query: `mutation($c: String!) { createPartner(input: { code: $c, name: "After expiry" }) { id } }`, variables: { c: code } },
      });

      const close = await sock.closed(3000);
      const after = sock.frames.filter((f) => f.msg.id === "after" || f.msg.id === "write");
      expect(after.filter((f) => f.msg.type === "next").map((f) => f.msg.payload)).toEqual([]);
      // Refused with UNAUTHENTICATED if the server could still answer, else unanswered.
      for (const f of after) expect(f.msg).toMatchObject({ type: "error", payload: [{ extensions: { code: "UNAUTHENTICATED" } }] });
      expect(await partnersWithCode(code)).toBe(0);
      expect(close?.code).toBe(4403);
    } finally {
      sock.terminate();
    }
  });

  it("closes an idle socket with 4403 at exp", async () => {
    const { token, expMs } = await shortToken("ADMIN", "ws-expiry-idle");
    const sock = await openSocket(token);
    try {
      const close = await sock.closed(expMs + 2500 - Date.now());
      expect(close?.code).toBe(4403);
      expect(close!.at).toBeGreaterThanOrEqual(expMs - 50);
      expect(close!.at).toBeLessThan(expMs + 1000);
    } finally {
      sock.terminate();
    }
  });

  it("ends a running subscription with UNAUTHENTICATED first, then closes the socket with 4403", async () => {
    const { token, expMs } = await shortToken("ADMIN", "ws-expiry-sub");
    const sock = await openSocket(token);
    try {
      sock.send({ id: "s", type: "subscribe", payload: { query: "subscription { loanStatusChanged { cursor } }" } });
      const close = await sock.closed(expMs + 2500 - Date.now());
      const ended = sock.frames.filter((f) => f.msg.id === "s");
      expect(ended.map((f) => f.msg)).toEqual([{ id: "s", type: "error", payload: [expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })] }]);
      expect(ended[0]!.at).toBeGreaterThanOrEqual(expMs - 50);
      expect(close?.code).toBe(4403);
      expect(close!.at).toBeGreaterThanOrEqual(ended[0]!.at);
      expect(close!.at).toBeLessThan(expMs + 1500);
    } finally {
      sock.terminate();
    }
  });
});
