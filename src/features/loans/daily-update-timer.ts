/**
 * The daily update on an in-process timer (config `dailyUpdateIntervalMinutes`, env
 * DAILY_UPDATE_INTERVAL_MINUTES; 0 = off). Each tick runs the update for today's Asia/Jakarta
 * date (by the app's clock); the first run starts right away so a restarted server catches up.
 * Runs never overlap (a tick while one is running is skipped); a failed run is logged and the
 * next tick tries again (the update is idempotent, so repeating a date is harmless).
 * `stop()` cancels future ticks and resolves once a run in progress has finished.
 */
import type { AppServices } from "../../graphql/context.js";
import type { Logger } from "../../shared/logger.js";
import { jakartaDate } from "../../shared/dates.js";
import { runDailyUpdate, type DailyUpdateCounts } from "./daily-update.js";

export interface DailyUpdateTimerOptions {
  app: Pick<AppServices, "database" | "afterEventsCommitted" | "clock">;
  /** Minutes between runs; 0 (or less) disables the timer. */
  intervalMinutes: number;
  logger: Logger;
  /** The work of one tick (tests); defaults to the daily update for today's Jakarta date. */
  run?: (asOf: string, now: Date) => Promise<DailyUpdateCounts>;
}

export type StopDailyUpdateTimer = () => Promise<void>;

export function startDailyUpdateTimer(opts: DailyUpdateTimerOptions): StopDailyUpdateTimer {
  const { app, intervalMinutes, logger } = opts;
  if (!(intervalMinutes > 0)) return async () => {};
  const work = opts.run ?? ((asOf: string, now: Date) => runDailyUpdate(app, { asOf, now }));
  let stopped = false;
  let running: Promise<void> | null = null;

  const tick = () => {
    if (stopped) return;
    if (running) {
      logger.warn("daily update still running; tick skipped");
      return;
    }
    const now = app.clock.now();
    const asOf = jakartaDate(now);
    const started = Date.now();
    running = work(asOf, now)
      .then((result) => logger.info("daily update done", { ...result, ms: Date.now() - started }))
      .catch((err) => logger.error("daily update failed", { asOf, error: err }))
      .finally(() => {
        running = null;
      });
  };

  logger.info("daily update timer started", { intervalMinutes });
  const first = setTimeout(tick, 0);
  const interval = setInterval(tick, intervalMinutes * 60_000);
  first.unref();
  interval.unref();

  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(interval);
    if (running) await running;
  };
}
