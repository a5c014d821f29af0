import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/model/json.js';
import { processEvent } from '../../../src/processor/process-event.js';
import type {
  ProcessContext,
  ProcessorEvent,
  ProcessResult,
} from '../../../src/processor/processor-types.js';
import {
  confirmationsSeen,
  createInvoice,
  paymentSeen,
  tick,
} from '../../../src/payments/bitcoin/invoice.js';
import type {
  BitcoinInvoice,
  InvoiceNotification,
  InvoiceOutcome,
} from '../../../src/payments/bitcoin/invoice-types.js';
import { defaultTypeRegistry } from '../../../src/types/load-library.js';

/*
 * The Bitcoin Invoice type's built-in contracts against the invoice machine, wired as the
 * engine must wire them: the processor opens the invoice on creation, executes the requests
 * the document emits (Bitcoin Payment Seen, Bitcoin Confirmations, Check Invoice) and answers
 * on paymentProcessor; the document must mirror the machine and stay valid throughout.
 */

const registry = defaultTypeRegistry();
// No sandbox: the invoice's workflows must run on the built-in expression evaluator alone.
const context: ProcessContext = { registry };
const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const RATE = 2_612_345;

/** A stand-in for the engine's payment desk, for one invoice document. */
class InvoiceDesk {
  document: JsonObject = {};
  invoice: BitcoinInvoice | undefined;
  readonly answers: JsonObject[] = [];
  readonly notifications: InvoiceNotification[] = [];
  readonly refusals: string[] = [];

  async create(source: JsonObject, at: number): Promise<void> {
    const initialized = await this.process(source, { kind: 'initialize', timestamp: at });
    const marker = (initialized.document.contracts as JsonObject).initialized as JsonObject;
    const documentId = String(marker.documentId);
    const outcome = createInvoice({
      invoiceId: `inv_${documentId.slice(0, 16)}`,
      url: `https://paydoc.example/invoices/${documentId}`,
      price: this.document.price as number,
      currency: this.document.currency as string,
      rateMinorPerBtc: RATE,
      ...(typeof this.document.transactionSpeed === 'string'
        ? { transactionSpeed: this.document.transactionSpeed }
        : {}),
      ...(typeof this.document.fullNotifications === 'boolean'
        ? { fullNotifications: this.document.fullNotifications }
        : {}),
      ...(typeof this.document.notificationURL === 'string'
        ? { notificationURL: this.document.notificationURL }
        : {}),
      address: `bc1q${documentId.slice(0, 20).toLowerCase()}`,
      at,
    });
    await this.answer(outcome, at);
  }

  /** The chain watcher speaks on bitcoinNetwork; what the document emits goes to the machine. */
  async chain(event: JsonObject, at: number): Promise<ProcessResult> {
    return this.process(this.document, {
      kind: 'direct',
      channel: 'bitcoinNetwork',
      event,
      timestamp: at,
    });
  }

  /** The engine's clock: due timers fire, what the document emits goes to the machine. */
  async clock(at: number): Promise<ProcessResult> {
    return this.process(this.document, { kind: 'timer', timestamp: at });
  }

  private async process(document: JsonObject, event: ProcessorEvent): Promise<ProcessResult> {
    const result = await processEvent(document, event, context);
    expect(result.status, JSON.stringify(result.status)).toEqual({ kind: 'ok' });
    this.document = result.document;
    const at = event.kind === 'timeline' ? T0 : (event.timestamp ?? T0);
    for (const emitted of result.emitted) await this.request(emitted, at);
    return result;
  }

  /** Routes one emitted event to the machine by its type; other events are not requests. */
  private async request(event: JsonObject, at: number): Promise<void> {
    const invoice = this.invoice;
    const typeId = registry.resolveRef(event.type);
    if (invoice === undefined || typeId === undefined) return;
    switch (registry.nameOf(typeId)) {
      case 'Bitcoin/Bitcoin Payment Seen':
        return this.answer(
          paymentSeen(
            invoice,
            {
              txid: event.txid as string,
              amount: event.amount as number,
              address: event.address as string,
            },
            at,
          ),
          at,
        );
      case 'Bitcoin/Bitcoin Confirmations':
        return this.answer(
          confirmationsSeen(
            invoice,
            { txid: event.txid as string, confirmations: event.confirmations as number },
            at,
          ),
          at,
        );
      case 'Payments/Check Invoice':
        return this.answer(tick(invoice, at), at);
    }
  }

  private async answer(outcome: InvoiceOutcome, at: number): Promise<void> {
    const answers = outcome.ok
      ? outcome.answers
      : [{ type: 'Payments/Illegal Request', code: outcome.code, message: outcome.message }];
    if (outcome.ok) {
      this.invoice = outcome.state;
      this.notifications.push(...outcome.notifications);
    } else {
      this.refusals.push(outcome.code);
    }
    for (const answer of answers) {
      this.answers.push(answer);
      await this.process(this.document, {
        kind: 'direct',
        channel: 'paymentProcessor',
        event: answer,
        timestamp: at,
      });
    }
  }

  /** The document's view of the invoice equals the machine's. */
  expectMirrored(): void {
    const invoice = this.invoice as BitcoinInvoice;
    expect(this.document).toMatchObject({
      id: invoice.invoiceId,
      url: invoice.url,
      price: invoice.price,
      currency: invoice.currency,
      rate: invoice.rate,
      btcPrice: invoice.btcPrice,
      btcPaid: invoice.btcPaid,
      btcDue: invoice.btcDue,
      status: invoice.status,
      exceptionStatus: invoice.exceptionStatus,
      transactionSpeed: invoice.transactionSpeed,
      fullNotifications: invoice.fullNotifications,
      address: invoice.address,
      invoiceTime: invoice.invoiceTime,
      expirationTime: invoice.expirationTime,
      confirmations: invoice.confirmations,
    });
    expect(this.document.paidTime).toBe(invoice.paidTime);
    expect(this.document.invalidAfter).toBe(invoice.invalidAfter);
  }
}

