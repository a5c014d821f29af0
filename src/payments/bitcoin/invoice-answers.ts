import type { JsonObject } from '../../model/json.js';
import { notificationFor } from './invoice-notifications.js';
import type { BitcoinInvoice, InvoiceNotification } from './invoice-types.js';

/** Answer: the invoice was created; carries the quote the document must store. */
export const INVOICE_CREATED = 'Payments/Bitcoin Invoice Created';
/** Answer: the invoice changed status (and whatever else changed with it). */
export const INVOICE_STATUS_CHANGED = 'Payments/Bitcoin Invoice Status Changed';
/** Answer: a mirrored field changed without a status change (a partial payment, a block). */
export const INVOICE_UPDATED = 'Payments/Bitcoin Invoice Updated';

/**
 * The fields every answer carries, the ones the document mirrors (Bitcoin Invoice Updated):
 * status, exceptionStatus, btcPaid, btcDue, confirmations, and the time of the change.
 */
function mirrored(invoice: BitcoinInvoice): JsonObject {
  return {
    invoiceId: invoice.invoiceId,
    status: invoice.status,
    exceptionStatus: invoice.exceptionStatus,
    btcPaid: invoice.btcPaid,
    btcDue: invoice.btcDue,
    confirmations: invoice.confirmations,
    currentTime: invoice.currentTime,
  };
}

/** The answer to creation: the mirrored fields plus the locked quote, address and times. */
export function createdAnswer(invoice: BitcoinInvoice): JsonObject {
  return {
    type: INVOICE_CREATED,
    ...mirrored(invoice),
    url: invoice.url,
    rate: invoice.rate,
    btcPrice: invoice.btcPrice,
    address: invoice.address,
    transactionSpeed: invoice.transactionSpeed,
    fullNotifications: invoice.fullNotifications,
    invoiceTime: invoice.invoiceTime,
    expirationTime: invoice.expirationTime,
  };
}

/**
 * What changed between two successive records, as answers and notifications: a status change
 * gives one Status Changed (with paidTime and invalidAfter once set) and, per the invoice's
 * notification settings, a notification; a change of the other mirrored fields alone gives
 * one Updated and no notification (BitPay notifies on status changes only); no change, nothing.
 */
export function changesBetween(
  before: BitcoinInvoice,
  after: BitcoinInvoice,
): { answers: JsonObject[]; notifications: InvoiceNotification[] } {
  if (before.status !== after.status) {
    const notification = notificationFor(before.status, after);
    return {
      answers: [
        {
          type: INVOICE_STATUS_CHANGED,
          ...mirrored(after),
          previousStatus: before.status,
          ...(after.paidTime !== undefined ? { paidTime: after.paidTime } : {}),
          ...(after.invalidAfter !== undefined ? { invalidAfter: after.invalidAfter } : {}),
        },
      ],
      notifications: notification === undefined ? [] : [notification],
    };
  }
  const unchanged =
    before.exceptionStatus === after.exceptionStatus &&
    before.btcPaid === after.btcPaid &&
    before.btcDue === after.btcDue &&
    before.confirmations === after.confirmations;
  if (unchanged) return { answers: [], notifications: [] };
  return { answers: [{ type: INVOICE_UPDATED, ...mirrored(after) }], notifications: [] };
}
