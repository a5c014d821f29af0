import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EscrowCommand } from '../../../src/payments/escrow/escrow-commands.js';
import { executeEscrowCommand } from '../../../src/payments/escrow/escrow-commands.js';
import {
  balanceOf,
  buyerFundingAccount,
  buyerRefundsAccount,
  merchantPayableAccount,
  orderEscrowAccount,
  PLATFORM_FEES_ACCOUNT,
  trialBalance,
} from '../../../src/payments/escrow/escrow-ledger.js';
import type {
  EscrowErrorCode,
  EscrowState,
  Order,
} from '../../../src/payments/escrow/escrow-order.js';
import { EMPTY_ESCROW_STATE } from '../../../src/payments/escrow/escrow-order.js';
import type { CommandSpec } from './escrow-arbitraries.js';
import { commandSpecsArb, resolveCommand, SETUP } from './escrow-arbitraries.js';
import { EscrowModel } from './escrow-model.js';
import { accountKind, orderAmountsFromLedger, projectOrder } from './escrow-projections.js';

const RUNS = { numRuns: 150 };

/** Every code an escrow command is refused with (the type makes the list complete). */
const REFUSALS: Record<EscrowErrorCode, true> = {
  invalid_command: true,
  invalid_amount: true,
  invalid_currency: true,
  invalid_time: true,
  order_exists: true,
  order_not_found: true,
  merchant_mismatch: true,
  currency_mismatch: true,
  debit_not_found: true,
  payout_not_found: true,
  refund_exceeds_debit: true,
  refund_exceeds_escrow: true,
  payout_exceeds_escrow: true,
  reversal_exceeds_payout: true,
  fee_exceeds_escrow: true,
  amount_overflow: true,
};
const specsArb = commandSpecsArb();

// Exact: the lists of a long run can add up past 2^53 even when every total stays below it
// (payouts of 2^52, reversed and paid again), and doubles would round that sum.
function sum(items: readonly { amount: number }[]): bigint {
  return items.reduce((total, item) => total + BigInt(item.amount), 0n);
}

/** Every account's balance, as `currency account → balance`. */
function balances(state: EscrowState): Map<string, number> {
  const all = new Map<string, number>();
  for (const [currency, accounts] of Object.entries(state.ledger.balances)) {
    for (const [account, balance] of Object.entries(accounts))
      all.set(`${currency} ${account}`, balance);
  }
  return all;
}

function ordersOf(state: EscrowState): Order[] {
  return Object.values(state.orders);
}

/** The invariants that hold after every command, accepted or not. */
function checkInvariants(state: EscrowState, model: EscrowModel): void {
  // Double entry: per currency the balances sum to zero.
  for (const total of Object.values(trialBalance(state.ledger))) expect(total).toBe(0n);
  for (const [key, balance] of balances(state)) {
    const [currency = '', account = ''] = key.split(' ');
    expect(BigInt(balance), key).toBe(model.balance(currency, account));
    const kind = accountKind(account);
    expect(kind, account).toBeDefined();
    // No escrow ever goes negative, and no merchant is reversed below zero.
    if (kind === 'orderEscrow' || kind === 'merchantPayable')
      expect(balance).toBeGreaterThanOrEqual(0);
  }
  expect(
    ordersOf(state)
      .map((order) => order.orderId)
      .sort(),
  ).toEqual([...model.orders.keys()].sort());
  for (const order of ordersOf(state)) {
    const document = projectOrder(order);
    const { amount, amountEscrowed, amountPaidOut, amountRefunded, amountPlatformFee } = document;
    // The document, the ledger and the model tell the same story.
    expect(orderAmountsFromLedger(state.ledger, order.orderId, order.currency)).toEqual({
      amount,
      amountEscrowed,
      amountPaidOut,
      amountRefunded,
      amountPlatformFee,
    });
    expect(model.amounts(order.orderId)).toEqual({
      amount,
      amountEscrowed,
      amountPaidOut,
      amountRefunded,
      amountPlatformFee,
    });
    // The totals are the sums of the lists, and the escrow is what is left of the debits.
    expect(BigInt(amount)).toBe(sum(document.debits));
    expect(BigInt(amountRefunded)).toBe(sum(document.refunds));
    expect(BigInt(amountPaidOut)).toBe(sum(document.payouts) - sum(document.payoutReversals));
    expect(BigInt(amountPlatformFee)).toBe(sum(document.platformFees));
    expect(amountEscrowed).toBe(amount - amountRefunded - amountPaidOut - amountPlatformFee);
    expect(amountEscrowed).toBeGreaterThanOrEqual(0);
    expect(amountPaidOut).toBeGreaterThanOrEqual(0);
    expect(amountPaidOut + amountPlatformFee + amountRefunded).toBeLessThanOrEqual(amount);
    for (const debit of order.debits) {
      expect(debit.amountRefunded).toBeLessThanOrEqual(debit.amount);
    }
    for (const paid of order.payouts) expect(paid.amountReversed).toBeLessThanOrEqual(paid.amount);
  }
}

