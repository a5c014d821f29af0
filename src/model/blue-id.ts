import { hash } from 'node:crypto';
import { base58Encode } from './base58.js';
import { canonicalJson } from './canonical-json.js';
import { CORE_TYPE_IDS, SCALAR_TYPE_IDS } from './core-type-ids.js';
import type { JsonObject, JsonValue } from './json.js';
import { isJsonObject } from './json.js';

/** `base58btc(sha256(utf8(canonical JSON)))`: the hash at the bottom of every BlueId. */
export function hashJson(value: JsonValue): string {
  return hashText(canonicalJson(value));
}

const EMPTY_LIST_ID = hashJson({ $list: 'empty' });

/**
 * The BlueId of a node (DESIGN.md §3.2; the algorithm of blue-js 4.x). Nulls and objects that
 * become empty are removed first; empty lists are kept. Type names are not resolved here:
 * callers that want aliases hashed as their BlueIds replace them beforehand.
 */
export function blueId(node: JsonValue): string {
  const cleaned = isClean(node) ? node : clean(node);
  return idOf(cleaned === undefined ? {} : cleaned);
}

/** True when nothing needs removing (no nulls, no empty maps): the common case, left uncopied. */
function isClean(value: JsonValue): boolean {
  if (value === null) return false;
  if (typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!isClean(item)) return false;
    return true;
  }
  const keys = Object.keys(value);
  for (const key of keys) if (!isClean(value[key] as JsonValue)) return false;
  return keys.length > 0;
}

function clean(value: JsonValue): JsonValue | undefined {
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    for (const item of value) {
      const cleaned = clean(item);
      if (cleaned !== undefined) items.push(cleaned);
    }
    return items;
  }
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  let empty = true;
  for (const key of Object.keys(value)) {
    const cleaned = clean(value[key] as JsonValue);
    if (cleaned === undefined) continue;
    out[key] = cleaned;
    empty = false;
  }
  return empty ? undefined : out;
}

// Scalars repeat (type names, timeline ids, small numbers): their ids are worth remembering.
const scalarIds = new Map<string | number | boolean, string>();
const MAX_CACHED_SCALARS = 4096;

function scalarId(value: string | number | boolean): string {
  let id = scalarIds.get(value);
  if (id === undefined) {
    id = hashJson(value);
    if (typeof value !== 'string' || value.length <= 64) {
      if (scalarIds.size >= MAX_CACHED_SCALARS) scalarIds.clear();
      scalarIds.set(value, id);
    }
  }
  return id;
}

function idOf(value: JsonValue): string {
  if (Array.isArray(value)) return listId(value);
  if (value === null) return hashJson(value);
  if (!isJsonObject(value)) return scalarId(value);
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const only = keys[0] as string;
    if (only === 'blueId' && typeof value.blueId === 'string') return value.blueId;
    if (only === 'value') return idOf(value.value as JsonValue);
    if (only === 'items' && Array.isArray(value.items)) return listId(value.items);
  }
  if (keys.length === 2 && Object.hasOwn(value, 'type')) {
    const typeId = referencedId(value.type);
    if (Object.hasOwn(value, 'value') && typeId !== undefined && SCALAR_TYPE_IDS.has(typeId)) {
      return idOf(value.value as JsonValue);
    }
    if (
      Object.hasOwn(value, 'items') &&
      typeId === CORE_TYPE_IDS.List &&
      Array.isArray(value.items)
    ) {
      return listId(value.items);
    }
  }
  // The helper object of rule 6, written straight to its canonical JSON: keys in code-unit
  // order, name/description/value as written, every other key as {"blueId": id(child)}.
  keys.sort();
  let json = '{';
  for (const key of keys) {
    const child = value[key] as JsonValue;
    if (json.length > 1) json += ',';
    json += JSON.stringify(key);
    if (key === 'name' || key === 'description' || key === 'value')
      json += `:${canonicalJson(child)}`;
    else json += `:{"blueId":${JSON.stringify(idOf(child))}}`;
  }
  return hashText(`${json}}`);
}

function hashText(canonical: string): string {
  return base58Encode(hash('sha256', canonical, 'buffer'));
}

function listId(items: readonly JsonValue[]): string {
  let acc = EMPTY_LIST_ID;
  for (const item of items) {
    acc = hashText(
      `{"$listCons":{"elem":{"blueId":${JSON.stringify(idOf(item))}},"prev":{"blueId":${JSON.stringify(acc)}}}}`,
    );
  }
  return acc;
}

function referencedId(type: JsonValue | undefined): string | undefined {
  if (isJsonObject(type) && Object.keys(type).length === 1 && typeof type.blueId === 'string') {
    return type.blueId;
  }
  return undefined;
}

/**
 * Ids of nodes already hashed, by the node object itself: documents are never changed in
 * place (a patch copies the containers on its path and shares the rest, apply-patch.ts), so
 * the next state of a document shares every unchanged subtree with the one before, and
 * hashing it costs only the path that changed. Keyed per alias resolver (one per registry):
 * the same node resolves differently in another registry.
 */
const resolvedIds = new WeakMap<object, WeakMap<object, string | undefined>>();

