import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  EMPTY_LEDGER,
  postTransaction,
  transfer,
  trialBalance,
} from '../../../src/payments/escrow/escrow-ledger.js';
import type { Ledger, LedgerTransaction } from '../../../src/payments/escrow/escrow-ledger.js';

function post(ledger: Ledger, transaction: LedgerTransaction): Ledger {
  const result = postTransaction(ledger, transaction);
  if (!result.ok) expect.fail(result.message);
  return result.ledger;
}

describe('ledger', () => {
  const move = transfer({ id: 't1', at: 5, currency: 'USD', from: 'a', to: 'b', amount: 100 });

  it('moves money between accounts and stays balanced', () => {
    const ledger = post(EMPTY_LEDGER, move);
    expect(balanceOf(ledger, 'USD', 'a')).toBe(-100);
    expect(balanceOf(ledger, 'USD', 'b')).toBe(100);
    expect(balanceOf(ledger, 'EUR', 'b')).toBe(0);
    expect(trialBalance(ledger)).toEqual({ USD: 0n });
    expect(ledger.transactions).toEqual([move]);
  });

  it('returns a new ledger and leaves the old one as it was', () => {
    const ledger = post(EMPTY_LEDGER, move);
    expect(EMPTY_LEDGER).toEqual({ transactions: [], balances: {} });
    expect(Object.isFrozen(ledger)).toBe(true);
    expect(Object.isFrozen(ledger.balances.USD)).toBe(true);
  });

  it('refuses an unbalanced transaction', () => {
    const result = postTransaction(EMPTY_LEDGER, {
      id: 'x',
      at: 0,
      currency: 'USD',
      postings: [
        { account: 'a', amount: -100 },
        { account: 'b', amount: 99 },
      ],
    });
    expect(result).toMatchObject({ ok: false, code: 'unbalanced' });
  });

  it('refuses floats, zero legs, a single leg and a reused id', () => {
    const legs = (amount: number) => [
      { account: 'a', amount: -amount },
      { account: 'b', amount },
    ];
    expect(
      postTransaction(EMPTY_LEDGER, { id: 'x', at: 0, currency: 'USD', postings: legs(1.5) }),
    ).toMatchObject({ ok: false, code: 'invalid_transaction' });
    expect(
      postTransaction(EMPTY_LEDGER, { id: 'x', at: 0, currency: 'USD', postings: legs(0) }),
    ).toMatchObject({ ok: false, code: 'invalid_transaction' });
    expect(
      postTransaction(EMPTY_LEDGER, {
        id: 'x',
        at: 0,
        currency: 'USD',
        postings: [{ account: 'a', amount: 0 }],
      }),
    ).toMatchObject({ ok: false, code: 'invalid_transaction' });
    expect(postTransaction(post(EMPTY_LEDGER, move), move)).toMatchObject({
      ok: false,
      code: 'duplicate_transaction',
    });
  });

  it('refuses a transaction that would push a balance beyond the safe integers', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const ledger = post(
      EMPTY_LEDGER,
      transfer({ id: 't1', at: 0, currency: 'USD', from: 'a', to: 'b', amount: max }),
    );
    const result = postTransaction(
      ledger,
      transfer({ id: 't2', at: 0, currency: 'USD', from: 'c', to: 'b', amount: 1 }),
    );
    expect(result).toMatchObject({ ok: false, code: 'amount_overflow' });
  });

  it('keeps currencies apart', () => {
    const ledger = post(
      post(EMPTY_LEDGER, move),
      transfer({ id: 't2', at: 0, currency: 'EUR', from: 'b', to: 'a', amount: 7 }),
    );
    expect(balanceOf(ledger, 'USD', 'b')).toBe(100);
    expect(balanceOf(ledger, 'EUR', 'b')).toBe(-7);
    expect(trialBalance(ledger)).toEqual({ USD: 0n, EUR: 0n });
  });

  it('treats account names such as __proto__ as plain names', () => {
    const ledger = post(
      EMPTY_LEDGER,
      transfer({
        id: 't1',
        at: 0,
        currency: 'USD',
        from: '__proto__',
        to: 'constructor',
        amount: 3,
      }),
    );
    expect(balanceOf(ledger, 'USD', '__proto__')).toBe(-3);
    expect(balanceOf(ledger, 'USD', 'constructor')).toBe(3);
    expect(balanceOf(ledger, 'USD', 'toString')).toBe(0);
    expect(trialBalance(ledger)).toEqual({ USD: 0n });
  });
});
