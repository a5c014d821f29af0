import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../../src/payments/money/format-money.js';
import { expectCode } from './expect-code.js';

describe('formatMoney', () => {
  it.each([
    [1050, 'USD', '10.50 USD'],
    [5, 'EUR', '0.05 EUR'],
    [0, 'GBP', '0.00 GBP'],
    [-1050, 'USD', '-10.50 USD'],
    [-5, 'CHF', '-0.05 CHF'],
    [500, 'JPY', '500 JPY'],
    [-500, 'JPY', '-500 JPY'],
    [1234, 'KWD', '1.234 KWD'],
    [7, 'BHD', '0.007 BHD'],
    [23121, 'BTC', '0.00023121 BTC'],
    [Number.MAX_SAFE_INTEGER, 'BTC', '90071992.54740991 BTC'],
    [Number.MAX_SAFE_INTEGER, 'USD', '90071992547409.91 USD'],
  ])('formats %i %s as %s', (amount, currency, text) => {
    expect(formatMoney({ amount, currency })).toBe(text);
  });

  it('refuses what is not valid Money', () => {
    expectCode(() => formatMoney({ amount: 10.5, currency: 'USD' }), 'money_not_integer');
    expectCode(() => formatMoney({ amount: 1, currency: 'XYZ' }), 'money_unknown_currency');
  });
});
