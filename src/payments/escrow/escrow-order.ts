import type { ErrorCode } from '../../errors/error-code.js';
import { PaydocError } from '../../errors/paydoc-error.js';
import { add, subtractNonNegative } from '../money/arithmetic.js';
import { isCurrencyCode, unknownCurrencyMessage } from '../money/currency.js';
import type { Money } from '../money/money.js';
import { parseMoney } from '../money/money.js';
import type { Ledger } from './escrow-ledger.js';
import {
  addInRange,
  buyerFundingAccount,
  buyerRefundsAccount,
  EMPTY_LEDGER,
  merchantPayableAccount,
  orderEscrowAccount,
  PLATFORM_FEES_ACCOUNT,
  postTransaction,
  transfer,
} from './escrow-ledger.js';

/**
 * Escrow orders (Balanced "Orders", DESIGN.md §6.3): a per-merchant escrow that buyers are
 * debited into and that pays out only to its own merchant. One pure function per command takes
 * the escrow state and the command (with its time `at`: the domain has no clock) and returns
 * the new state with the event for the Order document, or a named refusal: nothing changes.
 *
 * Invariants, whatever the commands ask:
 * - amounts are positive safe integers of minor units in the order's currency, a currency the
 *   money module knows; totals move by its checked arithmetic;
 * - amountEscrowed = amount − amountRefunded − amountPaidOut − amountPlatformFee ≥ 0: payouts,
 *   platform fees and refunds never take more than the escrow holds;
 * - a refund goes back to the source of one of the order's own debits, at most what is left
 *   unrefunded of it; a reversal brings back at most what is left unreversed of one of its
 *   own payouts, so it can never pull in money the order did not pay out;
 * - no money moves between orders: a command must name its order's merchant and currency, its
 *   transaction moves money between that order's escrow account and an account outside every
 *   order, and only that order is replaced (the others stay the very same values);
 * - the ledger is balanced after every transaction, and an order's totals change only in the
 *   same step as its ledger transaction posts (escrow-ledger.ts);
 * - ids derive from the order alone (`OR1/debits/3`): replaying commands gives the same state.
 *
 * Commands reach the domain from events and HTTP bodies, so their TypeScript types are a
 * promise the caller may not keep: every field is checked at run time, and malformed input is
 * refused before any order is looked up, so a bad request never probes for orders.
 */

/** The qualified names of the event types in documents/types/payments/order-*.yaml. */
export const ORDER_EVENT_TYPES = {
  debited: 'Payments/Order Debited',
  paidOut: 'Payments/Order Paid Out',
  payoutReversed: 'Payments/Order Payout Reversed',
  debitRefunded: 'Payments/Order Debit Refunded',
  platformFeePaid: 'Payments/Order Platform Fee Paid',
} as const;

// Events carry exactly the fields their types declare, so the engine delivers them to an Order
// document as they are; the order's records reuse those fields, so the state, the events and
// the document's list items cannot drift apart in naming.

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
 * A per-merchant escrow. The running totals mirror the Order document's fields; the ledger is
 * the independent record they must agree with.
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

/** All orders and the one ledger their money moves on, as an immutable value. */
export interface EscrowState {
  readonly orders: Readonly<Record<string, Order>>;
  readonly ledger: Ledger;
}

/** No orders, no money. */
export const EMPTY_ESCROW_STATE: EscrowState = Object.freeze({
  orders: Object.freeze({}),
  ledger: EMPTY_LEDGER,
});

/** The order with this id, if any. */
export function findOrder(state: EscrowState, orderId: string): Order | undefined {
  // Own properties only: an order id such as `__proto__` must not find Object.prototype.
  return Object.hasOwn(state.orders, orderId) ? state.orders[orderId] : undefined;
}

/** The codes an escrow command is refused with (described in src/errors/error-code.ts). */
export type EscrowErrorCode = Extract<
  ErrorCode,
  | 'invalid_command'
  | 'invalid_amount'
  | 'invalid_currency'
  | 'invalid_time'
  | 'order_exists'
  | 'order_not_found'
  | 'merchant_mismatch'
  | 'currency_mismatch'
  | 'debit_not_found'
  | 'payout_not_found'
  | 'refund_exceeds_debit'
  | 'refund_exceeds_escrow'
  | 'payout_exceeds_escrow'
  | 'reversal_exceeds_payout'
  | 'fee_exceeds_escrow'
  | 'amount_overflow'
>;

