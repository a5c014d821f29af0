import type { JsonValue } from './json.js';
import { isJsonObject } from './json.js';
import { simplify } from './node.js';

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * What `document(pointer)` returns to a step — in JavaScript Code and in `${…}` expressions
 * alike: the node at the RFC 6901 pointer (entering `{items: […]}` lists by index) in the
 * author's view (`{value: x}` is `x`, `{items}` is the list). A path without its leading `/`
 * (`counter`) is read as if it had one (`/counter`), as the reference processor reads it. The
 * guest runtime's own reader, which serves supervised workers, follows the same rules.
 *
 * @throws Error for a malformed pointer, which the guest reports as the step's error.
 */
export function readAuthorView(root: JsonValue, path: string): JsonValue | undefined {
  // As in the reference processor, `document('counter')` means `/counter`.
  const pointer = path === '' || path.startsWith('/') ? path : `/${path}`;
  if (/~(?:[^01]|$)/.test(pointer))
    throw new Error(`invalid JSON pointer "${pointer}": "~" must be followed by 0 or 1`);
  let node: JsonValue | undefined = root;
  if (pointer !== '') {
    for (const raw of pointer.slice(1).split('/')) {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (node === null || typeof node !== 'object') return undefined;
      const isIndex = ARRAY_INDEX.test(segment);
      if (Array.isArray(node)) node = isIndex ? node[Number(segment)] : undefined;
      else if (isIndex && Array.isArray(node.items)) node = node.items[Number(segment)];
      else
        node =
          isJsonObject(node) && Object.prototype.hasOwnProperty.call(node, segment)
            ? node[segment]
            : undefined;
      if (node === undefined) return undefined;
    }
  }
  return simplify(node);
}
