import { describe, expect, it } from 'vitest';
import { money, parseMoney, unwrap, zero } from '../../../src/payments/money/money.js';
import { expectCode } from './expect-code.js';

describe('parseMoney', () => {
  it('accepts an integer amount of minor units in a known currency', () => {
    expect(parseMoney(1050, 'USD')).toEqual({ ok: true, value: { amount: 1050, currency: 'USD' } });
    expect(parseMoney(0, 'JPY')).toEqual({ ok: true, value: { amount: 0, currency: 'JPY' } });
    expect(parseMoney(Number.MAX_SAFE_INTEGER, 'BTC').ok).toBe(true);
  });

  it('turns -0 into 0', () => {
    const result = parseMoney(-0, 'USD');
    expect(result.ok && Object.is(result.value.amount, 0)).toBe(true);
  });

  it.each([
    ['a float', 10.5, 'money_not_integer', /10\.5 is not an integer number of minor units of USD/],
    ['a string', '100', 'money_not_integer', /not a string \("100"\)/],
    ['NaN', Number.NaN, 'money_not_integer', /finite integer.*not NaN/],
    ['Infinity', Number.POSITIVE_INFINITY, 'money_not_integer', /not Infinity/],
    ['-Infinity', Number.NEGATIVE_INFINITY, 'money_not_integer', /not -Infinity/],
    ['null', null, 'money_not_integer', /not null/],
    ['undefined', undefined, 'money_not_integer', /not a undefined/],
    ['a bigint', 100n, 'money_not_integer', /not a bigint/],
    ['a list', [100], 'money_not_integer', /not a list/],
    ['2^53', 2 ** 53, 'money_overflow', /beyond ±\(2\^53−1\)/],
    ['-(2^53)', -(2 ** 53), 'money_overflow', /beyond/],
    ['a negative amount', -1, 'money_negative', /must not be negative, got -1 \(-0\.01\)/],
  ])('refuses %s', (_name, amount, code, message) => {
    const result = parseMoney(amount, 'USD');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe(code);
    expect(result.message).toMatch(message);
  });

  it('hints at minor units when an amount looks like major units', () => {
    const result = parseMoney(10.5, 'USD');
    expect(!result.ok && result.message).toMatch(/10\.50 USD is 1050/);
    const yen = parseMoney(10.5, 'JPY');
    expect(!yen.ok && yen.message).toMatch(/JPY has no minor unit/);
  });

  it('refuses an unknown currency, and a currency that is not a string', () => {
    expect(parseMoney(100, 'XYZ')).toMatchObject({ ok: false, code: 'money_unknown_currency' });
    expect(parseMoney(100, 'eur')).toMatchObject({
      ok: false,
      code: 'money_unknown_currency',
      message: expect.stringMatching(/'EUR'/),
    });
    expect(parseMoney(100, undefined)).toMatchObject({ ok: false, code: 'money_unknown_currency' });
  });

  it('accepts a negative amount when asked to', () => {
    expect(parseMoney(-250, 'EUR', { allowNegative: true })).toEqual({
      ok: true,
      value: { amount: -250, currency: 'EUR' },
    });
  });
});

describe('money and zero', () => {
  it('make Money of good input', () => {
    expect(money(1050, 'USD')).toEqual({ amount: 1050, currency: 'USD' });
    expect(zero('KWD')).toEqual({ amount: 0, currency: 'KWD' });
  });

  it('throw PaydocError with the code parseMoney reports', () => {
    expectCode(() => money(10.5, 'USD'), 'money_not_integer');
    expectCode(() => money('100' as unknown as number, 'USD'), 'money_not_integer');
    expectCode(() => money(2 ** 53, 'USD'), 'money_overflow');
    expectCode(() => money(-1, 'USD'), 'money_negative');
    expectCode(() => money(1, 'ABC'), 'money_unknown_currency');
    expectCode(() => zero('ABC'), 'money_unknown_currency');
  });

  it('unwrap returns the value or throws the failure', () => {
    expect(unwrap(parseMoney(5, 'GBP'))).toEqual({ amount: 5, currency: 'GBP' });
    expectCode(() => unwrap(parseMoney(5, 'gbp')), 'money_unknown_currency');
  });
});