/** A refused command: nothing changed. */
export interface EscrowRefusal {
  readonly ok: false;
  readonly code: EscrowErrorCode;
  readonly message: string;
}

/** What a command did: the new state and the events it produced, or a refusal. */
export type EscrowResult =
  | { readonly ok: true; readonly state: EscrowState; readonly events: readonly OrderEvent[] }
  | EscrowRefusal;

// Every command names the merchant acting and the currency it means, so a command aimed at the
// wrong order (another merchant's, another currency's) is refused instead of moving money.

/** Opens an empty escrow for one merchant in one currency. */
export interface CreateOrderCommand {
  readonly orderId: string;
  readonly merchantId: string;
  readonly currency: string;
  readonly description?: string;
  /** Milliseconds since the Unix epoch. */
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

/**
 * Opens an empty escrow for one merchant in one currency. Refused with `order_exists` when the
 * id is taken: an order's id names its escrow account, so reusing one would merge two
 * merchants' money. Produces no event (the Order document's creation is the record of it).
 */
export function createOrder(state: EscrowState, command: CreateOrderCommand): EscrowResult {
  const malformed = commandProblem(command, ({ description }) =>
    optionalTextProblem('description', description),
  );
  if (malformed) return malformed;
  if (findOrder(state, command.orderId) !== undefined) {
    return refuse('order_exists', `order '${command.orderId}' already exists`);
  }
  const order: Order = {
    orderId: command.orderId,
    merchantId: command.merchantId,
    currency: command.currency,
    ...(command.description === undefined ? {} : { description: command.description }),
    createdAt: recordedTime(command.at),
    amount: 0,
    amountEscrowed: 0,
    amountPaidOut: 0,
    amountRefunded: 0,
    amountPlatformFee: 0,
    debits: NONE,
    payouts: NONE,
    refunds: NONE,
    payoutReversals: NONE,
    platformFees: NONE,
  };
  return changed(state, order, state.ledger, []);
}

/**
 * Debits the buyer's funding source into the order's escrow: amount and amountEscrowed rise.
 * Refused with `amount_overflow` when the order's total (or the source's balance) would leave
 * the safe integers.
 */
export function debit(state: EscrowState, command: DebitCommand): EscrowResult {
  const admitted = admit(state, command, ({ source }) => textProblem('source', source));
  if (!admitted.ok) return admitted;
  const { order, moved } = admitted;
  const amount = addInRange(order.amount, moved.amount, order.currency);
  if (amount === undefined) {
    return refuse(
      'amount_overflow',
      `a total of order '${order.orderId}' would exceed the safe integer range`,
    );
  }
  const fields = {
    debitId: orderItemId(order.orderId, 'debits', order.debits.length),
    amount: moved.amount,
    source: command.source,
    created: recordedTime(command.at),
  };
  const next: Order = {
    ...order,
    amount,
    amountEscrowed: plus(order.amountEscrowed, moved),
    debits: appended(order.debits, { ...fields, amountRefunded: 0 }),
  };
  const event: OrderDebited = { type: ORDER_EVENT_TYPES.debited, ...fields };
  return commit(state, next, event, {
    id: fields.debitId,
    from: buyerFundingAccount(command.source),
    to: orderEscrowAccount(order.orderId),
  });
}

/**
 * Refunds (part of) a debit from the order's escrow to the funding source it came from.
 * Refused with `debit_not_found` for a debit of another order (or none), with
 * `refund_exceeds_debit` beyond what is left unrefunded of it, and with `refund_exceeds_escrow`
 * beyond what the escrow still holds (the rule of the Order Debit Refunded type): escrow is
 * fungible, so once payouts and fees have taken it there is nothing left to refund from,
 * whichever debit it came in with.
 */
export function refundDebit(state: EscrowState, command: RefundDebitCommand): EscrowResult {
  const admitted = admit(
    state,
    command,
    ({ debitId, reason }) =>
      textProblem('debitId', debitId) ?? optionalTextProblem('reason', reason),
  );
  if (!admitted.ok) return admitted;
  const { order, moved } = admitted;
  const index = order.debits.findIndex((item) => item.debitId === command.debitId);
  const refunded = order.debits[index];
  if (refunded === undefined) {
    return refuse('debit_not_found', `order '${order.orderId}' has no debit '${command.debitId}'`);
  }
  const refundable = refunded.amount - refunded.amountRefunded;
  if (moved.amount > refundable) {
    return refuse(
      'refund_exceeds_debit',
      `refund of ${moved.amount} exceeds the ${refundable} left unrefunded of debit '${refunded.debitId}'`,
    );
  }
  if (moved.amount > order.amountEscrowed) {
    return refuse(
      'refund_exceeds_escrow',
      `refund of ${moved.amount} exceeds the ${order.amountEscrowed} order '${order.orderId}' still holds in escrow (the rest was paid out)`,
    );
  }
  const fields: OrderRefund = {
    refundId: orderItemId(order.orderId, 'refunds', order.refunds.length),
    debitId: refunded.debitId,
    amount: moved.amount,
    ...(command.reason === undefined ? {} : { reason: command.reason }),
    created: recordedTime(command.at),
  };
  const next: Order = {
    ...order,
    amountRefunded: plus(order.amountRefunded, moved),
    amountEscrowed: minus(order.amountEscrowed, moved),
    debits: replaced(order.debits, index, {
      ...refunded,
      amountRefunded: plus(refunded.amountRefunded, moved),
    }),
    refunds: appended(order.refunds, fields),
  };
  const event: OrderDebitRefunded = { type: ORDER_EVENT_TYPES.debitRefunded, ...fields };
  return commit(state, next, event, {
    id: fields.refundId,
    from: orderEscrowAccount(order.orderId),
    to: buyerRefundsAccount(refunded.source),
  });
}

/**
 * Pays escrow out to the order's own merchant (never anyone else: the merchant is the order's).
 * Refused with `payout_exceeds_escrow` when larger than amountEscrowed.
 */
export function payout(state: EscrowState, command: PayoutCommand): EscrowResult {
  const admitted = admit(state, command, ({ destination }) =>
    optionalTextProblem('destination', destination),
  );
  if (!admitted.ok) return admitted;
  const { order, moved } = admitted;
  if (moved.amount > order.amountEscrowed) {
    return refuse(
      'payout_exceeds_escrow',
      `payout of ${moved.amount} exceeds the ${order.amountEscrowed} escrowed in order '${order.orderId}'`,
    );
  }
  const fields = {
    payoutId: orderItemId(order.orderId, 'payouts', order.payouts.length),
    amount: moved.amount,
    ...(command.destination === undefined ? {} : { destination: command.destination }),
    created: recordedTime(command.at),
  };
  const next: Order = {
    ...order,
    amountPaidOut: plus(order.amountPaidOut, moved),
    amountEscrowed: minus(order.amountEscrowed, moved),
    payouts: appended(order.payouts, { ...fields, amountReversed: 0 }),
  };
  const event: OrderPaidOut = { type: ORDER_EVENT_TYPES.paidOut, ...fields };
  return commit(state, next, event, {
    id: fields.payoutId,
    from: orderEscrowAccount(order.orderId),
    to: merchantPayableAccount(order.merchantId),
  });
}

/**
 * Brings (part of) a payout back from the merchant into the escrow it left: amountEscrowed
 * rises and amountPaidOut falls. Refused with `payout_not_found` for a payout of another order
 * (or none) and with `reversal_exceeds_payout` beyond what is left unreversed of it.
 */
export function reversePayout(state: EscrowState, command: ReversePayoutCommand): EscrowResult {
  const admitted = admit(state, command, ({ payoutId }) => textProblem('payoutId', payoutId));
  if (!admitted.ok) return admitted;
  const { order, moved } = admitted;
  const index = order.payouts.findIndex((item) => item.payoutId === command.payoutId);
  const reversed = order.payouts[index];
  if (reversed === undefined) {
    return refuse(
      'payout_not_found',
      `order '${order.orderId}' has no payout '${command.payoutId}'`,
    );
  }
  const reversible = reversed.amount - reversed.amountReversed;
  if (moved.amount > reversible) {
    return refuse(
      'reversal_exceeds_payout',
      `reversal of ${moved.amount} exceeds the ${reversible} left unreversed of payout '${reversed.payoutId}'`,
    );
  }
  const fields: OrderPayoutReversal = {
    payoutId: reversed.payoutId,
    amount: moved.amount,
    created: recordedTime(command.at),
  };
  const next: Order = {
    ...order,
    amountPaidOut: minus(order.amountPaidOut, moved),
    amountEscrowed: plus(order.amountEscrowed, moved),
    payouts: replaced(order.payouts, index, {
      ...reversed,
      amountReversed: plus(reversed.amountReversed, moved),
    }),
    payoutReversals: appended(order.payoutReversals, fields),
  };
  const event: OrderPayoutReversed = { type: ORDER_EVENT_TYPES.payoutReversed, ...fields };
  return commit(state, next, event, {
    id: orderItemId(order.orderId, 'reversals', order.payoutReversals.length),
    from: merchantPayableAccount(order.merchantId),
    to: orderEscrowAccount(order.orderId),
  });
}

/**
 * Pays the marketplace's fee out of the order's escrow to the platform fee account. It is paid
 * separately from the merchant's payouts (amountPlatformFee, not amountPaidOut, and never
 * reversible as a payout) but counts against the escrow like one: refused with
 * `fee_exceeds_escrow` when larger than amountEscrowed.
 */
export function payPlatformFee(state: EscrowState, command: PayPlatformFeeCommand): EscrowResult {
  const admitted = admit(state, command, ({ destination }) =>
    optionalTextProblem('destination', destination),
  );
  if (!admitted.ok) return admitted;
  const { order, moved } = admitted;
  if (moved.amount > order.amountEscrowed) {
    return refuse(
      'fee_exceeds_escrow',
      `platform fee of ${moved.amount} exceeds the ${order.amountEscrowed} escrowed in order '${order.orderId}'`,
    );
  }
  const fields: OrderPlatformFee = {
    payoutId: orderItemId(order.orderId, 'fees', order.platformFees.length),
    amount: moved.amount,
    ...(command.destination === undefined ? {} : { destination: command.destination }),
    created: recordedTime(command.at),
  };
  const next: Order = {
    ...order,
    amountPlatformFee: plus(order.amountPlatformFee, moved),
    amountEscrowed: minus(order.amountEscrowed, moved),
    platformFees: appended(order.platformFees, fields),
  };
  const event: OrderPlatformFeePaid = { type: ORDER_EVENT_TYPES.platformFeePaid, ...fields };
  return commit(state, next, event, {
    id: fields.payoutId,
    from: orderEscrowAccount(order.orderId),
    to: PLATFORM_FEES_ACCOUNT,
  });
}

/** Builds a refusal. */
export function refuse(code: EscrowErrorCode, message: string): EscrowRefusal {
  return Object.freeze({ ok: false, code, message });
}

/** The fields every command carries, before they are checked. */
type CommandFields = Pick<CreateOrderCommand, 'orderId' | 'merchantId' | 'currency' | 'at'>;

/**
 * Why a command is malformed: not an object, ids, currency or time not well-formed, or
 * `ownProblem`, about the fields only it has; undefined when it is well-formed.
 */
function commandProblem<C extends CommandFields>(
  command: C,
  ownProblem: (command: C) => EscrowRefusal | undefined,
): EscrowRefusal | undefined {
  if (typeof command !== 'object' || command === null) {
    return refuse('invalid_command', 'a command must be an object');
  }
  const currency: unknown = command.currency;
  const at: unknown = command.at;
  return (
    textProblem('orderId', command.orderId) ??
    textProblem('merchantId', command.merchantId) ??
    (isCurrencyCode(currency)
      ? undefined
      : refuse('invalid_currency', currencyProblem(currency))) ??
    (typeof at === 'number' && Number.isSafeInteger(at) && at >= 0
      ? undefined
      : refuse('invalid_time', `at must be milliseconds since the Unix epoch, got ${show(at)}`)) ??
    ownProblem(command)
  );
}

/**
 * Admits a money-moving command: it is well-formed (see {@link commandProblem}), its amount is
 * a positive amount of its currency, and its order exists, belongs to the merchant named and
 * is in the currency named. Returns that order and the amount to move, or why not.
 */
function admit<C extends OrderCommandBase>(
  state: EscrowState,
  command: C,
  ownProblem: (command: C) => EscrowRefusal | undefined,
): { readonly ok: true; readonly order: Order; readonly moved: Money } | EscrowRefusal {
  const malformed = commandProblem(command, ownProblem);
  if (malformed) return malformed;
  const parsed = parseMoney(command.amount, command.currency);
  if (!parsed.ok || parsed.value.amount === 0) {
    return refuse(
      'invalid_amount',
      `amount must be a positive integer in minor units, got ${show(command.amount)}`,
    );
  }
  const order = findOrder(state, command.orderId);
  if (order === undefined) return refuse('order_not_found', `no order '${command.orderId}'`);
  if (order.merchantId !== command.merchantId) {
    return refuse('merchant_mismatch', `order '${order.orderId}' belongs to another merchant`);
  }
  if (order.currency !== command.currency) {
    return refuse(
      'currency_mismatch',
      `order '${order.orderId}' is in ${order.currency}, not ${command.currency}`,
    );
  }
  return { ok: true, order, moved: parsed.value };
}

/**
 * Posts a command's transaction (moving the event's amount in the order's currency) and stores
 * the order's new state, in one step: either both change or, when the ledger refuses, neither.
 */
function commit(
  state: EscrowState,
  next: Order,
  event: OrderEvent,
  move: { readonly id: string; readonly from: string; readonly to: string },
): EscrowResult {
  const transaction = transfer({
    ...move,
    at: event.created,
    currency: next.currency,
    amount: event.amount,
  });
  const posted = postTransaction(state.ledger, transaction);
  if (!posted.ok) {
    if (posted.code === 'amount_overflow') return refuse('amount_overflow', posted.message);
    // The commands build only balanced transactions with fresh ids; anything else is a bug.
    throw new PaydocError(
      'internal',
      `escrow ledger refused its own transaction: ${posted.message}`,
    );
  }
  return changed(state, next, posted.ledger, [event]);
}

/**
 * The accepted outcome: `order` replaces only its own entry. What the command made is frozen
 * (its lists and their new items already are); what it was given is left as it was.
 */
function changed(
  state: EscrowState,
  order: Order,
  ledger: Ledger,
  events: readonly OrderEvent[],
): EscrowResult {
  return Object.freeze({
    ok: true,
    state: Object.freeze({
      // A computed key defines an own property even for an id such as `__proto__`.
      orders: Object.freeze({ ...state.orders, [order.orderId]: Object.freeze(order) }),
      ledger,
    }),
    events: Object.freeze(events.map((event) => Object.freeze(event))),
  });
}

/** An order's list before anything is added to it. */
const NONE: readonly never[] = Object.freeze([]);

/** `list` and then `item`, as a new frozen list. */
function appended<T>(list: readonly T[], item: T): readonly T[] {
  return Object.freeze([...list, Object.freeze(item)]);
}

/** `list` with `item` in place of its `index`-th, as a new frozen list. */
function replaced<T>(list: readonly T[], index: number, item: T): readonly T[] {
  return Object.freeze(list.map((old, at) => (at === index ? Object.freeze(item) : old)));
}

/**
 * `total + moved` by the money module's checked add. Only a debit can take an order's total
 * beyond the safe integers, and it checks with {@link addInRange} first; elsewhere the
 * invariants bound every result, so a throw here means one of them is broken.
 */
function plus(total: number, moved: Money): number {
  return add({ amount: total, currency: moved.currency }, moved).amount;
}

/** `total − moved`, which the checks before it keep at zero or more (else it throws). */
function minus(total: number, moved: Money): number {
  return subtractNonNegative({ amount: total, currency: moved.currency }, moved).amount;
}

/**
 * The id of the `count + 1`-th item of a series in an order, e.g. `OR1/debits/3`. Derived from
 * the order alone (no clock, no randomness), so replaying the same commands gives the same
 * ids. They are unique across orders too: reading from the right, `/<series>/<n>` is fixed in
 * shape, so what is left is the order id.
 */
function orderItemId(
  orderId: string,
  series: 'debits' | 'refunds' | 'payouts' | 'reversals' | 'fees',
  count: number,
): string {
  return `${orderId}/${series}/${count + 1}`;
}

/** The time to record: -0 (a valid integer) becomes 0, which JSON and documents can hold. */
function recordedTime(at: number): number {
  return at === 0 ? 0 : at;
}

function textProblem(field: string, value: unknown): EscrowRefusal | undefined {
  return typeof value === 'string' && value.length > 0
    ? undefined
    : refuse('invalid_command', `${field} must be non-empty text`);
}

function optionalTextProblem(field: string, value: unknown): EscrowRefusal | undefined {
  return value === undefined || typeof value === 'string'
    ? undefined
    : refuse('invalid_command', `${field} must be text`);
}

// The money module knows fewer codes than ISO 4217 has; a code it does not know gets its
// message, which lists the codes it does.
function currencyProblem(currency: unknown): string {
  if (typeof currency === 'string' && /^[A-Z]{3}$/.test(currency)) {
    return unknownCurrencyMessage(currency) ?? `unknown currency ${show(currency)}`;
  }
  return `currency must be an ISO 4217 code, got ${show(currency)}`;
}

function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return value === undefined ? 'nothing' : typeof value;
}
