import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { fieldKeys, scalarOf } from '../model/node.js';
import type { TypeRegistry } from '../types/type-registry.js';
import type { DocumentValidator } from '../validation/document-validator.js';
import type { ContractSet } from './contracts.js';
import { isTypedAs } from './event-pattern.js';

// An Operation Request as a handler sees it: found in the delivered event (or the entry's
// message), and checked against the Operation's declared request before any step runs.

/** The Operation Request carried by a delivered event, directly or as a timeline entry's message. */
export function operationRequestOf(
  event: JsonValue,
  registry: TypeRegistry,
  contracts: ContractSet,
): JsonObject | undefined {
  const typeId = contracts.known.operationRequest;
  if (isTypedAs(event, typeId, registry)) return event as JsonObject;
  if (isJsonObject(event) && isTypedAs(event.message, typeId, registry))
    return event.message as JsonObject;
  return undefined;
}

/**
 * Why `payload` does not satisfy the Operation's declared `request`, or undefined when it does.
 */
export function requestProblem(
  declared: JsonValue | undefined,
  payload: JsonValue | undefined,
  registry: TypeRegistry,
  validator: DocumentValidator,
): string | undefined {
  if (declared === undefined || declared === null) return undefined;
  if (payload === undefined) return 'the request carries no payload';
  const typeId =
    isJsonObject(declared) && declared.type !== undefined
      ? registry.resolveRef(declared.type)
      : undefined;
  if (typeId !== undefined) {
    const problems = validator.validateAs(payload, typeId);
    if (problems.length > 0) {
      const detail = (problems[0]?.message ?? '').replace(/^document /, '');
      return `the request must be of type ${registry.nameOf(typeId)} (it ${detail})`;
    }
  }
  if (!isJsonObject(declared)) {
    return sameScalarValue(payload, declared)
      ? undefined
      : 'the request does not match the declared request';
  }
  // Fields declared beside the type overlay it (the seed's refund: RefundRequest plus
  // amount: Integer, reason: Text): each present field must be of its declared type.
  for (const key of fieldKeys(declared)) {
    const field = declared[key];
    const value = isJsonObject(payload) && Object.hasOwn(payload, key) ? payload[key] : undefined;
    const fieldType =
      isJsonObject(field) && field.type !== undefined ? registry.resolveRef(field.type) : undefined;
    if (value === undefined || fieldType === undefined) continue;
    const problems = validator.validateAs(value, fieldType);
    if (problems.length > 0) {
      const detail = (problems[0]?.message ?? '').replace(/^document /, '');
      return `the request's ${key} must be of type ${registry.nameOf(fieldType)} (it ${detail})`;
    }
  }
  return undefined;
}

function sameScalarValue(payload: JsonValue, declared: JsonValue): boolean {
  return scalarOf(payload) === declared;
}
