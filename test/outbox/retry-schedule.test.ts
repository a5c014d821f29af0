import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RetryJitter, RetryScheduleOptions } from '../../src/outbox/retry-schedule.js';
import {
  MAX_RETRY_WINDOW_MS,
  RETRY_MAX_DELAY_MS,
  RETRY_MIN_DELAY_MS,
  nextAttemptAt,
  nominalRetryDelay,
  retryDelay,
  timeScaleFromEnv,
} from '../../src/outbox/retry-schedule.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const attempts = fc.integer({ min: 1, max: 60 });
const randoms = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const jitters = fc.constantFrom<RetryJitter>('equal', 'full', 'none');
const scales = fc.constantFrom(1, 0.5, 0.1, 0.01, 0.001, 0.0001);
// Epoch ms of the first attempt: anywhere from 2020 to 2100.
const firstTimes = fc.integer({ min: 1_577_836_800_000, max: 4_102_444_800_000 });

/** The attempt times of a delivery that always fails, from its first attempt at 0. */
function attemptTimes(options: RetryScheduleOptions): number[] {
  const times = [0];
  for (let attempt = 1; ; attempt += 1) {
    const next = nextAttemptAt(0, attempt, times[times.length - 1] ?? 0, options);
    if (next === null) return times;
    times.push(next);
  }
}

describe('the nominal schedule', () => {
  it('is the documented table: 11 attempts in 62 h 36 min, then none', () => {
    const times = attemptTimes({ random: () => 0, jitter: 'none' });
    const minutes = (h: number, m: number): number => h * HOUR + m * MINUTE;
    expect(times).toEqual([
      0,
      minutes(0, 1),
      minutes(0, 6),
      minutes(0, 31),
      minutes(2, 36),
      minutes(12, 36),
      minutes(22, 36),
      minutes(32, 36),
      minutes(42, 36),
      minutes(52, 36),
      minutes(62, 36),
    ]);
    expect([1, 2, 3, 4, 5, 6].map((attempt) => nominalRetryDelay(attempt))).toEqual([
      MINUTE,
      5 * MINUTE,
      25 * MINUTE,
      125 * MINUTE,
      10 * HOUR,
      10 * HOUR,
    ]);
  });

  it('grows with each attempt until the cap, and never passes it', () => {
    fc.assert(
      fc.property(attempts, scales, (attempt, scale) => {
        const delay = nominalRetryDelay(attempt, scale);
        const following = nominalRetryDelay(attempt + 1, scale);
        expect(following).toBeGreaterThanOrEqual(delay);
        if (nominalRetryDelay(attempt) < RETRY_MAX_DELAY_MS)
          expect(nominalRetryDelay(attempt + 1)).toBeGreaterThan(nominalRetryDelay(attempt));
        expect(delay).toBeLessThanOrEqual(Math.round(RETRY_MAX_DELAY_MS * scale));
      }),
    );
  });

  it('reaches the cap and stays there for any attempt number', () => {
    expect(nominalRetryDelay(1_000_000)).toBe(RETRY_MAX_DELAY_MS);
    expect(nominalRetryDelay(Number.MAX_SAFE_INTEGER)).toBe(RETRY_MAX_DELAY_MS);
  });

  it('refuses an attempt number that is not an integer from 1, and a scale that is not positive', () => {
    for (const attempt of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => nominalRetryDelay(attempt)).toThrow(RangeError);
    for (const scale of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => nominalRetryDelay(1, scale)).toThrow(RangeError);
  });
});

describe('the jitter', () => {
  it('stays in its bounds: [n/2, n] equal, [30 s, n] full, n none', () => {
    fc.assert(
      fc.property(attempts, randoms, jitters, scales, (attempt, r, jitter, scale) => {
        const nominal = nominalRetryDelay(attempt, scale);
        const delay = retryDelay(attempt, { random: () => r, jitter, scale });
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeLessThanOrEqual(nominal);
        expect(delay).toBeLessThanOrEqual(Math.round(RETRY_MAX_DELAY_MS * scale));
        const floor =
          jitter === 'equal'
            ? Math.floor(nominal / 2)
            : jitter === 'full'
              ? Math.round(RETRY_MIN_DELAY_MS * scale)
              : nominal;
        expect(delay).toBeGreaterThanOrEqual(floor);
        expect(delay).toBeGreaterThanOrEqual(Math.round(RETRY_MIN_DELAY_MS * scale));
      }),
    );
  });

  it('is equal jitter unless told', () => {
    expect(retryDelay(1, { random: () => 0 })).toBe(MINUTE / 2);
    expect(retryDelay(1, { random: () => 0.5 })).toBe(0.75 * MINUTE);
  });

  it('spreads delays over the range (it is not stuck at one end)', () => {
    const delays = [0.1, 0.25, 0.5, 0.75, 0.999].map((r) =>
      retryDelay(3, { random: () => r, jitter: 'full' }),
    );
    expect(new Set(delays).size).toBe(5);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
  });

  it('keeps a misbehaving random() within the bounds', () => {
    for (const r of [Number.NaN, -5, 1, 7, Number.POSITIVE_INFINITY]) {
      for (const jitter of ['equal', 'full'] as const) {
        const delay = retryDelay(2, { random: () => r, jitter });
        expect(delay).toBeGreaterThanOrEqual(RETRY_MIN_DELAY_MS);
        expect(delay).toBeLessThanOrEqual(5 * MINUTE);
      }
    }
  });
});

