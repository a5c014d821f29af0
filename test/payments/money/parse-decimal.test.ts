import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURRENCIES } from '../../../src/payments/money/currency.js';
import type { CurrencyCode } from '../../../src/payments/money/currency.js';
import { formatMinor, parseDecimal } from '../../../src/payments/money/money.js';

const currency = fc.constantFrom(...(Object.keys(CURRENCIES) as CurrencyCode[]));

/** The reference: the digits shifted by hand in bigint, the way a person reads "10.50". */
function reference(text: string, code: CurrencyCode): bigint | undefined {
  const [whole = '', fraction = ''] = text.split('.');
  const exponent = CURRENCIES[code];
  if (fraction.replace(/0+$/, '').length > exponent) return undefined;
  return (
    BigInt(whole) * 10n ** BigInt(exponent) +
    BigInt(fraction.padEnd(exponent, '0').slice(0, exponent) || '0')
  );
}

describe('parseDecimal', () => {
  it('reads prices as BitPay merchants write them, exactly', () => {
    expect(parseDecimal('10.5', 'USD')).toEqual({
      ok: true,
      value: { amount: 1050, currency: 'USD' },
    });
    expect(parseDecimal('10.50', 'USD')).toMatchObject({ value: { amount: 1050 } });
    expect(parseDecimal('0.1', 'USD')).toMatchObject({ value: { amount: 10 } });
    expect(parseDecimal('1000', 'JPY')).toMatchObject({ value: { amount: 1000 } });
    expect(parseDecimal('1.000', 'JPY')).toMatchObject({ value: { amount: 1 } });
    expect(parseDecimal('0.00168', 'BTC')).toMatchObject({ value: { amount: 168_000 } });
    expect(parseDecimal('1.234', 'KWD')).toMatchObject({ value: { amount: 1234 } });
    expect(parseDecimal('90071992547409.91', 'USD')).toMatchObject({
      value: { amount: Number.MAX_SAFE_INTEGER },
    });
  });

  it('refuses what is not a plain decimal, more decimals than the currency has, and overflow', () => {
    for (const text of ['1e3', '+1', ' 1', '1,50', '.5', '5.', '', '1.2.3', '0x10', 'NaN', '١٠'])
      expect(parseDecimal(text, 'USD'), text).toMatchObject({
        ok: false,
        code: 'money_invalid_decimal',
      });
    expect(parseDecimal('10.505', 'USD')).toMatchObject({
      ok: false,
      code: 'money_invalid_decimal',
    });
    expect(parseDecimal('1.5', 'JPY')).toMatchObject({ ok: false, code: 'money_invalid_decimal' });
    expect(parseDecimal('-1', 'USD')).toMatchObject({ ok: false, code: 'money_negative' });
    expect(parseDecimal('-1', 'USD', { allowNegative: true })).toMatchObject({
      value: { amount: -100 },
    });
    expect(parseDecimal('90071992547409.92', 'USD')).toMatchObject({
      ok: false,
      code: 'money_overflow',
    });
    expect(parseDecimal('1', 'XAU')).toMatchObject({ ok: false, code: 'money_unknown_currency' });
  });

  it('agrees with the reference, and undoes formatMinor', () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.stringMatching(/^[0-9]{0,10}$/))
      .map(([whole, fraction]) => (fraction === '' ? `${whole}` : `${whole}.${fraction}`));
    fc.assert(
      fc.property(decimal, currency, (text, code) => {
        const parsed = parseDecimal(text, code);
        const expected = reference(text, code);
        if (expected === undefined || expected > BigInt(Number.MAX_SAFE_INTEGER))
          expect(parsed.ok).toBe(false);
        else
          expect(parsed).toEqual({ ok: true, value: { amount: Number(expected), currency: code } });
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), currency, (minor, code) => {
        expect(parseDecimal(formatMinor(minor, code), code)).toEqual({
          ok: true,
          value: { amount: minor, currency: code },
        });
      }),
    );
  });
});
