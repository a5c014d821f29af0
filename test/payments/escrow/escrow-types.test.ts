import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/model/json.js';
import type { EscrowState, OrderEvent } from '../../../src/payments/escrow/escrow-order.js';
import {
  debit,
  findOrder,
  ORDER_EVENT_TYPES,
  payout,
  payPlatformFee,
  refundDebit,
  reversePayout,
} from '../../../src/payments/escrow/escrow-order.js';
import { defaultTypeRegistry } from '../../../src/types/load-library.js';
import { DocumentValidator } from '../../../src/validation/document-validator.js';
import { accepted, withOrders } from './escrow-fixtures.js';
import { projectOrder } from './escrow-projections.js';

// The events and the projection must speak the YAML types' vocabulary exactly, so the engine
// can deliver them to an Order document without translation.

const registry = defaultTypeRegistry();
const validator = new DocumentValidator(registry);

function json(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

function declaredFields(typeName: string): { all: string[]; required: string[] } {
  const type = registry.lookup(typeName);
  if (type === undefined) expect.fail(`no type ${typeName}`);
  const fields = registry.resolve(type.id).spec.fields;
  return {
    all: Object.keys(fields),
    required: Object.keys(fields).filter((key) => fields[key]?.constraints.required === true),
  };
}

function everyKind(): { state: EscrowState; events: OrderEvent[] } {
  const ask = { orderId: 'OR1', merchantId: 'm1', currency: 'USD', at: 7 } as const;
  const events: OrderEvent[] = [];
  let state = withOrders({ orderId: 'OR1', merchantId: 'm1', currency: 'USD' });
  for (const step of [
    (s: EscrowState) => debit(s, { ...ask, amount: 500, source: 'tok_visa' }),
    (s: EscrowState) => payout(s, { ...ask, amount: 200, destination: 'ba_1' }),
    (s: EscrowState) => reversePayout(s, { ...ask, amount: 50, payoutId: 'OR1/payouts/1' }),
    (s: EscrowState) =>
      refundDebit(s, { ...ask, amount: 100, debitId: 'OR1/debits/1', reason: 'duplicate' }),
    (s: EscrowState) => payPlatformFee(s, { ...ask, amount: 25, destination: 'ba_platform' }),
  ]) {
    const result = accepted(step(state));
    state = result.state;
    events.push(...result.events);
  }
  return { state, events };
}

describe('escrow and the Order types', () => {
  const { state, events } = everyKind();

  it('emits one event of each Order event type', () => {
    expect(events.map((event) => event.type).sort()).toEqual(
      Object.values(ORDER_EVENT_TYPES).sort(),
    );
  });

  it.each(Object.values(ORDER_EVENT_TYPES))(
    'emits %s with the fields its type declares',
    (name) => {
      const event = events.find((candidate) => candidate.type === name);
      if (event === undefined) expect.fail(`no ${name}`);
      const { all, required } = declaredFields(name);
      const keys = Object.keys(event).filter((key) => key !== 'type');
      expect(all).toEqual(expect.arrayContaining(keys));
      expect(keys).toEqual(expect.arrayContaining(required));
      expect(validator.validate(json(event))).toEqual([]);
    },
  );

  it('projects an order onto a valid Payments/Order document', () => {
    const order = findOrder(state, 'OR1');
    if (order === undefined) expect.fail('no order');
    const fields = projectOrder(order);
    const { all } = declaredFields('Payments/Order');
    expect(all).toEqual(expect.arrayContaining(Object.keys(fields)));
    const document = json({ name: 'Campaign', type: 'Payments/Order', ...fields });
    expect(validator.validate(document)).toEqual([]);
  });

  it('a projected document with a float amount is not a valid Order', () => {
    const order = findOrder(state, 'OR1');
    if (order === undefined) expect.fail('no order');
    const document = json({ type: 'Payments/Order', ...projectOrder(order), amountEscrowed: 1.5 });
    expect(validator.validate(document)).not.toEqual([]);
  });
});
