import type { ErrorCode } from '../errors/error-code.js';
import { isErrorCode } from '../errors/error-code.js';
import type { ServiceError } from './outcome.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { scalarOf } from '../model/node.js';
import { ownValue } from '../model/json.js';
import type { CardCharge, ChargeOutcome } from '../payments/card/card-charge.js';
import {
  capture,
  closeDispute,
  expire,
  openCharge,
  openDispute,
  refund,
  retryAuthorization,
  submitEvidence,
  voidCharge,
} from '../payments/card/card-charge.js';
import type { EscrowCommand } from '../payments/escrow/escrow-commands.js';
import { executeEscrowCommand } from '../payments/escrow/escrow-commands.js';
import type { EscrowState } from '../payments/escrow/escrow-order.js';
import { createOrder, EMPTY_ESCROW_STATE } from '../payments/escrow/escrow-order.js';
import {
  confirmationsSeen,
  createInvoice,
  paymentSeen,
  tick,
} from '../payments/bitcoin/invoice.js';
import { invoiceAddress, SIMULATED_RATES } from '../payments/bitcoin/invoice-address.js';
import type {
  BitcoinInvoice,
  InvoiceDetails,
  InvoiceNotification,
  InvoiceOutcome,
} from '../payments/bitcoin/invoice-types.js';
import { INVOICE_DETAIL_FIELDS } from '../payments/bitcoin/invoice-types.js';
import { contractsOf } from '../processor/contracts.js';
import { typeIdOf } from '../processor/event-pattern.js';
import type { TypeRegistry } from '../types/type-registry.js';

/** The payment processor's own records (serialisable; the server persists them). */
export interface PaymentBook {
  charges: Readonly<Record<string, CardCharge>>;
  escrow: EscrowState;
  invoices: Readonly<Record<string, BitcoinInvoice>>;
  /** BitPay notifications due (a status change): the engine makes them webhook events. */
  notifications: readonly InvoiceNotification[];
}

/** The processor's record of a Bitcoin Invoice document's invoice, if it opened one. */
export function invoiceOf(record: { id: string; book: unknown }): BitcoinInvoice | undefined {
  return ownValue((record.book as PaymentBook).invoices, record.id);
}

export const EMPTY_BOOK: PaymentBook = {
  charges: {},
  escrow: EMPTY_ESCROW_STATE,
  invoices: {},
  notifications: [],
};

/** The processor's answers for one document, and its records afterwards. */
export interface Answered {
  book: PaymentBook;
  answers: JsonObject[];
}

/**
 * The payment processor at the engine's edge: it executes what card payment documents ask
 * (Capture Payment, Refund Payment, …) against its own records and the simulated network, and
 * answers on the document's paymentProcessor channel. A request that would break an
 * invariant is answered with an Illegal Request and moves nothing.
 */
export class PaymentDesk {
  constructor(private readonly registry: TypeRegistry) {}

  /** The charge id of a card payment document, derived from its id (deterministic). */
  chargeIdOf(documentId: string): string {
    return `ch_${documentId.slice(0, 24)}`;
  }

  /** A new document: a card payment with a token is authorised at once. */
  onCreated(book: PaymentBook, document: JsonObject, documentId: string, at: number): Answered {
    if (this.isA(document, 'Payments/Order')) return this.openOrder(book, document, documentId, at);
    if (this.isA(document, 'Payments/Bitcoin Invoice'))
      return this.openInvoice(book, document, documentId, at);
    if (!this.isA(document, 'Payments/Card Payment')) return { book, answers: [] };
    const amount = scalarOf(document.amount);
    const currency = scalarOf(document.currency);
    const token = scalarOf(document.token);
    if (typeof token !== 'string' || typeof amount !== 'number' || typeof currency !== 'string')
      return { book, answers: [] };
    const chargeId = this.chargeIdOf(documentId);
    return this.record(book, chargeId, openCharge(chargeId, amount, currency, token, at));
  }

  /**
   * The processor's refusal to open a document's payment, as the poster's error: the first
   * Illegal Request among what opening it answered (`onCreated`), naming the field at fault where the code
   * says which (`invalid_currency` → `/currency`). Undefined when it opened.
   */
  openingRefusal(answers: readonly JsonObject[]): ServiceError | undefined {
    const refused = answers.find((answer) => scalarOf(answer.type) === 'Payments/Illegal Request');
    if (refused === undefined) return undefined;
    const code = scalarOf(refused.code);
    const known: ErrorCode =
      typeof code === 'string' && isErrorCode(code) ? code : 'illegal_request';
    const param = Object.hasOwn(REFUSED_FIELDS, known) ? REFUSED_FIELDS[known] : undefined;
    return {
      code: known,
      message: `the payment processor refused to open this payment: ${String(scalarOf(refused.message) ?? known)}`,
      ...(param === undefined ? {} : { param }),
    };
  }

