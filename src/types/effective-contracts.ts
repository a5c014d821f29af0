import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, ownValue } from '../model/json.js';
import type { TypeRegistry } from './type-registry.js';

/** A document's contracts as it has them: by key, and the node each key stands for. */
export interface EffectiveContracts {
  /** Every key of the type's built-in contracts and of the document's own. */
  keys: readonly string[];
  /** The contract under `key`: the type's, overlaid field by field by the document's own. */
  nodeOf(key: string): JsonObject | undefined;
}

const EMPTY: JsonObject = {};
// Merged nodes by (own, inherited), so an unchanged contract merges to the same object each
// time and analyses cached per node stay valid.
const merged = new WeakMap<JsonObject, WeakMap<JsonObject, JsonObject>>();

/**
 * The one merge of a type's contracts with a document's own, shared by the processor
 * (processor/contracts.ts) and the load-time rules (validation/contract-rules.ts).
 */
export function effectiveContracts(
  document: JsonObject,
  registry: TypeRegistry,
): EffectiveContracts {
  const own = isJsonObject(document.contracts) ? document.contracts : EMPTY;
  const typeId = document.type === undefined ? undefined : registry.resolveRef(document.type);
  const builtIn = typeId === undefined ? {} : registry.resolve(typeId).contracts;
  return {
    keys: [...new Set([...Object.keys(builtIn), ...Object.keys(own)])],
    nodeOf: (key) => effectiveNode(ownValue(builtIn, key)?.node, ownValue(own, key)),
  };
}

function effectiveNode(
  inherited: JsonObject | undefined,
  own: JsonValue | undefined,
): JsonObject | undefined {
  const ownNode = isJsonObject(own) ? own : undefined;
  if (inherited === undefined || ownNode === undefined) return ownNode ?? inherited;
  let byInherited = merged.get(ownNode);
  if (byInherited === undefined) {
    byInherited = new WeakMap();
    merged.set(ownNode, byInherited);
  }
  let node = byInherited.get(inherited);
  if (node === undefined) {
    node = { ...inherited, ...ownNode };
    byInherited.set(inherited, node);
  }
  return node;
}
