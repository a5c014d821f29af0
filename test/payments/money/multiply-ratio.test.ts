import { describe, expect, it } from 'vitest';
import type { Money } from '../../../src/payments/money/money.js';
import { multiplyBy, multiplyRatio } from '../../../src/payments/money/multiply-ratio.js';
import { expectCode } from './expect-code.js';

const usd = (amount: number): Money => ({ amount, currency: 'USD' });

describe('multiplyRatio', () => {
  it('takes 20% as 1/5', () => {
    expect(multiplyRatio(usd(1000), 1, 5, 'half-up')).toEqual(usd(200));
    expect(multiplyRatio(usd(1001), 1, 5, 'half-up')).toEqual(usd(200)); // 200.2
    expect(multiplyRatio(usd(1001), 1, 5, 'ceiling')).toEqual(usd(201));
    expect(multiplyRatio(usd(1001), 20n, 100n, 'down')).toEqual(usd(200));
  });

  it('names the rounding of ties', () => {
    expect(multiplyRatio(usd(25), 1, 10, 'half-up')).toEqual(usd(3));
    expect(multiplyRatio(usd(25), 1, 10, 'half-even')).toEqual(usd(2));
    expect(multiplyRatio(usd(-25), 1, 10, 'half-up')).toEqual(usd(-3));
    expect(multiplyRatio(usd(-25), 1, 10, 'floor')).toEqual(usd(-3));
    expect(multiplyRatio(usd(-25), 1, 10, 'down')).toEqual(usd(-2));
  });

  it('allows a negative numerator and normalises -0', () => {
    expect(multiplyRatio(usd(100), -1, 2, 'down')).toEqual(usd(-50));
    expect(Object.is(multiplyRatio(usd(-1), 1, 3, 'down').amount, 0)).toBe(true);
  });

  it('computes products beyond 2^53 exactly', () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(multiplyRatio(usd(max), 3, 3, 'down')).toEqual(usd(max));
    expect(multiplyRatio(usd(max), max, max, 'down')).toEqual(usd(max));
    expect(multiplyBy(usd(max), { numerator: 1, denominator: 2 }, 'half-up')).toEqual(
      usd(4503599627370496),
    );
  });

  it('refuses a result beyond ±(2^53−1) (money_overflow)', () => {
    expectCode(() => multiplyRatio(usd(Number.MAX_SAFE_INTEGER), 2, 1, 'down'), 'money_overflow');
  });

  it('refuses a float ratio (money_not_integer)', () => {
    expectCode(() => multiplyRatio(usd(100), 0.2, 1, 'down'), 'money_not_integer', /numerator/);
    expectCode(
      () => multiplyRatio(usd(100), 1, '5' as unknown as number, 'down'),
      'money_not_integer',
      /not the string "5"/,
    );
    expectCode(() => multiplyRatio(usd(100), 2 ** 60, 1, 'down'), 'money_overflow', /bigint/);
  });

  it('refuses a zero or negative denominator (money_invalid_ratio)', () => {
    expectCode(() => multiplyRatio(usd(100), 1, 0, 'down'), 'money_invalid_ratio');
    expectCode(() => multiplyRatio(usd(100), 1, -5, 'down'), 'money_invalid_ratio');
  });

  it('refuses an unknown rounding mode and a bad amount', () => {
    expectCode(() => multiplyRatio(usd(100), 1, 3, 'round' as 'up'), 'money_invalid_rounding');
    expectCode(() => multiplyRatio(usd(1.5), 1, 3, 'up'), 'money_not_integer');
  });
});
