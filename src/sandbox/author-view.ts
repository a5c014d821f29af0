import type { JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { simplify } from '../model/node.js';

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * What a step's `document(pointer)` returns, read on the host: the node at the RFC 6901 pointer
 * (entering `{items: […]}` lists by index) in the author's view (`{value: x}` is `x`). The same
 * rules as the guest's own reader, which serves supervised workers.
 *
 * @throws Error for a malformed pointer, which the guest reports as the step's error.
 */
export function readAuthorView(root: JsonValue, pointer: string): JsonValue | undefined {
  if (pointer !== '' && !pointer.startsWith('/')) {
    throw new Error(`invalid JSON pointer "${pointer}": it must be empty or start with "/"`);
  }
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
