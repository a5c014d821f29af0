import type { JsonObject } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { scalarOf } from '../model/node.js';

/**
 * The document id initialisation recorded (`contracts.initialized.documentId`), or '' when the
 * document is not initialised: the server, `paydoc run`, `paydoc id` and `paydoc verify` read
 * it here.
 */
export function initializedDocumentId(document: JsonObject): string {
  const contracts = isJsonObject(document.contracts) ? document.contracts : {};
  const marker = Object.hasOwn(contracts, 'initialized') ? contracts.initialized : undefined;
  return String(scalarOf(isJsonObject(marker) ? marker.documentId : undefined) ?? '');
}
