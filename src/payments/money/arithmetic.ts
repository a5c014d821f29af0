import { PaydocError } from '../../errors/paydoc-error.js';
import type { CurrencyCode } from './currency.js';
import type { Money } from './money.js';
import { checkMoney, formatMinor, moneyFromBigInt, zero } from './money.js';

// Checked arithmetic on Money. The operands have been validated already (parseMoney at the
// edge), so what can go wrong here is a bug in the caller: mixing currencies, leaving the safe
// integer range, going below zero where that must not happen. Those throw PaydocError with
// the catalogue code; a business rule such as "a refund may not exceed what was captured"
// should be checked with compare() first and reported in its own terms.

/**
 * `a + b`.
 *
 * @throws PaydocError `money_currency_mismatch`, `money_overflow` (beyond ±(2^53−1)).
 */
export function add(a: Money, b: Money): Money {
  const currency = sameCurrency(a, b, 'add');
  return moneyFromBigInt(BigInt(a.amount) + BigInt(b.amount), currency, 'add');
}

/**
 * `a − b`, which may be negative; see {@link subtractNonNegative} for balances.
 *
 * @throws PaydocError `money_currency_mismatch`, `money_overflow`.
 */
export function subtract(a: Money, b: Money): Money {
  const currency = sameCurrency(a, b, 'subtract');
  return moneyFromBigInt(BigInt(a.amount) - BigInt(b.amount), currency, 'subtract');
}

/**
 * `a − b` for balances that cannot go below zero (an escrow, what is left to refund).
 *
 * @throws PaydocError `money_negative` when `b` is more than `a`; `money_currency_mismatch`,
 *   `money_overflow`.
 */
export function subtractNonNegative(a: Money, b: Money): Money {
  const result = subtract(a, b);
  if (result.amount < 0) {
    const currency = result.currency as CurrencyCode;
    throw new PaydocError(
      'money_negative',
      `cannot subtract ${formatMinor(b.amount, currency)} ${currency} from ${formatMinor(a.amount, currency)} ${currency}: the result would be negative`,
    );
  }
  return result;
}

/**
 * −1, 0 or 1 as `a` is less than, equal to or more than `b` (usable as a sort comparator).
 *
 * @throws PaydocError `money_currency_mismatch`: amounts in different currencies do not compare.
 */
export function compare(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b, 'compare');
  return a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0;
}

/** True when `a` and `b` are the same amount of the same currency. @throws like {@link compare}. */
export function equals(a: Money, b: Money): boolean {
  return compare(a, b) === 0;
}

/** The smallest of the amounts (the first of equals). @throws like {@link compare}. */
export function min(first: Money, ...rest: readonly Money[]): Money {
  return rest.reduce((best, next) => (compare(next, best) < 0 ? next : best), checked(first));
}

/** The largest of the amounts (the first of equals). @throws like {@link compare}. */
export function max(first: Money, ...rest: readonly Money[]): Money {
  return rest.reduce((best, next) => (compare(next, best) > 0 ? next : best), checked(first));
}

/**
 * The total of `amounts`, all in `currency`; zero for an empty list (hence the currency).
 * Intermediate sums are exact, so only a total beyond ±(2^53−1) fails.
 *
 * @throws PaydocError `money_unknown_currency`, `money_currency_mismatch`, `money_overflow`.
 */
export function sum(amounts: readonly Money[], currency: string): Money {
  const total = zero(currency);
  const code = total.currency as CurrencyCode;
  let exact = 0n;
  amounts.forEach((item, index) => {
    const itemCurrency = checkMoney(item, `amounts[${index}]`);
    if (itemCurrency !== code) {
      throw new PaydocError(
        'money_currency_mismatch',
        `sum: amounts[${index}] is in ${itemCurrency}, the total in ${code}`,
      );
    }
    exact += BigInt(item.amount);
  });
  return moneyFromBigInt(exact, code, 'sum');
}

function checked(value: Money): Money {
  checkMoney(value);
  return value;
}

function sameCurrency(a: Money, b: Money, operation: string): CurrencyCode {
  const left = checkMoney(a, `${operation}: first amount`);
  const right = checkMoney(b, `${operation}: second amount`);
  if (left !== right) {
    throw new PaydocError(
      'money_currency_mismatch',
      `${operation}: cannot combine ${left} with ${right}; convert one of them first`,
    );
  }
  return left;
}
