import type { Ledger } from '../../../src/payments/escrow/escrow-ledger.js';
import {
  balanceOf,
  orderEscrowAccount,
  PLATFORM_FEES_ACCOUNT,
} from '../../../src/payments/escrow/escrow-ledger.js';
import type {
  Order,
  OrderDebited,
  OrderPaidOut,
  OrderPayoutReversal,
  OrderPlatformFee,
  OrderRefund,
} from '../../../src/payments/escrow/escrow-order.js';

// What the tests read off the escrow state to check it three ways: an order's running totals,
// the same amounts by the ledger alone, and the Order document the events should build.

/** The kinds of ledger account the escrow books use. */
export type AccountKind =
  'buyerFunding' | 'buyerRefunds' | 'orderEscrow' | 'merchantPayable' | 'platformFees';

/** The kind of an account named by escrow-ledger.ts; undefined for any other name. */
export function accountKind(account: string): AccountKind | undefined {
  if (account === PLATFORM_FEES_ACCOUNT) return 'platformFees';
  const parts = account.split(':');
  const [prefix, , suffix] = parts;
  if (parts.length === 2 && prefix === 'buyer') return 'buyerFunding';
  if (parts.length !== 3) return undefined;
  if (prefix === 'buyer' && suffix === 'refunds') return 'buyerRefunds';
  if (prefix === 'order' && suffix === 'escrow') return 'orderEscrow';
  if (prefix === 'merchant' && suffix === 'payable') return 'merchantPayable';
  return undefined;
}

/** The money fields of an Order document. */
export interface OrderAmounts {
  readonly amount: number;
  readonly amountEscrowed: number;
  readonly amountPaidOut: number;
  readonly amountRefunded: number;
  readonly amountPlatformFee: number;
}

/**
 * The fields of a Payments/Order document (documents/types/payments/order.yaml) for an order:
 * what the document should show once every event of the order has been delivered to it. List
 * items carry exactly their item type's fields (the lists' itemType gives their type).
 */
export interface OrderDocumentFields extends OrderAmounts {
  readonly orderId: string;
  readonly merchant: string;
  readonly currency: string;
  readonly description?: string;
  readonly debits: readonly Omit<OrderDebited, 'type'>[];
  readonly payouts: readonly Omit<OrderPaidOut, 'type'>[];
  readonly refunds: readonly OrderRefund[];
  readonly payoutReversals: readonly OrderPayoutReversal[];
  readonly platformFees: readonly OrderPlatformFee[];
}

/** Projects an order onto its Order document's fields, to compare the document with the ledger. */
export function projectOrder(order: Order): OrderDocumentFields {
  return {
    orderId: order.orderId,
    merchant: order.merchantId,
    currency: order.currency,
    ...(order.description === undefined ? {} : { description: order.description }),
    amount: order.amount,
    amountEscrowed: order.amountEscrowed,
    amountPaidOut: order.amountPaidOut,
    amountRefunded: order.amountRefunded,
    amountPlatformFee: order.amountPlatformFee,
    // The running per-item totals are the domain's bookkeeping, not fields of the item types.
    debits: order.debits.map(({ amountRefunded: _refunded, ...debit }) => debit),
    payouts: order.payouts.map(({ amountReversed: _reversed, ...paid }) => paid),
    refunds: order.refunds,
    payoutReversals: order.payoutReversals,
    platformFees: order.platformFees,
  };
}

/**
 * An order's money fields as the ledger alone tells them: every transaction that touches the
 * order's escrow account, classified by the account on its other side. Comparing this with
 * {@link projectOrder} checks the document against the books without trusting the order's
 * running totals.
 */
export function orderAmountsFromLedger(
  ledger: Ledger,
  orderId: string,
  currency: string,
): OrderAmounts {
  const escrow = orderEscrowAccount(orderId);
  const sums = { amount: 0, amountPaidOut: 0, amountRefunded: 0, amountPlatformFee: 0 };
  for (const transaction of ledger.transactions) {
    if (transaction.currency !== currency) continue;
    if (!transaction.postings.some((posting) => posting.account === escrow)) continue;
    for (const { account, amount } of transaction.postings) {
      if (account === escrow) continue;
      // Counterparty postings are signed from the counterparty's side: a debit takes from the
      // buyer (negative), a payout pays the merchant (positive), a reversal takes it back.
      switch (accountKind(account)) {
        case 'buyerFunding':
          sums.amount -= amount;
          break;
        case 'buyerRefunds':
          sums.amountRefunded += amount;
          break;
        case 'merchantPayable':
          sums.amountPaidOut += amount;
          break;
        case 'platformFees':
          sums.amountPlatformFee += amount;
          break;
        default:
          // Another order's escrow or an unknown account: not a flow an order may have. Left
          // out of every sum, so amountEscrowed no longer adds up and a comparison shows it.
          break;
      }
    }
  }
  return { ...sums, amountEscrowed: balanceOf(ledger, currency, escrow) };
}
