import type { Order, OrderPayoutReversal, OrderPlatformFee, OrderRefund } from './order.js';
import type { OrderDebited, OrderPaidOut } from './order-events.js';

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
