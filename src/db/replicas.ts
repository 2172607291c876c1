/**
 * Read replicas (DATABASE_READ_URL): where a read goes, and whether each replica may take reads.
 *
 * Routing. A read (a compiled read, or the resolvers of a query over HTTP) asks `forReader(key)`
 * for its target once per operation: a replica in rotation that has replayed the caller's last
 * write, round robin, else the primary. Everything that writes, and every read inside a write
 * (a mutation's own loads and its payload), stays on the primary, and so do subscriptions (their
 * replay reads must agree with the event ids they resume from, which are assigned on the primary)
 * and WebSocket queries. Without read URLs none of this exists (`Database.replicas` undefined).
 *
 * Read-your-writes. After a mutation, `wrote(keys)` takes the primary's WAL position
 * (`pg_current_wal_lsn()`, after the commit, before the response leaves) and remembers it for the
 * caller (its actor key, and the customer a login or registration issued a token to) for
 * `rememberMs`, at most `rememberMax` callers (the oldest forgotten first). A read by that caller
 * goes to a replica only if that replica's replayed position (`pg_last_wal_replay_lsn()`, polled
 * by the health check) is at or past it; else to the primary. The memory is this process's: behind
 * a balancer, a caller's next read may land on another instance, which does not know of the write
 * unless the client sends back the position as `X-Read-After` (every mutation's response carries
 * it; a session token in the manner of Cosmos DB's) or the balancer keeps a caller on one instance
 * (docs/read-replicas.md).
 *
 * Health. Every `checkIntervalMs` one query per replica (on a connection of its own, with a
 * timeout) reads its replayed position; one query on the primary samples its WAL position. A
 * replica's lag is how long ago the primary was at a position the replica has not replayed yet
 * (0 when it has replayed the newest sample): unlike `now() - pg_last_xact_replay_timestamp()` it
 * does not grow while the primary is idle. A replica leaves rotation at the first failed check, at
 * the first read that failed on it for want of a connection, or when its lag passes `maxLagMs`;
 * it comes back after two healthy checks in a row. When it leaves as down, the reads still
 * waiting on it are given up and run on the primary (a frozen replica never answers them). A read that fails on a replica because the
 * replica is unreachable (or cancelled it in a recovery conflict) is run again on the primary,
 * once: a read is safe to repeat, and the caller sees no failure.
 */
import type postgres from "postgres";
import { isConnectionError } from "./pg-errors.js";

/** A read target: a replica's or the primary's query handles. */
export interface ReadTarget<Db> {
  /** "primary", or the replica's name (host:port/database, no credentials). */
  name: string;
  replica: boolean;
  db: Db;
  textQuery(text: string, params: unknown[], prepare?: boolean): Promise<string | null>;
}

export type ReplicaState = "in-rotation" | "lagging" | "down" | "starting";

export interface ReplicaStatus {
  name: string;
  state: ReplicaState;
  inRotation: boolean;
  /** Estimated replay lag (ms); null until known. */
  lagMs: number | null;
  replayLsn: string | null;
  /** Why it is out of rotation (the last check's error, or the lag). */
  reason?: string;
  lastCheckAt: string | null;
}

