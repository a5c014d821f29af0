import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { scalarOf } from '../model/node.js';
import { effectiveContracts } from '../types/effective-contracts.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { byOrderThenKey, compareCodePoints } from './compare-keys.js';
import type { KnownTypes } from './known-types.js';
import { knownTypes } from './known-types.js';

export type ChannelKind =
  'timeline' | 'direct' | 'lifecycle' | 'triggered' | 'update' | 'timer' | 'embedded' | 'other';

export interface ChannelInfo {
  key: string;
  order: number;
  kind: ChannelKind;
  node: JsonObject;
  /** Timeline channels: the bound timeline (absent while unbound: then nothing matches). */
  timelineId?: string;
  /** Payments' Timeline Channel and MyOS Account deliver the entry's message, not the entry. */
  deliversMessage: boolean;
  /** Document Update and Timer channels: the watched pointer. */
  path?: string;
  /** Embedded Node Channels: the child document whose events it delivers (a pointer). */
  childPath?: string;
  pattern?: JsonValue;
}

export interface HandlerInfo {
  key: string;
  order: number;
  kind: 'workflow' | 'operation';
  node: JsonObject;
  channel?: string;
  pattern?: JsonValue;
  operation?: string;
  steps: JsonValue[];
}

export interface ContractSet {
  channels: ChannelInfo[];
  handlers: HandlerInfo[];
  operations: ReadonlyMap<string, JsonObject>;
  /** Actor Policy markers by key, in code-point order of their keys. */
  policies: readonly [string, JsonObject][];
  /**
   * The embedded child documents (Core/Process Embedded `paths`), as pointers relative to this
   * document, each once, in the order written.
   */
  embedded: readonly string[];
  known: KnownTypes;
  /** The registry the set was read with (children's sets are read with the same). */
  registry: TypeRegistry;
}

type Analysed =
  | { channel: ChannelInfo }
  | { handler: HandlerInfo }
  | { operation: JsonObject }
  | { policy: JsonObject }
  | { embedded: string[] }
  | undefined;

const analysed = new WeakMap<JsonObject, Analysed>();

/**
 * The document's contracts as the processor sees them: its type's built-in contracts overlaid
 * with the document's own, classified and in `(order, key)` order. Analysis is cached per
 * contract object, so unchanged contracts cost a map lookup per event.
 */
export function contractsOf(document: JsonObject, registry: TypeRegistry): ContractSet {
  // Keyed by the contracts map and the document's type: patches copy only what they touch, so
  // an event that changes no contract finds its set here.
  const own = isJsonObject(document.contracts) ? document.contracts : EMPTY;
  const byType = sets.get(own);
  const cached = byType?.get(document.type ?? null);
  if (cached !== undefined && cached.registry === registry) return cached.set;
  // Every event rewrites the checkpoint marker, so the contracts map is new each time; its
  // channels and handlers usually are not. Reuse a recent set when only markers changed (a few
  // are kept: a document with embedded children reads one set per scope for each event).
  let recent = lastSets.get(registry);
  if (recent === undefined) lastSets.set(registry, (recent = []));
  const type = document.type ?? null;
  const index = recent.findIndex((last) => last.type === type && sameExceptMarkers(last.own, own));
  const set = index >= 0 ? (recent[index] as RecentSet).set : computeContracts(document, registry);
  if (index > 0) recent.splice(index, 1);
  if (index !== 0) recent.unshift({ own, type, set });
  else recent[0] = { own, type, set };
  if (recent.length > RECENT_SETS) recent.length = RECENT_SETS;
  if (byType === undefined) sets.set(own, new Map([[document.type ?? null, { registry, set }]]));
  else byType.set(document.type ?? null, { registry, set });
  return set;
}

const EMPTY: JsonObject = {};
// `embedded` is a contract with meaning (Process Embedded), so it is not among these.
const MARKERS = new Set(['checkpoint', 'initialized', 'terminated']);
interface RecentSet {
  own: JsonObject;
  type: JsonValue;
  set: ContractSet;
}
const RECENT_SETS = 8;
const lastSets = new WeakMap<TypeRegistry, RecentSet[]>();

/** Same contracts apart from the processor's markers (which are never channels or handlers). */
function sameExceptMarkers(a: JsonObject, b: JsonObject): boolean {
  let count = 0;
  for (const key of Object.keys(a)) {
    if (MARKERS.has(key)) continue;
    if (!Object.hasOwn(b, key) || a[key] !== b[key]) return false;
    count += 1;
  }
  for (const key of Object.keys(b)) if (!MARKERS.has(key)) count -= 1;
  return count === 0;
}
const sets = new WeakMap<
  JsonObject,
  Map<JsonValue, { registry: TypeRegistry; set: ContractSet }>
>();

function computeContracts(document: JsonObject, registry: TypeRegistry): ContractSet {
  const known = knownTypes(registry);
  const contracts = effectiveContracts(document, registry);
  const channels: ChannelInfo[] = [];
  const handlers: HandlerInfo[] = [];
  const operations = new Map<string, JsonObject>();
  const policies: [string, JsonObject][] = [];
  let embedded: string[] | undefined;
  // Keys in code-point order, so that of several Process Embedded markers the same one counts
  // whatever order the map was written in.
  for (const key of [...contracts.keys].sort(compareCodePoints)) {
    const node = contracts.nodeOf(key);
    if (node === undefined) continue;
    const info = analyse(key, node, registry, known);
    if (info === undefined) continue;
    if ('channel' in info) channels.push(info.channel);
    else if ('handler' in info) handlers.push(info.handler);
    else if ('policy' in info) policies.push([key, info.policy]);
    else if ('embedded' in info) embedded ??= info.embedded;
    else operations.set(key, info.operation);
  }
  bindProxies(channels);
  channels.sort(byOrderThenKey);
  handlers.sort(byOrderThenKey);
  policies.sort(([a], [b]) => compareCodePoints(a, b));
  return { channels, handlers, operations, policies, embedded: embedded ?? NONE, known, registry };
}

