import { describe, expect, it } from 'vitest';
import { CURRENCIES, currencyOf, isCurrencyCode } from '../../../src/payments/money/currency.js';
import { expectCode } from './expect-code.js';

describe('currencyOf', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['CHF', 2],
    ['PLN', 2],
    ['JPY', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['BTC', 8],
  ])('knows %s has exponent %i', (code, exponent) => {
    expect(currencyOf(code)).toEqual({ code, exponent });
  });

  it('lists exactly the supported currencies', () => {
    expect(Object.keys(CURRENCIES).sort()).toEqual(
      [
        ...['USD', 'EUR', 'GBP', 'CHF', 'PLN', 'CAD', 'AUD', 'NZD', 'SEK', 'NOK', 'DKK'],
        ...['CZK', 'HUF', 'SGD', 'HKD', 'MXN', 'BRL', 'INR', 'CNY', 'ZAR', 'ILS', 'TRY'],
        ...['JPY', 'KRW', 'ISK', 'CLP', 'VND', 'KWD', 'BHD', 'OMR', 'JOD', 'TND', 'BTC'],
      ].sort(),
    );
  });

  it('throws money_unknown_currency for an unknown code', () => {
    expectCode(() => currencyOf('XYZ'), 'money_unknown_currency', /unknown currency 'XYZ'/);
  });

  it('is case-sensitive and hints at the upper-case code', () => {
    expectCode(() => currencyOf('usd'), 'money_unknown_currency', /upper case: 'USD'/);
  });

  it('does not take inherited property names for currencies', () => {
    expect(isCurrencyCode('toString')).toBe(false);
    expect(isCurrencyCode('__proto__')).toBe(false);
    expectCode(() => currencyOf('constructor'), 'money_unknown_currency');
  });

  it('refuses a code that is not a string', () => {
    expectCode(() => currencyOf(42 as unknown as string), 'money_unknown_currency', /not a number/);
  });
});
