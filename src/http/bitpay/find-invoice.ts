import type { DocumentEngine } from '../../engine/document-engine.js';
import { invoiceOf } from '../../engine/payment-desk.js';
import type { BitcoinInvoice } from '../../payments/bitcoin/invoice-types.js';
import type { Store } from '../../store/store.js';
import type { DocumentRecord } from '../../store/store-records.js';

/** An invoice as the processor keeps it, and the Bitcoin Invoice document it belongs to. */
export interface FoundInvoice {
  record: DocumentRecord;
  invoice: BitcoinInvoice;
}

/**
 * The invoice of id `invoiceId` (`inv_…`), from what is committed; undefined when there is
 * none. Whoever asks decides who may see it: the API only its merchant, the checkout page
 * anyone holding the URL (the id is random, BitPay's invoice URLs are public the same way).
 */
export async function findInvoice(
  store: Store,
  invoiceId: string,
): Promise<FoundInvoice | undefined> {
  if (!/^inv_[A-Za-z0-9_-]{1,64}$/.test(invoiceId)) return undefined;
  const documentId = await store.documentIdByRef(invoiceId);
  const record = documentId === undefined ? undefined : await store.document(documentId);
  if (record === undefined) return undefined;
  const invoice = invoiceOf(record);
  if (invoice === undefined || invoice.invoiceId !== invoiceId) return undefined;
  return { record, invoice };
}

/**
 * The invoice's `currentTime` as the API and the checkout page answer it: the server's time at
 * the owner's test clock (POST /test/clock), never before the invoice's own time.
 */
export function invoiceTimeNow(engine: DocumentEngine, found: FoundInvoice): number {
  return Math.max(
    engine.accountTime(found.record.ownerId, engine.now()),
    found.invoice.currentTime,
  );
}
