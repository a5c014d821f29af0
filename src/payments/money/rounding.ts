import { PaydocError } from '../../errors/paydoc-error.js';

/**
 * How a result that falls between two minor units is rounded. Every operation that can round
 * takes one by name; there is no default, so each place that rounds says how.
 *
 * - `half-up`: to the nearest; a tie goes away from zero (2.5 → 3, −2.5 → −3), as in
 *   commercial rounding and Java's HALF_UP.
 * - `half-even`: to the nearest; a tie goes to the even neighbour (2.5 → 2, 3.5 → 4), banker's
 *   rounding, with no bias over many roundings.
 * - `down`: toward zero (2.7 → 2, −2.7 → −2): truncation.
 * - `up`: away from zero (2.1 → 3, −2.1 → −3): what BitPay does when pricing in satoshis.
 * - `floor`: toward −∞ (2.7 → 2, −2.1 → −3).
 * - `ceiling`: toward +∞ (2.1 → 3, −2.7 → −2).
 */
export type RoundingMode = 'half-up' | 'half-even' | 'down' | 'up' | 'floor' | 'ceiling';

/** Every {@link RoundingMode}. */
export const ROUNDING_MODES: readonly RoundingMode[] = [
  'half-up',
  'half-even',
  'down',
  'up',
  'floor',
  'ceiling',
];

/** True when `mode` is one of {@link ROUNDING_MODES}. */
export function isRoundingMode(mode: unknown): mode is RoundingMode {
  return typeof mode === 'string' && (ROUNDING_MODES as readonly string[]).includes(mode);
}

/**
 * `numerator / denominator` rounded to an integer by `mode`, exactly (bigint throughout).
 *
 * @throws PaydocError `money_invalid_ratio` when `denominator` is zero, `money_invalid_rounding`
 *   when `mode` is not a {@link RoundingMode}.
 */
export function divideRounded(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (!isRoundingMode(mode)) {
    throw new PaydocError(
      'money_invalid_rounding',
      `unknown rounding mode ${JSON.stringify(mode)}; use one of ${ROUNDING_MODES.join(', ')}`,
    );
  }
  if (denominator === 0n) throw new PaydocError('money_invalid_ratio', 'division by zero');
  // Normalise to a positive denominator so that the signs below are the numerator's.
  const n = denominator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  // bigint division truncates toward zero; the remainder takes the numerator's sign.
  const quotient = n / d;
  const remainder = n % d;
  if (remainder === 0n) return quotient;
  const awayFromZero = quotient + (n < 0n ? -1n : 1n);
  switch (mode) {
    case 'down':
      return quotient;
    case 'up':
      return awayFromZero;
    case 'floor':
      return n < 0n ? awayFromZero : quotient;
    case 'ceiling':
      return n > 0n ? awayFromZero : quotient;
    case 'half-up':
    case 'half-even': {
      const twice = 2n * (remainder < 0n ? -remainder : remainder);
      if (twice > d) return awayFromZero;
      if (twice < d) return quotient;
      if (mode === 'half-up') return awayFromZero;
      return quotient % 2n === 0n ? quotient : awayFromZero;
    }
  }
}
