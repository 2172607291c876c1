/**
 * What bench/fanout.ts (shared tokens) and bench/fanout-distinct.ts (a token per subscriber) both
 * need: time, the client workers stopped on exit, /proc readings, psql, GraphQL over HTTP,
 * percentiles and the workers' IPC.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The event id in a subscription cursor (base64url "e2|<type>|<id>|tag"). */
export const eventIdOf = (cursor: string) => Buffer.from(cursor, "base64url").toString("utf8").split("|")[2] ?? "";

/** SIGTERM every worker still running. */
export function stopWorkers(workers: ChildProcess[]): void {
  for (const w of workers) if (w.pid && w.exitCode === null) w.kill("SIGTERM");
}

/** The client worker processes of this run: stopped when the bench exits (also on Ctrl-C). */
export function workerRegistry(): ChildProcess[] {
  const workers: ChildProcess[] = [];
  process.on("exit", () => stopWorkers(workers));
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
  return workers;
}

export const CLK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** CPU ticks of a process (user + system; with `children`, also of its waited-for children); 0 once it is gone. */
export function ticks(pid: number, children = true): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  } catch {
    return 0;
  }
}

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

export const loadavg = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

export function psql(dbUrl: string, sqlText: string): string {
  return execFileSync("psql", ["-XAtq", dbUrl, "-v", "ON_ERROR_STOP=1", "-c", sqlText], { maxBuffer: 64 << 20 }).toString().trim();
}

/** A GraphQL POST to `${base}/graphql`: its data, when it was sent and when the response arrived (the transaction has committed). */
export function graphqlClient(base: string, timeoutMs: number) {
  return async function gql<T = any>(query: string, variables: Record<string, unknown>, token?: string): Promise<{ data: T; t: number; sent: number }> {
    const sent = now();
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const t = now();
    const body = (await res.json()) as { data?: T; errors?: unknown };
    if (res.status !== 200 || body.errors || !body.data) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body).slice(0, 500)}`);
    return { data: body.data, t, sent };
  };
}

export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
export const r1 = (x: number) => Number(x.toFixed(1));
export function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: r1(pct(s, 50)), p90: r1(pct(s, 90)), p99: r1(pct(s, 99)), max: r1(s[s.length - 1] ?? NaN), min: r1(s[0] ?? NaN) };
}

/** Send `msg` to a worker and wait for its message of type `reply`. */
export function ask<T = any>(w: ChildProcess, msg: object, reply: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      w.off("message", on);
      reject(new Error(`worker ${w.pid}: no ${reply} in ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (m: any) => {
      if (m?.type === reply) {
        clearTimeout(timer);
        w.off("message", on);
        resolve(m as T);
      }
    };
    w.on("message", on);
    w.send(msg);
  });
}
