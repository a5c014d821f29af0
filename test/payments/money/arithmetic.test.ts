import { describe, expect, it } from 'vitest';
import {
  add,
  compare,
  equals,
  max,
  min,
  subtract,
  subtractNonNegative,
  sum,
} from '../../../src/payments/money/arithmetic.js';
import type { Money } from '../../../src/payments/money/money.js';
import { expectCode } from './expect-code.js';

const usd = (amount: number): Money => ({ amount, currency: 'USD' });
const eur = (amount: number): Money => ({ amount, currency: 'EUR' });
const MAX = Number.MAX_SAFE_INTEGER;

describe('add and subtract', () => {
  it('add and subtract in minor units', () => {
    expect(add(usd(1050), usd(25))).toEqual(usd(1075));
    expect(subtract(usd(1050), usd(50))).toEqual(usd(1000));
    expect(subtract(usd(10), usd(25))).toEqual(usd(-15));
    expect(add(usd(MAX), usd(-MAX))).toEqual(usd(0));
  });

  it('reach ±(2^53−1) but not beyond (money_overflow)', () => {
    expect(add(usd(MAX - 1), usd(1))).toEqual(usd(MAX));
    expectCode(() => add(usd(MAX), usd(1)), 'money_overflow', /add: .*beyond/);
    expectCode(() => subtract(usd(-MAX), usd(1)), 'money_overflow');
    expectCode(() => subtract(usd(MAX), usd(-MAX)), 'money_overflow');
  });

  it('refuse mixed currencies (money_currency_mismatch)', () => {
    expectCode(() => add(usd(1), eur(1)), 'money_currency_mismatch', /cannot combine USD with EUR/);
    expectCode(() => subtract(usd(1), eur(1)), 'money_currency_mismatch');
  });

  it('refuse operands that are not valid Money', () => {
    expectCode(() => add(usd(1.5), usd(1)), 'money_not_integer', /first amount/);
    expectCode(() => add(usd(1), usd(Number.NaN)), 'money_not_integer', /second amount/);
    expectCode(() => add(usd(1), { amount: 1, currency: 'XXX' }), 'money_unknown_currency');
    expectCode(() => add(usd(2 ** 60), usd(1)), 'money_overflow');
    expectCode(() => add(null as unknown as Money, usd(1)), 'money_not_integer');
  });
});

describe('subtractNonNegative', () => {
  it('subtracts down to zero', () => {
    expect(subtractNonNegative(usd(500), usd(500))).toEqual(usd(0));
    expect(subtractNonNegative(usd(500), usd(120))).toEqual(usd(380));
  });

  it('refuses to go below zero (money_negative)', () => {
    expectCode(
      () => subtractNonNegative(usd(500), usd(501)),
      'money_negative',
      /cannot subtract 5\.01 USD from 5\.00 USD/,
    );
  });

  it('still refuses mixed currencies', () => {
    expectCode(() => subtractNonNegative(usd(5), eur(1)), 'money_currency_mismatch');
  });
});

describe('compare, equals, min, max', () => {
  it('orders amounts of one currency', () => {
    expect(compare(usd(1), usd(2))).toBe(-1);
    expect(compare(usd(2), usd(2))).toBe(0);
    expect(compare(usd(3), usd(2))).toBe(1);
    expect(equals(usd(3), usd(3))).toBe(true);
    expect([usd(3), usd(-1), usd(2)].sort(compare)).toEqual([usd(-1), usd(2), usd(3)]);
  });

  it('min and max take one or more amounts', () => {
    expect(min(usd(3))).toEqual(usd(3));
    expect(min(usd(3), usd(1), usd(2))).toEqual(usd(1));
    expect(max(usd(3), usd(1), usd(7))).toEqual(usd(7));
  });

  it('refuse mixed currencies', () => {
    expectCode(() => compare(usd(1), eur(1)), 'money_currency_mismatch');
    expectCode(() => equals(usd(1), eur(1)), 'money_currency_mismatch');
    expectCode(() => min(usd(1), eur(0)), 'money_currency_mismatch');
    expectCode(() => max(usd(1), usd(2), eur(0)), 'money_currency_mismatch');
    expectCode(() => max(usd(1.5)), 'money_not_integer');
  });
});

describe('sum', () => {
  it('adds a list, zero when empty', () => {
    expect(sum([usd(1), usd(2), usd(3)], 'USD')).toEqual(usd(6));
    expect(sum([], 'JPY')).toEqual({ amount: 0, currency: 'JPY' });
  });

  it('is exact on the way and checks only the total', () => {
    expect(sum([usd(MAX), usd(MAX), usd(-MAX)], 'USD')).toEqual(usd(MAX));
    expectCode(() => sum([usd(MAX), usd(1)], 'USD'), 'money_overflow', /sum/);
  });

  it('refuses items in another currency, and an unknown currency', () => {
    expectCode(() => sum([usd(1), eur(2)], 'USD'), 'money_currency_mismatch', /amounts\[1\]/);
    expectCode(() => sum([usd(1)], 'EUR'), 'money_currency_mismatch');
    expectCode(() => sum([], 'XYZ'), 'money_unknown_currency');
    expectCode(() => sum([usd(0.5)], 'USD'), 'money_not_integer', /amounts\[0\]/);
  });
});
