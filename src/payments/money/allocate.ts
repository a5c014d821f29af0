import { PaydocError } from '../../errors/paydoc-error.js';
import type { Money } from './money.js';
import { checkMoney, moneyFromBigInt } from './money.js';
import { integerArgument } from './ratio.js';

/**
 * Splits `amount` into parts in proportion to `ratios` without creating or losing a minor
 * unit: the parts always add up to `amount`. `allocate(1000 USD cents, [1, 1, 1])` is
 * `[334, 333, 333]`; `[70, 30]` of 10.01 is `[7.01, 3.00]`.
 *
 * Largest-remainder method: each part first gets its exact share rounded toward zero; the
 * minor units left over (fewer than there are parts) go one each to the parts whose exact
 * share had the largest fractional remainder, and among equal remainders to the earlier
 * parts. So every part is its exact share rounded down or up, never further off, and parts of
 * equal ratio differ by at most one minor unit. A zero ratio gets exactly zero.
 *
 * Ratios are integers of zero or more (numbers or bigints), at least one of them positive. A
 * negative amount is split as its absolute value and every part negated.
 *
 * @throws PaydocError `money_invalid_ratio` (no ratios, a negative one, all zero),
 *   `money_not_integer` (a float ratio), `money_overflow`, `money_unknown_currency`.
 */
export function allocate(amount: Money, ratios: readonly (number | bigint)[]): Money[] {
  const currency = checkMoney(amount);
  if (!Array.isArray(ratios) || ratios.length === 0) {
    throw new PaydocError('money_invalid_ratio', 'allocate needs at least one ratio');
  }
  const weights = ratios.map((ratio, index) => {
    const weight = integerArgument(ratio, `ratios[${index}]`);
    if (weight < 0n) {
      throw new PaydocError(
        'money_invalid_ratio',
        `ratios[${index}] must not be negative, got ${weight}`,
      );
    }
    return weight;
  });
  const totalWeight = weights.reduce((total, weight) => total + weight, 0n);
  if (totalWeight === 0n) {
    throw new PaydocError('money_invalid_ratio', 'allocate needs at least one ratio above zero');
  }

  const total = BigInt(amount.amount);
  const magnitude = total < 0n ? -total : total;
  const sign = total < 0n ? -1n : 1n;
  const parts = weights.map((weight) => (magnitude * weight) / totalWeight);
  const remainders = weights.map((weight) => (magnitude * weight) % totalWeight);
  let leftOver = magnitude - parts.reduce((done, part) => done + part, 0n);
  // Stable order: largest remainder first, earlier part first among equals.
  const order = remainders
    .map((remainder, index) => ({ remainder, index }))
    .sort((a, b) =>
      a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
    );
  for (const { index } of order) {
    if (leftOver === 0n) break;
    parts[index] = (parts[index] as bigint) + 1n;
    leftOver -= 1n;
  }
  return parts.map((part) => moneyFromBigInt(sign * part, currency, 'allocate'));
}
