/**
 * A private PostgreSQL cluster for fault tests: its own data directory under /tmp, its own
 * port on 127.0.0.1, trust auth, so a test can stop and start it (`pg_ctl stop -m fast` or
 * `-m immediate`) without touching the shared server on :5432.
 *
 * The PostgreSQL binaries refuse to run as root, so as root they run as the `postgres` OS user
 * (`runuser -u postgres --`). `privatePgAvailable()` says why the cluster cannot be made here
 * (no binaries, no postgres user); test/faults/prerequisites.ts turns that into a skip with a
 * message outside CI and a failed test under `CI=true`. (No vitest import here: bench/soak.ts
 * uses this module through test/support/process.ts.)
 *
 * `startPrivateReplica(primary)` makes a streaming replica (hot standby) of a private primary:
 * `pg_basebackup -R` over a physical replication slot into a private data directory, started on
 * its own port. The primary is configured for it from the start (wal_level=replica, WAL senders,
 * slots, and initdb's `host replication all 127.0.0.1/32 trust` line, which is checked), so any
 * private primary can be given a replica. The slot keeps the WAL a stopped replica still needs,
 * so stop()/start() of the replica resumes streaming; destroy() drops the slot again.
 */
import { execFile } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const PG_BIN = process.env.PG_BIN || "/usr/lib/postgresql/15/bin";

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Why a private cluster cannot be started on this machine, or undefined when it can. */
export function privatePgAvailable(): string | undefined {
  for (const bin of ["initdb", "pg_ctl", "postgres", "pg_basebackup"]) {
    if (!existsSync(join(PG_BIN, bin))) return `PostgreSQL binaries not found (${join(PG_BIN, bin)}; set PG_BIN)`;
  }
  if (isRoot()) {
    try {
      const passwd = readFileSync("/etc/passwd", "utf8");
      if (!/^postgres:/m.test(passwd)) return "running as root and there is no `postgres` OS user to run PostgreSQL as";
    } catch {
      return "cannot read /etc/passwd";
    }
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function uidGid(user: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no OS user ${user}`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PrivatePostgres {
  port: number;
  dir: string;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  start(): Promise<void>;
  /** `fast`: backends are told to terminate and the server shuts down cleanly; `immediate`: a crash-like stop (recovery on next start). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  running(): Promise<boolean>;
  createDatabase(name: string): Promise<string>;
  /** Stop (immediate) and delete the data directory. */
  destroy(): Promise<void>;
  log(): string;
  /**
   * SIGSTOP the server and all its processes: it keeps its connections and sockets but answers
   * nothing (a frozen VM, a partition that drops packets). `thaw()` sends SIGCONT. The processes
   * are this cluster's own (its postmaster.pid and that process's children).
   */
  freeze(): void;
  thaw(): void;
}

/** A streaming replica (hot standby, read-only) of a private primary. */
export interface PrivateReplica extends Omit<PrivatePostgres, "createDatabase"> {
  primary: PrivatePostgres;
  /** The physical replication slot on the primary that this replica streams from. */
  slot: string;
  /** `pg_wal_replay_pause()`: the replica stays up and answers, but stops applying WAL (its lag grows). */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Resolve once the replica has replayed everything the primary had written when called (throws after `timeoutMs`). */
  waitForCatchUp(timeoutMs?: number): Promise<void>;
  /** Stop the replica (immediate), drop its slot on the primary (if the primary is up) and delete its data directory. */
  destroy(): Promise<void>;
}

type Exec = (bin: string, args: string[]) => Promise<{ stdout: string; stderr: string }>;

/** A fresh directory under /tmp owned by the OS user the server runs as, and how to run a binary as that user. */
function privateDir(prefix: string): { dir: string; exec: Exec } {
  const dir = mkdtempSync(prefix);
  const asPostgres = isRoot();
  if (asPostgres) {
    const { uid, gid } = uidGid("postgres");
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const exec: Exec = async (bin, args) => {
    const [cmd, argv] = asPostgres ? ["runuser", ["-u", "postgres", "--", join(PG_BIN, bin), ...args]] : [join(PG_BIN, bin), args];
    return run(cmd, argv, { timeout: 120_000, env: { ...process.env, LC_ALL: "C", PGTZ: "UTC" } });
  };
  return { dir, exec };
}

/**
 * The server options of every private cluster. Loopback only, a socket directory of its own
 * (never the shared server's), and no fsync: the machine does not crash in these tests, only the
 * server is stopped, and WAL written to the kernel survives that. (Not synchronous_commit=off:
 * an immediate stop would then lose commits already acknowledged, and already delivered to
 * subscribers.) Replication is on for every cluster, so any primary can be given a replica:
 * wal_level=replica (full_page_writes stays off: fine for a streamed standby, which replays the
 * WAL of a server that never crashes with torn pages here), WAL senders and slots, and
 * hot_standby for the replicas (ignored on a primary).
 */
function serverOptions(port: number, dir: string): string {
  return [
    `-p ${port}`,
    `-c listen_addresses=127.0.0.1`,
    `-c unix_socket_directories=${dir}`,
    `-c fsync=off`,
    `-c full_page_writes=off`,
    `-c max_connections=60`,
    `-c shared_buffers=32MB`,
    `-c wal_level=replica`,
    `-c max_wal_senders=10`,
    `-c max_replication_slots=10`,
    `-c hot_standby=on`,
    `-c wal_receiver_status_interval=1s`,
  ].join(" ");
}

/** The postmaster of a data directory and its child processes (from /proc), or [] when it is not running. */
function serverPids(data: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return [];
  }
  if (!Number.isInteger(postmaster) || postmaster <= 1) return [];
  const pids = [postmaster];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function clusterHandle(dir: string, data: string, port: number, exec: Exec): PrivatePostgres {
  const logFile = join(dir, "postgres.log");
  const serverOpts = serverOptions(port, dir);
  const pgCtl = (args: string[]) => exec("pg_ctl", ["-D", data, ...args]);
  const pg: PrivatePostgres = {
    port,
    dir,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await pgCtl(["-o", serverOpts, "-l", logFile, "-w", "-t", "60", "start"]);
    },
    async stop(mode = "fast") {
      await pgCtl(["-m", mode, "-w", "-t", "60", "stop"]);
    },
    async running() {
      try {
        await pgCtl(["status"]);
        return true;
      } catch {
        return false;
      }
    },
    async createDatabase(name) {
      const { default: postgres } = await import("postgres");
      const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
        await admin.unsafe(`create database "${name}"`);
      } finally {
        await admin.end();
      }
      return pg.url(name);
    },
    async destroy() {
      pg.thaw();
      if (await pg.running()) await pg.stop("immediate").catch(() => {});
      // A server already shutting down (a stop that failed because one was under way) still
      // writes its shutdown checkpoint: removing the directory under it left a copy behind.
      for (let i = 0; i < 100 && (await pg.running()); i++) await new Promise((r) => setTimeout(r, 100));
      rmSync(dir, { recursive: true, force: true });
    },
    log() {
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    },
    freeze() {
      frozen = serverPids(data);
      for (const pid of frozen) process.kill(pid, "SIGSTOP");
    },
    thaw() {
      for (const pid of frozen) {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // exited
        }
      }
      frozen = [];
    },
  };
  let frozen: number[] = [];
  return pg;
}

/** initdb a new cluster in a fresh directory under /tmp and start it on a free port. */
export async function startPrivatePostgres(opts: { port?: number } = {}): Promise<PrivatePostgres> {
  const why = privatePgAvailable();
  if (why) throw new Error(why);
  const { dir, exec } = privateDir("/tmp/faults-pg-");
  const data = join(dir, "data");
  const port = opts.port ?? (await freePort());
  await exec("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
  // initdb -A trust writes `host replication all 127.0.0.1/32 trust`; a replica's pg_basebackup
  // and walreceiver connect with it. Added when a future initdb stops writing it.
  const hba = join(data, "pg_hba.conf");
  if (!/^\s*host\s+replication\s+all\s+127\.0\.0\.1\/32\s+trust\s*$/m.test(readFileSync(hba, "utf8"))) {
    appendFileSync(hba, "\nhost replication all 127.0.0.1/32 trust\n");
  }
  const pg = clusterHandle(dir, data, port, exec);
  await pg.start();
  return pg;
}

let replicaSeq = 0;

/**
 * Start a streaming replica of `primary` (which must be running): `pg_basebackup -R` (writes
 * standby.signal and primary_conninfo) with a new physical slot (`-C -S`), into a fresh
 * directory under /tmp, started on a free port as a hot standby. Resolves once the replica
 * accepts connections and is streaming.
 */
export async function startPrivateReplica(primary: PrivatePostgres, opts: { port?: number } = {}): Promise<PrivateReplica> {
  const why = privatePgAvailable();
  if (why) throw new Error(why);
  const { dir, exec } = privateDir("/tmp/faults-pg-replica-");
  const data = join(dir, "data");
  const port = opts.port ?? (await freePort());
  const slot = `replica_${process.pid}_${++replicaSeq}_${port}`;
  try {
    await exec("pg_basebackup", [
      "-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres",
      "-D", data, "-R", "-X", "stream", "-C", "-S", slot, "-c", "fast", "--no-sync",
    ]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const base = clusterHandle(dir, data, port, exec);
  const sql = async <T>(url: string, f: (db: import("postgres").Sql) => Promise<T>): Promise<T> => {
    const { default: postgres } = await import("postgres");
    const db = postgres(url, { max: 1, onnotice: () => {} });
    try {
      return await f(db);
    } finally {
      await db.end();
    }
  };
  const replica: PrivateReplica = {
    ...base,
    primary,
    slot,
    async pauseReplay() {
      await sql(base.url(), (db) => db`select pg_wal_replay_pause()`);
    },
    async resumeReplay() {
      await sql(base.url(), (db) => db`select pg_wal_replay_resume()`);
    },
    async waitForCatchUp(timeoutMs = 30_000) {
      const [{ lsn }] = await sql(primary.url(), (db) => db<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`);
      const deadline = Date.now() + timeoutMs;
      await sql(base.url(), async (db) => {
        for (;;) {
          const [{ ok }] = await db<{ ok: boolean }[]>`select coalesce(pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn, false) as ok`;
          if (ok) return;
          if (Date.now() > deadline) throw new Error(`replica on :${port} did not replay up to ${lsn} within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 50));
        }
      });
    },
    async destroy() {
      await base.destroy();
      if (await primary.running()) {
        await sql(primary.url(), (db) => db`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${slot}`).catch(() => {});
      }
    },
  };
  await replica.start();
  await replica.waitForCatchUp(60_000);
  return replica;
}
