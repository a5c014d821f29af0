import { PaydocError } from '../../errors/paydoc-error.js';

/**
 * Satoshis as BitPay's decimal BTC text, always 8 decimals: 123400 → `"0.00123400"`,
 * 150000000 → `"1.50000000"`, −1 → `"-0.00000001"`. For the API layer only: amounts stay
 * integer satoshis everywhere else (state, answers, notifications).
 *
 * @throws PaydocError `money_not_integer` when `satoshis` is not a safe integer.
 */
export function formatBtc(satoshis: number | bigint): string {
  if (typeof satoshis === 'number' && !Number.isSafeInteger(satoshis)) {
    throw new PaydocError(
      'money_not_integer',
      `satoshis must be a safe integer, got ${String(satoshis)}`,
    );
  }
  const value = BigInt(satoshis);
  const magnitude = (value < 0n ? -value : value).toString().padStart(9, '0');
  const whole = magnitude.slice(0, -8);
  const fraction = magnitude.slice(-8);
  return `${value < 0n ? '-' : ''}${whole}.${fraction}`;
}
