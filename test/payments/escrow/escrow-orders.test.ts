import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  buyerFundingAccount,
  buyerRefundsAccount,
  merchantPayableAccount,
  orderEscrowAccount,
  PLATFORM_FEES_ACCOUNT,
  trialBalance,
} from '../../../src/payments/escrow/escrow-ledger.js';
import type { EscrowState } from '../../../src/payments/escrow/escrow-order.js';
import {
  debit,
  findOrder,
  payout,
  payPlatformFee,
  refundDebit,
  reversePayout,
} from '../../../src/payments/escrow/escrow-order.js';
import { accepted, withOrders } from './escrow-fixtures.js';
import { orderAmountsFromLedger, projectOrder } from './escrow-projections.js';

// DESIGN.md §6.3 and seed 002 (Balanced "Orders"), one rule per test.

const campaign = { orderId: 'OR1', merchantId: 'joe-blogs', currency: 'USD' } as const;
const ask = { merchantId: campaign.merchantId, currency: campaign.currency, at: 1_000 } as const;

function funded(amount: number, state = withOrders(campaign)): EscrowState {
  return accepted(debit(state, { ...ask, orderId: 'OR1', amount, source: 'tok_visa' })).state;
}

function escrowOf(state: EscrowState, orderId: string): number {
  return findOrder(state, orderId)?.amountEscrowed ?? Number.NaN;
}

