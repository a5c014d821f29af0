import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, ownValue, protoKeyPath } from '../model/json.js';
import { escapeSegment, parsePointer, toPointer } from '../model/json-pointer.js';
import type { AppliedPatch } from './processor-types.js';

const PROCESSOR_MARKERS = new Set(['initialized', 'terminated', 'checkpoint', 'embedded']);

export type PatchOutcome =
  | { ok: true; document: JsonObject; applied: AppliedPatch; before: JsonValue | undefined }
  | { ok: false; code: 'patch_invalid' | 'patch_forbidden'; reason: string };

/**
 * Applies one change with Blue semantics: `add`/`replace`/`remove` in any case (a missing op
 * is `replace`); `replace` of a missing path adds it; `add`/`replace` create missing parents,
 * always as maps (as the reference does: `add /foo/-` with no `/foo` fails, since `-` appends
 * only to a list that exists); list nodes written as `{items: […]}` are entered transparently.
 * Pointer tokens are RFC 6901 (`~1` is `/`, `~0` is `~`), as everywhere in paydoc; the
 * reference takes them literally (documents/scenarios/README.md). The input is never mutated: the containers on
 * the path are copied (the rest is shared) and fast-json-patch, validating, applies the change
 * to that copy. The root, `/contracts` as a whole and the processor's own markers cannot be
 * patched.
 *
 * Field names are data: every container on the path is an own, copied plain object or list,
 * so `/constructor`, `/toString` or `/a/prototype` name fields like any other (DESIGN.md §4.2
 * forbade `prototype` and `constructor` segments; issue 10 makes them data). Only `__proto__`
 * is refused, as a path segment and as a key anywhere in the value.
 */
export function applyPatch(document: JsonObject, change: JsonValue): PatchOutcome {
  const parsed = parseChange(change);
  if (typeof parsed === 'string') return { ok: false, code: 'patch_invalid', reason: parsed };
  const { op, path, val } = parsed;
  let segments: string[];
  try {
    segments = parsePointer(path);
  } catch (error) {
    return { ok: false, code: 'patch_invalid', reason: (error as Error).message };
  }
  const forbidden = guard(segments);
  if (forbidden) return { ok: false, code: 'patch_forbidden', reason: `${forbidden}: ${path}` };
  const protoKey = protoKeyPath(val);
  if (protoKey !== undefined) {
    return {
      ok: false,
      code: 'patch_forbidden',
      reason: `the key '__proto__' is not allowed (at ${toPointer(protoKey)} of the value for ${path})`,
    };
  }

  const copy = { ...document };
  const normalised: string[] = [];
  let container: JsonValue = copy;
  for (let i = 0; i < segments.length - 1; i += 1) {
    const segment = segments[i] as string;
    const next = step(container, segment, normalised, op !== 'remove');
    if (next === undefined)
      return { ok: false, code: 'patch_invalid', reason: `path does not exist: ${path}` };
    container = next;
  }
  const last = segments[segments.length - 1] as string;
  if (
    isJsonObject(container) &&
    Array.isArray(container.items) &&
    (last === '-' || /^\d+$/.test(last))
  ) {
    container.items = [...container.items];
    container = container.items;
    normalised.push('items');
  }
  // fast-json-patch would take `-` on a map as a field named "-".
  if (last === '-' && !Array.isArray(container))
    return {
      ok: false,
      code: 'patch_invalid',
      reason: `${op} ${path}: the append token '-' needs a list at ${toPointer(segments.slice(0, -1))}`,
    };
  normalised.push(last);
  const before = Array.isArray(container)
    ? container[Number(last)]
    : isJsonObject(container)
      ? ownValue(container, last)
      : undefined;
  // fast-json-patch finds Object.prototype's members (a removal of an absent `/toString` would
  // "succeed"): a field that is not there cannot be removed.
  if (op === 'remove' && isJsonObject(container) && !Object.hasOwn(container, last))
    return { ok: false, code: 'patch_invalid', reason: `${op} ${path}: path does not exist` };
  const effectiveOp = op === 'replace' && (before === undefined || last === '-') ? 'add' : op;
  const pointer = normalised.map((segment) => `/${escapeSegment(segment)}`).join('');
  const operation = (
    effectiveOp === 'remove'
      ? { op: 'remove', path: pointer }
      : { op: effectiveOp, path: pointer, value: val }
  ) as Operation;
  try {
    // Its prototype ban (`__proto__`, `constructor/prototype`) is off: `__proto__` is refused
    // above, and every container on the path is an own plain object or list of the copy.
    fastJsonPatch.applyOperation(copy, operation, true, true, false);
  } catch (error) {
    return {
      ok: false,
      code: 'patch_invalid',
      reason: `${op} ${path}: ${describePatchError(error)}`,
    };
  }
  const applied: AppliedPatch =
    effectiveOp === 'remove'
      ? { op: 'remove', path: pointer }
      : { op: effectiveOp, path: pointer, val: val as JsonValue };
  return { ok: true, document: copy, applied, before };
}

