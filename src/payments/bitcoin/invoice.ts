import { changesBetween, createdAnswer } from './invoice-answers.js';
import {
  COMPLETE_CONFIRMATIONS,
  CONFIRMATION_WINDOW_MS,
  CONFIRMATIONS_REQUIRED,
  INVOICE_TTL_MS,
  isTransactionSpeed,
} from './invoice-policy.js';
import { PaydocError } from '../../errors/paydoc-error.js';
import { fiatToSatoshis } from '../money/convert.js';
import { isCurrencyCode } from '../money/currency.js';
import type {
  BitcoinInvoice,
  ExceptionStatus,
  InvoiceOutcome,
  InvoiceRefusalCode,
  InvoiceTransaction,
  NewInvoice,
  SeenConfirmations,
  SeenPayment,
} from './invoice-types.js';

/*
 * A BitPay-style (API v0.3) bitcoin invoice as a pure, deterministic machine: a record in,
 * a new record with answers and notifications out, or a refusal that changes nothing. Time
 * comes in as `at` (ms since the Unix epoch); there is no clock, I/O or randomness here.
 *
 * Time never runs backwards: an `at` before the invoice's currentTime is taken as currentTime,
 * so a report delivered late cannot undo a deadline already passed. Every command first
 * applies the deadlines due at its time (as `tick` would), then itself, so the outcome does
 * not depend on whether the timer fired first. A deadline is inclusive: at expirationTime the
 * invoice has expired, at invalidAfter an unconfirmed one is invalid.
 */

function refuse(code: InvoiceRefusalCode, message: string): InvoiceOutcome {
  return { ok: false, code, message };
}

