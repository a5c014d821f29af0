import { describe, expect, it } from 'vitest';
import { allocate } from '../../../src/payments/money/allocate.js';
import type { Money } from '../../../src/payments/money/money.js';
import { expectCode } from './expect-code.js';

const usd = (amount: number): Money => ({ amount, currency: 'USD' });
const amounts = (parts: Money[]): number[] => parts.map((part) => part.amount);

describe('allocate', () => {
  it('splits 1000 in three as 334, 333, 333', () => {
    expect(allocate(usd(1000), [1, 1, 1])).toEqual([usd(334), usd(333), usd(333)]);
  });

  it('gives the leftover units to the largest remainders, then to earlier parts', () => {
    expect(amounts(allocate(usd(1001), [70, 30]))).toEqual([701, 300]);
    expect(amounts(allocate(usd(100), [1, 2]))).toEqual([33, 67]); // 33.3, 66.7
    expect(amounts(allocate(usd(5), [1, 1, 1, 1, 1, 1, 1]))).toEqual([1, 1, 1, 1, 1, 0, 0]);
    expect(amounts(allocate(usd(2), [1, 3, 1, 3]))).toEqual([0, 1, 0, 1]);
  });

  it('gives a zero ratio nothing', () => {
    expect(amounts(allocate(usd(1000), [0, 1, 0, 2]))).toEqual([0, 333, 0, 667]);
    expect(amounts(allocate(usd(7), [0, 5]))).toEqual([0, 7]);
  });

  it('splits a negative amount as the mirror image', () => {
    expect(amounts(allocate(usd(-1000), [1, 1, 1]))).toEqual([-334, -333, -333]);
  });

  it('splits zero into zeros', () => {
    expect(amounts(allocate(usd(0), [1, 2]))).toEqual([0, 0]);
  });

  it('takes bigint ratios, and is exact for large amounts and ratios', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const parts = allocate(usd(max), [2n ** 60n, 2n ** 60n, 1n]);
    expect(parts.reduce((total, part) => total + BigInt(part.amount), 0n)).toBe(BigInt(max));
    // shares ≈ 4503599627370495.4999…, the same, 0.0039…: the leftover unit goes to the first
    expect(amounts(parts)).toEqual([4503599627370496, 4503599627370495, 0]);
  });

  it('keeps the currency', () => {
    expect(allocate({ amount: 10, currency: 'JPY' }, [1, 1])).toEqual([
      { amount: 5, currency: 'JPY' },
      { amount: 5, currency: 'JPY' },
    ]);
  });

  it('refuses no ratios, negative ratios and all-zero ratios (money_invalid_ratio)', () => {
    expectCode(() => allocate(usd(100), []), 'money_invalid_ratio', /at least one ratio/);
    expectCode(() => allocate(usd(100), [1, -1]), 'money_invalid_ratio', /ratios\[1\]/);
    expectCode(() => allocate(usd(100), [0, 0]), 'money_invalid_ratio', /above zero/);
  });

  it('refuses float ratios and bad amounts', () => {
    expectCode(() => allocate(usd(100), [0.5, 0.5]), 'money_not_integer', /ratios\[0\]/);
    expectCode(() => allocate(usd(10.5), [1]), 'money_not_integer');
    expectCode(() => allocate({ amount: 1, currency: 'ZZZ' }, [1]), 'money_unknown_currency');
  });
});
