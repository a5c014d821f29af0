import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, ownValue } from '../model/json.js';
import { getAtPointer, parsePointer } from '../model/json-pointer.js';
import type { TypeRegistry } from '../types/type-registry.js';
import type { ChannelInfo } from './contracts.js';
import { contractsOf } from './contracts.js';

/**
 * Embedded documents (Core/Process Embedded): each listed path of a scope is a child scope with
 * contracts of its own. A scope is named by the pointer of its root in the whole document,
 * `''` for the document itself; everything inside a scope (its patches, Document Update paths,
 * checkpoint, markers) is relative to that root, so a child reads the same embedded or alone.
 */

/** The scope of the child at `relative` (a pointer from the parent's root) of `parent`. */
export function childScope(parent: string, relative: string): string {
  return `${parent}${relative}`;
}

/** The document of a scope, or undefined where the path holds no map (the child is absent). */
export function scopeDocument(root: JsonObject, scope: string): JsonObject | undefined {
  if (scope === '') return root;
  if (segmentsOf(scope) === undefined) return undefined;
  const found = getAtPointer(root, scope);
  return isJsonObject(found) ? found : undefined;
}

/**
 * A copy of `root` with the scope's document replaced by `document`: only the containers on the
 * path are copied, the rest is shared. The scope must exist (it was read from `root`).
 */
export function withScopeDocument(
  root: JsonObject,
  scope: string,
  document: JsonObject,
): JsonObject {
  if (scope === '') return document;
  const segments = segmentsOf(scope) ?? [];
  const write = (container: JsonValue, index: number): JsonValue => {
    const segment = segments[index] as string;
    const next = index === segments.length - 1 ? undefined : index + 1;
    if (Array.isArray(container)) {
      const copy = [...container];
      const at = Number(segment);
      copy[at] = next === undefined ? document : write(copy[at] as JsonValue, next);
      return copy;
    }
    const object = container as JsonObject;
    const child = ownValue(object, segment) as JsonValue;
    return { ...object, [segment]: next === undefined ? document : write(child, next) };
  };
  return write(root, 0) as JsonObject;
}

/** The path of `scope` seen from its ancestor `ancestor` (a pointer, `''` for the same). */
export function relativeScope(ancestor: string, scope: string): string {
  return scope.slice(ancestor.length);
}

/** The ancestors of a scope, nearest first, the document itself (`''`) last. */
export function ancestorsOf(scope: string, scopes: readonly string[]): string[] {
  return scopes
    .filter(
      (candidate) => candidate !== scope && (candidate === '' || scope.startsWith(`${candidate}/`)),
    )
    .sort((a, b) => b.length - a.length);
}

/**
 * Where a patch at `path` (relative to its scope) meets the scope's embedded `children`:
 * `inside` a child is a write across the boundary; `at` a child (or above it) replaces or
 * removes the child as a whole, which the parent may do, cutting the child off.
 */
export function boundaryOf(
  path: string,
  children: readonly string[],
): { inside: string } | { at: string[] } | undefined {
  let at: string[] | undefined;
  for (const child of children) {
    if (path.startsWith(`${child}/`)) return { inside: child };
    if (path === child || child.startsWith(`${path}/`)) (at ??= []).push(child);
  }
  return at === undefined ? undefined : { at };
}

/**
 * The channels of the document and of every embedded child still running (a terminated child
 * hears nothing more), depth first, each with the scope it belongs to. The service subscribes
 * a document to the timeline of each bound timeline channel here, a child's included.
 */
export function scopeChannels(
  document: JsonObject,
  registry: TypeRegistry,
): { scope: string; channel: ChannelInfo }[] {
  const out: { scope: string; channel: ChannelInfo }[] = [];
  const visit = (scope: string, at: JsonObject): void => {
    const contracts = contractsOf(at, registry);
    for (const channel of contracts.channels) out.push({ scope, channel });
    for (const relative of contracts.embedded) {
      const path = childScope(scope, relative);
      const child = scopeDocument(document, path);
      if (child === undefined) continue;
      const markers = child.contracts;
      if (isJsonObject(markers) && markers.terminated !== undefined) continue;
      visit(path, child);
    }
  };
  visit('', document);
  return out;
}

function segmentsOf(scope: string): string[] | undefined {
  try {
    return parsePointer(scope);
  } catch {
    return undefined;
  }
}
