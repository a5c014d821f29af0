import type { JsonObject } from '../model/json.js';
import { scalarOf } from '../model/node.js';

/**
 * The webhook event catalogue (issue 14): every event an account can be told of, its dotted
 * type, and what it means. Payment processor answers map one to one (the answer's type names
 * the event); a Bitcoin invoice's status change names its new status; the document's own life
 * and the webhook machinery add a few. docs/webhooks.md prints this table; a type not here is
 * never sent.
 */
export const EVENT_CATALOGUE = {
  'document.created': 'A document was posted and initialised (data.document: its state).',
  'document.terminated': 'A document ended: its rules terminated it, gracefully or not.',
  'payment.authorized': 'The card was authorised for the amount (Payment Authorized).',
  'payment.declined': 'The card network declined the authorisation (Payment Declined).',
  'payment.requires_action':
    'The authorisation needs the customer (3-D Secure): confirm it (Payment Requires Action).',
  'payment.captured': 'Money was captured from the authorisation (Payment Captured).',
  'payment.refunded': 'Captured money was refunded (Payment Refunded).',
  'payment.voided': 'The authorisation was released uncaptured (Payment Voided).',
  'payment.expired': 'The authorisation expired uncaptured (Authorization Expired).',
  'payment.request_refused':
    'The processor refused what the document asked, and nothing moved (Illegal Request).',
  'dispute.opened': 'The cardholder disputed the charge; funds are withdrawn (Dispute Opened).',
  'dispute.updated': 'A dispute changed (evidence under review) (Dispute Updated).',
  'dispute.evidence_submitted': 'Evidence was submitted for a dispute.',
  'dispute.won': 'A dispute was decided for the merchant; funds come back (Dispute Won).',
  'dispute.lost': 'A dispute was decided for the cardholder (Dispute Lost).',
  'order.debited': 'A buyer was debited into an escrow order (Order Debited).',
  'order.debit_refunded': 'A debit of an order was refunded (Order Debit Refunded).',
  'order.paid_out': 'An order paid a seller out (Order Paid Out).',
  'order.payout_reversed': 'A payout of an order was reversed (Order Payout Reversed).',
  'order.platform_fee_paid': "An order paid the platform's fee (Order Platform Fee Paid).",
  'invoice.created': 'A Bitcoin invoice was opened at its rate, with its address.',
  'invoice.updated':
    'A Bitcoin invoice changed without a status change (a partial payment, a block).',
  'invoice.paid': 'A Bitcoin invoice was paid in full (status paid).',
  'invoice.confirmed': 'A Bitcoin invoice reached its confirmations (status confirmed).',
  'invoice.complete': 'A Bitcoin invoice reached six confirmations (status complete).',
  'invoice.expired': 'A Bitcoin invoice expired before it was paid (status expired).',
  'invoice.invalid': 'A paid Bitcoin invoice was not confirmed in time (status invalid).',
  'invoice.notification':
    "The BitPay v0.3 notification of an invoice (its JSON), sent only to the invoice's notificationURL.",
  'webhook_endpoint.disabled':
    'An endpoint of the account failed for three days and was disabled (data.endpoint).',
} as const;

export type EventType = keyof typeof EVENT_CATALOGUE;

export function isEventType(text: string): text is EventType {
  return Object.hasOwn(EVENT_CATALOGUE, text);
}

/** The event of each processor answer, by the answer's library type name. */
const ANSWER_EVENTS: Readonly<Record<string, EventType>> = {
  'Payments/Payment Authorized': 'payment.authorized',
  'Payments/Payment Declined': 'payment.declined',
  'Payments/Payment Requires Action': 'payment.requires_action',
  'Payments/Payment Captured': 'payment.captured',
  'Payments/Payment Refunded': 'payment.refunded',
  'Payments/Payment Voided': 'payment.voided',
  'Payments/Authorization Expired': 'payment.expired',
  'Payments/Illegal Request': 'payment.request_refused',
  'Payments/Dispute Opened': 'dispute.opened',
  'Payments/Dispute Updated': 'dispute.updated',
  'Payments/Dispute Evidence Submitted': 'dispute.evidence_submitted',
  'Payments/Dispute Won': 'dispute.won',
  'Payments/Dispute Lost': 'dispute.lost',
  'Payments/Order Debited': 'order.debited',
  'Payments/Order Debit Refunded': 'order.debit_refunded',
  'Payments/Order Paid Out': 'order.paid_out',
  'Payments/Order Payout Reversed': 'order.payout_reversed',
  'Payments/Order Platform Fee Paid': 'order.platform_fee_paid',
  'Payments/Bitcoin Invoice Created': 'invoice.created',
  'Payments/Bitcoin Invoice Updated': 'invoice.updated',
};

const INVOICE_STATUS_CHANGED = 'Payments/Bitcoin Invoice Status Changed';

/** The event type of a processor answer (the processor writes library names), if any. */
export function answerEventType(answer: JsonObject): EventType | undefined {
  const type = scalarOf(answer.type);
  if (typeof type !== 'string') return undefined;
  if (type === INVOICE_STATUS_CHANGED) {
    const status = `invoice.${String(scalarOf(answer.status))}`;
    return isEventType(status) ? status : undefined;
  }
  return Object.hasOwn(ANSWER_EVENTS, type) ? ANSWER_EVENTS[type] : undefined;
}
