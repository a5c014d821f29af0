import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PaydocError } from '../../../src/errors/paydoc-error.js';
import { allocate } from '../../../src/payments/money/allocate.js';
import { add, compare, subtract, sum } from '../../../src/payments/money/arithmetic.js';
import { convert, fiatToSatoshis } from '../../../src/payments/money/convert.js';
import { CURRENCIES } from '../../../src/payments/money/currency.js';
import { formatMoney } from '../../../src/payments/money/format-money.js';
import type { Money } from '../../../src/payments/money/money.js';
import { multiplyRatio } from '../../../src/payments/money/multiply-ratio.js';
import type { RoundingMode } from '../../../src/payments/money/rounding.js';
import { ROUNDING_MODES } from '../../../src/payments/money/rounding.js';

const MAX = Number.MAX_SAFE_INTEGER;
const currency = fc.constantFrom(...Object.keys(CURRENCIES));
const safeAmount = fc.integer({ min: -MAX, max: MAX });
// Amounts of every size: small ones (where rounding shows) as often as huge ones.
const amount = fc.oneof(fc.integer({ min: -10_000, max: 10_000 }), safeAmount);
const money = fc.record({ amount, currency });
const mode = fc.constantFrom(...ROUNDING_MODES);

function isSafeMoney(value: Money): boolean {
  return Number.isSafeInteger(value.amount);
}

/** What `action` returns, or the code of the PaydocError it throws. */
function attempt<T>(action: () => T): T | string {
  try {
    return action();
  } catch (error) {
    if (error instanceof PaydocError) return error.code;
    throw error;
  }
}

describe('allocate (properties)', () => {
  const ratios = fc
    .array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: MAX })), {
      minLength: 1,
      maxLength: 12,
    })
    .filter((list) => list.some((ratio) => ratio > 0));

  it('sums to the total, and every part is its exact share rounded down or up', () => {
    fc.assert(
      fc.property(money, ratios, (total, weights) => {
        const parts = allocate(total, weights);
        expect(parts).toHaveLength(weights.length);
        expect(parts.every((part) => part.currency === total.currency && isSafeMoney(part))).toBe(
          true,
        );
        expect(parts.reduce((done, part) => done + BigInt(part.amount), 0n)).toBe(
          BigInt(total.amount),
        );
        const totalWeight = weights.reduce((done, weight) => done + BigInt(weight), 0n);
        parts.forEach((part, index) => {
          // |part − amount × ratio / totalWeight| < 1, in integers
          const gap =
            BigInt(part.amount) * totalWeight -
            BigInt(total.amount) * BigInt(weights[index] as number);
          expect(gap < totalWeight && gap > -totalWeight).toBe(true);
          if (weights[index] === 0) expect(part.amount).toBe(0);
        });
      }),
    );
  });

  it('gives equal ratios parts that differ by at most one minor unit, the larger ones first', () => {
    fc.assert(
      fc.property(
        money,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 1000 }),
        (total, count, ratio) => {
          const parts = allocate(
            total,
            Array.from({ length: count }, () => ratio),
          ).map((part) => part.amount);
          expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
          const magnitudes = parts.map(Math.abs);
          expect([...magnitudes].sort((a, b) => b - a)).toEqual(magnitudes);
        },
      ),
    );
  });
});

describe('add and subtract (properties)', () => {
  const pair = fc.tuple(amount, amount, currency).map(
    ([a, b, code]) =>
      [
        { amount: a, currency: code },
        { amount: b, currency: code },
      ] as const,
  );

  it('subtract undoes add, and add undoes subtract, whenever they do not overflow', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const total = attempt(() => add(a, b));
        const exact = BigInt(a.amount) + BigInt(b.amount);
        if (exact > BigInt(MAX) || exact < -BigInt(MAX)) {
          expect(total).toBe('money_overflow');
          return;
        }
        if (typeof total === 'string') throw new Error(total);
        expect(isSafeMoney(total)).toBe(true);
        expect(subtract(total, b)).toEqual(a);
        expect(add(b, a)).toEqual(total);
        expect(sum([a, b], a.currency)).toEqual(total);
        const difference = attempt(() => subtract(a, b));
        if (typeof difference !== 'string') {
          expect(add(difference, b)).toEqual(a);
          expect(compare(a, b)).toBe(Math.sign(difference.amount) || 0);
        } else {
          expect(difference).toBe('money_overflow');
        }
      }),
    );
  });
});

