import { expect } from 'vitest';
import type { EscrowResult, EscrowState } from '../../../src/payments/escrow/escrow-order.js';
import { createOrder, EMPTY_ESCROW_STATE } from '../../../src/payments/escrow/escrow-order.js';

/** The accepted outcome of a command; fails the test with the refusal otherwise. */
export function accepted(result: EscrowResult): Extract<EscrowResult, { ok: true }> {
  if (!result.ok) expect.fail(`refused: ${result.code}: ${result.message}`);
  return result;
}

/** A state with the given orders created at time 0. */
export function withOrders(
  ...orders: { orderId: string; merchantId: string; currency: string }[]
): EscrowState {
  return orders.reduce(
    (state, order) => accepted(createOrder(state, { ...order, at: 0 })).state,
    EMPTY_ESCROW_STATE,
  );
}
