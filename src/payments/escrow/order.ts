import type {
  OrderDebited,
  OrderDebitRefunded,
  OrderPaidOut,
  OrderPayoutReversed,
  OrderPlatformFeePaid,
} from './order-events.js';

// Records reuse the events' fields so the state, the events and the Order document's list
// items cannot drift apart in naming.

/** A debit into the order, with how much of it has been refunded so far. */
export type OrderDebit = Omit<OrderDebited, 'type'> & { readonly amountRefunded: number };

/** A payout to the merchant, with how much of it has been reversed so far. */
export type OrderPayout = Omit<OrderPaidOut, 'type'> & { readonly amountReversed: number };

/** A refund of (part of) a debit. */
export type OrderRefund = Omit<OrderDebitRefunded, 'type'>;

/** A reversal of (part of) a payout. */
export type OrderPayoutReversal = Omit<OrderPayoutReversed, 'type'>;

/** A platform fee paid out of the order. */
export type OrderPlatformFee = Omit<OrderPlatformFeePaid, 'type'>;

/**
 * A per-merchant escrow (Balanced "Order"). The running totals mirror the Order document's
 * fields; the ledger is the independent record they must agree with. Invariant:
 * amountEscrowed = amount − amountRefunded − amountPaidOut − amountPlatformFee ≥ 0.
 */
export interface Order {
  readonly orderId: string;
  readonly merchantId: string;
  readonly currency: string;
  readonly description?: string;
  readonly createdAt: number;
  /** Total debited into the order. */
  readonly amount: number;
  readonly amountEscrowed: number;
  /** Net of reversals. */
  readonly amountPaidOut: number;
  readonly amountRefunded: number;
  readonly amountPlatformFee: number;
  readonly debits: readonly OrderDebit[];
  readonly payouts: readonly OrderPayout[];
  readonly refunds: readonly OrderRefund[];
  readonly payoutReversals: readonly OrderPayoutReversal[];
  readonly platformFees: readonly OrderPlatformFee[];
}
