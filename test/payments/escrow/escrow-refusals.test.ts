import { describe, expect, it } from 'vitest';
import type { EscrowCommand } from '../../../src/payments/escrow/escrow-commands.js';
import { executeEscrowCommand } from '../../../src/payments/escrow/escrow-commands.js';
import { createOrder, debit, payout } from '../../../src/payments/escrow/escrow-order.js';
import { accepted, withOrders } from './escrow-fixtures.js';

const order = { orderId: 'OR1', merchantId: 'm1', currency: 'USD' } as const;
const base = { ...order, at: 5 } as const;

describe('escrow refusals', () => {
  const state = withOrders(order);

  it.each([0, -1, -0, 1.5, 0.1, Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 1])(
    'refuses the amount %s as invalid_amount',
    (amount) => {
      expect(debit(state, { ...base, amount, source: 'tok_visa' })).toMatchObject({
        ok: false,
        code: 'invalid_amount',
      });
    },
  );

  it('refuses amounts that are not numbers at all', () => {
    for (const amount of ['100', 100n, null, undefined, {}]) {
      const command = { ...base, amount, source: 'tok_visa' } as unknown as Parameters<
        typeof debit
      >[1];
      expect(debit(state, command)).toMatchObject({ code: 'invalid_amount' });
    }
  });

  it('refuses a command in another currency than the order', () => {
    expect(debit(state, { ...base, currency: 'EUR', amount: 1, source: 'tok_visa' })).toMatchObject(
      { code: 'currency_mismatch' },
    );
    expect(debit(state, { ...base, currency: 'usd', amount: 1, source: 'tok_visa' })).toMatchObject(
      { code: 'invalid_currency' },
    );
  });

  it('refuses unknown orders, duplicates and malformed fields with stable codes', () => {
    expect(debit(state, { ...base, orderId: 'OR9', amount: 1, source: 't' })).toMatchObject({
      code: 'order_not_found',
    });
    expect(debit(state, { ...base, orderId: '__proto__', amount: 1, source: 't' })).toMatchObject({
      code: 'order_not_found',
    });
    expect(createOrder(state, base)).toMatchObject({ code: 'order_exists' });
    expect(createOrder(state, { ...base, orderId: '' })).toMatchObject({ code: 'invalid_command' });
    expect(createOrder(state, { ...base, orderId: 'OR2', at: -1 })).toMatchObject({
      code: 'invalid_time',
    });
    expect(createOrder(state, { ...base, orderId: 'OR2', at: 1.5 })).toMatchObject({
      code: 'invalid_time',
    });
    expect(createOrder(state, { ...base, orderId: 'OR2', currency: 'US' })).toMatchObject({
      code: 'invalid_currency',
    });
    // Shaped like a code, but not one the money module knows.
    expect(createOrder(state, { ...base, orderId: 'OR2', currency: 'XAU' })).toMatchObject({
      code: 'invalid_currency',
      message: expect.stringContaining("unknown currency 'XAU'"),
    });
    expect(debit(state, { ...base, amount: 1, source: '' })).toMatchObject({
      code: 'invalid_command',
    });
    const unknown = { ...base, kind: 'withdraw', amount: 1 } as unknown as EscrowCommand;
    expect(executeEscrowCommand(state, unknown)).toMatchObject({ code: 'invalid_command' });
  });

  it('reports malformed input before it looks an order up', () => {
    expect(debit(state, { ...base, orderId: 'OR9', amount: 1.5, source: 't' })).toMatchObject({
      code: 'invalid_amount',
    });
    expect(payout(state, { ...base, orderId: 'OR9', merchantId: 'x', amount: 0 })).toMatchObject({
      code: 'invalid_amount',
    });
  });

  it('refuses totals that would leave the safe integers', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const full = accepted(debit(state, { ...base, amount: max, source: 'tok_a' })).state;
    expect(debit(full, { ...base, amount: 1, source: 'tok_b' })).toMatchObject({
      code: 'amount_overflow',
    });
    // Escrow is empty again, but the total debited would overflow.
    const paid = accepted(payout(full, { ...base, amount: max })).state;
    expect(debit(paid, { ...base, amount: 1, source: 'tok_b' })).toMatchObject({
      code: 'amount_overflow',
    });
  });
});