function isTime(at: number): boolean {
  return Number.isSafeInteger(at) && at >= 0;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * How a price is rounded to whole satoshis: `up`, as BitPay does, so that the buyer never
 * pays less than the price and the merchant never receives less.
 */
export const BTC_PRICE_ROUNDING = 'up';

/**
 * Opens an invoice: locks `rateMinorPerBtc` and prices it in satoshis,
 * ceil(price × 10^8 / rate) (the money module's fiatToSatoshis, {@link BTC_PRICE_ROUNDING}), status `new`, expiring 15 minutes after `at`. Answers one Bitcoin
 * Invoice Created carrying the quote; it notifies no one (BitPay returns the invoice to the
 * creator instead).
 */
export function createInvoice(request: NewInvoice): InvoiceOutcome {
  const { price, currency, rateMinorPerBtc: rate, at } = request;
  if (!isText(request.invoiceId)) return refuse('invalid_invoice_id', 'invoiceId must be set');
  if (!isText(request.url)) return refuse('invalid_url', 'url must be set');
  if (!Number.isSafeInteger(price) || price <= 0)
    return refuse(
      'invalid_price',
      `price must be a positive integer in minor units, got ${String(price)}`,
    );
  if (!isCurrencyCode(currency))
    return refuse(
      'invalid_currency',
      `currency ${JSON.stringify(currency)} is not one paydoc prices invoices in`,
    );
  if (!Number.isSafeInteger(rate) || rate <= 0)
    return refuse(
      'invalid_rate',
      `rate must be a positive integer in minor units per BTC, got ${String(rate)}`,
    );
  // An invoice priced in BTC is priced in satoshis already: anything but 1:1 would be a bug.
  if (currency === 'BTC' && rate !== 100_000_000)
    return refuse('invalid_rate', `a BTC-priced invoice has rate 100000000, got ${rate}`);
  const speed = request.transactionSpeed ?? 'medium';
  if (!isTransactionSpeed(speed))
    return refuse(
      'invalid_speed',
      `transactionSpeed must be high, medium or low, got ${JSON.stringify(speed)}`,
    );
  const { notificationURL } = request;
  if (notificationURL !== undefined && !/^https:\/\/[^\s]+$/.test(notificationURL))
    return refuse(
      'invalid_notification_url',
      `notificationURL must be an https URL, got ${JSON.stringify(notificationURL)}`,
    );
  if (!isText(request.address)) return refuse('invalid_address', 'address must be set');
  if (!isTime(at) || !isTime(at + INVOICE_TTL_MS))
    return refuse('invalid_time', `at must be a time in ms since the Unix epoch, got ${at}`);
  const btcPrice = satoshisForPrice(price, currency, rate);
  if (btcPrice === undefined)
    return refuse('invalid_price', `price ${price} at rate ${rate} is beyond 2^53−1 satoshis`);
  const invoice: BitcoinInvoice = {
    invoiceId: request.invoiceId,
    url: request.url,
    price,
    currency,
    rate,
    btcPrice,
    btcPaid: 0,
    btcDue: btcPrice,
    status: 'new',
    exceptionStatus: 'false',
    transactionSpeed: speed,
    fullNotifications: request.fullNotifications ?? false,
    ...(notificationURL !== undefined ? { notificationURL } : {}),
    ...(request.posData !== undefined ? { posData: request.posData } : {}),
    ...(request.orderID !== undefined ? { orderID: request.orderID } : {}),
    ...(request.details !== undefined && Object.keys(request.details).length > 0
      ? { details: request.details }
      : {}),
    address: request.address,
    invoiceTime: at,
    expirationTime: at + INVOICE_TTL_MS,
    currentTime: at,
    confirmations: 0,
    transactions: [],
  };
  return { ok: true, state: invoice, answers: [createdAnswer(invoice)], notifications: [] };
}

/** Satoshis for a price (both checked already), or undefined beyond 2^53−1. */
function satoshisForPrice(price: number, currency: string, rate: number): number | undefined {
  try {
    return fiatToSatoshis(price, currency, rate, BTC_PRICE_ROUNDING).amount;
  } catch (error) {
    if (error instanceof PaydocError && error.code === 'money_overflow') return undefined;
    throw error;
  }
}

/**
 * The chain watcher saw `payment` to the invoice's address. While the invoice is `new` and
 * not past expirationTime, it is credited: btcPaid grows, and a full (or over) payment makes
 * the invoice `paid` (`confirmed` at once for the high speed; BitPay skips `paid` then), an
 * under payment flags it `paidPartial` and leaves it `new`. In any other status (including
 * an invoice that expires at this very moment) the payment is recorded uncredited, as BitPay
 * credits only `new` invoices; it changes no amount, and the merchant refunds it.
 * Refused: a payment to another address, a txid already seen, a non-positive amount.
 */
export function paymentSeen(
  invoice: BitcoinInvoice,
  payment: SeenPayment,
  at: number,
): InvoiceOutcome {
  if (!isText(payment.txid)) return refuse('invalid_txid', 'txid must be set');
  if (!Number.isSafeInteger(payment.amount) || payment.amount <= 0)
    return refuse(
      'invalid_amount',
      `amount must be a positive integer of satoshis, got ${String(payment.amount)}`,
    );
  if (payment.address !== invoice.address)
    return refuse(
      'wrong_address',
      `transaction ${payment.txid} pays ${payment.address}, not the invoice's address ${invoice.address}`,
    );
  if (invoice.transactions.some((tx) => tx.txid === payment.txid))
    return refuse('duplicate_transaction', `transaction ${payment.txid} was already seen`);
  if (!isTime(at)) return refuse('invalid_time', `at must be a time in ms, got ${at}`);
  const clocked = advanceClock(invoice, at);
  const now = clocked.currentTime;
  const credited = clocked.status === 'new';
  const btcPaid = credited ? clocked.btcPaid + payment.amount : clocked.btcPaid;
  if (!Number.isSafeInteger(btcPaid))
    return refuse('amount_overflow', `btcPaid would exceed 2^53−1 satoshis`);
  const tx: InvoiceTransaction = {
    txid: payment.txid,
    amount: payment.amount,
    seenAt: now,
    confirmations: 0,
    credited,
  };
  const recorded: BitcoinInvoice = { ...clocked, transactions: [...clocked.transactions, tx] };
  if (!credited) return finish(invoice, clocked, recorded);
  const amounts: BitcoinInvoice = withConfirmations({
    ...recorded,
    btcPaid,
    btcDue: Math.max(0, clocked.btcPrice - btcPaid),
    exceptionStatus: exceptionOf(btcPaid, clocked.btcPrice),
  });
  if (btcPaid < clocked.btcPrice) return finish(invoice, clocked, amounts);
  const settled = settle({ ...amounts, status: 'paid', paidTime: now });
  // Only an invoice left waiting in `paid` has a confirmation deadline to watch.
  const paid =
    settled.status === 'paid'
      ? { ...settled, invalidAfter: now + CONFIRMATION_WINDOW_MS }
      : settled;
  return finish(invoice, clocked, paid);
}

/**
 * The chain watcher reports how many blocks confirm a transaction already seen. Counts only
 * go up: a report at or below the known count is ignored (ok, nothing changes but the time),
 * because watchers repeat themselves and a lagging node reports stale counts; a refusal
 * would only produce a spurious Illegal Request. A `paid` invoice becomes `confirmed` when
 * every credited transaction has the speed's blocks (medium 1, low 6), and `complete` at 6
 * (a low-speed invoice goes from paid straight to complete, as BitPay says). Expired and
 * invalid invoices keep their status. Refused: an unknown txid, a negative count.
 */
export function confirmationsSeen(
  invoice: BitcoinInvoice,
  report: SeenConfirmations,
  at: number,
): InvoiceOutcome {
  if (!Number.isSafeInteger(report.confirmations) || report.confirmations < 0)
    return refuse(
      'invalid_confirmations',
      `confirmations must be an integer of zero or more, got ${String(report.confirmations)}`,
    );
  const known = invoice.transactions.find((tx) => tx.txid === report.txid);
  if (known === undefined)
    return refuse(
      'unknown_transaction',
      `transaction ${report.txid} was never seen paying this invoice`,
    );
  if (!isTime(at)) return refuse('invalid_time', `at must be a time in ms, got ${at}`);
  const clocked = advanceClock(invoice, at);
  if (report.confirmations <= known.confirmations) return finish(invoice, clocked, clocked);
  const transactions = clocked.transactions.map((tx) =>
    tx.txid === report.txid ? { ...tx, confirmations: report.confirmations } : tx,
  );
  return finish(invoice, clocked, settle(withConfirmations({ ...clocked, transactions })));
}

/**
 * Applies the deadlines due at `at`: a `new` invoice at or past expirationTime becomes
 * `expired` (a partial payment keeps its paidPartial flag and amounts), a `paid` one at or
 * past invalidAfter becomes `invalid`. Otherwise nothing changes but the time; a tick is never
 * refused for being early, as timers may fire late, early or twice.
 */
export function tick(invoice: BitcoinInvoice, at: number): InvoiceOutcome {
  if (!isTime(at)) return refuse('invalid_time', `at must be a time in ms, got ${at}`);
  const clocked = advanceClock(invoice, at);
  return finish(invoice, clocked, clocked);
}

/** The deadlines due at `at` applied, and the time advanced (never backwards). */
function advanceClock(invoice: BitcoinInvoice, at: number): BitcoinInvoice {
  const now = Math.max(at, invoice.currentTime);
  if (invoice.status === 'new' && now >= invoice.expirationTime)
    return { ...invoice, status: 'expired', currentTime: now };
  if (
    invoice.status === 'paid' &&
    invoice.invalidAfter !== undefined &&
    now >= invoice.invalidAfter
  )
    return { ...invoice, status: 'invalid', currentTime: now };
  return { ...invoice, currentTime: now };
}

/** Moves a paid or confirmed invoice as far as its credited transactions' blocks allow. */
function settle(invoice: BitcoinInvoice): BitcoinInvoice {
  if (invoice.status !== 'paid' && invoice.status !== 'confirmed') return invoice;
  if (invoice.confirmations >= COMPLETE_CONFIRMATIONS) return { ...invoice, status: 'complete' };
  if (
    invoice.status === 'paid' &&
    invoice.confirmations >= CONFIRMATIONS_REQUIRED[invoice.transactionSpeed]
  )
    return { ...invoice, status: 'confirmed' };
  return invoice;
}

/** `confirmations` recomputed: the least-confirmed credited transaction's count. */
function withConfirmations(invoice: BitcoinInvoice): BitcoinInvoice {
  const counts = invoice.transactions.filter((tx) => tx.credited).map((tx) => tx.confirmations);
  return { ...invoice, confirmations: counts.length === 0 ? 0 : Math.min(...counts) };
}

function exceptionOf(btcPaid: number, btcPrice: number): ExceptionStatus {
  if (btcPaid > btcPrice) return 'paidOver';
  if (btcPaid > 0 && btcPaid < btcPrice) return 'paidPartial';
  return 'false';
}

/** The outcome of a command: the deadline's changes first, then the command's own. */
function finish(
  before: BitcoinInvoice,
  clocked: BitcoinInvoice,
  after: BitcoinInvoice,
): InvoiceOutcome {
  const deadline = changesBetween(before, clocked);
  const command = changesBetween(clocked, after);
  return {
    ok: true,
    state: after,
    answers: [...deadline.answers, ...command.answers],
    notifications: [...deadline.notifications, ...command.notifications],
  };
}
