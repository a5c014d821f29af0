import { checkOrderFields, isOptionalText, recordedTime } from './check-command.js';
import { refuse } from './escrow-error.js';
import type { CreateOrderCommand } from './escrow-commands.js';
import type { EscrowResult } from './escrow-result.js';
import type { EscrowState } from './escrow-state.js';
import { findOrder } from './escrow-state.js';
import type { Order } from './order.js';

/**
 * Opens an empty escrow for one merchant in one currency. Refused when the id is taken: an
 * order's id names its escrow account, so reusing one would merge two merchants' money.
 * Produces no event (the Order document's creation is the record of it).
 */
export function createOrder(state: EscrowState, command: CreateOrderCommand): EscrowResult {
  if (typeof command !== 'object' || command === null) {
    return refuse('invalid_command', 'a command must be an object');
  }
  const malformed = checkOrderFields(command);
  if (malformed) return malformed;
  if (!isOptionalText(command.description)) {
    return refuse('invalid_command', 'description must be text');
  }
  if (findOrder(state, command.orderId) !== undefined) {
    return refuse('order_exists', `order '${command.orderId}' already exists`);
  }
  const order: Order = Object.freeze({
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
    debits: Object.freeze([]),
    payouts: Object.freeze([]),
    refunds: Object.freeze([]),
    payoutReversals: Object.freeze([]),
    platformFees: Object.freeze([]),
  });
  return Object.freeze({
    ok: true,
    state: Object.freeze({
      orders: Object.freeze({ ...state.orders, [order.orderId]: order }),
      ledger: state.ledger,
    }),
    events: Object.freeze([]),
  });
}
