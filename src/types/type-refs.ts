import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { escapeSegment } from '../model/json-pointer.js';
import { TYPE_KEYS } from '../model/node.js';

/** The alias text of a type reference written inline (`type: Card Payment` or `{value: …}`). */
export function aliasOf(ref: JsonValue | undefined): string | undefined {
  if (typeof ref === 'string') return ref;
  if (isJsonObject(ref) && typeof ref.value === 'string' && Object.keys(ref).length === 1)
    return ref.value;
  return undefined;
}

/** The BlueId of a pure reference `{blueId: X}`. */
export function referenceOf(ref: JsonValue | undefined): string | undefined {
  if (isJsonObject(ref) && typeof ref.blueId === 'string' && Object.keys(ref).length === 1)
    return ref.blueId;
  return undefined;
}

/**
 * Copies a node tree, replacing every type reference written as an alias (under `type`,
 * `itemType`, `keyType`, `valueType`) with `{blueId}` where `resolve` knows it. Unknown
 * aliases are passed to `onUnknown` with their pointer and kept as written.
 */
export function replaceTypeRefs(
  node: JsonValue,
  resolve: (alias: string) => string | undefined,
  onUnknown: (alias: string, pointer: string) => void = () => undefined,
  pointer = '',
): JsonValue {
  if (Array.isArray(node)) {
    return node.map((item, index) =>
      replaceTypeRefs(item, resolve, onUnknown, `${pointer}/${index}`),
    );
  }
  if (!isJsonObject(node)) return node;
  const out: JsonObject = {};
  for (const key of Object.keys(node)) {
    const child = node[key] as JsonValue;
    const childPointer = `${pointer}/${escapeSegment(key)}`;
    const alias = (TYPE_KEYS as readonly string[]).includes(key) ? aliasOf(child) : undefined;
    if (alias !== undefined) {
      const id = resolve(alias);
      if (id === undefined) onUnknown(alias, childPointer);
      out[key] = id === undefined ? child : { blueId: id };
    } else if (key === 'value' || key === 'blueId') {
      out[key] = child;
    } else {
      out[key] = replaceTypeRefs(child, resolve, onUnknown, childPointer);
    }
  }
  return out;
}