function parseChange(
  change: JsonValue,
): { op: AppliedPatch['op']; path: string; val: JsonValue | undefined } | string {
  if (!isJsonObject(change)) return 'a change must be a map {op, path, val}';
  const { path } = change;
  // As the reference: the op is read in any case, and a change without one is a replace.
  const rawOp = change.op ?? 'replace';
  const op = typeof rawOp === 'string' ? rawOp.toLowerCase() : rawOp;
  if (op !== 'add' && op !== 'replace' && op !== 'remove')
    return `op must be add, replace or remove, got ${JSON.stringify(rawOp)}`;
  if (typeof path !== 'string') return 'path must be text';
  const val = change.val ?? change.value;
  if (op !== 'remove' && val === undefined) return `${op} ${path} needs a val`;
  return { op, path, val };
}

function guard(segments: string[]): string | undefined {
  if (segments.length === 0) return 'the document root cannot be patched';
  if (segments.includes('__proto__')) return "the path segment '__proto__' is not allowed";
  if (segments[0] !== 'contracts') return undefined;
  // Replacing or removing the whole map would forge or drop the processor's markers
  // (initialized, checkpoint, terminated, embedded); single contracts may change.
  if (segments.length === 1) return 'the contracts map cannot be patched as a whole';
  if (PROCESSOR_MARKERS.has(segments[1] as string)) return 'processor markers cannot be patched';
  return undefined;
}

/** Moves one level down, copying the child container (creating a map when `create`). */
function step(
  container: JsonValue,
  segment: string,
  normalised: string[],
  create: boolean,
): JsonValue | undefined {
  if (
    isJsonObject(container) &&
    Array.isArray(container.items) &&
    /^\d+$/.test(segment) &&
    !Object.hasOwn(container, segment)
  ) {
    container.items = [...container.items];
    normalised.push('items');
    return step(container.items, segment, normalised, create);
  }
  normalised.push(segment);
  if (Array.isArray(container)) {
    if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
    const child = container[Number(segment)];
    if (!isContainer(child)) return undefined;
    const copied = copyContainer(child);
    container[Number(segment)] = copied;
    return copied;
  }
  if (!isJsonObject(container)) return undefined;
  const child = ownValue(container, segment);
  if (child === undefined || child === null) {
    if (!create) return undefined;
    const fresh: JsonObject = {};
    container[segment] = fresh;
    return fresh;
  }
  if (!isContainer(child)) return undefined;
  const copied = copyContainer(child);
  container[segment] = copied;
  return copied;
}

function isContainer(value: JsonValue | undefined): value is JsonObject | JsonValue[] {
  return typeof value === 'object' && value !== null;
}

function copyContainer(value: JsonObject | JsonValue[]): JsonObject | JsonValue[] {
  return Array.isArray(value) ? [...value] : { ...value };
}

function describePatchError(error: unknown): string {
  const name = (error as { name?: string }).name;
  if (name === 'OPERATION_PATH_UNRESOLVABLE') return 'path does not exist';
  if (name === 'OPERATION_VALUE_OUT_OF_BOUNDS') return 'list index out of bounds';
  if (name === 'OPERATION_VALUE_REQUIRED') return 'a value is required';
  return (error as Error).message.split('\n')[0] ?? 'invalid patch';
}
