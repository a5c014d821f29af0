import type { Money } from './money.js';
import { checkMoney, formatMinor } from './money.js';

/**
 * An amount for people to read in messages and logs: `{ amount: 1050, currency: 'USD' }` →
 * `"10.50 USD"`, `{ amount: 500, currency: 'JPY' }` → `"500 JPY"`, 23121 satoshis →
 * `"0.00023121 BTC"`. Always the currency's full number of decimals, a `-` for negative
 * amounts, no grouping and no locale: not for display to customers, not for parsing back.
 *
 * @throws PaydocError when `amount` is not a valid Money (see {@link checkMoney}).
 */
export function formatMoney(amount: Money): string {
  const currency = checkMoney(amount);
  return `${formatMinor(amount.amount, currency)} ${currency}`;
}
