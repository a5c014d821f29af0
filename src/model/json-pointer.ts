import type { JsonValue } from './json.js';
import { isJsonObject, ownValue } from './json.js';

/** A `~` not followed by `0` or `1`: RFC 6901 knows no other escape. */
const BAD_ESCAPE = /~(?:[^01]|$)/;

/**
 * Splits an RFC 6901 pointer into unescaped segments. `''` is the root.
 *
 * @throws SyntaxError for a pointer that does not start with `/` or holds an escape other than
 *   `~0` and `~1` (`~2`, a lone `~` at the end): it names no path, so nothing may be read or
 *   written there.
 */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new SyntaxError(`JSON pointer must start with '/': ${pointer}`);
  }
  if (BAD_ESCAPE.test(pointer)) {
    throw new SyntaxError(`invalid JSON pointer ${pointer}: '~' must be followed by 0 or 1`);
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
      current = ownValue(current, segment);
    } else {
      return undefined;
    }
  }
  return current;
}
