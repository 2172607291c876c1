/**
 * "Read what has been committed since last time", run by the event bus (bus.ts: fetch and
 * dispatch) and by the NATS relay (relay.ts: publish): never two at once; a wake-up while one runs
 * makes it run once more when it ends (any number of wake-ups meanwhile count as one); a failure
 * is logged and tried again after RETRY_MS. The work itself always reads from its last position,
 * so running it once too often costs one empty read and loses nothing.
 */
import type { Logger } from "../shared/logger.js";

const RETRY_MS = 500;

export class CoalescedRunner {
  private running: Promise<void> | undefined;
  private again = false;

  /** `work` runs while `live()` holds; `failure` is the log line of a failed run. */
  constructor(
    private readonly work: () => Promise<void>,
    private readonly live: () => boolean,
    private readonly logger: Logger,
    private readonly failure: string,
  ) {}

  wake(): void {
    if (!this.live()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.work();
        } while (this.again && this.live());
      } catch (err) {
        this.logger.warn(this.failure, { error: err });
        setTimeout(() => this.wake(), RETRY_MS).unref();
      } finally {
        this.running = undefined;
      }
    })();
  }

  /** Resolves when no run is in progress (the last one's failure is not thrown: it was logged). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }
}
