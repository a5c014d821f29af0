import { describe, expect, it } from 'vitest';
import { convert, fiatToSatoshis } from '../../../src/payments/money/convert.js';
import type { Money } from '../../../src/payments/money/money.js';
import { expectCode } from './expect-code.js';

const usd = (amount: number): Money => ({ amount, currency: 'USD' });
const btc = (amount: number): Money => ({ amount, currency: 'BTC' });

describe('convert', () => {
  it('applies a rate in major units and the exponents of both currencies', () => {
    // 1 USD = 0.92 EUR
    expect(convert(usd(1000), 'EUR', { numerator: 92, denominator: 100 }, 'half-even')).toEqual({
      amount: 920,
      currency: 'EUR',
    });
    // 1 USD = 151.37 JPY: 10.00 USD = 1513.7 JPY
    expect(convert(usd(1000), 'JPY', { numerator: 15137, denominator: 100 }, 'half-up')).toEqual({
      amount: 1514,
      currency: 'JPY',
    });
    // 1 KWD = 3.25 USD: 1.500 KWD = 4.875 USD
    expect(
      convert(
        { amount: 1500, currency: 'KWD' },
        'USD',
        { numerator: 325, denominator: 100 },
        'down',
      ),
    ).toEqual(usd(487));
  });

  it('converts fiat to satoshis at a USD-per-BTC price', () => {
    // 43,250.17 USD per BTC → 1 USD = 100/4,325,017 BTC; 10.00 USD = 23,121.3… sat
    const rate = { numerator: 100n, denominator: 4_325_017n };
    expect(convert(usd(1000), 'BTC', rate, 'up')).toEqual(btc(23122));
    expect(convert(usd(1000), 'BTC', rate, 'down')).toEqual(btc(23121));
  });

  it('converts satoshis back to fiat', () => {
    // 1 BTC = 43,250.17 USD; 0.5 BTC = 21,625.085 USD
    const rate = { numerator: 4_325_017, denominator: 100 };
    expect(convert(btc(50_000_000), 'USD', rate, 'half-up')).toEqual(usd(2_162_509));
    expect(convert(btc(50_000_000), 'USD', rate, 'half-even')).toEqual(usd(2_162_508));
  });

  it('converts negative amounts to negative amounts', () => {
    expect(convert(usd(-1000), 'EUR', { numerator: 92, denominator: 100 }, 'down')).toEqual({
      amount: -920,
      currency: 'EUR',
    });
  });

  it('refuses unknown currencies, bad rates and overflow', () => {
    const rate = { numerator: 1, denominator: 1 };
    expectCode(() => convert(usd(1), 'XYZ', rate, 'down'), 'money_unknown_currency');
    expectCode(
      () => convert({ amount: 1, currency: 'XYZ' }, 'USD', rate, 'down'),
      'money_unknown_currency',
    );
    expectCode(
      () => convert(usd(1), 'EUR', { numerator: 0, denominator: 1 }, 'down'),
      'money_invalid_ratio',
      /above zero/,
    );
    expectCode(
      () => convert(usd(1), 'EUR', { numerator: -1, denominator: 1 }, 'down'),
      'money_invalid_ratio',
    );
    expectCode(
      () => convert(usd(1), 'EUR', { numerator: 1, denominator: 0 }, 'down'),
      'money_invalid_ratio',
    );
    expectCode(
      () => convert(usd(1), 'EUR', { numerator: 0.92, denominator: 1 }, 'down'),
      'money_not_integer',
    );
    expectCode(
      () => convert(usd(Number.MAX_SAFE_INTEGER), 'BTC', rate, 'down'),
      'money_overflow',
      /convert USD → BTC/,
    );
    expectCode(() => convert(usd(1), 'EUR', rate, 'nearest' as 'up'), 'money_invalid_rounding');
  });
});

describe('fiatToSatoshis', () => {
  it('computes price × 10^8 / rate, rounded as named', () => {
    // 10.00 USD at 43,250.17 USD/BTC = 23,121.3… sat; BitPay rounds up
    expect(fiatToSatoshis(1000, 'USD', 4_325_017, 'up')).toEqual(btc(23122));
    expect(fiatToSatoshis(1000, 'USD', 4_325_017n, 'half-even')).toEqual(btc(23121));
    // 1,000 JPY at 6,500,000 JPY/BTC = 15,384.6… sat
    expect(fiatToSatoshis(1000, 'JPY', 6_500_000, 'up')).toEqual(btc(15385));
    expect(fiatToSatoshis(1000, 'JPY', 6_500_000, 'down')).toEqual(btc(15384));
    // exact: 1 BTC worth
    expect(fiatToSatoshis(4_325_017, 'USD', 4_325_017, 'up')).toEqual(btc(100_000_000));
    expect(fiatToSatoshis(0, 'EUR', 1, 'up')).toEqual(btc(0));
  });

  it('agrees with convert at the same rate', () => {
    expect(fiatToSatoshis(1999, 'EUR', 3_987_654, 'up')).toEqual(
      convert(
        { amount: 1999, currency: 'EUR' },
        'BTC',
        { numerator: 100, denominator: 3_987_654 },
        'up',
      ),
    );
  });

  it('refuses bad prices', () => {
    expectCode(() => fiatToSatoshis(10.5, 'USD', 1, 'up'), 'money_not_integer');
    expectCode(() => fiatToSatoshis(-1, 'USD', 1, 'up'), 'money_negative');
    expectCode(() => fiatToSatoshis(100, 'usd', 1, 'up'), 'money_unknown_currency');
  });

  it('refuses bad rates and results beyond 2^53−1', () => {
    expectCode(() => fiatToSatoshis(100, 'USD', 0, 'up'), 'money_invalid_ratio');
    expectCode(() => fiatToSatoshis(100, 'USD', -5, 'up'), 'money_invalid_ratio');
    expectCode(() => fiatToSatoshis(100, 'USD', 4325017.5, 'up'), 'money_not_integer');
    expectCode(() => fiatToSatoshis(100, 'USD', 100, 'nearest' as 'up'), 'money_invalid_rounding');
    expectCode(
      () => fiatToSatoshis(Number.MAX_SAFE_INTEGER, 'USD', 1, 'up'),
      'money_overflow',
      /fiatToSatoshis/,
    );
  });
});