  /** Executes the requests among the events a document emitted, in order. */
  onEmitted(
    book: PaymentBook,
    document: JsonObject,
    documentId: string,
    emitted: readonly JsonObject[],
    at: number,
  ): Answered {
    if (this.isA(document, 'Payments/Order')) {
      return this.orderRequests(book, document, documentId, emitted, at);
    }
    if (this.isA(document, 'Payments/Bitcoin Invoice')) {
      return this.invoiceRequests(book, documentId, emitted, at);
    }
    if (!this.isA(document, 'Payments/Card Payment')) return { book, answers: [] };
    const chargeId = this.chargeIdOf(documentId);
    let current = book;
    const answers: JsonObject[] = [];
    for (const event of emitted) {
      const charge = current.charges[chargeId];
      const outcome = charge === undefined ? undefined : this.request(charge, event, at);
      if (outcome === undefined) continue;
      const step = this.record(current, chargeId, outcome);
      current = step.book;
      answers.push(...step.answers);
    }
    return { book: current, answers };
  }

  /**
   * The simulated card network speaks: `{type: Open Dispute, amount?, reason}` or
   * `{type: Close Dispute, disputeId?, outcome: won|lost}`.
   */
  onNetwork(book: PaymentBook, documentId: string, command: JsonObject, at: number): Answered {
    const chargeId = this.chargeIdOf(documentId);
    const charge = book.charges[chargeId];
    if (charge === undefined)
      return { book, answers: [illegal('unknown_charge', `no charge ${chargeId}`)] };
    const type = scalarOf(command.type);
    if (type === 'Open Dispute') {
      const amount = scalarOf(command.amount);
      return this.record(
        book,
        chargeId,
        openDispute(
          charge,
          typeof amount === 'number' ? amount : undefined,
          String(scalarOf(command.reason) ?? 'general'),
          at,
        ),
      );
    }
    if (type === 'Close Dispute') {
      // Without a disputeId, the network decides the latest dispute still open.
      const open = [...charge.disputes]
        .reverse()
        .find(
          (dispute) => dispute.status === 'needs_response' || dispute.status === 'under_review',
        );
      const disputeId = scalarOf(command.disputeId) ?? open?.disputeId ?? '';
      const won = scalarOf(command.outcome) === 'won';
      return this.record(book, chargeId, closeDispute(charge, String(disputeId), won));
    }
    return {
      book,
      answers: [
        illegal(
          'unknown_network_event',
          `the network simulator has no event ${JSON.stringify(type)}`,
        ),
      ],
    };
  }

  /**
   * The timeline the processor's answers to a document are appended to: its paymentProcessor
   * channel's, when that channel is a timeline (Smart Card Payment); else none, and answers
   * are direct events (Classic: Internal Logic).
   */
  answerTimeline(document: JsonObject): string | undefined {
    const channel = contractsOf(document, this.registry).channels.find(
      (candidate) => candidate.key === 'paymentProcessor',
    );
    return channel?.kind === 'timeline' ? channel.timelineId : undefined;
  }

  private request(charge: CardCharge, event: JsonObject, at: number): ChargeOutcome | undefined {
    const amount = numberOrUndefined(event.amount);
    switch (this.nameOf(event)) {
      case 'Payments/Capture Payment':
        return capture(charge, amount, at);
      case 'Payments/Void Payment':
        return voidCharge(charge);
      case 'Payments/Refund Payment':
        return refund(charge, amount, stringOrUndefined(event.reason), at);
      case 'Payments/Authorize Payment':
        return retryAuthorization(charge, stringOrUndefined(event.token), at, false);
      case 'Payments/Confirm Payment':
        return retryAuthorization(charge, undefined, at, true);
      case 'Payments/Expire Authorization':
        return expire(charge, at);
      case 'Payments/Submit Dispute Evidence':
        return submitEvidence(
          charge,
          String(scalarOf(event.disputeId)),
          String(scalarOf(event.evidence) ?? ''),
        );
      default:
        return undefined;
    }
  }

  private record(book: PaymentBook, chargeId: string, outcome: ChargeOutcome): Answered {
    if (!outcome.ok) return { book, answers: [illegal(outcome.code, outcome.message)] };
    return {
      book: { ...book, charges: { ...book.charges, [chargeId]: outcome.charge } },
      answers: outcome.answers,
    };
  }

