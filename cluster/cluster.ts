/**
 * A whole deployment on loopback, from existing engines (README "Running several instances"):
 * a PostgreSQL primary and a streaming replica (private data directories, test/support/private-pg.ts),
 * a private nats-server (the event broker, test/support/nats.ts), N gateway processes
 * (`src/main.ts`, test/support/process.ts) reading from the replica and fanning events out
 * through NATS, and HAProxy in front (HTTP and WebSocket upgrades, health checks on `/readyz`).
 *
 * `npm run cluster` (cluster/start.ts) runs one until Ctrl-C; `npm run test:cluster`
 * (test/cluster/) starts one per suite and breaks its parts under load. Each engine gets a free
 * port from the kernel; nothing here touches the machine's own PostgreSQL or NATS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startPrivateNats, natsServerBinary, type PrivateNats } from "../test/support/nats.js";
import { freePort, privatePgAvailable, startPrivatePostgres, startPrivateReplica, type PrivatePostgres, type PrivateReplica } from "../test/support/private-pg.js";
import { startGatewayProcess, type GatewayProcess } from "../test/support/process.js";

export interface ClusterOptions {
  /** The balancer's port on 127.0.0.1 (0 or unset: a free one). */
  port?: number;
  /** Gateway instances behind it (default 3). */
  instances?: number;
  /** `nats` (default): a private nats-server carries the events; `postgres`: LISTEN/NOTIFY. */
  eventBus?: "nats" | "postgres";
  /** Make the demo portfolio on the new database (default true). */
  seedDemo?: boolean;
  /** Signs and verifies tokens on every instance (default: a random one for this cluster). */
  jwtSecret?: string;
  /** Gateway environment added to every instance (e.g. LOG_LEVEL, REPLICA_MAX_LAG_MS). */
  env?: Record<string, string>;
  /** Progress lines ("primary ready", …). */
  log?: (line: string) => void;
}

export interface GatewayInstance {
  name: string;
  port: number;
  url: string;
  process: GatewayProcess;
}

export interface Cluster {
  /** Where clients go: the balancer, e.g. http://127.0.0.1:4000 (GraphQL at /graphql). */
  url: string;
  jwtSecret: string;
  primary: PrivatePostgres;
  replica: PrivateReplica;
  nats?: PrivateNats;
  /** The primary's URL of the gateway database (what DATABASE_URL is on every instance). */
  databaseUrl: string;
  readUrl: string;
  gateways: GatewayInstance[];
  balancer: Balancer;
  /** Ends instance `i` at once (SIGKILL: a crash, no graceful close). */
  killGateway(i: number): Promise<void>;
  /** Starts instance `i` again on its port (after killGateway). */
  restartGateway(i: number): Promise<void>;
  /** Stops everything started, newest first, and removes the data directories. */
  stop(): Promise<void>;
}

/** Why a cluster cannot be started here (a missing engine), or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  const pg = privatePgAvailable();
  if (pg) return pg;
  if (!natsServerBinary()) return "nats-server not found (Debian package nats-server, or NATS_SERVER_BIN)";
  if (!haproxyBinary()) return "haproxy not found (Debian package haproxy, or HAPROXY_BIN)";
  return undefined;
}

export function haproxyBinary(): string | undefined {
  return [process.env.HAPROXY_BIN, "/usr/sbin/haproxy", "/usr/local/sbin/haproxy", "/usr/bin/haproxy"].find((c): c is string => !!c && existsSync(c));
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const why = clusterUnavailable();
  if (why) throw new Error(`cannot start the cluster: ${why}`);
  const log = opts.log ?? (() => {});
  const instances = opts.instances ?? 3;
  const eventBus = opts.eventBus ?? "nats";
  const jwtSecret = opts.jwtSecret ?? `cluster-${crypto.randomUUID()}`;
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    stops.length = 0;
  };
  try {
    const primary = await startPrivatePostgres();
    stops.push(() => primary.destroy());
    const databaseUrl = await primary.createDatabase("gateway");
    log(`primary     PostgreSQL on 127.0.0.1:${primary.port} (${primary.dir})`);
    const replica = await startPrivateReplica(primary);
    stops.push(() => replica.destroy());
    const readUrl = replica.url("gateway");
    log(`replica     PostgreSQL on 127.0.0.1:${replica.port}, streaming from the primary (${replica.dir})`);
    let nats: PrivateNats | undefined;
    if (eventBus === "nats") {
      nats = await startPrivateNats();
      const n = nats;
      stops.push(() => n.stop("SIGTERM"));
      log(`broker      nats-server on ${nats.url}`);
    }
    const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
    const envOf = (i: number): Record<string, string> => ({
      DATABASE_URL: databaseUrl,
      DATABASE_READ_URL: readUrl,
      EVENT_BUS: eventBus,
      ...(nats ? { NATS_URL: nats.url } : {}),
      JWT_SECRET: jwtSecret,
      // HAProxy adds X-Forwarded-For (option forwardfor): one trusted hop.
      TRUST_PROXY_HOPS: "1",
      PORT: String(ports[i]),
      // The first instance migrates and seeds; the others start on the migrated database.
      SEED_DEMO: i === 0 && opts.seedDemo !== false ? "true" : "false",
      ...opts.env,
    });
    const gateways: GatewayInstance[] = [];
    const startInstance = async (i: number) => {
      const process = await startGatewayProcess(envOf(i), 180_000);
      const port = ports[i]!;
      gateways[i] = { name: `gateway-${i + 1}`, port, url: `http://127.0.0.1:${port}`, process };
      return process;
    };
    const first = await startInstance(0);
    if (opts.seedDemo !== false) await waitForOutput(first, /"msg":"demo portfolio ready"/, 300_000);
    await Promise.all(Array.from({ length: instances - 1 }, (_, k) => startInstance(k + 1)));
    stops.push(() => Promise.all(gateways.map((g) => g.process.stop("SIGTERM"))));
    for (const g of gateways) log(`${g.name}   ${g.url} (pid ${g.process.child.pid})`);
    const balancer = await startBalancer({ port: opts.port || (await freePort()), servers: gateways.map((g) => ({ name: g.name, port: g.port })) });
    stops.push(() => balancer.stop());
    log(`balancer    HAProxy on ${balancer.url} (health checks: GET /readyz every ${CHECK_INTERVAL_MS} ms)`);
    await balancer.waitForServersUp(gateways.length, 30_000);
    return {
      url: balancer.url,
      jwtSecret,
      primary,
      replica,
      nats,
      databaseUrl,
      readUrl,
      gateways,
      balancer,
      async killGateway(i) {
        await gateways[i]!.process.stop("SIGKILL");
      },
      async restartGateway(i) {
        await startInstance(i);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function waitForOutput(p: GatewayProcess, re: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(p.output())) {
    if (p.child.exitCode !== null) throw new Error(`gateway exited:\n${p.output().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`gateway: no ${re} in ${timeoutMs} ms:\n${p.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How often HAProxy asks each instance's /readyz; two failures take it out, two successes put it back. */
