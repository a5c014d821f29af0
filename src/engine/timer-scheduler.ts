import type { DocumentEngine } from './document-engine.js';

/**
 * Fires document timers (authorisation expiry, invoice checks) when they fall due. The due
 * times live in the store (documents.next_timer_at), so a restart loses none: the first
 * check after start fires whatever came due while the server was down.
 */
export class TimerScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly engine: DocumentEngine,
    private readonly clock: () => number = Date.now,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick();
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let delay = this.intervalMs;
    try {
      if (await this.engine.timersDue(this.clock())) {
        // More may be due than one batch fires: come back at once.
        const fired = await this.engine.fireDueTimers(100);
        if (fired >= 100) delay = 0;
      }
    } catch {
      // A failed round (store busy, shutting down) is retried at the next tick.
    }
    this.schedule(delay);
  }
}
