import { PaydocError } from '../../errors/paydoc-error.js';
import { refuse } from './escrow-error.js';
import type { EscrowResult } from './escrow-result.js';
import type { EscrowState } from './escrow-state.js';
import type { LedgerTransaction } from './ledger.js';
import { postTransaction } from './ledger.js';
import type { Order } from './order.js';
import type { OrderEvent } from './order-events.js';

/**
 * Posts a command's transaction and stores its order's new state, in one step: either both
 * change or, when the ledger refuses, neither does. Only the command's own order is replaced,
 * so no other order's state can change.
 */
export function commitChange(
  state: EscrowState,
  order: Order,
  transaction: LedgerTransaction,
  event: OrderEvent,
): EscrowResult {
  const posted = postTransaction(state.ledger, transaction);
  if (!posted.ok) {
    if (posted.code === 'amount_overflow') return refuse('amount_overflow', posted.message);
    // The commands build only balanced transactions with fresh ids; anything else is a bug.
    throw new PaydocError(
      'internal',
      `escrow ledger refused its own transaction: ${posted.message}`,
    );
  }
  return Object.freeze({
    ok: true,
    state: Object.freeze({
      orders: Object.freeze({ ...state.orders, [order.orderId]: order }),
      ledger: posted.ledger,
    }),
    events: Object.freeze([event]),
  });
}

/** The refusal for a running total that would leave the safe integer range. */
export function totalOverflow(order: Order): EscrowResult {
  return refuse(
    'amount_overflow',
    `a total of order '${order.orderId}' would exceed the safe integer range`,
  );
}
