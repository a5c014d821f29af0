import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { parsePointer, toPointer } from '../model/json-pointer.js';
import { scalarOf } from '../model/node.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { contractsOf } from './contracts.js';
import { childScope, scopeDocument, withScopeDocument } from './embedded-scopes.js';
import { knownTypes } from './known-types.js';

/**
 * The timeline channels of a document, as the binding rules see them (pure; the server's
 * binding policy is `engine/bind-document.ts`, the offline runner's is a naming function).
 *
 * A channel is the processor's (`reserved`) when it is the `paymentProcessor` contract (the
 * payment desk answers there, whatever the document's type), when a REST API Channel names it
 * as its `proxy` (the processor records API calls there), or when the document's type marks
 * it `managedBy: processor` (a Bitcoin Invoice's `bitcoinNetwork`). The mark is read from the
 * type, never from the instance, so a document cannot unmark a channel of its type.
 */
export interface TimelineContract {
  key: string;
  /** The participant the contract names: `MyOS Account {email}` or `{account}`. */
  email?: string;
  account?: string;
  /** The timelineId the document itself supplies, if any. */
  timelineId?: string;
  reserved: boolean;
  /**
   * `<x>Timeline` naming no participant and no timeline shares the timeline of contract `<x>`
   * (Smart Card Payment's `merchantTimeline` is the seed's `merchant` account). Sharing stays
   * within one scope: a child's `<x>Timeline` shares the child's `<x>`.
   */
  sharesWith?: string;
  /**
   * The embedded child (Core/Process Embedded) whose contract this is, as the pointer of its
   * root; absent for the document's own contracts. A child's channels are bound by the same
   * rules as the document's, so no child channel lets anyone speak for anyone.
   */
  scope?: string;
  /** Where the contract is in the whole document (`/contracts/<key>`, or under the child). */
  pointer: string;
}

/** Gives a timeline channel its timeline id (the offline runner names them). */
export type TimelineResolver = (contract: TimelineContract) => string;

/** The contract key of the channel the payment desk answers on. */
export const PAYMENT_PROCESSOR_CHANNEL = 'paymentProcessor';

/**
 * Every timeline channel of the document, its type's included, in contract-key order; then
 * those of its embedded children, each child's after its parent's, depth first.
 */
export function timelineContracts(
  document: JsonObject,
  registry: TypeRegistry,
): TimelineContract[] {
  const contracts: TimelineContract[] = [];
  collect(document, '', registry, contracts);
  return contracts;
}

function collect(
  root: JsonObject,
  scope: string,
  registry: TypeRegistry,
  contracts: TimelineContract[],
): void {
  const document = scopeDocument(root, scope);
  if (document === undefined) return;
  const { timelines, reserved } = analyse(document, registry);
  for (const [key, node] of timelines) {
    const email = textOf(node.email);
    const account = textOf(node.account);
    const timelineId = textOf(node.timelineId);
    const owner = key.endsWith('Timeline') ? key.slice(0, -'Timeline'.length) : undefined;
    // A processor channel never shares a participant's timeline.
    const shares =
      !reserved.has(key) &&
      owner !== undefined &&
      timelines.has(owner) &&
      email === undefined &&
      account === undefined &&
      timelineId === undefined;
    contracts.push({
      key,
      ...(email !== undefined ? { email } : {}),
      ...(account !== undefined ? { account } : {}),
      ...(timelineId !== undefined ? { timelineId } : {}),
      reserved: reserved.has(key),
      ...(shares ? { sharesWith: owner } : {}),
      ...(scope === '' ? {} : { scope }),
      pointer: `${scope}${toPointer(['contracts', key])}`,
    });
  }
  for (const child of contractsOf(document, registry).embedded) {
    // A malformed child path names no child.
    if (!isPointer(child)) continue;
    collect(root, childScope(scope, child), registry, contracts);
  }
}

/** The contract a `<x>Timeline` shares: `<x>` of the same scope. */
export function sharedContract(
  contracts: readonly TimelineContract[],
  contract: TimelineContract,
): TimelineContract | undefined {
  return contracts.find(
    (candidate) => candidate.key === contract.sharesWith && candidate.scope === contract.scope,
  );
}

/**
 * Writes each contract's timeline id into the scope that declares it (see {@link withTimelines}).
 * Returns the document itself if nothing changed.
 */
