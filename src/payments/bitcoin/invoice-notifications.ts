import { invoiceJson } from './invoice-json.js';
import type { BitcoinInvoice, InvoiceNotification, InvoiceStatus } from './invoice-types.js';

/**
 * Does a status change from `from` to `to` notify? With `fullNotifications`, every change
 * does. Without, BitPay sends one "only when an invoice is confirmed (according to the
 * transactionSpeed setting)": on entering `confirmed`, or on entering `complete` straight from
 * a status before confirmed — a low-speed invoice goes paid → complete and never passes
 * through `confirmed`, yet it was confirmed then. `confirmed → complete` does not notify again.
 */
export function notifiesOn(
  fullNotifications: boolean,
  from: InvoiceStatus,
  to: InvoiceStatus,
): boolean {
  if (from === to) return false;
  if (fullNotifications) return true;
  return to === 'confirmed' || (to === 'complete' && from !== 'confirmed');
}

/**
 * The notification for the invoice having just moved from `from` to `after.status`, or
 * undefined when there is none: no `notificationURL`, or the change does not notify (see
 * {@link notifiesOn}). The body is the BitPay invoice JSON as it is after the change.
 */
export function notificationFor(
  from: InvoiceStatus,
  after: BitcoinInvoice,
): InvoiceNotification | undefined {
  if (after.notificationURL === undefined) return undefined;
  if (!notifiesOn(after.fullNotifications, from, after.status)) return undefined;
  return { url: after.notificationURL, body: invoiceJson(after) };
}