/** A WAL position "X/Y" as a number (bigint: positions pass 2^53). */
export function parseLsn(lsn: string): bigint {
  const slash = lsn.indexOf("/");
  return (BigInt(`0x${lsn.slice(0, slash)}`) << 32n) + BigInt(`0x${lsn.slice(slash + 1)}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * A WAL position a client sent back (the `X-Read-After` header a mutation's response carried),
 * or undefined when absent or not a position.
 */
export function readAfterOf(header: string | string[] | undefined): bigint | undefined {
  if (typeof header !== "string" || header.length > 17 || !/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(header)) return undefined;
  return parseLsn(header);
}

/** Beyond any position: "this caller's write is not known to be anywhere but on the primary". */
const PRIMARY_ONLY = 1n << 64n;

/** host:port/database of a URL, without user or password. */
export function replicaName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "replica";
  }
}

/** A read abandoned because its replica left rotation as down (it may never answer: frozen, partitioned). */
export class ReplicaDownError extends Error {
  readonly code = "REPLICA_DOWN";
}

/** A replica may have dropped the read: unreachable, shutting down, or a recovery conflict (40001/40P01). */
export function retryOnPrimary(err: unknown): boolean {
  if (isConnectionError(err) || err instanceof ReplicaDownError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return code === "40001" || code === "40P01";
}

export interface ReplicaHandle<Db> {
  url: string;
  target: ReadTarget<Db>;
  /** One query on a connection of its own: is it a standby, and how far has it replayed. */
  probe(): Promise<{ inRecovery: boolean; lsn: string | null }>;
  close(): Promise<void>;
}

export interface ReadReplicaOptions<Db> {
  primary: ReadTarget<Db>;
  /** The primary's current WAL position (`pg_current_wal_lsn()`). */
  primaryLsn(): Promise<string>;
  replicas: ReplicaHandle<Db>[];
  maxLagMs: number;
  checkIntervalMs?: number;
  /** A check taking longer than this fails (ms). */
  checkTimeoutMs?: number;
  rememberMs?: number;
  rememberMax?: number;
  onError?: (message: string, err: unknown) => void;
}

interface Replica<Db> {
  handle: ReplicaHandle<Db>;
  /** Rejected (and replaced) when the replica leaves rotation as down: reads waiting on it give up. */
  down: { promise: Promise<never>; reject: (err: Error) => void };
  inRotation: boolean;
  state: ReplicaState;
  healthyChecks: number;
  replayLsn: bigint | null;
  lagMs: number | null;
  reason?: string;
  lastCheckAt: number | null;
}

/** Reads routed, by target kind (metrics.ts). */
export interface ReadCounts {
  primary: number;
  replica: number;
  /** Reads run again on the primary after failing on a replica. */
  retried: number;
}

export class ReadReplicas<Db> {
  private readonly replicas: Replica<Db>[];
  private readonly byTarget = new Map<ReadTarget<Db>, Replica<Db>>();
  private readonly remembered = new Map<string, { lsn: bigint; until: number }>();
  /** The primary's WAL positions sampled by the checks, oldest first. */
  private readonly samples: { at: number; lsn: bigint }[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private checking: Promise<void> | undefined;
  readonly counts: ReadCounts = { primary: 0, replica: 0, retried: 0 };
  readonly maxLagMs: number;
  private readonly interval: number;
  private readonly timeout: number;
  private readonly rememberMs: number;
  private readonly rememberMax: number;

  constructor(private readonly o: ReadReplicaOptions<Db>) {
    this.maxLagMs = o.maxLagMs;
    this.interval = o.checkIntervalMs ?? 250;
    this.timeout = o.checkTimeoutMs ?? 1_000;
    this.rememberMs = o.rememberMs ?? Math.max(5_000, 2 * o.maxLagMs);
    this.rememberMax = o.rememberMax ?? 50_000;
    this.replicas = o.replicas.map((handle) => ({
      handle,
      down: downSignal(),
      inRotation: false,
      state: "starting",
      healthyChecks: 0,
      replayLsn: null,
      lagMs: null,
      lastCheckAt: null,
    }));
    for (const r of this.replicas) this.byTarget.set(r.handle.target, r);
  }

  /** Runs a first check (replicas found healthy join rotation at once) and then checks periodically. */
  async start(): Promise<void> {
    await this.check(true);
    const tick = () => {
      if (this.stopped) return;
      this.checking = this.check(false).finally(() => {
        this.checking = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.interval).unref();
      });
    };
    this.timer = setTimeout(tick, this.interval).unref();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.checking?.catch(() => {});
    await Promise.all(this.replicas.map((r) => r.handle.close().catch(() => {})));
  }

  /**
   * Where a read by `key` (the caller's actor key; undefined: anonymous) goes: the next replica in
   * rotation that has replayed the caller's last remembered write and `after` (a position the
   * client sent back: its write through another instance), else the primary.
   */
  forReader(key: string | undefined, after?: bigint): ReadTarget<Db> {
    let need = after;
    if (key !== undefined && this.remembered.size > 0) {
      const r = this.remembered.get(key);
      if (r) {
        if (r.until > Date.now()) need = need === undefined || r.lsn > need ? r.lsn : need;
        else this.remembered.delete(key);
      }
    }
    const n = this.replicas.length;
    for (let i = 0; i < n; i++) {
      const r = this.replicas[(this.next + i) % n]!;
      if (!r.inRotation) continue;
      if (need !== undefined && (r.replayLsn === null || r.replayLsn < need)) continue;
      this.next = (this.next + i + 1) % n;
      this.counts.replica++;
      return r.handle.target;
    }
    this.counts.primary++;
    return this.o.primary;
  }

  /**
   * After a mutation: remember the primary's WAL position for these callers, so their reads go
   * where that position has been replayed. When the position cannot be read, their reads go to the
   * primary for the window. Returns the position ("X/Y") for the response's X-Read-After header
   * (undefined when it could not be read).
   */
  async wrote(keys: readonly string[]): Promise<string | undefined> {
    let lsn = PRIMARY_ONLY;
    try {
      lsn = parseLsn(await this.o.primaryLsn());
    } catch (err) {
      this.o.onError?.("read replicas: could not read the primary's WAL position after a write", err);
    }
    const until = Date.now() + this.rememberMs;
    for (const key of keys) {
      this.remembered.delete(key); // re-inserted last: the Map's order is the eviction order
      this.remembered.set(key, { lsn, until });
    }
    while (this.remembered.size > this.rememberMax) this.remembered.delete(this.remembered.keys().next().value!);
    return lsn === PRIMARY_ONLY ? undefined : formatLsn(lsn);
  }

  /**
   * A statement on a replica: its result, or a ReplicaDownError as soon as the replica leaves
   * rotation as down (a check timed out, a connection failed) — a frozen replica would otherwise
   * hold it until TCP gives up; the statement is abandoned, not cancelled. On a replica already
   * down it is not sent at all (the later statements of an operation that chose the replica
   * before it went down).
   */
  watch<T>(target: ReadTarget<Db>, start: () => Promise<T>): Promise<T> {
    const r = this.byTarget.get(target);
    if (!r) return start();
    if (r.state === "down") return Promise.reject(new ReplicaDownError(`replica ${target.name} is down`));
    return Promise.race([start(), r.down.promise]);
  }

  /** A read on `target` failed: run it on the primary if the replica may be the cause, taking the replica out of rotation. */
  async retried<T>(target: ReadTarget<Db>, err: unknown, onPrimary: () => Promise<T>): Promise<T> {
    if (!retryOnPrimary(err)) throw err;
    const r = this.byTarget.get(target);
    if (r && isConnectionError(err) && r.inRotation) this.leave(r, "down", `a read failed: ${describe(err)}`);
    this.counts.retried++;
    return onPrimary();
  }

  status(): ReplicaStatus[] {
    return this.replicas.map((r) => ({
      name: r.handle.target.name,
      state: r.state,
      inRotation: r.inRotation,
      lagMs: r.lagMs,
      replayLsn: r.replayLsn === null ? null : formatLsn(r.replayLsn),
      ...(r.reason ? { reason: r.reason } : {}),
      lastCheckAt: r.lastCheckAt === null ? null : new Date(r.lastCheckAt).toISOString(),
    }));
  }

  private leave(r: Replica<Db>, state: ReplicaState, reason: string): void {
    if (state === "down") {
      const { reject } = r.down;
      r.down = downSignal();
      reject(new ReplicaDownError(`replica ${r.handle.target.name} is down: ${reason}`));
    }
    r.inRotation = false;
    r.state = state;
    r.reason = reason;
    r.healthyChecks = 0;
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      work,
      new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeout} ms`)), this.timeout);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Lag of a replica at `lsn`: how long ago the primary was at a position it has not replayed (0 if none sampled). */
  private lagOf(lsn: bigint, now: number): number {
    for (const s of this.samples) if (s.lsn > lsn) return now - s.at;
    return 0;
  }

  private async check(first: boolean): Promise<void> {
    const primary = this.withTimeout(this.o.primaryLsn()).then(
      (lsn) => ({ at: Date.now(), lsn: parseLsn(lsn) }),
      () => undefined,
    );
    const probes = this.replicas.map((r) => this.withTimeout(r.handle.probe()).then((v) => ({ ok: true as const, v }), (err: unknown) => ({ ok: false as const, err })));
    const [sample, ...results] = await Promise.all([primary, ...probes]);
    const now = Date.now();
    if (sample) {
      const last = this.samples[this.samples.length - 1];
      if (!last || last.lsn !== sample.lsn) this.samples.push(sample);
      else last.at = Math.min(last.at, sample.at);
      // Samples older than any lag that matters: kept while the oldest is needed to measure it.
      const horizon = now - (this.maxLagMs + 10 * this.interval + 5_000);
      while (this.samples.length > 2 && this.samples[1]!.at < horizon) this.samples.shift();
      if (this.samples.length > 2_000) this.samples.splice(0, this.samples.length - 2_000);
    }
    this.replicas.forEach((r, i) => {
      const res = results[i]!;
      r.lastCheckAt = now;
      if (!res.ok) {
        if (r.state !== "down" || r.reason === undefined) this.leave(r, "down", describe(res.err));
        else r.reason = describe(res.err);
        r.lagMs = null;
        return;
      }
      const { lsn } = res.v;
      if (lsn === null) {
        this.leave(r, "down", "no replay position (not a standby that has replayed anything)");
        return;
      }
      r.replayLsn = parseLsn(lsn);
      // A server that is not a standby (DATABASE_READ_URL naming the primary) has no lag.
      r.lagMs = res.v.inRecovery ? this.lagOf(r.replayLsn, now) : 0;
      if (r.lagMs > this.maxLagMs) {
        this.leave(r, "lagging", `replay lag ${r.lagMs} ms > REPLICA_MAX_LAG_MS ${this.maxLagMs}`);
        return;
      }
      r.healthyChecks++;
      if (!r.inRotation && (first || r.healthyChecks >= 2)) {
        r.inRotation = true;
        r.state = "in-rotation";
        r.reason = undefined;
      }
    });
  }
}

