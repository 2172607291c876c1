/**
 * A private nats-server for tests that stop and start NATS: its own process on a free loopback
 * port (never the machine's shared server on :4222), started again on the same port after a stop.
 * The binary: NATS_SERVER_BIN, else `nats-server` in /usr/sbin, /usr/local/bin, /usr/bin.
 * (No vitest import: bench/event-transport.ts uses it too.)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { freePort } from "./private-pg.js";

export function natsServerBinary(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, "/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

export interface PrivateNats {
  url: string;
  port: number;
  /** Start (again) on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stop it (SIGKILL: an abrupt outage; SIGTERM: a clean one); resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  running(): boolean;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** `port`: a port chosen beforehand (a gateway may be pointed at it before NATS is there); `start: false` leaves it stopped. */
export async function startPrivateNats(o: { port?: number; start?: boolean } = {}): Promise<PrivateNats> {
  const bin = natsServerBinary();
  if (!bin) throw new Error("nats-server not found (install the Debian package nats-server or set NATS_SERVER_BIN)");
  const port = o.port ?? (await freePort());
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const nats: PrivateNats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    async start() {
      if (child) return;
      const c = spawn(bin, ["-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
      child = c;
      exited = new Promise<void>((r) => c.once("exit", () => r()));
      void exited.then(() => {
        if (child === c) child = undefined;
      });
      const deadline = Date.now() + 10_000;
      while (!(await accepts(port))) {
        if (!child) throw new Error("nats-server exited at start");
        if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = "SIGKILL") {
      const c = child;
      if (!c) return;
      c.kill(signal);
      await exited;
      child = undefined;
    },
    running: () => !!child,
  };
  if (o.start !== false) await nats.start();
  return nats;
}
