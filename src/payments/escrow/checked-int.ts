// Private to escrow on purpose: src/payments/money is being written in parallel and will
// replace these once it lands; until then escrow must not depend on it.

/** True for a positive safe integer: the only shape an amount in minor units may take here. */
export function isPositiveAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** True for a non-negative safe integer, e.g. a time in milliseconds since the Unix epoch. */
export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * `a + b`, or undefined when the exact result is not a safe integer. Checking the rounded sum
 * is enough: 2^53 is representable, so an exact sum beyond the safe range never rounds back in.
 */
export function checkedAdd(a: number, b: number): number | undefined {
  const sum = a + b;
  return Number.isSafeInteger(sum) ? sum : undefined;
}

/** `a − b`, or undefined when the exact result is not a safe integer. */
export function checkedSub(a: number, b: number): number | undefined {
  const difference = a - b;
  return Number.isSafeInteger(difference) ? difference : undefined;
}