export const CHECK_INTERVAL_MS = 500;

export interface Balancer {
  url: string;
  port: number;
  child: ChildProcess;
  /** The servers HAProxy currently sends traffic to (from its stats socket). */
  serversUp(): Promise<string[]>;
  waitForServersUp(n: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * HAProxy in HTTP mode in front of the instances. What matters for the gateway:
 * - `option httpchk GET /readyz`: an instance that is shutting down or has lost its primary
 *   answers 503 and leaves rotation (`fall 2`), and comes back after two good answers (`rise 2`);
 * - WebSocket upgrades pass through (HTTP mode handles them); `timeout tunnel` lets an idle
 *   subscription live an hour (the gateway's own keep-alive pings keep it busy anyway), and
 *   `on-marked-down shutdown-sessions` closes the subscriptions of an instance taken out, so their
 *   clients reconnect (to another instance) and resume from their cursors at once;
 * - `retries 3` + `option redispatch`: a request whose connection to an instance failed (it was
 *   killed; nothing was sent) goes to another one. A request already sent is never replayed by the
 *   balancer: only the client can know it is safe (idempotency keys; docs/scaling.md);
 * - `balance leastconn`: subscriptions are long connections, so count them rather than rotate;
 * - `option forwardfor`: the instances see the client's address (TRUST_PROXY_HOPS=1), and nothing
 *   that came through the balancer passes for a request from this machine.
 */
export async function startBalancer(opts: { port: number; servers: { name: string; port: number }[] }): Promise<Balancer> {
  const bin = haproxyBinary();
  if (!bin) throw new Error("haproxy not found (Debian package haproxy, or HAPROXY_BIN)");
  const dir = mkdtempSync("/tmp/cluster-haproxy-");
  const socket = join(dir, "admin.sock");
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(
    cfg,
    [
      "global",
      "  maxconn 8000",
      `  stats socket ${socket} mode 600 level admin`,
      "defaults",
      "  mode http",
      "  option dontlognull",
      "  timeout connect 2s",
      "  timeout client 60s",
      "  timeout server 60s",
      "  timeout tunnel 1h",
      "  timeout http-keep-alive 10s",
      "  retries 3",
      "  option redispatch",
      "  retry-on conn-failure",
      // The client's address for the gateways (TRUST_PROXY_HOPS=1: rate limits per client, not
      // per balancer); and a request that came through here is never "from this machine" for
      // /metrics, /readyz's details or the pages' development tokens.
      "  option forwardfor",
      "frontend gateway",
      `  bind 127.0.0.1:${opts.port}`,
      "  default_backend gateways",
      "backend gateways",
      "  balance leastconn",
      "  option httpchk GET /readyz",
      "  http-check expect status 200",
      `  default-server inter ${CHECK_INTERVAL_MS} fastinter ${CHECK_INTERVAL_MS} downinter ${CHECK_INTERVAL_MS} fall 2 rise 2 on-marked-down shutdown-sessions`,
      ...opts.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`),
      "",
    ].join("\n"),
  );
  const child = spawn(bin, ["-f", cfg, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`haproxy exited at start:\n${out}`);
    if (Date.now() > deadline) throw new Error(`haproxy did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const serversUp = async (): Promise<string[]> => {
    const csv = await statsCommand(socket, "show stat");
    return csv
      .split("\n")
      .map((l) => l.split(","))
      .filter((f) => f[0] === "gateways" && f[1] !== "BACKEND" && f[1] !== "FRONTEND" && f[17]?.startsWith("UP"))
      .map((f) => f[1]!);
  };
  return {
    url,
    port: opts.port,
    child,
    serversUp,
    async waitForServersUp(n, timeoutMs) {
      const until = Date.now() + timeoutMs;
      while ((await serversUp()).length < n) {
        if (Date.now() > until) throw new Error(`haproxy: fewer than ${n} servers up after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One command on HAProxy's admin socket (a unix socket: no port, nothing on the network). */
async function statsCommand(socket: string, command: string): Promise<string> {
  const { createConnection } = await import("node:net");
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    let data = "";
    c.on("connect", () => c.write(`${command}\n`));
    c.on("data", (d) => (data += d));
    c.on("end", () => resolve(data));
    c.on("error", reject);
  });
}
