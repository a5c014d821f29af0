import type { ErrorCode } from '../../errors/error-code.js';
import type { JsonObject } from '../../model/json.js';

/**
 * Where a BitPay (API v0.3) invoice is. `new` is the only status in which payments are
 * credited; `complete`, `expired` and `invalid` are final.
 */
export type InvoiceStatus = 'new' | 'paid' | 'confirmed' | 'complete' | 'expired' | 'invalid';

/** When an invoice counts as `confirmed`: high at payment, medium after 1 block, low after 6. */
export type TransactionSpeed = 'high' | 'medium' | 'low';

/**
 * Whether the amount credited differs from the price. `'false'` is text, not a boolean,
 * because the document's `exceptionStatus` field is Text (a field has one type); the BitPay
 * JSON body renders it as the boolean `false` (see `invoiceJson`).
 */
export type ExceptionStatus = 'false' | 'paidPartial' | 'paidOver';

/** One transaction the chain watcher saw paying the invoice's address. */
export interface InvoiceTransaction {
  txid: string;
  /** Satoshis paid to the invoice's address by this transaction. */
  amount: number;
  /** When it was seen (ms since the Unix epoch). */
  seenAt: number;
  /** Blocks confirming it; never decreases. */
  confirmations: number;
  /**
   * True when it counts towards `btcPaid`: only payments seen while the invoice was `new`
   * (and before its expiration) are credited, as BitPay does. The others are kept so that the
   * merchant can refund them.
   */
  credited: boolean;
}

/**
 * The processor's own record of a bitcoin invoice: the source of truth for what was paid.
 * The document mirrors it through the answers it receives. Serialisable JSON: amounts are
 * integer satoshis or minor units, times integer milliseconds since the Unix epoch.
 */
export interface BitcoinInvoice {
  invoiceId: string;
  /** An https URL where the invoice can be viewed. */
  url: string;
  /** Amount to collect, in minor units of `currency` (satoshis when the currency is BTC). */
  price: number;
  currency: string;
  /** Minor units of `currency` per 1 BTC, locked at creation. */
  rate: number;
  /** Satoshis requested: ceil(price × 10^8 / rate). */
  btcPrice: number;
  /** Satoshis credited: the sum of the credited transactions. */
  btcPaid: number;
  /** Satoshis still due: max(0, btcPrice − btcPaid). */
  btcDue: number;
  status: InvoiceStatus;
  exceptionStatus: ExceptionStatus;
  transactionSpeed: TransactionSpeed;
  fullNotifications: boolean;
  notificationURL?: string;
  posData?: string;
  orderID?: string;
  /** What the merchant gave for the buyer to see (BitPay's optional display fields). */
  details?: InvoiceDetails;
  /** The bitcoin address payments must be sent to. */
  address: string;
  invoiceTime: number;
  /** invoiceTime + 15 minutes; a payment seen at or after it is not credited. */
  expirationTime: number;
  /** The time of the last command applied; it never goes backwards. */
  currentTime: number;
  /** When full payment was first seen. */
  paidTime?: number;
  /** paidTime + 1 hour, set when the invoice becomes `paid`: not confirmed by then → `invalid`. */
  invalidAfter?: number;
  /** Confirmations of the least-confirmed credited transaction (0 when none). */
  confirmations: number;
  transactions: readonly InvoiceTransaction[];
}

/** What the service asks of the invoice machine at creation. */
export interface NewInvoice {
  invoiceId: string;
  url: string;
  /** Integer minor units of `currency`, above zero. */
  price: number;
  /** Three upper-case letters (ISO 4217, or BTC). */
  currency: string;
  /** Integer minor units of `currency` per 1 BTC, above zero; exactly 10^8 when currency is BTC. */
  rateMinorPerBtc: number;
  /** One of {@link TransactionSpeed}; absent means `medium` (BitPay's default order setting). */
  transactionSpeed?: string;
  /** Absent means false, as in BitPay. */
  fullNotifications?: boolean;
  /** Must be https (BitPay accepts no other URL). */
  notificationURL?: string;
  posData?: string;
  orderID?: string;
  details?: InvoiceDetails;
  address: string;
  at: number;
}

/**
 * BitPay's optional order-handling and buyer fields: shown to the buyer on the checkout page
 * and echoed in the invoice object, never used to decide anything.
 */
export interface InvoiceDetails {
  redirectURL?: string;
  notificationEmail?: string;
  itemDesc?: string;
  itemCode?: string;
  physical?: boolean;
  buyerName?: string;
  buyerAddress1?: string;
  buyerAddress2?: string;
  buyerCity?: string;
  buyerState?: string;
  buyerZip?: string;
  buyerCountry?: string;
  buyerEmail?: string;
  buyerPhone?: string;
}

/** The names of {@link InvoiceDetails}, in the order the invoice object lists them. */
export const INVOICE_DETAIL_FIELDS = [
  'redirectURL',
  'notificationEmail',
  'itemDesc',
  'itemCode',
  'physical',
  'buyerName',
  'buyerAddress1',
  'buyerAddress2',
  'buyerCity',
  'buyerState',
  'buyerZip',
  'buyerCountry',
  'buyerEmail',
  'buyerPhone',
] as const satisfies readonly (keyof InvoiceDetails)[];

/** A transaction the chain watcher saw (Bitcoin/Bitcoin Payment Seen). */
export interface SeenPayment {
  txid: string;
  /** Satoshis, an integer above zero. */
  amount: number;
  address: string;
}

/** A confirmation count the chain watcher reports (Bitcoin/Bitcoin Confirmations). */
export interface SeenConfirmations {
  txid: string;
  /** Blocks confirming the transaction, an integer of zero or more. */
  confirmations: number;
}

/**
 * An instant payment notification (IPN) to deliver: POST `body` as JSON to `url`. The machine
 * only returns it; the engine makes it an `invoice.notification` event, which the webhook worker signs, delivers and retries.
 */
export interface InvoiceNotification {
  url: string;
  body: JsonObject;
}

/** Why the machine refused a command; nothing changed. */
export type InvoiceRefusalCode = Extract<
  ErrorCode,
  | 'invalid_invoice_id'
  | 'invalid_url'
  | 'invalid_price'
  | 'invalid_currency'
  | 'invalid_rate'
  | 'invalid_speed'
  | 'invalid_notification_url'
  | 'invalid_address'
  | 'invalid_time'
  | 'invalid_txid'
  | 'invalid_amount'
  | 'invalid_confirmations'
  | 'wrong_address'
  | 'duplicate_transaction'
  | 'unknown_transaction'
  | 'amount_overflow'
>;

/**
 * A transition: the new invoice, the answers for the document (on its paymentProcessor
 * channel) and the notifications to deliver; or a refusal, in which case nothing changes.
 */
export type InvoiceOutcome =
  | {
      ok: true;
      state: BitcoinInvoice;
      answers: JsonObject[];
      notifications: InvoiceNotification[];
    }
  | { ok: false; code: InvoiceRefusalCode; message: string };