  /** The escrow order id of an Order document: its own `orderId`, else derived from its id. */
  orderIdOf(document: JsonObject, documentId: string): string {
    const own = scalarOf(document.orderId);
    return typeof own === 'string' ? own : `or_${documentId.slice(0, 24)}`;
  }

  private openOrder(
    book: PaymentBook,
    document: JsonObject,
    documentId: string,
    at: number,
  ): Answered {
    const description = scalarOf(document.description);
    const result = createOrder(book.escrow, {
      ...this.orderBase(document, documentId, at),
      ...(typeof description === 'string' ? { description } : {}),
    });
    if (!result.ok) return { book, answers: [illegal(result.code, result.message)] };
    return { book: { ...book, escrow: result.state }, answers: [] };
  }

  /** Executes an Order's requests against the escrow ledger (DESIGN.md §6.3). */
  private orderRequests(
    book: PaymentBook,
    document: JsonObject,
    documentId: string,
    emitted: readonly JsonObject[],
    at: number,
  ): Answered {
    let escrow = book.escrow;
    const answers: JsonObject[] = [];
    const base = this.orderBase(document, documentId, at);
    for (const event of emitted) {
      const command = orderCommand(this.nameOf(event), event, base);
      if (command === undefined) continue;
      const result = executeEscrowCommand(escrow, command);
      if (!result.ok) {
        answers.push(illegal(result.code, result.message));
        continue;
      }
      escrow = result.state;
      for (const orderEvent of result.events)
        answers.push({ ...orderEvent } as unknown as JsonObject);
    }
    return { book: { ...book, escrow }, answers };
  }

  /**
   * The invoice id of a Bitcoin Invoice document: the `id` the server gave it (the invoice
   * API draws a random one, so that the checkout URL cannot be guessed), else derived from the
   * document's id (a document posted to /blue).
   */
  invoiceIdOf(document: JsonObject, documentId: string): string {
    const own = scalarOf(document.id);
    return typeof own === 'string' && INVOICE_ID.test(own) ? own : `inv_${documentId.slice(0, 24)}`;
  }

  private openInvoice(
    book: PaymentBook,
    document: JsonObject,
    documentId: string,
    at: number,
  ): Answered {
    const invoiceId = this.invoiceIdOf(document, documentId);
    const currency = String(scalarOf(document.currency) ?? '');
    // The simulated exchange quotes a few currencies: an invoice in another is refused, as
    // BitPay refuses a currency it has no rate for.
    if (!Object.hasOwn(SIMULATED_RATES, currency))
      return {
        book,
        answers: [
          illegal(
            'invalid_currency',
            `invoices are priced in ${Object.keys(SIMULATED_RATES).join(', ')}; there is no exchange rate for ${JSON.stringify(currency.slice(0, 16))}`,
          ),
        ],
      };
    const text = (key: string) => {
      const value = scalarOf(document[key]);
      return typeof value === 'string' ? { [key]: value } : {};
    };
    const details: Record<string, string | boolean> = {};
    for (const key of INVOICE_DETAIL_FIELDS) {
      const value = Object.hasOwn(document, key) ? scalarOf(document[key]) : undefined;
      if (typeof value === 'string' || typeof value === 'boolean') details[key] = value;
    }
    const given = scalarOf(document.url);
    const fullNotifications = scalarOf(document.fullNotifications);
    const outcome = createInvoice({
      invoiceId,
      // The checkout page's URL as the server that made the invoice gave it, else the
      // server's path on a placeholder host (see README: invoices posted to /blue).
      url:
        typeof given === 'string' && /^https?:\/\/\S+$/.test(given)
          ? given
          : `https://paydoc.test/invoices/${invoiceId}`,
      price: numberOrUndefined(document.price) ?? Number.NaN,
      currency,
      rateMinorPerBtc: SIMULATED_RATES[currency] ?? Number.NaN,
      ...(typeof fullNotifications === 'boolean' ? { fullNotifications } : {}),
      ...text('transactionSpeed'),
      ...text('notificationURL'),
      ...text('posData'),
      ...text('orderID'),
      details: details as InvoiceDetails,
      address: invoiceAddress(invoiceId),
      at,
    });
    return this.invoiceOutcome(book, documentId, outcome);
  }

