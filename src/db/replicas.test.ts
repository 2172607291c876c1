/**
 * The routing rules of read replicas (replicas.ts) on stand-in servers whose WAL positions the
 * test sets: rotation, read-your-writes by position, lag, the retry on the primary, and the
 * configuration. The real thing (a streaming replica stopped, paused, behind the HTTP server) is
 * test/faults/read-replicas.test.ts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig } from "../config.js";
import { formatLsn, parseLsn, readAfterOf, ReadReplicas, replicaName, retryOnPrimary, type ReadTarget, type ReplicaHandle } from "./replicas.js";

type Db = { id: string };

function target(name: string, replica: boolean): ReadTarget<Db> {
  return { name, replica, db: { id: name }, textQuery: async () => name };
}

/** A stand-in replica: its replay position and whether it answers are the test's to set. */
function fakeReplica(name: string) {
  const state = { lsn: "0/100" as string | null, fail: undefined as Error | undefined, inRecovery: true };
  const handle: ReplicaHandle<Db> = {
    url: `postgres://u:secret@${name}/db`,
    target: target(name, true),
    async probe() {
      if (state.fail) throw state.fail;
      return { inRecovery: state.inRecovery, lsn: state.lsn };
    },
    async close() {},
  };
  return { handle, state };
}

function setup(n = 1, o: { maxLagMs?: number; rememberMax?: number; rememberMs?: number } = {}) {
  const primary = { lsn: "0/100", fail: false };
  const replicas = Array.from({ length: n }, (_, i) => fakeReplica(`r${i}`));
  const rr = new ReadReplicas<Db>({
    primary: target("primary", false),
    async primaryLsn() {
      if (primary.fail) throw Object.assign(new Error("down"), { code: "ECONNREFUSED" });
      return primary.lsn;
    },
    replicas: replicas.map((r) => r.handle),
    maxLagMs: o.maxLagMs ?? 1_000,
    checkIntervalMs: 60_000, // the test runs the checks itself
    rememberMax: o.rememberMax,
    rememberMs: o.rememberMs,
  });
  const check = () => (rr as unknown as { check(first: boolean): Promise<void> }).check(false);
  return { rr, primary, replicas, check };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("WAL positions", () => {
  it("parses and formats X/Y positions, and takes X-Read-After only when it is one", () => {
    expect(parseLsn("0/16B3748")).toBe(0x16b3748n);
    expect(parseLsn("1/0")).toBe(1n << 32n);
    expect(formatLsn(parseLsn("AB/CDEF0123"))).toBe("AB/CDEF0123");
    expect(parseLsn("0/FF") > parseLsn("0/F0")).toBe(true);
    expect(readAfterOf("0/16B3748")).toBe(0x16b3748n);
    for (const bad of [undefined, "", "16B3748", "0/", "x/1", "123456789/0", "0/1;drop", ["0/1"]]) expect(readAfterOf(bad as never)).toBeUndefined();
  });

  it("names a replica without its credentials", () => {
    expect(replicaName("postgres://user:secret@db-r1:5433/app")).toBe("db-r1:5433/app");
    expect(replicaName("postgresql://db-r2/app")).toBe("db-r2:5432/app");
  });
});

describe("ReadReplicas", () => {
  it("puts healthy replicas in rotation at start and spreads reads over them", async () => {
    const { rr } = setup(2);
    await rr.start();
    try {
      expect(rr.status().map((s) => s.state)).toEqual(["in-rotation", "in-rotation"]);
      expect([rr.forReader(undefined).name, rr.forReader(undefined).name, rr.forReader("customer:a").name]).toEqual(["r0", "r1", "r0"]);
      expect(rr.counts).toMatchObject({ replica: 3, primary: 0 });
    } finally {
      await rr.close();
    }
  });

  it("read-your-writes: a caller's reads go where its write has been replayed, others' reads are not held back", async () => {
    const { rr, primary, replicas, check } = setup(2);
    await rr.start();
    primary.lsn = "0/200";
    expect(await rr.wrote(["partner:p"])).toBe("0/200");
    expect(rr.forReader("partner:p").name).toBe("primary");
    expect(rr.forReader("customer:other").replica).toBe(true);
    // r1 has replayed it, r0 not yet: the writer reads from r1 only.
    replicas[1]!.state.lsn = "0/200";
    await check();
    expect(new Set([0, 1, 2, 3].map(() => rr.forReader("partner:p").name))).toEqual(new Set(["r1"]));
    replicas[0]!.state.lsn = "0/250";
    await check();
    expect(new Set([0, 1, 2, 3].map(() => rr.forReader("partner:p").name))).toEqual(new Set(["r0", "r1"]));
    // A position sent back by the client (X-Read-After) counts the same way.
    expect(rr.forReader(undefined, parseLsn("0/240")).name).toBe("r0");
    expect(rr.forReader(undefined, parseLsn("0/300")).name).toBe("primary");
    await rr.close();
  });

  it("forgets a write after the window, and the oldest callers past the bound", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { rr, primary } = setup(1, { rememberMax: 2, rememberMs: 5_000 });
    await rr.start();
    primary.lsn = "0/900";
    await rr.wrote(["a"]);
    await rr.wrote(["b"]);
    await rr.wrote(["c"]); // "a" forgotten: at most 2 remembered
    expect(rr.forReader("a").replica).toBe(true);
    expect(rr.forReader("b").replica).toBe(false);
    expect(rr.forReader("c").replica).toBe(false);
    vi.setSystemTime(Date.now() + 5_001);
    expect(rr.forReader("c").replica).toBe(true);
    await rr.close();
  });

  it("when the primary's position cannot be read after a write, the caller reads from the primary", async () => {
    const { rr, primary } = setup(1);
    await rr.start();
    primary.fail = true;
    expect(await rr.wrote(["admin:x"])).toBeUndefined();
    expect(rr.forReader("admin:x").replica).toBe(false);
    await rr.close();
  });

  it("takes a replica out at a failed check and back after two healthy ones", async () => {
    const { rr, replicas, check } = setup(1);
    await rr.start();
    replicas[0]!.state.fail = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    await check();
    expect(rr.status()[0]).toMatchObject({ state: "down", inRotation: false, lagMs: null });
    expect(rr.status()[0]!.reason).toContain("ECONNREFUSED");
    expect(rr.forReader(undefined).name).toBe("primary");
    replicas[0]!.state.fail = undefined;
    await check();
    expect(rr.status()[0]!.inRotation).toBe(false);
    await check();
    expect(rr.status()[0]).toMatchObject({ state: "in-rotation", inRotation: true });
    expect(rr.forReader(undefined).name).toBe("r0");
    await rr.close();
  });

  it("measures lag as how long ago the primary was at a position not yet replayed: an idle primary is no lag", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { rr, primary, replicas, check } = setup(1, { maxLagMs: 1_000 });
    await rr.start();
    // Idle: nothing new on the primary, however long.
    vi.setSystemTime(Date.now() + 60_000);
    await check();
    expect(rr.status()[0]).toMatchObject({ lagMs: 0, state: "in-rotation" });
    // The primary moves on, the replica does not.
    primary.lsn = "0/500";
    await check();
    vi.setSystemTime(Date.now() + 600);
    await check();
    expect(rr.status()[0]).toMatchObject({ lagMs: 600, state: "in-rotation" });
    vi.setSystemTime(Date.now() + 500);
    await check();
    expect(rr.status()[0]).toMatchObject({ lagMs: 1_100, state: "lagging", inRotation: false });
    expect(rr.forReader(undefined).name).toBe("primary");
    replicas[0]!.state.lsn = "0/500";
    await check();
    await check();
    expect(rr.status()[0]).toMatchObject({ lagMs: 0, state: "in-rotation" });
    await rr.close();
  });

  it("a server that is not a standby (the primary named as a read URL) has no lag", async () => {
    const { rr, primary, replicas, check } = setup(1);
    replicas[0]!.state.inRecovery = false;
    await rr.start();
    primary.lsn = "0/999";
    replicas[0]!.state.lsn = "0/999";
    await check();
    expect(rr.status()[0]).toMatchObject({ lagMs: 0, inRotation: true });
    await rr.close();
  });

  it("runs a read again on the primary when the replica dropped it, and takes an unreachable replica out", async () => {
    const { rr } = setup(1);
    await rr.start();
    const replica = rr.forReader(undefined);
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(await rr.retried(replica, refused, async () => "from primary")).toBe("from primary");
    expect(rr.status()[0]).toMatchObject({ state: "down", inRotation: false });
    expect(rr.counts.retried).toBe(1);
    // A recovery conflict is retried too; the replica stays as it is.
    expect(retryOnPrimary(Object.assign(new Error("conflict with recovery"), { code: "40001" }))).toBe(true);
    // A statement that is wrong would be wrong on the primary too: not retried.
    const syntax = Object.assign(new Error("syntax error"), { code: "42601" });
    await expect(rr.retried(replica, syntax, async () => "never")).rejects.toBe(syntax);
    await rr.close();
  });
});

