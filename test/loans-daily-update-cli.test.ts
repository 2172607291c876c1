/**
 * The daily update outside GraphQL: the `npm run daily-update` command's argument checks and the
 * in-process timer (start, ticks for today's Jakarta date, no overlap, stop, off at 0).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dailyUpdateRuns } from "../src/db/schema.js";
import type { DailyUpdateCounts } from "../src/features/loans/daily-update.js";
import { startDailyUpdateTimer } from "../src/features/loans/daily-update-timer.js";
import type { Logger } from "../src/shared/logger.js";
import { world } from "./support/world.js";

const root = fileURLToPath(new URL("..", import.meta.url));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("npx", ["tsx", "src/cli/daily-update.ts", ...args], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
    });
  });
}

describe("daily-update command", () => {
  it("exits non-zero with a clear message on a bad --as-of (no database needed)", async () => {
    const r = await runCli(["--as-of", "bad"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--as-of must be a real calendar date YYYY-MM-DD, got "bad"');
    expect(r.stderr).toContain("usage: npm run daily-update");
    expect(r.stdout).toBe("");
  });
});

interface Captured {
  logger: Logger;
  lines: { level: string; msg: string; fields?: Record<string, unknown> }[];
}
function capture(): Captured {
  const lines: Captured["lines"] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

const zero = (asOf: string): DailyUpdateCounts => ({ asOf, paymentsUpdated: 0, loansUpdated: 0, lateFeesApplied: 0, offersExpired: 0 });

describe("startDailyUpdateTimer", () => {
  afterEach(async () => {
    vi.useRealTimers();
    (await world()).clock.set(null);
  });

  it("is off at 0 minutes", async () => {
    const w = await world();
    const run = vi.fn(async (asOf: string) => zero(asOf));
    vi.useFakeTimers();
    const stop = startDailyUpdateTimer({ app: w.gateway.app, intervalMinutes: 0, logger: capture().logger, run });
    await vi.advanceTimersByTimeAsync(24 * 60 * 60_000);
    await stop();
    expect(run).not.toHaveBeenCalled();
  });

  it("runs at once, then every N minutes, for today's Jakarta date; never overlaps; stop waits for a run", async () => {
    const w = await world();
    w.clock.set("2026-03-14T17:30:00.000Z"); // 2026-03-15 00:30 in Jakarta
    const cap = capture();
    let release: () => void = () => {};
    const run = vi.fn(
      (asOf: string) =>
        new Promise<DailyUpdateCounts>((resolve) => {
          release = () => resolve(zero(asOf));
        }),
    );
    vi.useFakeTimers();
    const stop = startDailyUpdateTimer({ app: w.gateway.app, intervalMinutes: 5, logger: cap.logger, run });
    await vi.advanceTimersByTimeAsync(0);
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0]![0]).toBe("2026-03-15");

    // Still running at the next tick: skipped.
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(run).toHaveBeenCalledTimes(1);
    expect(cap.lines.some((l) => l.level === "warn")).toBe(true);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(cap.lines.some((l) => l.msg === "daily update done")).toBe(true);

    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(run).toHaveBeenCalledTimes(2);

    // stop() while a run is in progress resolves only after it finished; no tick after it.
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it("logs a failed run and tries again at the next tick", async () => {
    const w = await world();
    const cap = capture();
    const run = vi.fn(async (asOf: string) => {
      if (run.mock.calls.length === 1) throw new Error("database unavailable");
      return zero(asOf);
    });
    vi.useFakeTimers();
    const stop = startDailyUpdateTimer({ app: w.gateway.app, intervalMinutes: 1, logger: cap.logger, run });
    await vi.advanceTimersByTimeAsync(0);
    expect(cap.lines.find((l) => l.level === "error")?.msg).toBe("daily update failed");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(run).toHaveBeenCalledTimes(2);
    expect(cap.lines.some((l) => l.msg === "daily update done")).toBe(true);
    await stop();
  });

  it("with the real update: the first tick records a run for the clock's Jakarta date", async () => {
    const w = await world();
    w.clock.set("2031-07-04T20:00:00.000Z"); // 2031-07-05 03:00 in Jakarta
    const cap = capture();
    const stop = startDailyUpdateTimer({ app: w.gateway.app, intervalMinutes: 60, logger: cap.logger });
    const deadline = Date.now() + 30_000;
    while (!cap.lines.some((l) => l.msg.startsWith("daily update ") && l.msg !== "daily update timer started") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await stop();
    expect(cap.lines.find((l) => l.msg === "daily update done")?.fields).toMatchObject({ asOf: "2031-07-05" });
    const rows = await w.database.db.select().from(dailyUpdateRuns).where(eq(dailyUpdateRuns.asOf, "2031-07-05"));
    expect(rows).toHaveLength(1);
  });
});
