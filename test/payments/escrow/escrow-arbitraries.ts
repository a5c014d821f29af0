import fc from 'fast-check';
import type {
  EscrowCommand,
  EscrowCommandKind,
} from '../../../src/payments/escrow/escrow-commands.js';
import type { EscrowModel } from './escrow-model.js';

// Commands are generated as specs and resolved against the model at run time, so that most of
// them name a real order with its own merchant and currency and a real debit or payout, while
// a steady share is aimed at the wrong order, merchant, currency or id, or carries a bad amount.

/** Order ids; `__proto__` checks that ids are data, never object machinery; o4 starts unopened. */
export const ORDER_IDS = ['o1', 'o2', 'o3', '__proto__', 'o4'] as const;
const MERCHANTS = ['m1', 'm2', 'm:3'] as const;
const CURRENCIES = ['USD', 'EUR', 'JPY'] as const;
// `tok_a:refunds` would name tok_a's refund account if account names were not escaped.
const SOURCES = ['tok_a', 'tok_b', 'tok_a:refunds'] as const;
const MAX = Number.MAX_SAFE_INTEGER;
const LAST_REF = 5;

/** A command before it is aimed at the current state. */
export interface CommandSpec {
  kind: EscrowCommandKind;
  order: number;
  /** Use the order's own merchant / currency (most of the time) or the spec's. */
  ownMerchant: boolean;
  ownCurrency: boolean;
  merchantId: string;
  currency: string;
  amount: number;
  /** Use exactly what is available (escrow, or what is left of the debit/payout) when > 0. */
  exact: boolean;
  at: number;
  source: string;
  /** Which debit/payout to name: an index into the order's, another order's, or none. */
  ref: number;
  foreign: boolean;
  note: string | undefined;
}

const amountArb = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 1, max: 500 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0, -0, -1, 0.5, 1.5, Number.NaN, Infinity, MAX + 1, -MAX),
  },
  { weight: 1, arbitrary: fc.constantFrom(MAX, MAX - 1, 2 ** 52) },
  { weight: 1, arbitrary: fc.double() },
);

const atArb = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0, max: 4_102_444_800_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(-0, -1, 0.5, Number.NaN) },
);

/** A command spec. */
export const commandSpecArb: fc.Arbitrary<CommandSpec> = fc.record({
  kind: fc.oneof(
    { weight: 1, arbitrary: fc.constant<EscrowCommandKind>('createOrder') },
    { weight: 5, arbitrary: fc.constant<EscrowCommandKind>('debit') },
    { weight: 3, arbitrary: fc.constant<EscrowCommandKind>('refundDebit') },
    { weight: 3, arbitrary: fc.constant<EscrowCommandKind>('payout') },
    { weight: 2, arbitrary: fc.constant<EscrowCommandKind>('reversePayout') },
    { weight: 2, arbitrary: fc.constant<EscrowCommandKind>('payPlatformFee') },
  ),
  // Mostly the first two orders (one merchant, one currency), so money piles up where the
  // refunds, payouts and reversals can find it; the others keep cross-order mistakes coming.
  order: fc.oneof(
    { weight: 4, arbitrary: fc.nat({ max: 1 }) },
    fc.nat({ max: ORDER_IDS.length - 1 }),
  ),
  ownMerchant: fc.oneof({ weight: 12, arbitrary: fc.constant(true) }, fc.constant(false)),
  ownCurrency: fc.oneof({ weight: 15, arbitrary: fc.constant(true) }, fc.constant(false)),
  merchantId: fc.constantFrom(...MERCHANTS),
  currency: fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(...CURRENCIES) },
    // Malformed, and ISO-shaped but unknown to the money module.
    fc.constantFrom('usd', 'US', '', 'XAU'),
  ),
  amount: amountArb,
  exact: fc.boolean(),
  at: atArb,
  source: fc.constantFrom(...SOURCES),
  ref: fc.nat({ max: LAST_REF }),
  foreign: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, fc.constant(true)),
  note: fc.option(fc.constantFrom('ba_1', 'requested_by_customer'), { nil: undefined }),
});

/** A random command sequence: long enough to pay out, refund and reverse what came in. */
export function commandSpecsArb(maxLength = 80): fc.Arbitrary<CommandSpec[]> {
  return fc.array(commandSpecArb, { minLength: 1, maxLength, size: 'max' });
}

/** Orders created up front so that most money commands have somewhere to go. */
export const SETUP: readonly EscrowCommand[] = [
  { kind: 'createOrder', orderId: 'o1', merchantId: 'm1', currency: 'USD', at: 0 },
  { kind: 'createOrder', orderId: 'o2', merchantId: 'm1', currency: 'USD', at: 0 },
  {
    kind: 'createOrder',
    orderId: 'o3',
    merchantId: 'm2',
    currency: 'EUR',
    description: 'x',
    at: 0,
  },
  { kind: 'createOrder', orderId: '__proto__', merchantId: 'm:3', currency: 'JPY', at: 0 },
];

/** Aims a spec at the model's current state. */
export function resolveCommand(spec: CommandSpec, model: EscrowModel): EscrowCommand {
  const orderId = ORDER_IDS[spec.order] ?? 'o1';
  const order = model.orders.get(orderId);
  const merchantId = spec.ownMerchant && order ? order.merchantId : spec.merchantId;
  const currency = spec.ownCurrency && order ? order.currency : spec.currency;
  const base = { orderId, merchantId, currency, at: spec.at };
  const referenced = spec.foreign
    ? model.orders.get(ORDER_IDS[(spec.order + 1) % ORDER_IDS.length] ?? 'o1')
    : order;
  // The last ref names nothing; the others pick among the items there are.
  const pick = <T extends { id: string; remaining: bigint }>(items: readonly T[] | undefined) =>
    items && items.length > 0 && spec.ref < LAST_REF ? items[spec.ref % items.length] : undefined;
  const amount = (available: bigint | undefined): number =>
    spec.exact && available !== undefined && available > 0n ? Number(available) : spec.amount;

  switch (spec.kind) {
    case 'createOrder':
      return { kind: 'createOrder', ...base, merchantId: spec.merchantId, currency: spec.currency };
    case 'debit':
      return { kind: 'debit', ...base, amount: spec.amount, source: spec.source };
    case 'refundDebit': {
      const debit = pick(referenced?.debits);
      return {
        kind: 'refundDebit',
        ...base,
        debitId: debit?.id ?? `${orderId}/debits/${spec.ref + 1}`,
        amount: amount(debit && order && min(debit.remaining, order.escrow)),
        ...(spec.note === undefined ? {} : { reason: spec.note }),
      };
    }
    case 'payout':
      return {
        kind: 'payout',
        ...base,
        amount: amount(order?.escrow),
        ...(spec.note === undefined ? {} : { destination: spec.note }),
      };
    case 'reversePayout': {
      const paid = pick(referenced?.payouts);
      return {
        kind: 'reversePayout',
        ...base,
        payoutId: paid?.id ?? `${orderId}/payouts/${spec.ref + 1}`,
        amount: amount(paid?.remaining),
      };
    }
    case 'payPlatformFee':
      return {
        kind: 'payPlatformFee',
        ...base,
        amount: amount(order?.escrow),
        ...(spec.note === undefined ? {} : { destination: spec.note }),
      };
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
