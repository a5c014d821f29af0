import { checkedAdd } from './checked-int.js';

/**
 * One leg of a transaction: money flows out of accounts with a negative amount and into
 * accounts with a positive one. An account's balance is the sum of its postings, so external
 * sources (a buyer's card) go negative and every other account holds what it received.
 */
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
 * A double-entry ledger as an immutable value: the journal of transactions, oldest first, and
 * the balances they add up to (currency → account → minor units). Every balance is a safe
 * integer and, per currency, the balances sum to zero.
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

/**
 * Records a transaction, returning a new ledger. Refuses (and changes nothing) unless the
 * postings are non-zero safe integers that sum to zero, the id is new, and every resulting
 * balance stays a safe integer.
 */
export function postTransaction(ledger: Ledger, transaction: LedgerTransaction): LedgerResult {
  const { id, currency, postings } = transaction;
  if (id === '' || currency === '' || postings.length < 2) {
    return refused(
      'invalid_transaction',
      `transaction '${id}' needs an id, a currency and two postings`,
    );
  }
  // Sum exactly: float partial sums of large legs could round to a false zero.
  let total = 0n;
  for (const posting of postings) {
    if (!Number.isSafeInteger(posting.amount) || posting.amount === 0) {
      return refused(
        'invalid_transaction',
        `transaction '${id}' has a posting that is not a non-zero integer`,
      );
    }
    total += BigInt(posting.amount);
  }
  if (total !== 0n)
    return refused('unbalanced', `transaction '${id}' does not balance (off by ${total})`);
  if (ledger.transactions.some((existing) => existing.id === id)) {
    return refused('duplicate_transaction', `transaction '${id}' was already posted`);
  }
  let after: Readonly<Record<string, number>> = ownValue(ledger.balances, currency) ?? {};
  for (const posting of postings) {
    const balance = checkedAdd(ownValue(after, posting.account) ?? 0, posting.amount);
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

// Account names and currencies come from callers; reading only own properties keeps a name
// like `__proto__` or `constructor` from resolving to Object.prototype's members.
function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function refused(code: LedgerErrorCode, message: string): LedgerResult {
  return { ok: false, code, message };
}
