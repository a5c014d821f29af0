import type { JsonValue } from '../model/json.js';
import { isJsonObject, ownValue } from '../model/json.js';
import { RESERVED_KEYS, scalarOf, simplify } from '../model/node.js';
import { aliasOf } from '../types/type-refs.js';
import type { TypeRegistry } from '../types/type-registry.js';

/**
 * Does `value` match the event pattern `pattern` (a handler's or channel's `event:`)? The
 * pattern's `type` matches the value's type or any subtype; every other field of the pattern
 * must match the value's field (recursively, scalars by equality).
 */
export function matchesPattern(
  value: JsonValue | undefined,
  pattern: JsonValue | undefined,
  registry: TypeRegistry,
): boolean {
  if (pattern === undefined || pattern === null) return true;
  if (!isJsonObject(pattern)) return sameScalar(value, pattern);
  if (Object.hasOwn(pattern, 'value') && !sameScalar(value, pattern.value as JsonValue))
    return false;
  if (pattern.type !== undefined && !typeMatches(value, pattern.type, registry)) return false;
  for (const key of Object.keys(pattern)) {
    if (RESERVED_KEYS.has(key)) continue;
    const field = isJsonObject(value) ? ownValue(value, key) : undefined;
    if (!matchesPattern(field, pattern[key], registry)) return false;
  }
  return true;
}

function typeMatches(
  value: JsonValue | undefined,
  patternType: JsonValue,
  registry: TypeRegistry,
): boolean {
  if (!isJsonObject(value) || value.type === undefined) return false;
  const wanted = registry.resolveRef(patternType);
  const actual = registry.resolveRef(value.type);
  if (wanted !== undefined && actual !== undefined) return registry.isSubtype(actual, wanted);
  const wantedAlias = aliasOf(patternType);
  return wantedAlias !== undefined && wantedAlias === aliasOf(value.type);
}

function sameScalar(value: JsonValue | undefined, expected: JsonValue): boolean {
  const actual = isJsonObject(value) ? scalarOf(value) : value;
  return actual === (isJsonObject(expected) ? simplify(expected) : expected);
}

/** The type id of an event node, if it has a known type. */
export function typeIdOf(value: JsonValue | undefined, registry: TypeRegistry): string | undefined {
  return isJsonObject(value) && value.type !== undefined
    ? registry.resolveRef(value.type)
    : undefined;
}

/** True when `value` is typed as `typeId` or a subtype. */
export function isTypedAs(
  value: JsonValue | undefined,
  typeId: string,
  registry: TypeRegistry,
): boolean {
  const actual = typeIdOf(value, registry);
  return actual !== undefined && registry.isSubtype(actual, typeId);
}