function downSignal(): Replica<never>["down"] {
  let reject!: (err: Error) => void;
  const promise = new Promise<never>((_resolve, rej) => (reject = rej));
  promise.catch(() => {}); // rejected with no read waiting: not an unhandled rejection
  return { promise, reject };
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? `${e.code}: ` : "";
  return `${code}${typeof e?.message === "string" ? e.message : String(err)}`.slice(0, 200);
}

/**
 * A postgres.js client for drizzle whose statements run on `replica` and, when one fails there for
 * a reason `retried` accepts, once more on `primary`. drizzle awaits `client.unsafe(...)` or
 * `client.unsafe(...).values()`: both are given.
 */
export function fallbackClient(
  replica: postgres.Sql,
  primary: postgres.Sql,
  retried: <T>(err: unknown, onPrimary: () => Promise<T>) => Promise<T>,
  watch: <T>(start: () => Promise<T>) => Promise<T> = (start) => start(),
): postgres.Sql {
  return new Proxy(replica, {
    get(target, prop, receiver) {
      if (prop !== "unsafe") return Reflect.get(target, prop, receiver);
      return (query: string, params?: unknown[], opts?: unknown) => {
        const run = (client: postgres.Sql, values: boolean): Promise<unknown> => {
          const q = client.unsafe(query, params as postgres.ParameterOrJSON<never>[], opts as postgres.UnsafeQueryOptions);
          return Promise.resolve(values ? q.values() : q);
        };
        const attempt = (values: boolean) => watch(() => run(replica, values)).catch((err: unknown) => retried(err, () => run(primary, values)));
        return {
          then(ok: (v: unknown) => unknown, fail: (e: unknown) => unknown) {
            return attempt(false).then(ok, fail);
          },
          values() {
            return attempt(true);
          },
        };
      };
    },
  }) as postgres.Sql;
}
