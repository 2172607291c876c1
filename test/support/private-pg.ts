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
 */
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const PG_BIN = process.env.PG_BIN || "/usr/lib/postgresql/15/bin";

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Why a private cluster cannot be started on this machine, or undefined when it can. */
export function privatePgAvailable(): string | undefined {
  for (const bin of ["initdb", "pg_ctl", "postgres"]) {
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
}

/** initdb a new cluster in a fresh directory under /tmp and start it on a free port. */
export async function startPrivatePostgres(opts: { port?: number } = {}): Promise<PrivatePostgres> {
  const why = privatePgAvailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync("/tmp/faults-pg-");
  const data = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  const asPostgres = isRoot();
  if (asPostgres) {
    const { uid, gid } = uidGid("postgres");
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const exec = async (bin: string, args: string[]) => {
    const [cmd, argv] = asPostgres ? ["runuser", ["-u", "postgres", "--", join(PG_BIN, bin), ...args]] : [join(PG_BIN, bin), args];
    return run(cmd, argv, { timeout: 120_000, env: { ...process.env, LC_ALL: "C", PGTZ: "UTC" } });
  };
  const port = opts.port ?? (await freePort());
  await exec("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
  // Loopback only, a socket directory of its own (never the shared server's), and no fsync:
  // the machine does not crash in these tests, only the server is stopped, and WAL written to
  // the kernel survives that. (Not synchronous_commit=off: an immediate stop would then lose
  // commits already acknowledged, and already delivered to subscribers.)
  const serverOpts = [
    `-p ${port}`,
    `-c listen_addresses=127.0.0.1`,
    `-c unix_socket_directories=${dir}`,
    `-c fsync=off`,
    `-c full_page_writes=off`,
    `-c max_connections=60`,
    `-c shared_buffers=32MB`,
  ].join(" ");
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
      if (await pg.running()) await pg.stop("immediate").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
    log() {
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    },
  };
  await pg.start();
  return pg;
}
