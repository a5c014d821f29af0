import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** One window of the limit: at most `points` invoices per `seconds`. */
export interface RateWindow {
  points: number;
  seconds: number;
}

/**
 * BitPay v0.3: "A merchant is restricted to creating no more than 100 invoices per hour (there
 * are also per second and per minute limits)". The seed gives no figures for the shorter
 * windows; these allow a checkout burst and a busy minute without letting one merchant take an
 * hour's share in a minute.
 */
export const BITPAY_INVOICE_LIMITS: readonly RateWindow[] = [
  { points: 10, seconds: 1 },
  { points: 50, seconds: 60 },
  { points: 100, seconds: 3600 },
];

/**
 * Invoice creations per merchant account in every window at once (rate-limiter-flexible, in
 * memory: one server's count; several servers each count their own). A request refused by one
 * window uses up none of the others, so a burst refused per second does not eat into the hour.
 */
export class InvoiceRateLimit {
  private readonly limiters: RateLimiterMemory[];

  constructor(windows: readonly RateWindow[] = BITPAY_INVOICE_LIMITS) {
    this.limiters = windows.map(
      (window, index) =>
        new RateLimiterMemory({
          keyPrefix: `invoice-${index}`,
          points: window.points,
          duration: window.seconds,
        }),
    );
  }

  /**
   * Takes one creation for the account: undefined when every window allows it, else how many
   * seconds until the window that refused it allows one again (for Retry-After).
   */
  async take(
    accountId: string,
  ): Promise<{ retryAfterSeconds: number; window: number } | undefined> {
    const taken: RateLimiterMemory[] = [];
    for (const [index, limiter] of this.limiters.entries()) {
      try {
        await limiter.consume(accountId);
        taken.push(limiter);
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        for (const done of taken) await done.reward(accountId);
        return {
          retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)),
          window: index,
        };
      }
    }
    return undefined;
  }

  /** Gives back a creation taken (the request made no invoice after all). */
  async giveBack(accountId: string): Promise<void> {
    for (const limiter of this.limiters) await limiter.reward(accountId);
  }

  /** The windows, for messages: `100 per 3600 s`. */
  describe(window: number): string {
    const limiter = this.limiters[window];
    return limiter === undefined ? '' : `${limiter.points} per ${limiter.duration} s`;
  }
}
