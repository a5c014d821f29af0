import { PaydocError } from '../../errors/paydoc-error.js';
import { add } from '../money/arithmetic.js';
import { isCurrencyCode } from '../money/currency.js';
import { parseMoney } from '../money/money.js';

/**
 * The escrow books: a double-entry ledger as an immutable value, and the names of the accounts
 * the orders' money moves between. Pure: no clock, no I/O.
 *
 * Invariants, whatever is posted:
 * - every transaction is in one currency the money module knows, has two or more postings of
 *   non-zero safe integers (minor units), and its postings sum to zero exactly;
 * - so, per currency, all balances sum to zero after every transaction ({@link trialBalance});
 * - every balance stays a safe integer, and transaction ids are unique;
 * - a refused transaction changes nothing: the ledger given in is never changed.
 *
 * An account's balance is the sum of its postings: external sources (a buyer's card) go
 * negative and every other account holds what it received.
 */

/** The marketplace's own account that collects platform fees (one balance per currency). */
export const PLATFORM_FEES_ACCOUNT = 'platform:fees';

// Components are escaped so that no id can contain ':' and forge another account's name (a card
// token `x:refunds` would otherwise be the refund account of token `x`). Escaping '%' first keeps
// the mapping one-to-one; unlike encodeURIComponent it cannot throw on a lone surrogate.
function part(id: string): string {
  return id.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The buyer's funding source (a card token): debits take money from here, so it goes negative. */
export function buyerFundingAccount(source: string): string {
  return `buyer:${part(source)}`;
}

/** Where refunds to the buyer's funding source land. */
export function buyerRefundsAccount(source: string): string {
  return `buyer:${part(source)}:refunds`;
}

/** The order's escrow: the only account an order's commands take money from. */
export function orderEscrowAccount(orderId: string): string {
  return `order:${part(orderId)}:escrow`;
}

/** What the merchant has been paid out (towards its bank account). */
export function merchantPayableAccount(merchantId: string): string {
  return `merchant:${part(merchantId)}:payable`;
}

/** One leg of a transaction: out of an account with a negative amount, into one with a positive. */
export interface Posting {
  readonly account: string;
  readonly amount: number;
}

/** A balanced set of postings in one currency, identified by an id unique in the ledger. */
export interface LedgerTransaction {
  readonly id: string;
  /** Milliseconds since the Unix epoch, as given by the command (the ledger has no clock). */
  readonly at: number;
  /** ISO 4217 code; balances are kept per currency and never mix. */
  readonly currency: string;
  readonly postings: readonly Posting[];
}

/**
 * The journal of transactions, oldest first, and the balances they add up to (currency →
 * account → minor units).
 */
export interface Ledger {
  readonly transactions: readonly LedgerTransaction[];
  readonly balances: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Why the ledger refused a transaction. */
export type LedgerErrorCode =
  'invalid_transaction' | 'duplicate_transaction' | 'unbalanced' | 'amount_overflow';

/** The ledger after a transaction, or why it was refused (the ledger is then unchanged). */
export type LedgerResult =
  | { readonly ok: true; readonly ledger: Ledger }
  | { readonly ok: false; readonly code: LedgerErrorCode; readonly message: string };

/** The ledger before any transaction. */
export const EMPTY_LEDGER: Ledger = Object.freeze({
  transactions: Object.freeze([]),
  balances: Object.freeze({}),
});

/** A transaction moving `amount` from one account to another. */
export function transfer(spec: {
  id: string;
  at: number;
  currency: string;
  from: string;
  to: string;
  amount: number;
}): LedgerTransaction {
  return Object.freeze({
    id: spec.id,
    at: spec.at,
    currency: spec.currency,
    postings: Object.freeze([
      Object.freeze({ account: spec.from, amount: -spec.amount }),
      Object.freeze({ account: spec.to, amount: spec.amount }),
    ]),
  });
}

/** Records a transaction, returning a new ledger, or refuses it (see the invariants above). */
export function postTransaction(ledger: Ledger, transaction: LedgerTransaction): LedgerResult {
  const { id, currency, postings } = transaction;
  if (id === '' || !isCurrencyCode(currency) || postings.length < 2) {
    return refused(
      'invalid_transaction',
      `transaction '${id}' needs an id, a known currency and two postings`,
    );
  }
  // Sum exactly: float partial sums of large legs could round to a false zero.
  let total = 0n;
  for (const posting of postings) {
    const leg = parseMoney(posting.amount, currency, { allowNegative: true });
    if (!leg.ok || leg.value.amount === 0) {
      return refused(
        'invalid_transaction',
        `transaction '${id}' has a posting that is not a non-zero integer`,
      );
    }
    total += BigInt(leg.value.amount);
  }
  if (total !== 0n)
    return refused('unbalanced', `transaction '${id}' does not balance (off by ${total})`);
  if (ledger.transactions.some((existing) => existing.id === id)) {
    return refused('duplicate_transaction', `transaction '${id}' was already posted`);
  }
  let after: Readonly<Record<string, number>> = ownValue(ledger.balances, currency) ?? {};
  for (const posting of postings) {
    const balance = addInRange(ownValue(after, posting.account) ?? 0, posting.amount, currency);
    if (balance === undefined) {
      return refused(
        'amount_overflow',
        `account '${posting.account}' would exceed the safe integer range`,
      );
    }
    // A computed key defines an own property even for `__proto__` (assignment would not).
    after = { ...after, [posting.account]: balance };
  }
  return {
    ok: true,
    ledger: Object.freeze({
      transactions: Object.freeze([...ledger.transactions, transaction]),
      balances: Object.freeze({ ...ledger.balances, [currency]: Object.freeze(after) }),
    }),
  };
}

/** The balance of an account in a currency; zero for an account never posted to. */
export function balanceOf(ledger: Ledger, currency: string, account: string): number {
  const balances = ownValue(ledger.balances, currency);
  return (balances && ownValue(balances, account)) ?? 0;
}

/**
 * The sum of all balances per currency, exactly (as bigint). Zero for every currency is the
 * double-entry invariant; anything else is a bug.
 */
export function trialBalance(ledger: Ledger): Readonly<Record<string, bigint>> {
  const sums: Record<string, bigint> = {};
  for (const [currency, balances] of Object.entries(ledger.balances)) {
    sums[currency] = Object.values(balances).reduce((sum, balance) => sum + BigInt(balance), 0n);
  }
  return sums;
}

/**
 * `a + b` in `currency` by the money module's checked add, or undefined when the exact result
 * is beyond ±(2^53−1): the one failure of money arithmetic that escrow refuses as a value
 * (`amount_overflow`) instead of treating it as a bug.
 */
export function addInRange(a: number, b: number, currency: string): number | undefined {
  try {
    return add({ amount: a, currency }, { amount: b, currency }).amount;
  } catch (error) {
    if (error instanceof PaydocError && error.code === 'money_overflow') return undefined;
    throw error;
  }
}

// Account names and currencies come from callers; reading only own properties keeps a name
// like `__proto__` or `constructor` from resolving to Object.prototype's members.
function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function refused(code: LedgerErrorCode, message: string): LedgerResult {
  return { ok: false, code, message };
}