export function withBoundTimelines(
  document: JsonObject,
  bound: ReadonlyMap<TimelineContract, string>,
): JsonObject {
  const byScope = new Map<string, Map<string, string>>();
  for (const [contract, timelineId] of bound) {
    const scope = contract.scope ?? '';
    let timelines = byScope.get(scope);
    if (timelines === undefined) byScope.set(scope, (timelines = new Map()));
    timelines.set(contract.key, timelineId);
  }
  let out = document;
  for (const [scope, timelines] of byScope) {
    const child = scopeDocument(out, scope);
    if (child === undefined) continue;
    const written = withTimelines(child, timelines);
    if (written !== child) out = withScopeDocument(out, scope, written);
  }
  return out;
}

function isPointer(path: string): boolean {
  try {
    parsePointer(path);
    return true;
  } catch {
    return false;
  }
}

/** The effective timeline channel nodes (type overlaid by instance) and the reserved keys. */
function analyse(
  document: JsonObject,
  registry: TypeRegistry,
): { timelines: Map<string, JsonObject>; reserved: Set<string> } {
  const known = knownTypes(registry);
  const own = isJsonObject(document.contracts) ? document.contracts : {};
  const typeId = document.type === undefined ? undefined : registry.resolveRef(document.type);
  const builtIn = typeId === undefined ? {} : registry.resolve(typeId).contracts;
  const timelines = new Map<string, JsonObject>();
  const reserved = new Set<string>([PAYMENT_PROCESSOR_CHANNEL]);
  for (const key of [...new Set([...Object.keys(builtIn), ...Object.keys(own)])].sort()) {
    const inherited = Object.hasOwn(builtIn, key) ? builtIn[key]?.node : undefined;
    const declared = Object.hasOwn(own, key) && isJsonObject(own[key]) ? own[key] : undefined;
    if (scalarOf(inherited?.managedBy) === 'processor') reserved.add(key);
    const node = { ...(inherited ?? {}), ...(declared ?? {}) };
    const nodeType = node.type === undefined ? undefined : registry.resolveRef(node.type);
    if (nodeType === undefined) continue;
    const proxy = scalarOf(node.proxy);
    if (registry.isSubtype(nodeType, known.restChannel) && typeof proxy === 'string')
      reserved.add(proxy);
    if (registry.isSubtype(nodeType, known.timelineChannel)) timelines.set(key, node);
  }
  return { timelines, reserved };
}

/**
 * Writes the given timeline ids into the document's own contracts (a channel the type
 * declares is written in too, so the stored document says where each channel listens).
 * Channels that already carry a timelineId keep it. Returns the document itself if nothing changed.
 */
export function withTimelines(
  document: JsonObject,
  timelines: ReadonlyMap<string, string>,
): JsonObject {
  const own = isJsonObject(document.contracts) ? document.contracts : {};
  const contracts: JsonObject = { ...own };
  let changed = false;
  for (const [key, timelineId] of timelines) {
    const declared = Object.hasOwn(own, key) && isJsonObject(own[key]) ? own[key] : undefined;
    if (declared !== undefined && textOf(declared.timelineId) !== undefined) continue;
    contracts[key] = { ...(declared ?? {}), timelineId };
    changed = true;
  }
  return changed ? { ...document, contracts } : document;
}

/**
 * Binds every timeline channel that has no timelineId yet through `resolve`; a `<x>Timeline`
 * that shares `<x>` gets `<x>`'s timeline. Used where no account owns anything (`paydoc run`).
 */
export function bindParticipants(
  document: JsonObject,
  registry: TypeRegistry,
  resolve: TimelineResolver,
): JsonObject {
  const contracts = timelineContracts(document, registry);
  const timelines = new Map<TimelineContract, string>();
  for (const contract of contracts)
    if (contract.sharesWith === undefined)
      timelines.set(contract, contract.timelineId ?? resolve(contract));
  for (const contract of contracts) {
    if (contract.sharesWith === undefined) continue;
    const shared = sharedContract(contracts, contract);
    timelines.set(contract, (shared && timelines.get(shared)) ?? resolve(contract));
  }
  return withBoundTimelines(document, timelines);
}

function textOf(value: JsonValue | undefined): string | undefined {
  const scalar = scalarOf(value);
  return scalar === undefined ? undefined : String(scalar);
}
