import type { Money } from './money.js';
import { checkMoney, moneyFromBigInt } from './money.js';
import type { Ratio } from './ratio.js';
import { ratioParts } from './ratio.js';
import type { RoundingMode } from './rounding.js';
import { divideRounded } from './rounding.js';

/**
 * `amount × numerator / denominator`, rounded once by `mode`: a fee of 20% is
 * `multiplyRatio(amount, 1, 5, 'half-up')`. Computed exactly with bigint, so the product may
 * exceed 2^53 on the way; only the result must be a safe integer. The numerator may be
 * negative, the denominator must be positive.
 *
 * @throws PaydocError `money_not_integer` (a float ratio such as 0.2), `money_invalid_ratio`
 *   (a denominator of zero or less), `money_invalid_rounding`, `money_overflow` (the result).
 */
export function multiplyRatio(
  amount: Money,
  numerator: number | bigint,
  denominator: number | bigint,
  mode: RoundingMode,
): Money {
  return multiplyBy(amount, { numerator, denominator }, mode);
}

/** {@link multiplyRatio} with the ratio as one {@link Ratio} value. */
export function multiplyBy(amount: Money, ratio: Ratio, mode: RoundingMode): Money {
  const currency = checkMoney(amount);
  const { numerator, denominator } = ratioParts(ratio, 'ratio', true);
  const exact = divideRounded(BigInt(amount.amount) * numerator, denominator, mode);
  return moneyFromBigInt(exact, currency, 'multiplyRatio');
}