const NONE: readonly string[] = Object.freeze([]);

function analyse(
  key: string,
  node: JsonObject,
  registry: TypeRegistry,
  known: KnownTypes,
): Analysed {
  if (analysed.has(node)) return analysed.get(node);
  const result = classify(key, node, registry, known);
  analysed.set(node, result);
  return result;
}

function classify(
  key: string,
  node: JsonObject,
  registry: TypeRegistry,
  known: KnownTypes,
): Analysed {
  const typeId = node.type === undefined ? undefined : registry.resolveRef(node.type);
  if (typeId === undefined) return undefined;
  const is = (ancestor: string) => registry.isSubtype(typeId, ancestor);
  const order = typeof scalarOf(node.order) === 'number' ? (scalarOf(node.order) as number) : 0;
  const embedding = embeddingTypes(registry);
  if (is(known.channel)) {
    const timelineId = scalarOf(node.timelineId);
    const path = scalarOf(node.path);
    const childPath = scalarOf(node.childPath);
    return {
      channel: {
        key,
        order,
        kind: is(embedding.channel) ? 'embedded' : channelKind(is, known),
        node,
        ...(timelineId !== undefined ? { timelineId: String(timelineId) } : {}),
        deliversMessage: is(known.messageTimelineChannel),
        ...(typeof path === 'string' ? { path } : {}),
        ...(typeof childPath === 'string' ? { childPath: asPointer(childPath) } : {}),
        ...(node.event !== undefined ? { pattern: node.event } : {}),
      },
    };
  }
  if (is(known.workflow) || is(known.operationWorkflow)) {
    const channel = scalarOf(node.channel);
    const operation = scalarOf(node.operation);
    return {
      handler: {
        key,
        order,
        kind: is(known.operationWorkflow) ? 'operation' : 'workflow',
        node,
        ...(typeof channel === 'string' ? { channel } : {}),
        ...(node.event !== undefined ? { pattern: node.event } : {}),
        ...(typeof operation === 'string' ? { operation } : {}),
        steps: stepsOf(node.steps),
      },
    };
  }
  if (is(known.actorPolicy)) return { policy: node };
  if (is(embedding.marker)) return { embedded: embeddedPaths(node.paths) };
  if (is(known.operation)) return { operation: node };
  return undefined;
}

/**
 * A REST API Channel with `proxy: <channel>` receives what the processor records on that
 * channel's timeline (Smart Card Payment's paymentProcessorMerchantTimeline): it listens to the
 * same timeline and delivers the entry's message, an Operation Request. Without a proxy, the
 * HTTP layer delivers requests to it directly.
 */
function bindProxies(channels: ChannelInfo[]): void {
  channels.forEach((channel, index) => {
    const proxy = scalarOf(channel.node.proxy);
    if (channel.kind !== 'direct' || typeof proxy !== 'string') return;
    const target = channels.find(
      (candidate) => candidate.key === proxy && candidate.kind === 'timeline',
    );
    if (target?.timelineId === undefined) return;
    channels[index] = {
      ...channel,
      kind: 'timeline',
      timelineId: target.timelineId,
      deliversMessage: true,
    };
  });
}

function channelKind(is: (ancestor: string) => boolean, known: KnownTypes): ChannelKind {
  if (is(known.timelineChannel)) return 'timeline';
  if (is(known.internalChannel) || is(known.restChannel)) return 'direct';
  if (is(known.lifecycleChannel)) return 'lifecycle';
  if (is(known.triggeredChannel)) return 'triggered';
  if (is(known.updateChannel)) return 'update';
  if (is(known.timerChannel)) return 'timer';
  return 'other';
}

function stepsOf(steps: JsonValue | undefined): JsonValue[] {
  if (Array.isArray(steps)) return steps;
  if (isJsonObject(steps) && Array.isArray(steps.items)) return steps.items;
  return [];
}

/** The paths of a Process Embedded marker: pointers (a missing leading `/` added), each once. */
function embeddedPaths(paths: JsonValue | undefined): string[] {
  const items = stepsOf(paths);
  const out: string[] = [];
  for (const item of items) {
    const path = scalarOf(item);
    if (typeof path !== 'string' || path.trim() === '') continue;
    const pointer = asPointer(path.trim());
    // The document itself is never its own child.
    if (pointer !== '/' && !out.includes(pointer)) out.push(pointer);
  }
  return out;
}

/** A pointer as the reference reads a child path: relative ones are taken from the root. */
function asPointer(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

const embeddingCache = new WeakMap<TypeRegistry, { marker: string; channel: string }>();

function embeddingTypes(registry: TypeRegistry): { marker: string; channel: string } {
  let types = embeddingCache.get(registry);
  if (types === undefined) {
    types = {
      marker: registry.lookup('Core/Process Embedded')?.id ?? 'missing:Core/Process Embedded',
      channel:
        registry.lookup('Core/Embedded Node Channel')?.id ?? 'missing:Core/Embedded Node Channel',
    };
    embeddingCache.set(registry, types);
  }
  return types;
}
