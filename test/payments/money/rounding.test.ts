import { describe, expect, it } from 'vitest';
import type { RoundingMode } from '../../../src/payments/money/rounding.js';
import {
  ROUNDING_MODES,
  divideRounded,
  isRoundingMode,
} from '../../../src/payments/money/rounding.js';
import { expectCode } from './expect-code.js';

// value as numerator/10 → expected result per mode
const TABLE: [number, Record<RoundingMode, number>][] = [
  [25, { 'half-up': 3, 'half-even': 2, down: 2, up: 3, floor: 2, ceiling: 3 }],
  [35, { 'half-up': 4, 'half-even': 4, down: 3, up: 4, floor: 3, ceiling: 4 }],
  [-25, { 'half-up': -3, 'half-even': -2, down: -2, up: -3, floor: -3, ceiling: -2 }],
  [-35, { 'half-up': -4, 'half-even': -4, down: -3, up: -4, floor: -4, ceiling: -3 }],
  [27, { 'half-up': 3, 'half-even': 3, down: 2, up: 3, floor: 2, ceiling: 3 }],
  [21, { 'half-up': 2, 'half-even': 2, down: 2, up: 3, floor: 2, ceiling: 3 }],
  [-27, { 'half-up': -3, 'half-even': -3, down: -2, up: -3, floor: -3, ceiling: -2 }],
  [-21, { 'half-up': -2, 'half-even': -2, down: -2, up: -3, floor: -3, ceiling: -2 }],
  [5, { 'half-up': 1, 'half-even': 0, down: 0, up: 1, floor: 0, ceiling: 1 }],
  [-5, { 'half-up': -1, 'half-even': 0, down: 0, up: -1, floor: -1, ceiling: 0 }],
  [30, { 'half-up': 3, 'half-even': 3, down: 3, up: 3, floor: 3, ceiling: 3 }],
  [0, { 'half-up': 0, 'half-even': 0, down: 0, up: 0, floor: 0, ceiling: 0 }],
];

describe('divideRounded', () => {
  for (const [tenths, expected] of TABLE) {
    it(`rounds ${tenths / 10} by every mode`, () => {
      for (const mode of ROUNDING_MODES) {
        expect([mode, divideRounded(BigInt(tenths), 10n, mode)]).toEqual([
          mode,
          BigInt(expected[mode]),
        ]);
      }
    });
  }

  it('takes a negative denominator as the negated fraction', () => {
    expect(divideRounded(25n, -10n, 'floor')).toBe(-3n);
    expect(divideRounded(-25n, -10n, 'half-even')).toBe(2n);
  });

  it('is exact far beyond 2^53', () => {
    const big = 10n ** 30n + 5n;
    expect(divideRounded(big, 10n, 'half-even')).toBe(10n ** 29n);
    expect(divideRounded(big, 10n, 'half-up')).toBe(10n ** 29n + 1n);
  });

  it('refuses division by zero (money_invalid_ratio)', () => {
    expectCode(() => divideRounded(1n, 0n, 'up'), 'money_invalid_ratio', /division by zero/);
  });

  it('refuses an unknown mode (money_invalid_rounding)', () => {
    expectCode(
      () => divideRounded(1n, 2n, 'HALF_UP' as RoundingMode),
      'money_invalid_rounding',
      /unknown rounding mode "HALF_UP"/,
    );
    expect(isRoundingMode('half-even')).toBe(true);
    expect(isRoundingMode('nearest')).toBe(false);
  });
});
