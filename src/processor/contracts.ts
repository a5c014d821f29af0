import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, ownValue } from '../model/json.js';
import { scalarOf } from '../model/node.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { byOrderThenKey, compareCodePoints } from './compare-keys.js';
import type { KnownTypes } from './known-types.js';
import { knownTypes } from './known-types.js';

export type ChannelKind =
  'timeline' | 'direct' | 'lifecycle' | 'triggered' | 'update' | 'timer' | 'other';

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
  known: KnownTypes;
}

type Analysed =
  | { channel: ChannelInfo }
  | { handler: HandlerInfo }
  | { operation: JsonObject }
  | { policy: JsonObject }
  | undefined;

const analysed = new WeakMap<JsonObject, Analysed>();
const merged = new WeakMap<JsonObject, WeakMap<JsonObject, JsonObject>>();

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
  // channels and handlers usually are not. Reuse the last set when only markers changed.
  const last = lastSets.get(registry);
  const set =
    last !== undefined && last.type === (document.type ?? null) && sameExceptMarkers(last.own, own)
      ? last.set
      : computeContracts(document, own, registry);
  lastSets.set(registry, { own, type: document.type ?? null, set });
  if (byType === undefined) sets.set(own, new Map([[document.type ?? null, { registry, set }]]));
  else byType.set(document.type ?? null, { registry, set });
  return set;
}

const EMPTY: JsonObject = {};
const MARKERS = new Set(['checkpoint', 'initialized', 'terminated', 'embedded']);
const lastSets = new WeakMap<
  TypeRegistry,
  { own: JsonObject; type: JsonValue; set: ContractSet }
>();

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

function computeContracts(
  document: JsonObject,
  own: JsonObject,
  registry: TypeRegistry,
): ContractSet {
  const known = knownTypes(registry);
  const typeId = document.type === undefined ? undefined : registry.resolveRef(document.type);
  const builtIn = typeId === undefined ? {} : registry.resolve(typeId).contracts;
  const keys = new Set([...Object.keys(builtIn), ...Object.keys(own)]);
  const channels: ChannelInfo[] = [];
  const handlers: HandlerInfo[] = [];
  const operations = new Map<string, JsonObject>();
  const policies: [string, JsonObject][] = [];
  for (const key of keys) {
    const node = effectiveNode(ownValue(builtIn, key)?.node, ownValue(own, key));
    if (node === undefined) continue;
    const info = analyse(key, node, registry, known);
    if (info === undefined) continue;
    if ('channel' in info) channels.push(info.channel);
    else if ('handler' in info) handlers.push(info.handler);
    else if ('policy' in info) policies.push([key, info.policy]);
    else operations.set(key, info.operation);
  }
  bindProxies(channels);
  channels.sort(byOrderThenKey);
  handlers.sort(byOrderThenKey);
  policies.sort(([a], [b]) => compareCodePoints(a, b));
  return { channels, handlers, operations, policies, known };
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
  if (is(known.channel)) {
    const timelineId = scalarOf(node.timelineId);
    const path = scalarOf(node.path);
    return {
      channel: {
        key,
        order,
        kind: channelKind(is, known),
        node,
        ...(timelineId !== undefined ? { timelineId: String(timelineId) } : {}),
        deliversMessage: is(known.messageTimelineChannel),
        ...(typeof path === 'string' ? { path } : {}),
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
