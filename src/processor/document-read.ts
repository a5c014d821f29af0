import type { JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { parsePointer } from '../model/json-pointer.js';
import { fieldKeys } from '../model/node.js';

/**
 * `document(pointer)` as steps see it: walks fields, enters `{items: […]}` lists by index and
 * unwraps `{value: x}` scalars, so `document('/amount')` is 1000 whether the document says
 * `amount: 1000` or `amount: {type: Integer, value: 1000}`. Missing paths read as undefined.
 */
export function readDocument(root: JsonValue, pointer: string): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const segment of parsePointer(pointer)) {
    if (
      isJsonObject(current) &&
      Array.isArray(current.items) &&
      /^\d+$/.test(segment) &&
      !(segment in current)
    ) {
      current = current.items;
    }
    if (Array.isArray(current)) {
      current = /^(0|[1-9]\d*)$/.test(segment) ? current[Number(segment)] : undefined;
    } else if (isJsonObject(current)) {
      current = Object.prototype.hasOwnProperty.call(current, segment)
        ? current[segment]
        : undefined;
    } else {
      return undefined;
    }
  }
  return unwrap(current);
}

function unwrap(value: JsonValue | undefined): JsonValue | undefined {
  if (isJsonObject(value) && 'value' in value && fieldKeys(value).length === 0) return value.value;
  return value;
}
