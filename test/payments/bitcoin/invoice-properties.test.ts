import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/model/json.js';
import {
  confirmationsSeen,
  createInvoice,
  paymentSeen,
  tick,
} from '../../../src/payments/bitcoin/invoice.js';
import {
  INVOICE_TRANSITIONS,
  TRANSACTION_SPEEDS,
} from '../../../src/payments/bitcoin/invoice-policy.js';
import type {
  BitcoinInvoice,
  InvoiceOutcome,
  InvoiceStatus,
} from '../../../src/payments/bitcoin/invoice-types.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const ADDRESS = 'bc1qinvoiceaddress0000000000000000000000';
const FINAL: readonly InvoiceStatus[] = ['complete', 'expired', 'invalid'];

/** A share of btcPrice in percent (so that payments fill invoices of any price), or a raw amount. */
type Amount = { percent: number } | { raw: number };

type Command =
  | { kind: 'pay'; reuse: boolean; amount: Amount; dt: number }
  /** `tx` picks a transaction seen, −1 one never seen. */
  | { kind: 'confirm'; tx: number; confirmations: number; dt: number }
  | { kind: 'tick'; dt: number };

// Mostly small steps forward, some crossing the 15-minute or the 1-hour deadline at once, a few
// backwards, to exercise the clock that never runs back.
const dtArb = fc.oneof(
  { weight: 16, arbitrary: fc.integer({ min: 0, max: MINUTE }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 20 * MINUTE }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 70 * MINUTE }) },
  { weight: 1, arbitrary: fc.integer({ min: -5 * MINUTE, max: 0 }) },
);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      reuse: fc.oneof(
        { weight: 7, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      amount: fc.oneof(
        { weight: 8, arbitrary: fc.record({ percent: fc.integer({ min: 1, max: 150 }) }) },
        { weight: 1, arbitrary: fc.record({ raw: fc.constantFrom(1, 0, -1, 0.5) }) },
      ),
      dt: dtArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('confirm' as const),
      tx: fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) },
        { weight: 1, arbitrary: fc.constant(-1) },
      ),
      confirmations: fc.integer({ min: -1, max: 8 }),
      dt: dtArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), dt: dtArb }) },
);

