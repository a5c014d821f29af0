import { isNonNegativeInteger, isPositiveAmount } from './checked-int.js';
import type { EscrowRefusal } from './escrow-error.js';
import { refuse } from './escrow-error.js';
import type { OrderCommandBase } from './escrow-commands.js';
import type { EscrowState } from './escrow-state.js';
import { findOrder } from './escrow-state.js';
import type { Order } from './order.js';

// Commands reach the domain from events and HTTP bodies, so the TypeScript types are a promise
// the caller may not keep: every field is checked at run time before anything is looked up.

/** True for a non-empty string. */
export function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** True for an absent optional field or a string. */
export function isOptionalText(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

/** True for an ISO 4217-shaped code (three upper-case ASCII letters). */
export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value);
}

/** Why the ids, currency and time of a command are malformed; undefined when they are fine. */
export function checkOrderFields(command: {
  readonly orderId: unknown;
  readonly merchantId: unknown;
  readonly currency: unknown;
  readonly at: unknown;
}): EscrowRefusal | undefined {
  if (!isText(command.orderId)) return refuse('invalid_command', 'orderId must be non-empty text');
  if (!isText(command.merchantId)) {
    return refuse('invalid_command', 'merchantId must be non-empty text');
  }
  if (!isCurrencyCode(command.currency)) {
    return refuse(
      'invalid_currency',
      `currency must be an ISO 4217 code, got ${show(command.currency)}`,
    );
  }
  if (!isNonNegativeInteger(command.at)) {
    return refuse(
      'invalid_time',
      `at must be milliseconds since the Unix epoch, got ${show(command.at)}`,
    );
  }
  return undefined;
}

/**
 * Admits a money-moving command: its fields (with `checkOwnFields` for those only it has) are
 * well-formed, its order exists, belongs to the merchant named and is in the currency named.
 * Malformed input is reported before lookups, so a bad request never probes for orders.
 * Returns that order, or why not.
 */
export function admitOrderCommand<C extends OrderCommandBase>(
  state: EscrowState,
  command: C,
  checkOwnFields: (command: C) => EscrowRefusal | undefined = () => undefined,
): { readonly ok: true; readonly order: Order } | EscrowRefusal {
  if (typeof command !== 'object' || command === null) {
    return refuse('invalid_command', 'a command must be an object');
  }
  const malformed = checkOrderFields(command) ?? checkOwnFields(command);
  if (malformed) return malformed;
  if (!isPositiveAmount(command.amount)) {
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
  return { ok: true, order };
}

/** The time to record: -0 (a valid integer) becomes 0, which JSON and documents can hold. */
export function recordedTime(at: number): number {
  return at === 0 ? 0 : at;
}

function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return value === undefined ? 'nothing' : typeof value;
}
