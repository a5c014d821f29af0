import { randomBytes } from 'node:crypto';
import type { BitcoinInvoice } from '../payments/bitcoin/invoice-types.js';
import { COMPLETE_CONFIRMATIONS } from '../payments/bitcoin/invoice-policy.js';
import type { DocumentRecord } from '../store/store-records.js';
import type { IdempotencyClaim } from './commit-queue.js';
import type { DocumentEngine, DocumentOutcome, Responder } from './document-engine.js';
import type { Outcome, Reply } from './outcome.js';
import { failure } from './outcome.js';
import { invoiceOf } from './payment-desk.js';
import type { WorkingSet } from './working-set.js';

/*
 * Test mode's helpers, as Stripe's test helpers are: the outside world that paydoc only
 * simulates (the bitcoin chain, the passing of time), driven over HTTP by the account whose
 * payments they concern. Every key paydoc issues is a test key (`pd_test_…`): there is no live
 * network behind the simulators.
 *
 * The chain simulator watches the addresses of the account's Bitcoin Invoices. A payment is
 * a transaction seen in the mempool (0 confirmations) and delivered to the invoice document's
 * processor-managed `bitcoinNetwork` channel as Bitcoin Payment Seen; each mined block adds a
 * confirmation to every transaction already seen, delivered as Bitcoin Confirmations. The
 * chain's own record is the processor's book (the transactions each invoice saw, with their
 * confirmations), so nothing is kept twice. An account may pay only its own invoices' addresses
 * here: on a real chain anyone may, but here that would let one account move another's
 * payments.
 *
 * The test clock moves an account's time forward (never back): what its documents do from then
 * on happens at the later time, and the timers that fall due in between (invoice expiry,
 * authorisation expiry) fire in the same commit as the advance.
 */

/** Blocks one call may mine at most, and the longest one advance of the clock may be. */
export const MAX_BLOCKS = 100;
export const MAX_CLOCK_ADVANCE_MS = 366 * 24 * 60 * 60 * 1000;
/** Invoices read at a time while mining, and timers one advance fires at most. */
const INVOICES_PER_PAGE = 500;
const MAX_TIMERS_PER_ADVANCE = 1000;

/** A transaction the simulator saw, and what it did to the invoice it paid. */
export interface PaymentSimulated {
  txid: string;
  address: string;
  /** Satoshis. */
  amount: number;
  /** The invoice once the processor took the payment. */
  invoice: BitcoinInvoice;
  result: DocumentOutcome;
}

/** Blocks mined: the new confirmations delivered, per invoice. */
export interface BlocksMined {
  count: number;
  confirmations: { invoiceId: string; txid: string; confirmations: number; status: string }[];
  results: DocumentOutcome[];
}

/** The account's clock after an advance, and the timers it fired. */
export interface ClockAdvanced {
  offsetMs: number;
  now: number;
  fired: string[];
}

export class TestMode {
  constructor(private readonly engine: DocumentEngine) {}

  /** A transaction paying `amount` satoshis to `address`, one of the account's invoices'. */
  payBitcoin(
    accountId: string,
    address: string,
    amount: number,
    respond: Responder<PaymentSimulated>,
    idempotency?: IdempotencyClaim,
  ): Promise<Reply> {
    return this.engine.write({
      respond,
      idempotency,
      // The account's own queue: an address is public (the checkout page shows it), so a key
      // named after it would let anyone queue behind the merchant's payments.
      key: `chain ${accountId}`,
      lane: accountId,
      work: async (set, at): Promise<Outcome<PaymentSimulated>> => {
        const found = await ownInvoice(set, accountId, address);
        if (found === undefined)
          return failure('not_found', `no invoice of yours pays to ${address}`, 'address');
        const txid = randomBytes(32).toString('hex');
        const result = await this.engine.deliverToChannel(
          set,
          found.record.id,
          'bitcoinNetwork',
          { type: 'Bitcoin/Bitcoin Payment Seen', txid, amount, address },
          at,
        );
        const after = await set.document(found.record.id);
        const invoice = (after === undefined ? undefined : invoiceOf(after)) ?? found.invoice;
        return { ok: true, value: { txid, address, amount, invoice, result } };
      },
    });
  }