  /** Chain reports the invoice forwarded, and its timers' Check Invoice, through the machine. */
  private invoiceRequests(
    book: PaymentBook,
    documentId: string,
    emitted: readonly JsonObject[],
    at: number,
  ): Answered {
    let current = book;
    const answers: JsonObject[] = [];
    for (const event of emitted) {
      const invoice = current.invoices[documentId];
      if (invoice === undefined) break;
      const text = (key: string) => String(scalarOf(event[key]) ?? '');
      const count = (key: string) => numberOrUndefined(event[key]) ?? Number.NaN;
      let outcome: InvoiceOutcome | undefined;
      switch (this.nameOf(event)) {
        case 'Bitcoin/Bitcoin Payment Seen':
          // The chain simulator pays the invoice's own address unless a report names another.
          outcome = paymentSeen(
            invoice,
            {
              txid: text('txid'),
              amount: count('amount'),
              address: text('address') || invoice.address,
            },
            at,
          );
          break;
        case 'Bitcoin/Bitcoin Confirmations':
          outcome = confirmationsSeen(
            invoice,
            { txid: text('txid'), confirmations: count('confirmations') },
            at,
          );
          break;
        case 'Payments/Check Invoice':
          outcome = tick(invoice, at);
          break;
        default:
          outcome = undefined;
      }
      if (outcome === undefined) continue;
      const step = this.invoiceOutcome(current, documentId, outcome);
      current = step.book;
      answers.push(...step.answers);
    }
    return { book: current, answers };
  }

  private invoiceOutcome(book: PaymentBook, documentId: string, outcome: InvoiceOutcome): Answered {
    if (!outcome.ok) return { book, answers: [illegal(outcome.code, outcome.message)] };
    return {
      book: {
        ...book,
        invoices: { ...book.invoices, [documentId]: outcome.state },
        notifications: [...book.notifications, ...outcome.notifications],
      },
      answers: outcome.answers,
    };
  }

  private orderBase(document: JsonObject, documentId: string, at: number): OrderBase {
    return {
      orderId: this.orderIdOf(document, documentId),
      merchantId: String(scalarOf(document.merchant) ?? ''),
      currency: String(scalarOf(document.currency) ?? ''),
      at,
    };
  }

  private isA(document: JsonObject, typeName: string): boolean {
    const typeId = typeIdOf(document, this.registry);
    const wanted = this.registry.lookup(typeName)?.id;
    return typeId !== undefined && wanted !== undefined && this.registry.isSubtype(typeId, wanted);
  }

  private nameOf(event: JsonObject): string | undefined {
    const typeId = typeIdOf(event, this.registry);
    return typeId === undefined ? undefined : this.registry.nameOf(typeId);
  }
}

/** The document field an opening refusal is about, by its code. */
const REFUSED_FIELDS: Partial<Record<ErrorCode, string>> = {
  invalid_price: '/price',
  invalid_currency: '/currency',
  invalid_rate: '/currency',
  invalid_speed: '/transactionSpeed',
  invalid_notification_url: '/notificationURL',
  invalid_invoice_id: '/id',
  invalid_url: '/url',
  invalid_token: '/token',
};

/** An invoice id the server draws: `inv_` and 16 to 64 URL-safe characters. */
const INVOICE_ID = /^inv_[A-Za-z0-9_-]{16,64}$/;

type OrderBase = { orderId: string; merchantId: string; currency: string; at: number };

/** The escrow command an Order's emitted request stands for. */
function orderCommand(
  name: string | undefined,
  event: JsonObject,
  base: OrderBase,
): EscrowCommand | undefined {
  const amount = numberOrUndefined(event.amount) ?? Number.NaN;
  const text = (key: string) => stringOrUndefined(event[key]);
  const optional = (key: string) => (text(key) === undefined ? {} : { [key]: text(key) as string });
  switch (name) {
    case 'Payments/Debit Order':
      return { kind: 'debit', ...base, amount, source: text('source') ?? '' };
    case 'Payments/Pay Out Order':
      return { kind: 'payout', ...base, amount, ...optional('destination') };
    case 'Payments/Refund Order Debit':
      return {
        kind: 'refundDebit',
        ...base,
        amount,
        debitId: text('debitId') ?? '',
        ...optional('reason'),
      };
    case 'Payments/Reverse Order Payout':
      return { kind: 'reversePayout', ...base, amount, payoutId: text('payoutId') ?? '' };
    case 'Payments/Pay Order Platform Fee':
      return { kind: 'payPlatformFee', ...base, amount, ...optional('destination') };
    default:
      return undefined;
  }
}

function illegal(code: ErrorCode, message: string): JsonObject {
  return { type: 'Payments/Illegal Request', code, message };
}

function numberOrUndefined(value: JsonValue | undefined): number | undefined {
  const scalar = scalarOf(value);
  return typeof scalar === 'number' ? scalar : undefined;
}

function stringOrUndefined(value: JsonValue | undefined): string | undefined {
  const scalar = scalarOf(value);
  return typeof scalar === 'string' ? scalar : undefined;
}
