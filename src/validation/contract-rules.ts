import type { Problem } from '../errors/problem.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { escapeSegment } from '../model/json-pointer.js';
import { scalarOf } from '../model/node.js';
import { effectiveContracts } from '../types/effective-contracts.js';
import type { TypeRegistry } from '../types/type-registry.js';

// Refusals blue-js makes when it loads a document's contracts (ContractBundleBuilder,
// ScopeExecutor, HandlerRegistrationService), made here on load so that a document the
// reference cannot initialise is never accepted, rather than failing on its first event.

const CHECKPOINT_KEY = 'checkpoint';
const INITIALIZED_KEY = 'initialized';

/** The contract-level load-time problems of a document (its root scope). */
export function contractRuleProblems(document: JsonValue, registry: TypeRegistry): Problem[] {
  if (!isJsonObject(document)) return [];
  const { keys, nodeOf: effective } = effectiveContracts(document, registry);
  const typeOf = (node: JsonObject | undefined): string | undefined =>
    node?.type === undefined ? undefined : registry.resolveRef(node.type);
  const is = (node: JsonObject | undefined, name: string): boolean => {
    const id = typeOf(node);
    const ancestor = registry.lookup(name)?.id;
    return id !== undefined && ancestor !== undefined && registry.isSubtype(id, ancestor);
  };
  const at = (key: string): string => `/contracts/${escapeSegment(key)}`;
  const problems: Problem[] = [];

  // blue-js: a Channel Event Checkpoint lives only under the reserved key, so a second one
  // (necessarily under another key) is refused, as is one under any other key.
  for (const key of keys) {
    if (key === CHECKPOINT_KEY || !is(effective(key), 'Core/Channel Event Checkpoint')) continue;
    const other = is(effective(CHECKPOINT_KEY), 'Core/Channel Event Checkpoint')
      ? `; '${CHECKPOINT_KEY}' already is one, and a document has at most one`
      : '';
    problems.push({
      code: 'validation_failed',
      message: `contract '${key}': a Channel Event Checkpoint must be under the reserved key '${CHECKPOINT_KEY}'${other}`,
      pointer: at(key),
    });
  }
  // The checkpoint records events processed since initialisation: one without the
  // Processing Initialized Marker claims a history the document cannot have.
  const checkpoint = effective(CHECKPOINT_KEY);
  if (
    is(checkpoint, 'Core/Channel Event Checkpoint') &&
    !is(effective(INITIALIZED_KEY), 'Core/Processing Initialized Marker')
  ) {
    problems.push({
      code: 'validation_failed',
      message: `contract '${CHECKPOINT_KEY}': a Channel Event Checkpoint must not appear before initialization (the document has no '${INITIALIZED_KEY}' marker)`,
      pointer: at(CHECKPOINT_KEY),
    });
  }
  // blue-js: one Process Embedded per scope; two would make the child scopes ambiguous.
  const embedding = keys.filter((key) => is(effective(key), 'Core/Process Embedded'));
  for (const key of embedding.slice(1)) {
    problems.push({
      code: 'validation_failed',
      message: `contract '${key}': a document has at most one Process Embedded ('${embedding[0] ?? ''}' already is one)`,
      pointer: at(key),
    });
  }
  // An operation handler runs on its own channel or, lacking one, on its Operation's; with
  // neither, blue-js cannot register it and refuses the document.
  for (const key of keys) {
    const handler = effective(key);
    if (!is(handler, 'Conversation/Sequential Workflow Operation')) continue;
    if (channelOf(handler) !== undefined) continue;
    const operationKey = scalarOf(handler?.operation);
    const operation =
      typeof operationKey === 'string' && operationKey.length > 0
        ? effective(operationKey)
        : undefined;
    const isOperation = is(operation, 'Conversation/Operation');
    if (isOperation && channelOf(operation) !== undefined) continue;
    const why =
      typeof operationKey !== 'string' || operationKey.length === 0
        ? 'and names no operation to take one from'
        : !isOperation
          ? `and '${operationKey}' is not an Operation of this document`
          : `and neither does its Operation '${operationKey}'`;
    problems.push({
      code: 'validation_failed',
      message: `contract '${key}': a Sequential Workflow Operation must declare a channel; it has none ${why}`,
      pointer: at(key),
    });
  }
  return problems;
}

/** A channel key as blue-js reads one: trimmed text; empty means none. */
function channelOf(node: JsonObject | undefined): string | undefined {
  const value = scalarOf(node?.channel);
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}
