import type { InvoiceStatus, TransactionSpeed } from './invoice-types.js';

/** BitPay: "all invoices are valid for 15 minutes". */
export const INVOICE_TTL_MS = 15 * 60 * 1000;

/** BitPay: a paid invoice not confirmed within 1 hour of payment becomes invalid. */
export const CONFIRMATION_WINDOW_MS = 60 * 60 * 1000;

/** BitPay credits the merchant (status `complete`) after 6 blocks, whatever the speed. */
export const COMPLETE_CONFIRMATIONS = 6;

/** Every {@link TransactionSpeed}. */
export const TRANSACTION_SPEEDS: readonly TransactionSpeed[] = ['high', 'medium', 'low'];

/** Blocks every credited transaction needs before the invoice is `confirmed`, per speed. */
export const CONFIRMATIONS_REQUIRED: Readonly<Record<TransactionSpeed, number>> = {
  high: 0,
  medium: 1,
  low: 6,
};

/**
 * The only status changes the machine makes. `new → confirmed` is the high speed (BitPay:
 * "bypassing the paid status"); `paid → complete` is the low speed (BitPay: "directly to a
 * complete status"), or a medium one whose first report is already 6 blocks.
 */
export const INVOICE_TRANSITIONS: Readonly<Record<InvoiceStatus, readonly InvoiceStatus[]>> = {
  new: ['paid', 'confirmed', 'expired'],
  paid: ['confirmed', 'complete', 'invalid'],
  confirmed: ['complete'],
  complete: [],
  expired: [],
  invalid: [],
};

/** True when `speed` is one of {@link TRANSACTION_SPEEDS}. */
export function isTransactionSpeed(speed: unknown): speed is TransactionSpeed {
  return typeof speed === 'string' && (TRANSACTION_SPEEDS as readonly string[]).includes(speed);
}