const scenarioArb = fc.record({
  speed: fc.constantFrom(...TRANSACTION_SPEEDS),
  fullNotifications: fc.boolean(),
  withUrl: fc.boolean(),
  price: fc.integer({ min: 10, max: 1_000 }),
  rate: fc.integer({ min: 1_000_000, max: 10_000_000 }),
  wrongAddressEvery: fc.integer({ min: 3, max: 10 }),
  commands: fc.array(commandArb, { minLength: 1, maxLength: 40, size: 'medium' }),
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

/** A fresh txid (tx0, tx1, … in order), or tx0 again to test duplicates. */
function payingTxid(invoice: BitcoinInvoice, reuse: boolean): string {
  return reuse ? 'tx0' : `tx${invoice.transactions.length}`;
}

/** One of the transactions seen (tx0 when none: unknown), or, for −1, one never seen. */
function confirmedTxid(invoice: BitcoinInvoice, tx: number): string {
  return tx < 0 ? 'tx-never-seen' : `tx${tx % Math.max(1, invoice.transactions.length)}`;
}

function satoshis(invoice: BitcoinInvoice, amount: Amount): number {
  return 'raw' in amount ? amount.raw : Math.ceil((invoice.btcPrice * amount.percent) / 100);
}

function run(
  invoice: BitcoinInvoice,
  command: Command,
  at: number,
  wrong: boolean,
): InvoiceOutcome {
  switch (command.kind) {
    case 'pay':
      return paymentSeen(
        invoice,
        {
          txid: payingTxid(invoice, command.reuse),
          amount: satoshis(invoice, command.amount),
          address: wrong ? 'bc1qother' : ADDRESS,
        },
        at,
      );
    case 'confirm':
      return confirmationsSeen(
        invoice,
        { txid: confirmedTxid(invoice, command.tx), confirmations: command.confirmations },
        at,
      );
    case 'tick':
      return tick(invoice, at);
  }
}

/** The refusal a command must get, or undefined when it must be accepted. */
function expectedRefusal(
  invoice: BitcoinInvoice,
  command: Command,
  wrong: boolean,
): string | undefined {
  if (command.kind === 'pay') {
    const amount = satoshis(invoice, command.amount);
    if (!Number.isSafeInteger(amount) || amount <= 0) return 'invalid_amount';
    if (wrong) return 'wrong_address';
    if (invoice.transactions.some((tx) => tx.txid === payingTxid(invoice, command.reuse)))
      return 'duplicate_transaction';
  }
  if (command.kind === 'confirm') {
    if (command.confirmations < 0) return 'invalid_confirmations';
    if (!invoice.transactions.some((tx) => tx.txid === confirmedTxid(invoice, command.tx)))
      return 'unknown_transaction';
  }
  return undefined;
}

const MIRRORED = ['status', 'exceptionStatus', 'btcPaid', 'btcDue', 'confirmations'] as const;

function checkInvariants(invoice: BitcoinInvoice): void {
  const credited = invoice.transactions.filter((tx) => tx.credited);
  const sum = credited.reduce((total, tx) => total + tx.amount, 0);
  expect(invoice.btcPaid).toBe(sum);
  expect(invoice.btcDue).toBe(Math.max(0, invoice.btcPrice - invoice.btcPaid));
  expect(invoice.exceptionStatus).toBe(
    invoice.btcPaid > invoice.btcPrice
      ? 'paidOver'
      : invoice.btcPaid > 0 && invoice.btcPaid < invoice.btcPrice
        ? 'paidPartial'
        : 'false',
  );
  expect(invoice.confirmations).toBe(
    credited.length === 0 ? 0 : Math.min(...credited.map((tx) => tx.confirmations)),
  );
  if (['paid', 'confirmed', 'complete', 'invalid'].includes(invoice.status)) {
    expect(invoice.btcPaid).toBeGreaterThanOrEqual(invoice.btcPrice);
    expect(invoice.paidTime).toBeDefined();
  }
  if (invoice.status === 'new') expect(invoice.btcPaid).toBeLessThan(invoice.btcPrice);
  if (invoice.status === 'complete') expect(invoice.confirmations).toBeGreaterThanOrEqual(6);
}

describe('bitcoin invoice properties', () => {
  it('keeps btcPaid = credited sum, moves only along allowed edges, and refusals change nothing', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const created = createInvoice({
          invoiceId: 'inv_p',
          url: 'https://paydoc.example/invoices/inv_p',
          price: scenario.price,
          currency: 'USD',
          rateMinorPerBtc: scenario.rate,
          transactionSpeed: scenario.speed,
          fullNotifications: scenario.fullNotifications,
          ...(scenario.withUrl ? { notificationURL: 'https://merchant.example/ipn' } : {}),
          address: ADDRESS,
          at: T0,
        });
        if (!created.ok) throw new Error(created.message);
        let invoice = deepFreeze(created.state);
        let at = T0;
        scenario.commands.forEach((command, index) => {
          at += command.dt;
          const wrong = command.kind === 'pay' && index % scenario.wrongAddressEvery === 0;
          const snapshot = structuredClone(invoice);
          const outcome = run(invoice, command, at, wrong);
          // Deterministic: the same command on the same record gives the same outcome.
          expect(run(invoice, command, at, wrong)).toEqual(outcome);
          const refusal = expectedRefusal(invoice, command, wrong);
          if (!outcome.ok) {
            expect(outcome.code).toBe(refusal);
            expect(invoice).toEqual(snapshot);
            return;
          }
          expect(refusal).toBeUndefined();
          const before = invoice;
          const after = outcome.state;
          checkInvariants(after);
          const now = Math.max(at, before.currentTime);
          expect(after.currentTime).toBe(now);
          // Transactions are only appended; their confirmations never go down.
          expect(
            after.transactions.slice(0, before.transactions.length).map((tx) => tx.txid),
          ).toEqual(before.transactions.map((tx) => tx.txid));
          before.transactions.forEach((tx, i) => {
            expect(after.transactions[i]?.confirmations).toBeGreaterThanOrEqual(tx.confirmations);
            expect(after.transactions[i]?.credited).toBe(tx.credited);
          });
          if (command.kind === 'pay') {
            const added = after.transactions[after.transactions.length - 1];
            expect(added?.credited).toBe(before.status === 'new' && now < before.expirationTime);
          }
          // Status changes: a chain of allowed edges from before to after, one answer each.
          const statusAnswers = outcome.answers.filter(
            (answer) => answer.type === 'Payments/Bitcoin Invoice Status Changed',
          );
          let status: InvoiceStatus = before.status;
          for (const answer of statusAnswers) {
            expect(answer.previousStatus).toBe(status);
            expect(INVOICE_TRANSITIONS[status]).toContain(answer.status);
            status = answer.status as InvoiceStatus;
          }
          expect(status).toBe(after.status);
          if (FINAL.includes(before.status)) expect(after.status).toBe(before.status);
          // The document never misses a change: the last answer carries the mirrored fields.
          const last: JsonObject | undefined = outcome.answers[outcome.answers.length - 1];
          const changed = MIRRORED.some((field) => before[field] !== after[field]);
          expect(last !== undefined).toBe(changed);
          if (last !== undefined)
            for (const field of MIRRORED) expect(last[field]).toBe(after[field]);
          // Notifications only on status changes, as the settings say.
          if (!scenario.withUrl) expect(outcome.notifications).toEqual([]);
          else if (scenario.fullNotifications)
            expect(outcome.notifications.length).toBe(statusAnswers.length);
          else
            for (const notification of outcome.notifications)
              expect(['confirmed', 'complete']).toContain(notification.body.status);
          invoice = deepFreeze(after);
        });
      }),
      { numRuns: 300 },
    );
  });
});