describe("ReadReplicas: a replica that stops answering", () => {
  it("gives up the reads waiting on a replica when it leaves rotation as down, so they run on the primary", async () => {
    const { rr, replicas, check } = setup(1);
    await rr.start();
    const replica = rr.forReader(undefined);
    const never = new Promise<string>(() => {}); // a frozen server's answer
    const read = rr.watch(replica, () => never).catch((err: unknown) => rr.retried(replica, err, async () => "from primary"));
    replicas[0]!.state.fail = new Error("no answer within 1000 ms");
    await check();
    expect(await read).toBe("from primary");
    // While it is down, a statement of an operation that chose it earlier is not even sent there.
    let sent = false;
    await expect(rr.watch(replica, async () => ((sent = true), "x"))).rejects.toMatchObject({ code: "REPLICA_DOWN" });
    expect(sent).toBe(false);
    // Reads on a replica in rotation are untouched; a new down signal is armed once it is back.
    replicas[0]!.state.fail = undefined;
    await check();
    await check();
    expect(await rr.watch(replica, async () => "from replica")).toBe("from replica");
    await rr.close();
  });
});

describe("configuration", () => {
  it("reads DATABASE_READ_URL as a comma-separated list and REPLICA_MAX_LAG_MS with a default", () => {
    expect(loadConfig({ NODE_ENV: "test" })).toMatchObject({ databaseReadUrls: [], replicaMaxLagMs: 1_000 });
    const c = loadConfig({
      NODE_ENV: "test",
      DATABASE_URL: "postgres://p/db",
      DATABASE_READ_URL: " postgres://r1/db , postgresql://r2/db,",
      REPLICA_MAX_LAG_MS: "2500",
    });
    expect(c).toMatchObject({ databaseReadUrls: ["postgres://r1/db", "postgresql://r2/db"], replicaMaxLagMs: 2_500 });
  });

  it("refuses read URLs without a primary URL, URLs that are not PostgreSQL's, and a lag bound out of range", () => {
    expect(() => loadConfig({ NODE_ENV: "test", DATABASE_READ_URL: "postgres://r1/db" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "test", DATABASE_URL: "postgres://p/db", DATABASE_READ_URL: "mysql://r1/db" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "test", REPLICA_MAX_LAG_MS: "10" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "test", REPLICA_MAX_LAG_MS: "soon" })).toThrow(ConfigError);
  });
});
