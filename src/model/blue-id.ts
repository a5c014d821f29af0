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
