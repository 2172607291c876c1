/**
 * bench/event-transport.ts — events/s delivered through the two event transports (EVENT_BUS,
 * src/events/transport.ts): PostgreSQL LISTEN/NOTIFY vs NATS with the outbox relay, with N
 * gateway instances (default 3 and 20). For docs/scaling.md (#15).
 *
 *   npx tsx bench/event-transport.ts            # BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
 *
 * What an "instance" is here: the event bus of one gateway (EventBus + its transport, with a
 * database pool of its own, so its own LISTEN connection, its own relay-lock connection), in
 * ONE Node process with the writers; no HTTP/WebSocket and no GraphQL execution per event (that
 * cost is the same for both transports and is bench/fanout.ts's subject). Each instance has one
 * subscription that takes every event (an ADMIN, all loans). NATS is a private nats-server on a
 * free loopback port (test/support/nats.ts), the database a fresh one on the PostgreSQL of
 * BENCH_DATABASE_URL (dropped at the end).
 *
 * Load: EVENT_WRITERS (8) concurrent writers, each committing transactions of one status event
 * through the outbox (`recordStatusChanges`: advisory lock, insert, NOTIFY) as fast as they can,
 * for EVENT_SECONDS (10) s. Measured per run: events committed/s; deliveries/s (events × instances
 * delivered, until the last instance has the last event); commit→delivery latency p50/p99 (from
 * the row's `at`, set just before commit); statements the instances sent to the primary per
 * event (the outbox reads: every instance's with LISTEN/NOTIFY, the relay's and gap catch-ups'
 * with NATS); LISTEN connections the instances hold on the primary.
 *
 * Env: EVENT_INSTANCES=3,20 EVENT_TRANSPORTS=postgres,nats EVENT_WRITERS=8 EVENT_SECONDS=10
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import postgres from "postgres";
import { openDatabase } from "../src/app.js";
import type { Viewer } from "../src/auth/viewer.js";
import { connect, onQuery, type Database } from "../src/db/client.js";
import { customers } from "../src/db/schema.js";
import { seedPortfolio } from "../src/demo/seed.js";
import { EventBus } from "../src/events/bus.js";
import { NatsTransport } from "../src/events/nats-transport.js";
import { recordStatusChanges, transact } from "../src/events/outbox.js";
import { PostgresNotifyTransport } from "../src/events/transport.js";
import type { AppServices } from "../src/graphql/context.js";
import { createLogger } from "../src/shared/logger.js";
import { startPrivateNats } from "../test/support/nats.js";

const env = process.env;
const BASE = env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const INSTANCES = (env.EVENT_INSTANCES || "3,20").split(",").map(Number);
const TRANSPORTS = (env.EVENT_TRANSPORTS || "postgres,nats").split(",") as ("postgres" | "nats")[];
const WRITERS = Number(env.EVENT_WRITERS || 8);
const SECONDS = Number(env.EVENT_SECONDS || 10);
const ADMIN: Viewer = { role: "ADMIN", sub: "bench" };
const log = (m: string) => process.stderr.write(`[event-transport ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = createLogger("warn");

interface Result {
  transport: string;
  instances: number;
  committed: number;
  commitPerS: number;
  deliveriesPerS: number;
  perInstancePerS: number;
  p50Ms: number;
  p99Ms: number;
  outboxReadsPerEvent: number;
  /** LISTEN connections on the primary. */
  connections: number;
  complete: boolean;
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

