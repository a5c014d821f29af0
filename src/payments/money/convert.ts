import { PaydocError } from '../../errors/paydoc-error.js';
import { CURRENCIES, currencyOf } from './currency.js';
import type { Money } from './money.js';
import { checkMoney, formatMinor, moneyFromBigInt, parseMoney, unwrap } from './money.js';
import type { Ratio } from './ratio.js';
import { integerArgument, ratioParts } from './ratio.js';
import type { RoundingMode } from './rounding.js';
import { divideRounded } from './rounding.js';

/**
 * An exchange rate, quoted the way people quote them: one whole unit of the source currency
 * is worth `numerator / denominator` whole units of the target currency. 1 USD = 0.92 EUR is
 * `{ numerator: 92, denominator: 100 }`; at 43,250.17 USD per bitcoin, USD → BTC is
 * `{ numerator: 100, denominator: 4_325_017 }` (1 USD = 100/4,325,017 BTC). Major units, not
 * minor ones, so that the rate does not change with the currencies' exponents; {@link convert}
 * applies the exponents.
 */
export type ExchangeRate = Ratio;

/**
 * `amount` in `toCurrency` at `rate` (see {@link ExchangeRate}), rounded once by `mode`:
 * `amount × numerator × 10^exponent(to) / (denominator × 10^exponent(from))`, exact in bigint.
 * A negative amount converts to a negative one. Converting to the amount's own currency is
 * allowed (the rate then is a plain multiplier).
 *
 * @throws PaydocError `money_unknown_currency`, `money_not_integer`, `money_invalid_ratio` (a
 *   rate of zero or less), `money_invalid_rounding`, `money_overflow`.
 */
export function convert(
  amount: Money,
  toCurrency: string,
  rate: ExchangeRate,
  mode: RoundingMode,
): Money {
  const from = currencyOf(checkMoney(amount));
  const to = currencyOf(toCurrency);
  const { numerator, denominator } = ratioParts(rate, 'rate', false);
  if (numerator === 0n) throw new PaydocError('money_invalid_ratio', 'rate must be above zero');
  const exact = divideRounded(
    BigInt(amount.amount) * numerator * 10n ** BigInt(to.exponent),
    denominator * 10n ** BigInt(from.exponent),
    mode,
  );
  return moneyFromBigInt(exact, to.code, `convert ${from.code} → ${to.code}`);
}

/**
 * The price of an invoice in satoshis, as BitPay computes `btcPrice`:
 * `satoshis = priceMinor × 10^8 / rateMinorPerBtc`, rounded by `mode` (BitPay rounds `up`, so
 * that the payer never sends less than the price). `rateMinorPerBtc` is the price of one
 * bitcoin in the fiat currency's minor units: 43,250.17 USD per BTC is `4_325_017`; 6,500,000
 * JPY per BTC is `6_500_000`. For a rate finer than one minor unit, use {@link convert}.
 *
 * @throws PaydocError `money_unknown_currency`, `money_not_integer`, `money_negative` (a
 *   negative price), `money_invalid_ratio` (a rate of zero or less), `money_invalid_rounding`,
 *   `money_overflow`.
 */
export function fiatToSatoshis(
  priceMinor: number,
  currency: string,
  rateMinorPerBtc: number | bigint,
  mode: RoundingMode,
): Money {
  const price = unwrap(parseMoney(priceMinor, currency));
  const rate = integerArgument(rateMinorPerBtc, 'rateMinorPerBtc');
  if (rate <= 0n) {
    throw new PaydocError('money_invalid_ratio', `rateMinorPerBtc must be above zero, got ${rate}`);
  }
  const fiat = currencyOf(price.currency);
  const satoshis = divideRounded(BigInt(price.amount) * 10n ** BigInt(CURRENCIES.BTC), rate, mode);
  return moneyFromBigInt(
    satoshis,
    'BTC',
    `fiatToSatoshis ${formatMinor(price.amount, fiat.code)} ${fiat.code}`,
  );
}
