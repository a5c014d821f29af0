import { PaydocError } from '../../errors/paydoc-error.js';

/**
 * An exact rational number `numerator / denominator`: 20% is `{ numerator: 1, denominator: 5 }`
 * (or 20/100). Both are integers, as numbers (safe integers) or bigints; the denominator is
 * positive. Floats such as `0.2` are refused: they are not exact.
 */
export interface Ratio {
  readonly numerator: number | bigint;
  readonly denominator: number | bigint;
}

/**
 * `value` as a bigint, when it is an integer: a safe-integer number or a bigint.
 *
 * @throws PaydocError `money_not_integer` for anything else (a float, a string, NaN),
 *   `money_overflow` for a number beyond ±(2^53−1) (it has already lost precision).
 */
export function integerArgument(value: number | bigint, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    const shown =
      typeof value === 'number'
        ? String(value)
        : typeof value === 'string'
          ? `the string ${JSON.stringify(value)}`
          : `a ${typeof value}`;
    throw new PaydocError(
      'money_not_integer',
      `${what} must be an integer (a safe-integer number or a bigint), not ${shown}`,
    );
  }
  if (!Number.isSafeInteger(value)) {
    throw new PaydocError(
      'money_overflow',
      `${what} ${value} is beyond ±(2^53−1) and has lost precision; pass a bigint`,
    );
  }
  return BigInt(value);
}

/**
 * A ratio's parts as bigints, checked: integers, a positive denominator, and (unless
 * `allowNegative`) a numerator of zero or more.
 *
 * @throws PaydocError `money_not_integer`, `money_overflow` or `money_invalid_ratio`.
 */
export function ratioParts(
  ratio: Ratio,
  what: string,
  allowNegative: boolean,
): { numerator: bigint; denominator: bigint } {
  if (typeof ratio !== 'object' || ratio === null) {
    throw new PaydocError('money_invalid_ratio', `${what} must be {numerator, denominator}`);
  }
  const numerator = integerArgument(ratio.numerator, `${what} numerator`);
  const denominator = integerArgument(ratio.denominator, `${what} denominator`);
  if (denominator <= 0n) {
    throw new PaydocError(
      'money_invalid_ratio',
      `${what} denominator must be positive, got ${denominator}`,
    );
  }
  if (!allowNegative && numerator < 0n) {
    throw new PaydocError(
      'money_invalid_ratio',
      `${what} numerator must not be negative, got ${numerator}`,
    );
  }
  return { numerator, denominator };
}