/** How aliases are resolved (types/document-id.ts makes one per registry, once). */
export interface Resolver {
  /** The BlueId of a type reference written as an alias (`Card Payment`, `{value: …}`), if known. */
  resolveAlias: (ref: JsonValue | undefined) => string | undefined;
  /** The keys whose value is a type reference (type, itemType, keyType, valueType). */
  typeKeys: readonly string[];
  /** The tree with its aliases replaced (types/type-refs.ts), for the rare shapes. */
  copy: (node: JsonValue) => JsonValue;
}

/**
 * `blueId(resolver.copy(node))`: the BlueId with type aliases hashed as the BlueIds the
 * resolver gives, computed without copying the tree and remembering each object's id. The
 * resolver must be one stable object (its identity keys the memory), and the nodes must not
 * be changed once hashed.
 */
export function resolvedBlueId(node: JsonValue, resolver: Resolver): string {
  let memory = resolvedIds.get(resolver);
  if (memory === undefined) {
    memory = new WeakMap();
    resolvedIds.set(resolver, memory);
  }
  const id = resolvedId(node, resolver, memory);
  return id === undefined ? idOf({}) : id;
}

/** The id of a node as cleaned and resolved; undefined when cleaning removes it. */
function resolvedId(
  value: JsonValue,
  resolver: Resolver,
  memory: WeakMap<object, string | undefined>,
): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'object') return scalarId(value);
  // A written `blueId` may be any string, '' included: a removed node is remembered as
  // undefined, told from an unknown one by has().
  if (memory.has(value)) return memory.get(value);
  let id: string | undefined;
  if (Array.isArray(value)) {
    let acc = EMPTY_LIST_ID;
    for (const item of value) {
      const itemId = resolvedId(item, resolver, memory);
      if (itemId !== undefined) acc = consId(itemId, acc);
    }
    id = acc;
  } else {
    id = objectId(value, resolver, memory);
  }
  memory.set(value, id);
  return id;
}

function objectId(
  value: JsonObject,
  resolver: Resolver,
  memory: WeakMap<object, string | undefined>,
): string | undefined {
  // Each key that survives cleaning: its child's id, and for raw children (value, blueId,
  // name, description: hashed as written) the cleaned child itself.
  const ids = new Map<string, string>();
  const raw = new Map<string, JsonValue>();
  let typeRef: string | undefined;
  for (const key of Object.keys(value)) {
    const child = value[key] as JsonValue;
    const resolved = resolver.typeKeys.includes(key) ? resolver.resolveAlias(child) : undefined;
    if (resolved !== undefined) {
      ids.set(key, resolved);
      if (key === 'type') typeRef = resolved;
      continue;
    }
    if (key === 'value' || key === 'blueId' || key === 'name' || key === 'description') {
      // Hashed as written (a name or description that is a map takes the copying road).
      if ((key === 'name' || key === 'description') && child !== null && typeof child === 'object')
        return fallback(value, resolver);
      const cleaned = isClean(child) ? child : clean(child);
      if (cleaned === undefined) continue;
      raw.set(key, cleaned);
      ids.set(key, '');
      continue;
    }
    const childId = resolvedId(child, resolver, memory);
    if (childId === undefined) continue;
    ids.set(key, childId);
    if (key === 'type') typeRef = referencedId(isClean(child) ? child : clean(child));
  }
  const keys = [...ids.keys()];
  if (keys.length === 0) return undefined;
  if (keys.length === 1) {
    const only = keys[0] as string;
    const rawChild = raw.get(only);
    if (only === 'blueId' && typeof rawChild === 'string') return rawChild;
    if (only === 'value') return idOf(rawChild as JsonValue);
    if (only === 'items' && Array.isArray(value.items)) return ids.get('items');
  }
  if (keys.length === 2 && ids.has('type')) {
    if (ids.has('value') && typeRef !== undefined && SCALAR_TYPE_IDS.has(typeRef))
      return idOf(raw.get('value') as JsonValue);
    if (ids.has('items') && typeRef === CORE_TYPE_IDS.List && Array.isArray(value.items))
      return ids.get('items');
  }
  keys.sort();
  let json = '{';
  for (const key of keys) {
    if (json.length > 1) json += ',';
    json += JSON.stringify(key);
    if (key === 'name' || key === 'description' || key === 'value')
      json += `:${canonicalJson(raw.get(key) as JsonValue)}`;
    else if (key === 'blueId')
      json += `:{"blueId":${JSON.stringify(idOf(raw.get(key) as JsonValue))}}`;
    else json += `:{"blueId":${JSON.stringify(ids.get(key))}}`;
  }
  return hashText(`${json}}`);
}

/** The rare shapes (a name or description that is a map) take the copying road. */
function fallback(value: JsonObject, resolver: Resolver): string | undefined {
  const copy = resolver.copy(value);
  const cleaned = isClean(copy) ? copy : clean(copy);
  return cleaned === undefined ? undefined : idOf(cleaned);
}

function consId(itemId: string, acc: string): string {
  return hashText(
    `{"$listCons":{"elem":{"blueId":${JSON.stringify(itemId)}},"prev":{"blueId":${JSON.stringify(acc)}}}}`,
  );
}