async function run(dbUrl: string, transport: "postgres" | "nats", n: number, natsUrl: string, customer: { id: string; partnerId: string | null }): Promise<Result> {
  const databases: Database[] = [];
  const buses: EventBus[] = [];
  const counts: number[] = [];
  const latencies: number[] = [];
  let lastDeliveryAt = 0;
  const done: Promise<void>[] = [];
  let stop = false;
  for (let i = 0; i < n; i++) {
    const database = await connect({ databaseUrl: dbUrl, poolMax: 2 });
    databases.push(database);
    const t =
      transport === "nats" ? new NatsTransport({ database, logger, servers: natsUrl }) : new PostgresNotifyTransport({ database });
    const bus = new EventBus({ database, logger, transport: t });
    await bus.start();
    buses.push(bus);
    counts.push(0);
    const it = bus.subscribe(ADMIN, { entityType: "LOAN" }, null);
    done.push(
      (async () => {
        for (;;) {
          const r = await it.next();
          if (r.done || stop) return;
          const at = Date.now();
          counts[i]!++;
          lastDeliveryAt = at;
          if (i === 0 || i === n - 1) latencies.push(at - r.value.at.getTime());
        }
      })(),
    );
  }
  if (transport === "nats") {
    const deadline = Date.now() + 10_000;
    while (!buses.some((b) => b.health().relay) && Date.now() < deadline) await sleep(50);
  }
  // Statements the instances send that read the outbox (the writer's inserts are not counted).
  let reads = 0;
  const unwatch = onQuery((q) => {
    if (/^select .* from "status_events"/i.test(q)) reads++;
  });
  const admin = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const [conns] = await admin`select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen%'`;
  const writer = await connect({ databaseUrl: dbUrl, poolMax: WRITERS });
  const writerApp = { database: writer, afterEventsCommitted: () => {} } as Pick<AppServices, "database" | "afterEventsCommitted">;
  let committed = 0;
  const started = Date.now();
  const until = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (Date.now() < until) {
        await transact(writerApp, (tx) =>
          recordStatusChanges(tx, [
            { entityType: "LOAN", entityId: randomUUID(), customerId: customer.id, partnerId: customer.partnerId, from: "CURRENT", to: "LATE_1DPD", actor: "system", at: new Date() },
          ]),
        );
        committed++;
      }
    }),
  );
  const writeEnd = Date.now();
  const drainDeadline = writeEnd + 60_000;
  while (counts.some((c) => c < committed) && Date.now() < drainDeadline) await sleep(20);
  const complete = counts.every((c) => c === committed);
  unwatch();
  stop = true;
  const elapsed = (Math.max(lastDeliveryAt, writeEnd) - started) / 1000;
  latencies.sort((a, b) => a - b);
  const total = counts.reduce((a, b) => a + b, 0);
  const result: Result = {
    transport,
    instances: n,
    committed,
    commitPerS: Math.round(committed / ((writeEnd - started) / 1000)),
    deliveriesPerS: Math.round(total / elapsed),
    perInstancePerS: Math.round(total / n / elapsed),
    p50Ms: pct(latencies, 50),
    p99Ms: pct(latencies, 99),
    outboxReadsPerEvent: Math.round((reads / Math.max(1, committed)) * 100) / 100,
    connections: Number(conns!.n),
    complete,
  };
  for (const b of buses) await b.close();
  await Promise.all(done.map((d) => Promise.race([d, sleep(1000)])));
  for (const d of databases) await d.close();
  await writer.close();
  await admin.end();
  return result;
}

async function main() {
  const name = `event_transport_bench_${process.pid}`;
  const admin = postgres(BASE, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  const nats = await startPrivateNats();
  const results: Result[] = [];
  try {
    const database = await openDatabase({ databaseUrl: dbUrl, poolMax: 4 });
    const app: AppServices = {
      database,
      clock: { now: () => new Date() },
      jwtSecret: "bench-secret-0123456789abcdef",
      afterEventsCommitted: () => {},
      events: new EventBus({ database, logger }),
      hashPin: async () => "x",
    };
    await seedPortfolio(app, { customers: 2, partners: 1 });
    const [customer] = await database.db.select({ id: customers.id, partnerId: customers.partnerId }).from(customers).limit(1);
    await database.close();
    for (const n of INSTANCES) {
      for (const t of TRANSPORTS) {
        log(`${t}, ${n} instances, ${WRITERS} writers, ${SECONDS} s`);
        const r = await run(dbUrl, t, n, nats.url, customer!);
        log(JSON.stringify(r));
        results.push(r);
      }
    }
  } finally {
    await nats.stop("SIGTERM");
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
  const cpu = os.cpus()[0]?.model ?? "?";
  console.log(`\nEvent transports, ${WRITERS} writers × ${SECONDS} s, one event per transaction; ${os.cpus().length} cores (${cpu}); instances in one Node process`);
  console.log("| transport | instances | committed ev/s | deliveries/s (all instances) | per instance ev/s | commit→delivery p50 / p99 ms | outbox reads per event | LISTEN connections | all delivered |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of results) {
    console.log(
      `| ${r.transport} | ${r.instances} | ${r.commitPerS} | ${r.deliveriesPerS} | ${r.perInstancePerS} | ${r.p50Ms} / ${r.p99Ms} | ${r.outboxReadsPerEvent} | ${r.connections} | ${r.complete ? "yes" : "NO"} |`,
    );
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