describe('an order (Balanced "Orders")', () => {
  it('takes a debit from the buyer into escrow: amountEscrowed rises', () => {
    const before = withOrders(campaign);
    const result = accepted(
      debit(before, { ...ask, orderId: 'OR1', amount: 100, source: 'tok_visa' }),
    );
    expect(result.events).toEqual([
      {
        type: 'Payments/Order Debited',
        debitId: 'OR1/debits/1',
        amount: 100,
        source: 'tok_visa',
        created: 1_000,
      },
    ]);
    const order = findOrder(result.state, 'OR1');
    expect(order).toMatchObject({ amount: 100, amountEscrowed: 100, amountPaidOut: 0 });
    expect(balanceOf(result.state.ledger, 'USD', orderEscrowAccount('OR1'))).toBe(100);
    expect(balanceOf(result.state.ledger, 'USD', buyerFundingAccount('tok_visa'))).toBe(-100);
    expect(trialBalance(result.state.ledger)).toEqual({ USD: 0n });
    expect(findOrder(before, 'OR1')?.amountEscrowed).toBe(0);
  });

  it('refuses a payout larger than the escrow and moves nothing', () => {
    const state = funded(100);
    const result = payout(state, { ...ask, orderId: 'OR1', amount: 101 });
    expect(result).toMatchObject({ ok: false, code: 'payout_exceeds_escrow' });
    const exact = accepted(payout(state, { ...ask, orderId: 'OR1', amount: 100 }));
    expect(escrowOf(exact.state, 'OR1')).toBe(0);
    expect(balanceOf(exact.state.ledger, 'USD', merchantPayableAccount('joe-blogs'))).toBe(100);
  });

  it('after a $50 refund of a $100 debit, only the remaining $50 can be paid out', () => {
    const state = accepted(
      refundDebit(funded(100), { ...ask, orderId: 'OR1', debitId: 'OR1/debits/1', amount: 50 }),
    ).state;
    expect(findOrder(state, 'OR1')).toMatchObject({ amountRefunded: 50, amountEscrowed: 50 });
    expect(balanceOf(state.ledger, 'USD', buyerRefundsAccount('tok_visa'))).toBe(50);
    expect(payout(state, { ...ask, orderId: 'OR1', amount: 51 })).toMatchObject({
      code: 'payout_exceeds_escrow',
    });
    accepted(payout(state, { ...ask, orderId: 'OR1', amount: 50 }));
  });

  it('refuses a refund after the escrow was paid out', () => {
    const paid = accepted(payout(funded(100), { ...ask, orderId: 'OR1', amount: 100 })).state;
    const refund = { ...ask, orderId: 'OR1', debitId: 'OR1/debits/1', amount: 1 };
    expect(refundDebit(paid, refund)).toMatchObject({ ok: false, code: 'refund_exceeds_escrow' });

    const partlyPaid = accepted(payout(funded(100), { ...ask, orderId: 'OR1', amount: 70 })).state;
    expect(refundDebit(partlyPaid, { ...refund, amount: 31 })).toMatchObject({
      code: 'refund_exceeds_escrow',
    });
    accepted(refundDebit(partlyPaid, { ...refund, amount: 30 }));
  });

  it('refunds a debit at most once over: never more than is left unrefunded of it', () => {
    const state = funded(40, funded(100));
    const refund = { ...ask, orderId: 'OR1', debitId: 'OR1/debits/2', amount: 41 };
    expect(refundDebit(state, refund)).toMatchObject({ code: 'refund_exceeds_debit' });
    const once = accepted(refundDebit(state, { ...refund, amount: 40 }));
    expect(once.events).toEqual([
      {
        type: 'Payments/Order Debit Refunded',
        refundId: 'OR1/refunds/1',
        debitId: 'OR1/debits/2',
        amount: 40,
        created: 1_000,
      },
    ]);
    expect(refundDebit(once.state, { ...refund, amount: 1 })).toMatchObject({
      code: 'refund_exceeds_debit',
    });
    expect(refundDebit(once.state, { ...refund, debitId: 'OR1/debits/9' })).toMatchObject({
      code: 'debit_not_found',
    });
  });

  it('restores the escrow when a payout is reversed, up to what that payout paid', () => {
    const paid = accepted(payout(funded(100), { ...ask, orderId: 'OR1', amount: 80 })).state;
    const reversal = { ...ask, orderId: 'OR1', payoutId: 'OR1/payouts/1', amount: 30 };
    const reversed = accepted(reversePayout(paid, reversal));
    expect(reversed.events).toEqual([
      {
        type: 'Payments/Order Payout Reversed',
        payoutId: 'OR1/payouts/1',
        amount: 30,
        created: 1_000,
      },
    ]);
    expect(findOrder(reversed.state, 'OR1')).toMatchObject({
      amountEscrowed: 50,
      amountPaidOut: 50,
    });
    expect(balanceOf(reversed.state.ledger, 'USD', merchantPayableAccount('joe-blogs'))).toBe(50);
    // The restored escrow can be refunded again.
    accepted(
      refundDebit(reversed.state, { ...ask, orderId: 'OR1', debitId: 'OR1/debits/1', amount: 50 }),
    );
    expect(reversePayout(reversed.state, { ...reversal, amount: 51 })).toMatchObject({
      code: 'reversal_exceeds_payout',
    });
    accepted(reversePayout(reversed.state, { ...reversal, amount: 50 }));
    expect(reversePayout(paid, { ...reversal, payoutId: 'OR1/fees/1' })).toMatchObject({
      code: 'payout_not_found',
    });
  });

  it('pays the platform fee out separately from the merchant (10% cut, the rest to the merchant)', () => {
    const state = funded(100);
    const fee = accepted(
      payPlatformFee(state, { ...ask, orderId: 'OR1', amount: 10, destination: 'ba_platform' }),
    );
    expect(fee.events).toEqual([
      {
        type: 'Payments/Order Platform Fee Paid',
        payoutId: 'OR1/fees/1',
        amount: 10,
        destination: 'ba_platform',
        created: 1_000,
      },
    ]);
    const rest = accepted(
      payout(fee.state, { ...ask, orderId: 'OR1', amount: 90, destination: 'ba_joe' }),
    );
    const order = findOrder(rest.state, 'OR1');
    expect(order).toMatchObject({
      amount: 100,
      amountEscrowed: 0,
      amountPaidOut: 90,
      amountPlatformFee: 10,
    });
    const { ledger } = rest.state;
    expect(balanceOf(ledger, 'USD', PLATFORM_FEES_ACCOUNT)).toBe(10);
    expect(balanceOf(ledger, 'USD', merchantPayableAccount('joe-blogs'))).toBe(90);
    expect(payPlatformFee(rest.state, { ...ask, orderId: 'OR1', amount: 1 })).toMatchObject({
      code: 'fee_exceeds_escrow',
    });
  });

  it('moves no money between orders, even between two orders of one merchant', () => {
    const state = withOrders(
      campaign,
      { ...campaign, orderId: 'OR2' },
      {
        orderId: 'OR3',
        merchantId: 'someone-else',
        currency: 'USD',
      },
    );
    const inOne = accepted(
      debit(state, { ...ask, orderId: 'OR1', amount: 100, source: 'tok_visa' }),
    );
    // OR2 holds nothing, whatever OR1 holds.
    expect(payout(inOne.state, { ...ask, orderId: 'OR2', amount: 1 })).toMatchObject({
      code: 'payout_exceeds_escrow',
    });
    // The other orders' state is the very same value and their escrow accounts untouched.
    expect(inOne.state.orders.OR2).toBe(state.orders.OR2);
    expect(inOne.state.orders.OR3).toBe(state.orders.OR3);
    expect(balanceOf(inOne.state.ledger, 'USD', orderEscrowAccount('OR2'))).toBe(0);
    // A debit of OR1 cannot be refunded through OR2.
    expect(
      refundDebit(inOne.state, { ...ask, orderId: 'OR2', debitId: 'OR1/debits/1', amount: 1 }),
    ).toMatchObject({ code: 'debit_not_found' });
    // Another merchant cannot pay itself out of OR1.
    expect(
      payout(inOne.state, { ...ask, merchantId: 'someone-else', orderId: 'OR1', amount: 1 }),
    ).toMatchObject({ code: 'merchant_mismatch' });
  });

  it('projects the order onto its document fields, which agree with the ledger', () => {
    let state = funded(100);
    state = accepted(payPlatformFee(state, { ...ask, orderId: 'OR1', amount: 10 })).state;
    state = accepted(payout(state, { ...ask, orderId: 'OR1', amount: 60 })).state;
    state = accepted(
      reversePayout(state, { ...ask, orderId: 'OR1', payoutId: 'OR1/payouts/1', amount: 20 }),
    ).state;
    state = accepted(
      refundDebit(state, {
        ...ask,
        orderId: 'OR1',
        debitId: 'OR1/debits/1',
        amount: 25,
        reason: 'requested_by_customer',
      }),
    ).state;
    const order = findOrder(state, 'OR1');
    if (order === undefined) expect.fail('no order');
    const document = projectOrder(order);
    expect(document).toEqual({
      orderId: 'OR1',
      merchant: 'joe-blogs',
      currency: 'USD',
      amount: 100,
      amountEscrowed: 25,
      amountPaidOut: 40,
      amountRefunded: 25,
      amountPlatformFee: 10,
      debits: [{ debitId: 'OR1/debits/1', amount: 100, source: 'tok_visa', created: 1_000 }],
      payouts: [{ payoutId: 'OR1/payouts/1', amount: 60, created: 1_000 }],
      refunds: [
        {
          refundId: 'OR1/refunds/1',
          debitId: 'OR1/debits/1',
          amount: 25,
          reason: 'requested_by_customer',
          created: 1_000,
        },
      ],
      payoutReversals: [{ payoutId: 'OR1/payouts/1', amount: 20, created: 1_000 }],
      platformFees: [{ payoutId: 'OR1/fees/1', amount: 10, created: 1_000 }],
    });
    expect(orderAmountsFromLedger(state.ledger, 'OR1', 'USD')).toEqual({
      amount: 100,
      amountEscrowed: 25,
      amountPaidOut: 40,
      amountRefunded: 25,
      amountPlatformFee: 10,
    });
  });
});