describe('nextAttemptAt', () => {
  it('is now plus the delay, or null exactly when that is past the window', () => {
    fc.assert(
      fc.property(
        firstTimes,
        attempts,
        fc.double({ min: 0, max: 1.2, noNaN: true }),
        randoms,
        jitters,
        scales,
        (first, attempt, progress, r, jitter, scale) => {
          const options = { random: () => r, jitter, scale };
          const now = first + Math.round(progress * MAX_RETRY_WINDOW_MS * scale);
          const next = nextAttemptAt(first, attempt, now, options);
          const candidate = now + retryDelay(attempt, options);
          const deadline = first + MAX_RETRY_WINDOW_MS * scale;
          if (candidate > deadline) expect(next).toBeNull();
          else {
            expect(next).toBe(candidate);
            expect(next).toBeGreaterThanOrEqual(now);
            expect(next).toBeLessThanOrEqual(deadline);
          }
        },
      ),
    );
  });

  it('gives up at the 72 h edge, not a ms later', () => {
    const options = { random: () => 0, jitter: 'none' as const };
    const delay = nominalRetryDelay(9);
    expect(nextAttemptAt(0, 9, MAX_RETRY_WINDOW_MS - delay, options)).toBe(MAX_RETRY_WINDOW_MS);
    expect(nextAttemptAt(0, 9, MAX_RETRY_WINDOW_MS - delay + 1, options)).toBeNull();
    expect(nextAttemptAt(0, 1, MAX_RETRY_WINDOW_MS + 1, options)).toBeNull();
  });

  it('keeps every schedule within 72 h and finite, at most 19 attempts with equal jitter', () => {
    fc.assert(
      fc.property(fc.array(randoms, { minLength: 1, maxLength: 30 }), jitters, (draws, jitter) => {
        let i = 0;
        const random = (): number => draws[i++ % draws.length] ?? 0;
        const times = attemptTimes({ random, jitter });
        expect(times[times.length - 1]).toBeLessThanOrEqual(MAX_RETRY_WINDOW_MS);
        if (jitter !== 'full') expect(times.length).toBeLessThanOrEqual(19);
        else expect(times.length).toBeLessThanOrEqual(MAX_RETRY_WINDOW_MS / RETRY_MIN_DELAY_MS + 1);
        if (jitter === 'none') expect(times).toHaveLength(11);
      }),
    );
  });
});

describe('the scale', () => {
  it('scales every nominal delay', () => {
    fc.assert(
      fc.property(attempts, scales, (attempt, scale) => {
        expect(nominalRetryDelay(attempt, scale)).toBe(
          Math.round(nominalRetryDelay(attempt) * scale),
        );
      }),
    );
  });

  it('compresses the whole schedule: at 0.001 the three days are about 4.3 minutes', () => {
    const atScale = attemptTimes({ random: () => 0, jitter: 'none', scale: 0.001 });
    const unscaled = attemptTimes({ random: () => 0, jitter: 'none' });
    expect(atScale).toHaveLength(unscaled.length);
    atScale.forEach((time, index) =>
      expect(Math.abs(time - (unscaled[index] ?? 0) * 0.001)).toBeLessThanOrEqual(index),
    );
    expect(MAX_RETRY_WINDOW_MS * 0.001).toBe(259_200);
    expect(atScale[atScale.length - 1]).toBeLessThanOrEqual(259_200);
  });

  it('is read from PAYDOC_WEBHOOK_TIME_SCALE, 1 when unset', () => {
    expect(timeScaleFromEnv({})).toBe(1);
    expect(timeScaleFromEnv({ PAYDOC_WEBHOOK_TIME_SCALE: '' })).toBe(1);
    expect(timeScaleFromEnv({ PAYDOC_WEBHOOK_TIME_SCALE: '0.001' })).toBe(0.001);
    expect(timeScaleFromEnv({ PAYDOC_WEBHOOK_TIME_SCALE: '1' })).toBe(1);
    for (const text of ['0', '-1', '2', 'fast', 'NaN', 'Infinity'])
      expect(() => timeScaleFromEnv({ PAYDOC_WEBHOOK_TIME_SCALE: text })).toThrow(
        /PAYDOC_WEBHOOK_TIME_SCALE/,
      );
  });
});
