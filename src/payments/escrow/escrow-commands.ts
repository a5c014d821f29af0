// Every command names the merchant acting and the currency it means, so a command aimed at the
// wrong order (another merchant's, another currency's) is refused instead of moving money.
// `at` is the time in milliseconds since the Unix epoch: the domain has no clock of its own.

/** Opens an empty escrow for one merchant in one currency. */
export interface CreateOrderCommand {
  readonly orderId: string;
  readonly merchantId: string;
  readonly currency: string;
  readonly description?: string;
  readonly at: number;
}

/** The fields every money-moving command carries. */
export interface OrderCommandBase {
  readonly orderId: string;
  readonly merchantId: string;
  readonly currency: string;
  /** Minor units of `currency`; a positive safe integer. */
  readonly amount: number;
  readonly at: number;
}

/** Debits a buyer's funding source (a card token) into the order's escrow. */
export interface DebitCommand extends OrderCommandBase {
  readonly source: string;
}

/** Refunds (part of) a debit from the escrow back to the buyer's funding source. */
export interface RefundDebitCommand extends OrderCommandBase {
  readonly debitId: string;
  readonly reason?: string;
}

/** Pays escrow out to the order's merchant. */
export interface PayoutCommand extends OrderCommandBase {
  /** Reference of the merchant's bank account, recorded on the event. */
  readonly destination?: string;
}

/** Brings (part of) a payout back from the merchant into the escrow. */
export interface ReversePayoutCommand extends OrderCommandBase {
  readonly payoutId: string;
}

/** Pays the marketplace's fee out of the escrow, separately from the merchant's payouts. */
export interface PayPlatformFeeCommand extends OrderCommandBase {
  /** Reference of the marketplace owner's bank account, recorded on the event. */
  readonly destination?: string;
}

/** Any escrow command, tagged with the name of the function that executes it. */
export type EscrowCommand =
  | ({ readonly kind: 'createOrder' } & CreateOrderCommand)
  | ({ readonly kind: 'debit' } & DebitCommand)
  | ({ readonly kind: 'refundDebit' } & RefundDebitCommand)
  | ({ readonly kind: 'payout' } & PayoutCommand)
  | ({ readonly kind: 'reversePayout' } & ReversePayoutCommand)
  | ({ readonly kind: 'payPlatformFee' } & PayPlatformFeeCommand);

/** The kind of an {@link EscrowCommand}. */
export type EscrowCommandKind = EscrowCommand['kind'];
