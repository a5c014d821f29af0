import type { JsonValue } from './json.js';
import { isJsonObject } from './json.js';

/** Splits an RFC 6901 pointer into unescaped segments. `''` is the root. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new SyntaxError(`JSON pointer must start with '/': ${pointer}`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Escapes one segment for use in a JSON pointer. */
export function escapeSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins unescaped segments into a pointer. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((segment) => '/' + escapeSegment(String(segment))).join('');
}

/** Reads the value at `pointer` in plain JSON, or undefined where the path does not exist. */
export function getAtPointer(root: JsonValue, pointer: string): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const segment of parsePointer(pointer)) {
    if (Array.isArray(current)) {
      current = /^(0|[1-9][0-9]*)$/.test(segment) ? current[Number(segment)] : undefined;
    } else if (isJsonObject(current)) {
      current = Object.prototype.hasOwnProperty.call(current, segment)
        ? current[segment]
        : undefined;
    } else {
      return undefined;
    }
  }
  return current;
}
