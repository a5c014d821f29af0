import type { Ledger } from './ledger.js';
import { EMPTY_LEDGER } from './ledger.js';
import type { Order } from './order.js';

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