/** Runs the setup and the specs, checking each step against the model and the invariants. */
function run(specs: readonly CommandSpec[]): { state: EscrowState; commands: EscrowCommand[] } {
  const model = new EscrowModel();
  const commands: EscrowCommand[] = [];
  let state = EMPTY_ESCROW_STATE;
  const steps = [
    ...SETUP.map((command) => () => command),
    ...specs.map((spec) => () => resolveCommand(spec, model)),
  ];
  for (const next of steps) {
    const command = next();
    commands.push(command);
    const snapshot = structuredClone(state);
    const escrowBefore =
      command.kind === 'createOrder' ? undefined : state.orders[command.orderId]?.amountEscrowed;
    const predicted = model.apply(command);
    const result = executeEscrowCommand(state, command);

    // The state given in is never changed, accepted or refused.
    expect(state).toEqual(snapshot);
    if (predicted.ok) {
      if (!result.ok)
        expect.fail(
          `${command.kind} refused (${result.code}: ${result.message}), model accepts it`,
        );
      expect(result.events).toEqual(predicted.event ? [predicted.event] : []);
      if (command.kind === 'payout') {
        expect(command.amount).toBeLessThanOrEqual(escrowBefore ?? Number.NaN);
      }
      // Only the command's own order changed; other orders are the very same values, and of
      // all escrow accounts only its own moved.
      for (const [orderId, order] of Object.entries(state.orders)) {
        if (orderId !== command.orderId) expect(result.state.orders[orderId]).toBe(order);
      }
      const before = balances(state);
      const moved = [...balances(result.state)].filter(
        ([key, balance]) => before.get(key) !== balance,
      );
      expect(moved.length).toBe(command.kind === 'createOrder' ? 0 : 2);
      for (const [key] of moved) {
        const account = key.split(' ')[1] ?? '';
        if (accountKind(account) === 'orderEscrow') {
          expect(account).toBe(
            `order:${command.orderId.replace(/%/g, '%25').replace(/:/g, '%3A')}:escrow`,
          );
        }
      }
      state = result.state;
    } else {
      if (result.ok)
        expect.fail(`${command.kind} accepted, model refuses it with ${predicted.code}`);
      expect(result.code).toBe(predicted.code);
      expect(result.message).not.toBe('');
    }
    checkInvariants(state, model);
  }
  return { state, commands };
}

describe('escrow properties over random command sequences', () => {
  it('makes the same decisions as the reference model and keeps every invariant', () => {
    fc.assert(
      fc.property(specsArb, (specs) => {
        run(specs);
      }),
      RUNS,
    );
  });

  it('is deterministic: the same commands give the same state', () => {
    fc.assert(
      fc.property(specsArb, (specs) => {
        const first = run(specs);
        const replayed = first.commands.reduce<EscrowState>((state, command) => {
          const result = executeEscrowCommand(state, command);
          return result.ok ? result.state : state;
        }, EMPTY_ESCROW_STATE);
        expect(replayed).toEqual(first.state);
      }),
      { numRuns: 50 },
    );
  });

  it('exercises every outcome (so the properties above are not vacuous)', () => {
    // Guards against a generator change that would make the interesting paths unreachable.
    const samples = fc.sample(specsArb, { numRuns: 100, seed: 42 });
    const outcomes = new Set<string>();
    let accepted = 0;
    let total = 0;
    for (const specs of samples) {
      const model = new EscrowModel();
      for (const command of SETUP) model.apply(command);
      for (const spec of specs) {
        const command = resolveCommand(spec, model);
        const predicted = model.apply(command);
        total += 1;
        if (predicted.ok) accepted += 1;
        outcomes.add(predicted.ok ? `${command.kind} ok` : predicted.code);
      }
    }
    expect(accepted / total).toBeGreaterThan(0.3);
    expect([...outcomes].sort()).toEqual(
      [
        'createOrder ok',
        'debit ok',
        'refundDebit ok',
        'payout ok',
        'reversePayout ok',
        'payPlatformFee ok',
        ...Object.keys(REFUSALS).filter((code) => code !== 'invalid_command'),
      ].sort(),
    );
  });

  it('keeps every order in its own escrow account, whatever the ids', () => {
    const idArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(idArb, idArb, idArb, (a, b, source) => {
        fc.pre(a !== b);
        let state = EMPTY_ESCROW_STATE;
        for (const orderId of [a, b]) {
          const created = executeEscrowCommand(state, {
            kind: 'createOrder',
            orderId,
            merchantId: 'm',
            currency: 'USD',
            at: 0,
          });
          if (!created.ok) expect.fail(created.message);
          state = created.state;
        }
        const debited = executeEscrowCommand(state, {
          kind: 'debit',
          orderId: a,
          merchantId: 'm',
          currency: 'USD',
          amount: 10,
          source,
          at: 0,
        });
        if (!debited.ok) expect.fail(debited.message);
        const { ledger } = debited.state;
        expect(balanceOf(ledger, 'USD', orderEscrowAccount(a))).toBe(10);
        expect(balanceOf(ledger, 'USD', orderEscrowAccount(b))).toBe(0);
        expect(orderAmountsFromLedger(ledger, b, 'USD').amount).toBe(0);
        expect(debited.state.orders[b]).toBe(state.orders[b]);
      }),
    );
  });

  it('names accounts one-to-one: no id can forge another account', () => {
    const idArb = fc.string({ unit: 'binary', maxLength: 6 });
    const name = (kind: number, id: string): string =>
      [buyerFundingAccount, buyerRefundsAccount, orderEscrowAccount, merchantPayableAccount][
        kind
      ]?.(id) ?? '';
    fc.assert(
      fc.property(fc.nat({ max: 3 }), idArb, fc.nat({ max: 3 }), idArb, (k1, id1, k2, id2) => {
        fc.pre(k1 !== k2 || id1 !== id2);
        expect(name(k1, id1)).not.toBe(name(k2, id2));
        expect(name(k1, id1)).not.toBe(PLATFORM_FEES_ACCOUNT);
      }),
    );
  });
});