describe('multiplyRatio (properties)', () => {
  const numerator = fc.oneof(fc.integer({ min: -1000, max: 1000 }), safeAmount);
  const denominator = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: MAX }));

  it('is within one minor unit of the exact rational, in the order floor ≤ half-* ≤ ceiling', () => {
    fc.assert(
      fc.property(money, numerator, denominator, (value, n, d) => {
        const results = new Map<RoundingMode, number>();
        for (const rounding of ROUNDING_MODES) {
          const result = attempt(() => multiplyRatio(value, n, d, rounding));
          if (typeof result === 'string') {
            expect(result).toBe('money_overflow');
            return;
          }
          expect(isSafeMoney(result)).toBe(true);
          expect(result.currency).toBe(value.currency);
          // |result − amount × n / d| < 1, in integers
          const gap = BigInt(result.amount) * BigInt(d) - BigInt(value.amount) * BigInt(n);
          expect(gap < BigInt(d) && gap > -BigInt(d)).toBe(true);
          results.set(rounding, result.amount);
        }
        const get = (rounding: RoundingMode): number => results.get(rounding) as number;
        const floor = get('floor');
        const ceiling = get('ceiling');
        expect(ceiling - floor).toBeLessThanOrEqual(1);
        for (const rounding of ['half-up', 'half-even', 'down', 'up'] as const) {
          expect(get(rounding)).toBeGreaterThanOrEqual(floor);
          expect(get(rounding)).toBeLessThanOrEqual(ceiling);
        }
        expect(Math.abs(get('down'))).toBeLessThanOrEqual(Math.abs(get('up')));
        const exact = (BigInt(value.amount) * BigInt(n)) % BigInt(d) === 0n;
        if (exact) expect(new Set(results.values()).size).toBe(1);
      }),
    );
  });
});

describe('convert and fiatToSatoshis (properties)', () => {
  const price = fc.integer({ min: 0, max: 1_000_000_000 });
  // At least 1,000 minor units per BTC, so that the largest price stays within 2^53 satoshis.
  const rate = fc.integer({ min: 1_000, max: 10_000_000_000 });

  it('round as named and agree with each other', () => {
    fc.assert(
      fc.property(
        price,
        fc.constantFrom('USD', 'JPY', 'KWD'),
        rate,
        mode,
        (minor, code, perBtc, rounding) => {
          const satoshis = fiatToSatoshis(minor, code, perBtc, rounding);
          expect(isSafeMoney(satoshis)).toBe(true);
          expect(satoshis.currency).toBe('BTC');
          const exponent = CURRENCIES[code as keyof typeof CURRENCIES];
          expect(
            convert(
              { amount: minor, currency: code },
              'BTC',
              { numerator: 10 ** exponent, denominator: perBtc },
              rounding,
            ),
          ).toEqual(satoshis);
          const down = fiatToSatoshis(minor, code, perBtc, 'down').amount;
          const up = fiatToSatoshis(minor, code, perBtc, 'up').amount;
          expect(up - down).toBeLessThanOrEqual(1);
          // rounding up never asks for less than the price
          expect(BigInt(up) * BigInt(perBtc)).toBeGreaterThanOrEqual(BigInt(minor) * 100_000_000n);
        },
      ),
    );
  });
});

describe('formatMoney (properties)', () => {
  it('writes the amount exactly, with the currency’s number of decimals', () => {
    fc.assert(
      fc.property(money, (value) => {
        const text = formatMoney(value);
        const [number, code] = text.split(' ');
        expect(code).toBe(value.currency);
        const exponent = CURRENCIES[value.currency as keyof typeof CURRENCIES];
        const decimals = number?.split('.')[1] ?? '';
        expect(decimals).toHaveLength(exponent);
        expect(BigInt((number ?? '').replace('.', ''))).toBe(BigInt(value.amount));
      }),
    );
  });
});
