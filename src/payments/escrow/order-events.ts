/**
 * The qualified names of the event types in documents/types/payments/order-*.yaml. Events carry
 * exactly the fields those types declare, so the engine can deliver them to an Order document.
 */
export const ORDER_EVENT_TYPES = {
  debited: 'Payments/Order Debited',
  paidOut: 'Payments/Order Paid Out',
  payoutReversed: 'Payments/Order Payout Reversed',
  debitRefunded: 'Payments/Order Debit Refunded',
  platformFeePaid: 'Payments/Order Platform Fee Paid',
} as const;

/** A buyer's funding source was debited into the order (Payments/Order Debited). */
export interface OrderDebited {
  readonly type: typeof ORDER_EVENT_TYPES.debited;
  readonly debitId: string;
  readonly amount: number;
  readonly source: string;
  readonly created: number;
}

/** Escrow was paid out to the order's merchant (Payments/Order Paid Out). */
export interface OrderPaidOut {
  readonly type: typeof ORDER_EVENT_TYPES.paidOut;
  readonly payoutId: string;
  readonly amount: number;
  readonly destination?: string;
  readonly created: number;
}

/** (Part of) a payout came back into the escrow (Payments/Order Payout Reversed). */
export interface OrderPayoutReversed {
  readonly type: typeof ORDER_EVENT_TYPES.payoutReversed;
  readonly payoutId: string;
  readonly amount: number;
  readonly created: number;
}

/** (Part of) a debit went back to the buyer out of the escrow (Payments/Order Debit Refunded). */
export interface OrderDebitRefunded {
  readonly type: typeof ORDER_EVENT_TYPES.debitRefunded;
  readonly refundId: string;
  readonly debitId: string;
  readonly amount: number;
  readonly reason?: string;
  readonly created: number;
}

/** The marketplace's fee left the escrow for the platform (Payments/Order Platform Fee Paid). */
export interface OrderPlatformFeePaid {
  readonly type: typeof ORDER_EVENT_TYPES.platformFeePaid;
  readonly payoutId: string;
  readonly amount: number;
  readonly destination?: string;
  readonly created: number;
}

/** Any event an order command produces. */
export type OrderEvent =
  OrderDebited | OrderPaidOut | OrderPayoutReversed | OrderDebitRefunded | OrderPlatformFeePaid;
