/** Satoshis in one bitcoin (BTC has 8 decimals). */
export const SATOSHIS_PER_BTC = 100_000_000n;

/**
 * How a price is rounded to whole satoshis: `up` (away from zero; prices are positive, so the
 * same as ceiling), as BitPay does, so that the buyer never pays less than the price and the
 * merchant never receives less. The same name as the money module's rounding mode.
 */
export const BTC_PRICE_ROUNDING = 'up';

/**
 * The satoshis to request for `price` minor units of a currency at `rateMinorPerBtc` minor
 * units per 1 BTC: `price × 10^8 / rate`, rounded {@link BTC_PRICE_ROUNDING}, exact in bigint.
 * Price and rate are both in the currency's minor units, so the currency's exponent cancels
 * out (USD cents and JPY yen alike). Both must be integers above zero (the caller checks).
 */
export function satoshisForPrice(price: number, rateMinorPerBtc: number): bigint {
  const numerator = BigInt(price) * SATOSHIS_PER_BTC;
  const rate = BigInt(rateMinorPerBtc);
  const quotient = numerator / rate;
  return numerator % rate === 0n ? quotient : quotient + 1n;
}
