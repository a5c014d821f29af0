import type { JsonValue } from '../../model/json.js';
import { isJsonObject } from '../../model/json.js';
import { parsePointer } from '../../model/json-pointer.js';
import type { ContractSet } from '../../processor/contracts.js';
import type { TypeRegistry } from '../../types/type-registry.js';

/** The ops the processor applies (apply-patch.ts), read in any case; a change without one is a replace. */
export const PATCH_OPS = ['add', 'replace', 'remove'] as const;
export type PatchOp = (typeof PATCH_OPS)[number];

/** JSON Patch ops (RFC 6902) that the processor does not apply. */
export const UNSUPPORTED_OPS: ReadonlySet<string> = new Set(['move', 'copy', 'test']);

/** The changeset as written: a list, `{items: […]}`, or a string (one `${…}` expression). */
export function changesetItems(changeset: JsonValue | undefined): JsonValue[] | string | undefined {
  if (Array.isArray(changeset)) return changeset;
  if (isJsonObject(changeset) && Array.isArray(changeset.items)) return changeset.items;
  if (typeof changeset === 'string') return changeset;
  return undefined;
}

/**
 * The changes of a step if it is an Update Document: its list, `'dynamic'` when only running
 * tells (a `${…}` changeset), undefined for another step or a changeset that is no list.
 */
export function changesOf(
  step: JsonValue,
  registry: TypeRegistry,
  set: ContractSet,
): JsonValue[] | 'dynamic' | undefined {
  if (!isJsonObject(step) || step.type === undefined) return undefined;
  const typeId = registry.resolveRef(step.type);
  if (typeId === undefined || !registry.isSubtype(typeId, set.known.updateDocument))
    return undefined;
  const items = changesetItems(step.changeset);
  if (typeof items === 'string') return items.includes('${') ? 'dynamic' : undefined;
  return items;
}

/** The op of a change as the processor reads it, `'dynamic'` for a `${…}` one. */
export function opOf(change: JsonValue): PatchOp | 'dynamic' | undefined {
  if (!isJsonObject(change)) return undefined;
  const raw = change.op ?? 'replace';
  if (typeof raw !== 'string') return undefined;
  if (raw.includes('${')) return 'dynamic';
  const op = raw.toLowerCase();
  return (PATCH_OPS as readonly string[]).includes(op) ? (op as PatchOp) : undefined;
}

/**
 * Where an add or replace writes (unescaped segments), `'dynamic'` when running decides
 * (a `${…}` path, op or change), undefined for a remove or a change that fails anyway.
 */
export function literalWrite(change: JsonValue): readonly string[] | 'dynamic' | undefined {
  if (typeof change === 'string') return change.includes('${') ? 'dynamic' : undefined;
  const op = opOf(change);
  if (!isJsonObject(change) || op === undefined || op === 'remove') return undefined;
  const { path } = change;
  if (typeof path !== 'string') return undefined;
  // A `${…}` op with a literal path may write there: it counts as a write, to be safe.
  if (path.includes('${')) return 'dynamic';
  try {
    return parsePointer(path);
  } catch {
    return undefined;
  }
}