  /**
   * `count` blocks mined: every transaction the account's invoices saw gains `count`
   * confirmations, delivered block by block up to the 6 that complete an invoice.
   */
  mineBlocks(
    accountId: string,
    count: number,
    respond: Responder<BlocksMined>,
    idempotency?: IdempotencyClaim,
  ): Promise<Reply> {
    return this.engine.write({
      respond,
      idempotency,
      key: `chain ${accountId}`,
      lane: accountId,
      work: async (set, at): Promise<Outcome<BlocksMined>> => {
        const mined: BlocksMined = { count, confirmations: [], results: [] };
        // Every invoice of the account, a page at a time (a chain reaches every address).
        const stored: DocumentRecord[] = [];
        for (let page: DocumentRecord[] | undefined; page === undefined || page.length > 0;) {
          const last = stored.at(-1)?.id;
          page = await this.engine.store.documentsOf(accountId, {
            typeName: 'Payments/Bitcoin Invoice',
            limit: INVOICES_PER_PAGE,
            ...(last === undefined ? {} : { after: last }),
          });
          stored.push(...page);
        }
        // What each transaction had before these blocks; nothing waits beyond 6 confirmations.
        const pending: { documentId: string; invoiceId: string; txid: string; before: number }[] =
          [];
        for (const record of stored) {
          const invoice = invoiceOf((await set.document(record.id)) ?? record);
          for (const tx of invoice?.transactions ?? [])
            if (invoice !== undefined && tx.confirmations < COMPLETE_CONFIRMATIONS)
              pending.push({
                documentId: record.id,
                invoiceId: invoice.invoiceId,
                txid: tx.txid,
                before: tx.confirmations,
              });
        }
        // One block at a time, as a chain is mined: a medium invoice paid before two blocks is
        // confirmed at the first and stays so at the second.
        for (let block = 1; block <= count; block++)
          for (const tx of pending) {
            const confirmations = tx.before + block;
            if (confirmations > COMPLETE_CONFIRMATIONS) continue;
            mined.results.push(
              await this.engine.deliverToChannel(
                set,
                tx.documentId,
                'bitcoinNetwork',
                { type: 'Bitcoin/Bitcoin Confirmations', txid: tx.txid, confirmations },
                at,
              ),
            );
          }
        for (const tx of pending) {
          const after = await set.document(tx.documentId);
          const status = (after === undefined ? undefined : invoiceOf(after))?.status ?? '';
          mined.confirmations.push({
            invoiceId: tx.invoiceId,
            txid: tx.txid,
            confirmations: tx.before + count,
            status,
          });
        }
        return { ok: true, value: mined };
      },
    });
  }

  /** The account's clock `advanceBy` ms forward, and the timers due by then fired. */
  advanceClock(
    accountId: string,
    advanceBy: number,
    respond: Responder<ClockAdvanced>,
    idempotency?: IdempotencyClaim,
  ): Promise<Reply> {
    return this.engine.write({
      respond,
      idempotency,
      // One advance of an account at a time, and after its own writes queued before it.
      key: `clock ${accountId}`,
      lane: accountId,
      work: async (set, at): Promise<Outcome<ClockAdvanced>> => {
        // Another advance in the same commit group counts: two at once add up.
        const offsetMs = this.engine.clockOffset(accountId, set) + advanceBy;
        if (!Number.isSafeInteger(offsetMs))
          return failure(
            'invalid_request',
            'the test clock cannot run that far ahead',
            'advanceBy',
          );
        set.rows.testClocks.push({ accountId, offsetMs });
        const now = at + offsetMs;
        const fired: string[] = [];
        for (const due of await this.engine.store.dueTimers(now, MAX_TIMERS_PER_ADVANCE, accountId))
          if (await this.engine.fireTimer(set, due.documentId, at)) fired.push(due.documentId);
        return { ok: true, value: { offsetMs, now, fired } };
      },
    });
  }
}

/** The account's invoice paying to `address`, as the working set has it. */
async function ownInvoice(
  set: WorkingSet,
  accountId: string,
  address: string,
): Promise<{ record: DocumentRecord; invoice: BitcoinInvoice } | undefined> {
  const documentId = await set.documentIdByRef(address);
  const record = documentId === undefined ? undefined : await set.document(documentId);
  if (record === undefined || record.ownerId !== accountId) return undefined;
  const invoice = invoiceOf(record);
  return invoice === undefined || invoice.address !== address ? undefined : { record, invoice };
}
