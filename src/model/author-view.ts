// The one `document(pointer)` reader, shared by the host (read-author-view.ts: `${…}`
// expressions, timers and in-process JavaScript steps) and the guest runtime (bundled into the
// isolate, where supervised workers read the document as JSON text). It must stay pure and
// bundleable: no Node imports, nothing the guest bundle could not hold (guest-runtime.ts).
//
// The intrinsics it uses are captured when the module is evaluated: in the isolate that is
// before any guest code runs, and a guest cannot reach what the reader calls afterwards.
import type { JsonObject, JsonValue } from './json.js';
import { RESERVED_KEYS } from './node.js';

const { defineProperty, hasOwn, keys: objectKeys } = Object;
const isArray = Array.isArray;
const { apply } = Reflect;
const stringSlice = String.prototype.slice;
const stringSplit = String.prototype.split;
const stringReplace = String.prototype.replace;
const stringStartsWith = String.prototype.startsWith;
const regexpTest = RegExp.prototype.test;
const setHas = Set.prototype.has;
const RealError = Error;
const RealTypeError = TypeError;

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;
const BAD_ESCAPE = /~(?:[^01]|$)/;
const ESCAPED_SLASH = /~1/g;
const ESCAPED_TILDE = /~0/g;

/**
 * The segment that reads a node's BlueId rather than a key: `document('/x/blueId')` is the
 * BlueId of the node at `/x`, as in the reference processor (blue-js 4.1.1 ProcessorEngine.nodeAt
 * with its calculateBlueId option). In a Blue node `blueId` is a reserved key, never a child
 * field, so there is no field of that name to shadow it: for a pure reference `{blueId: X}` the
 * BlueId is X itself, and for a node that also has fields it is the node's computed BlueId, not
 * the `blueId` written in it. It applies wherever the segment appears (the root's is `/blueId`).
 */
export const BLUE_ID_SEGMENT = 'blueId';

/** How the reader gets a node's BlueId: the host hashes, the guest asks the host. */
export interface AuthorViewOptions {
  blueIdOf(node: JsonValue): string;
}

/**
 * The pointer as the reader reads it: a path without its leading `/` (`counter`) is read as if
 * it had one (`/counter`), as the reference processor reads it.
 *
 * @throws TypeError for a pointer that is not a string; Error for a `~` not followed by 0 or 1.
 */
export function normalizeAuthorPointer(path: unknown): string {
  if (typeof path !== 'string')
    throw new RealTypeError('document() expects a JSON pointer such as "/amount"');
  const pointer =
    path === '' || (apply(stringStartsWith, path, ['/']) as boolean) ? path : `/${path}`;
  if (apply(regexpTest, BAD_ESCAPE, [pointer]) as boolean)
    throw new RealError(`invalid JSON pointer "${pointer}": "~" must be followed by 0 or 1`);
  return pointer;
}

/**
 * What `document(pointer)` returns to a step — in JavaScript Code and in `${…}` expressions
 * alike: the node at the RFC 6901 pointer (entering `{items: […]}` lists by index; `blueId`
 * reads the BlueId, see {@link BLUE_ID_SEGMENT}) in the author's view (`{value: x}` is `x`,
 * `{items}` is the list), or undefined where there is none. The answer is always a fresh copy:
 * a step that changes it changes nothing else, and a later read returns the same.
 *
 * @throws Error for a malformed pointer, which the guest reports as the step's error.
 */
export function readAuthorViewWith(
  root: JsonValue,
  path: unknown,
  options: AuthorViewOptions,
): JsonValue | undefined {
  const pointer = normalizeAuthorPointer(path);
  let node: JsonValue | undefined = root;
  if (pointer !== '') {
    const segments = apply(stringSplit, apply(stringSlice, pointer, [1]), ['/']) as string[];
    for (const raw of segments) {
      const segment = apply(stringReplace, apply(stringReplace, raw, [ESCAPED_SLASH, '/']), [
        ESCAPED_TILDE,
        '~',
      ]) as string;
      if (segment === BLUE_ID_SEGMENT) {
        node = options.blueIdOf(node);
        continue;
      }
      if (node === null || typeof node !== 'object') return undefined;
      const isIndex = apply(regexpTest, ARRAY_INDEX, [segment]) as boolean;
      if (isArray(node)) node = isIndex ? node[+segment] : undefined;
      else if (isIndex && hasOwn(node, 'items') && isArray(node.items)) node = node.items[+segment];
      else node = hasOwn(node, segment) ? node[segment] : undefined;
      if (node === undefined) return undefined;
    }
  }
  return simplifyCopy(node);
}

function isReserved(key: string): boolean {
  return apply(setHas, RESERVED_KEYS, [key]) as boolean;
}

// Sets `out[key]` as an own data property, even for `__proto__` (an assignment would set the
// object's prototype instead).
function put(out: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__')
    defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  else out[key] = value;
}

/**
 * The author's view of a node (model/node.ts simplify): `{value: x}` is x, `{items: [...]}` is
 * the list; fields, `type`, `name` and the other reserved keys stay. It always builds fresh
 * objects.
 */
export function simplifyCopy(node: JsonValue): JsonValue {
  if (node === null || typeof node !== 'object') return node;
  if (isArray(node)) {
    const out: JsonValue[] = [];
    for (let index = 0; index < node.length; index += 1)
      out[index] = simplifyCopy(node[index] as JsonValue);
    return out;
  }
  const nodeKeys = objectKeys(node);
  let fields = 0;
  for (const key of nodeKeys) if (!isReserved(key)) fields += 1;
  if (fields === 0 && hasOwn(node, 'value'))
    return node.value === undefined ? null : deepCopy(node.value);
  if (fields === 0 && hasOwn(node, 'items') && isArray(node.items)) return simplifyCopy(node.items);
  const out: JsonObject = {};
  for (const key of nodeKeys) {
    const child = node[key] as JsonValue;
    put(out, key, isReserved(key) ? deepCopy(child) : simplifyCopy(child));
  }
  return out;
}

function deepCopy(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  if (isArray(value)) {
    const out: JsonValue[] = [];
    for (let index = 0; index < value.length; index += 1)
      out[index] = deepCopy(value[index] as JsonValue);
    return out;
  }
  const out: JsonObject = {};
  for (const key of objectKeys(value)) put(out, key, deepCopy(value[key] as JsonValue));
  return out;
}
