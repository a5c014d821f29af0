/**
 * When a failed webhook delivery is tried again. Pure: the clock (`now`) and the randomness
 * (`random`) come from the caller, so tests are deterministic and the store decides what
 * "now" is.
 */

/** The delay after the first failed attempt. */
export const RETRY_BASE_DELAY_MS = 60_000;
/** Each delay is this many times the one before, until {@link RETRY_MAX_DELAY_MS}. */
export const RETRY_GROWTH_FACTOR = 5;
/** No delay is longer: a receiver that comes back is served again within half a day. */
export const RETRY_MAX_DELAY_MS = 10 * 60 * 60 * 1000;
/**
 * No retry comes sooner than this after a failure, whatever the jitter: full jitter could draw
 * (near) 0 again and again, and a delivery must not hammer a receiver or loop without end.
 */
export const RETRY_MIN_DELAY_MS = 30_000;
/** Attempts stop once the next would fall later than this after the first attempt (3 days). */
export const MAX_RETRY_WINDOW_MS = 72 * 60 * 60 * 1000;

/**
 * How a delay is spread: `equal` (the default) takes a uniform delay in [n/2, n] of the nominal
 * n, `full` one in [0, n] (but never under {@link RETRY_MIN_DELAY_MS}), `none` n itself.
 * Spreading keeps the retries of many deliveries that failed together (a receiver's outage)
 * from all arriving at once when it comes back.
 */
export type RetryJitter = 'equal' | 'full' | 'none';

/** What a schedule depends on besides the attempt. */
export interface RetryScheduleOptions {
  /** Uniform in [0, 1): `Math.random` in production, a fixed or seeded function in tests. */
  random: () => number;
  /**
   * Multiplies every delay and the window: 1 in production; 0.001 makes the three days about
   * 4.3 minutes (see {@link timeScaleFromEnv}), for tests and demonstrations.
   */
  scale?: number;
  /** `equal` unless told. */
  jitter?: RetryJitter;
}

/**
 * The nominal (unjittered) delay in ms after failed attempt `attempt` (1-based), scaled and
 * rounded to whole ms: `min(1 min × 5^(attempt−1), 10 h) × scale`. At scale 1:
 *
 * | after attempt | nominal delay          | next attempt, since the first |
 * | ------------- | ---------------------- | ----------------------------- |
 * | 1             | 1 min                  | 0 h 01 min                    |
 * | 2             | 5 min                  | 0 h 06 min                    |
 * | 3             | 25 min                 | 0 h 31 min                    |
 * | 4             | 2 h 05 min             | 2 h 36 min                    |
 * | 5             | 10 h (capped: 10 h 25) | 12 h 36 min                   |
 * | 6             | 10 h                   | 22 h 36 min                   |
 * | 7             | 10 h                   | 32 h 36 min                   |
 * | 8             | 10 h                   | 42 h 36 min                   |
 * | 9             | 10 h                   | 52 h 36 min                   |
 * | 10            | 10 h                   | 62 h 36 min                   |
 * | 11            | 10 h                   | 72 h 36 min: past 72 h, none  |
 *
 * So nominally 11 attempts over 62½ hours, then the delivery gives up. Equal jitter shortens
 * each delay by up to half, which fits at most 19 attempts into the 72 hours (full jitter,
 * down to {@link RETRY_MIN_DELAY_MS}, many more: it is there for comparison, not production).
 */
export function nominalRetryDelay(attempt: number, scale = 1): number {
  checkAttempt(attempt);
  checkScale(scale);
  // 5^(attempt−1) is Infinity for a large attempt; min() turns that into the cap.
  const unscaled = Math.min(
    RETRY_BASE_DELAY_MS * RETRY_GROWTH_FACTOR ** (attempt - 1),
    RETRY_MAX_DELAY_MS,
  );
  return Math.round(unscaled * scale);
}

/**
 * The delay in ms after failed attempt `attempt` (1-based): the {@link nominalRetryDelay} n
 * spread by the jitter, a whole number in [⌊n/2⌋, n] (equal), [m, n] (full, m the scaled
 * {@link RETRY_MIN_DELAY_MS}, which is at most n) or n (none).
 */
export function retryDelay(attempt: number, options: RetryScheduleOptions): number {
  const scale = options.scale ?? 1;
  const nominal = nominalRetryDelay(attempt, scale);
  // A misbehaving random() (NaN, 1, −0.5) must not push a delay out of its bounds.
  const drawn = options.random();
  const r = Number.isFinite(drawn) ? Math.min(Math.max(drawn, 0), 1) : 0;
  switch (options.jitter ?? 'equal') {
    case 'none':
      return nominal;
    case 'full':
      return Math.max(Math.floor(r * nominal), Math.round(RETRY_MIN_DELAY_MS * scale));
    case 'equal':
      return Math.floor(nominal / 2 + (r * nominal) / 2);
  }
}

/**
 * When to try again after attempt `attempt` (1-based) failed at `now`: `now` + its
 * {@link retryDelay}, or null (give up) when that is later than `firstAttemptAt` +
 * {@link MAX_RETRY_WINDOW_MS} × scale. All times are ms since the epoch.
 */
export function nextAttemptAt(
  firstAttemptAt: number,
  attempt: number,
  now: number,
  options: RetryScheduleOptions,
): number | null {
  const next = now + retryDelay(attempt, options);
  const deadline = firstAttemptAt + MAX_RETRY_WINDOW_MS * (options.scale ?? 1);
  return next > deadline ? null : next;
}

/**
 * The schedule's scale from `PAYDOC_WEBHOOK_TIME_SCALE` (1 when unset or empty). Throws at
 * start-up on anything but a number in (0, 1]: a scale above 1 would only stretch the
 * three days, and a typo must not silently deliver on the production schedule.
 */
export function timeScaleFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const text = env.PAYDOC_WEBHOOK_TIME_SCALE;
  if (text === undefined || text.trim() === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1)
    throw new Error(`PAYDOC_WEBHOOK_TIME_SCALE is a number in (0, 1], not ${JSON.stringify(text)}`);
  return scale;
}

function checkAttempt(attempt: number): void {
  if (!Number.isSafeInteger(attempt) || attempt < 1)
    throw new RangeError(`an attempt number is an integer from 1: ${attempt}`);
}

function checkScale(scale: number): void {
  if (!Number.isFinite(scale) || scale <= 0)
    throw new RangeError(`a schedule scale is a positive number: ${scale}`);
}