function seen(address: string, txid: string, amount: number): JsonObject {
  return { type: 'Bitcoin/Bitcoin Payment Seen', address, txid, amount };
}

function confirmations(txid: string, count: number): JsonObject {
  return { type: 'Bitcoin/Bitcoin Confirmations', txid, confirmations: count };
}

const SOURCE: JsonObject = {
  type: 'Bitcoin Invoice',
  price: 1000,
  currency: 'USD',
  fullNotifications: true,
  notificationURL: 'https://merchant.example/ipn',
  posData: '{"ref":711454}',
};

describe('the Bitcoin Invoice document with the invoice machine', () => {
  it('stores the quote at creation, then mirrors a partial payment, the rest, and the blocks', async () => {
    const desk = new InvoiceDesk();
    await desk.create(SOURCE, T0);
    expect(desk.document).toMatchObject({
      status: 'new',
      rate: RATE,
      btcPrice: 38_280,
      btcDue: 38_280,
      transactionSpeed: 'medium',
      expirationTime: T0 + 15 * MINUTE,
    });
    desk.expectMirrored();
    const address = desk.document.address as string;

    const forwarded = await desk.chain(seen(address, 'tx1', 10_000), T0 + MINUTE);
    // The document forwards the watcher's report to the processor as it came.
    expect(forwarded.emitted).toEqual([seen(address, 'tx1', 10_000)]);
    expect(desk.document).toMatchObject({ status: 'new', exceptionStatus: 'paidPartial' });
    desk.expectMirrored();

    await desk.chain(seen(address, 'tx2', 28_280), T0 + 2 * MINUTE);
    expect(desk.document).toMatchObject({
      status: 'paid',
      exceptionStatus: 'false',
      btcDue: 0,
      paidTime: T0 + 2 * MINUTE,
      invalidAfter: T0 + 62 * MINUTE,
    });
    desk.expectMirrored();

    await desk.chain(confirmations('tx1', 1), T0 + 10 * MINUTE);
    expect(desk.document.status).toBe('paid');
    await desk.chain(confirmations('tx2', 1), T0 + 12 * MINUTE);
    expect(desk.document.status).toBe('confirmed');
    await desk.chain(confirmations('tx1', 6), T0 + 50 * MINUTE);
    await desk.chain(confirmations('tx2', 6), T0 + 52 * MINUTE);
    expect(desk.document.status).toBe('complete');
    desk.expectMirrored();
    // Both timers fire late (the clock had not run); the processor finds nothing due.
    const late = await desk.clock(T0 + 62 * MINUTE);
    expect(late.emitted).toEqual(
      expect.arrayContaining([
        { type: 'Payments/Check Invoice', deadline: T0 + 15 * MINUTE },
        { type: 'Payments/Check Invoice', deadline: T0 + 62 * MINUTE },
      ]),
    );
    expect(late.emitted).toHaveLength(2);
    expect(desk.document.status).toBe('complete');
    expect(desk.notifications.map((n) => n.body.status)).toEqual(['paid', 'confirmed', 'complete']);
    expect(desk.refusals).toEqual([]);
  });

  it('expires at expirationTime through its timer, keeping the partial payment flag', async () => {
    const desk = new InvoiceDesk();
    await desk.create(SOURCE, T0);
    await desk.chain(seen(desk.document.address as string, 'tx1', 5_000), T0 + MINUTE);
    await desk.clock(T0 + 14 * MINUTE);
    expect(desk.document.status).toBe('new');
    const fired = await desk.clock(T0 + 15 * MINUTE);
    expect(fired.emitted).toMatchObject([{ type: 'Payments/Check Invoice' }]);
    expect(desk.document).toMatchObject({ status: 'expired', exceptionStatus: 'paidPartial' });
    desk.expectMirrored();
  });

  it('goes from new to confirmed at once at the high speed, and invalid after an hour otherwise', async () => {
    const high = new InvoiceDesk();
    await high.create({ ...SOURCE, transactionSpeed: 'high' }, T0);
    await high.chain(seen(high.document.address as string, 'tx1', 38_280), T0 + MINUTE);
    expect(high.document).toMatchObject({ status: 'confirmed', paidTime: T0 + MINUTE });
    expect(high.document.invalidAfter).toBeUndefined();
    high.expectMirrored();

    const low = new InvoiceDesk();
    await low.create({ ...SOURCE, transactionSpeed: 'low' }, T0);
    await low.chain(seen(low.document.address as string, 'tx1', 40_000), T0 + MINUTE);
    expect(low.document).toMatchObject({ status: 'paid', exceptionStatus: 'paidOver' });
    await low.clock(T0 + 61 * MINUTE);
    expect(low.document.status).toBe('invalid');
    low.expectMirrored();
  });

  it('answers an Illegal Request for a payment to another address, and changes nothing', async () => {
    const desk = new InvoiceDesk();
    await desk.create(SOURCE, T0);
    const before = desk.invoice;
    await desk.chain(seen('bc1qsomeoneelse', 'tx1', 38_280), T0 + MINUTE);
    expect(desk.refusals).toEqual(['wrong_address']);
    expect(desk.invoice).toBe(before);
    expect(desk.document.status).toBe('new');
    desk.expectMirrored();
  });
});
