import type { JsonObject } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { scalarOf } from '../model/node.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { knownTypes } from './known-types.js';

/** A participant channel waiting for a timeline: its contract key and who it names. */
export interface Participant {
  key: string;
  email?: string;
  account?: string;
}

/** Gives a participant its timeline id (the server creates account timelines; the CLI uses names). */
export type TimelineResolver = (participant: Participant) => string;

/**
 * Binds every timeline channel that has no `timelineId` yet: a `MyOS Account {email|account}`
 * gets the timeline the resolver gives it; a channel named `<x>Timeline` without a participant
 * of its own (the seed's `merchantTimeline`, declared by Smart Card Payment) shares the timeline
 * of the contract `<x>` (the seed's `merchant` account); any other gets the resolver's timeline
 * for its key. Channels the type declares are written into the document's own contracts.
 */
export function bindParticipants(
  document: JsonObject,
  registry: TypeRegistry,
  resolve: TimelineResolver,
): JsonObject {
  const known = knownTypes(registry);
  const own = isJsonObject(document.contracts) ? document.contracts : {};
  const typeId = document.type === undefined ? undefined : registry.resolveRef(document.type);
  const builtIn = typeId === undefined ? {} : registry.resolve(typeId).contracts;
  const effective = new Map<string, JsonObject>();
  for (const key of new Set([...Object.keys(builtIn), ...Object.keys(own)])) {
    const node = { ...(builtIn[key]?.node ?? {}), ...(isJsonObject(own[key]) ? own[key] : {}) };
    const nodeType = node.type === undefined ? undefined : registry.resolveRef(node.type);
    if (nodeType !== undefined && registry.isSubtype(nodeType, known.timelineChannel))
      effective.set(key, node);
  }
  const bound = new Map<string, string>();
  const timelineOf = (key: string, node: JsonObject): string => {
    const existing = scalarOf(node.timelineId);
    if (existing !== undefined) return String(existing);
    const email = scalarOf(node.email);
    const account = scalarOf(node.account);
    if (email === undefined && account === undefined && key.endsWith('Timeline')) {
      const owner = key.slice(0, -'Timeline'.length);
      const ownerNode = effective.get(owner);
      if (ownerNode !== undefined) return bound.get(owner) ?? timelineOf(owner, ownerNode);
    }
    return resolve({
      key,
      ...(email !== undefined ? { email: String(email) } : {}),
      ...(account !== undefined ? { account: String(account) } : {}),
    });
  };
  const contracts: JsonObject = { ...own };
  let changed = false;
  for (const [key, node] of effective) {
    const timelineId = timelineOf(key, node);
    bound.set(key, timelineId);
    if (scalarOf(node.timelineId) !== undefined) continue;
    contracts[key] = { ...(isJsonObject(own[key]) ? own[key] : {}), timelineId };
    changed = true;
  }
  return changed ? { ...document, contracts } : document;
}
