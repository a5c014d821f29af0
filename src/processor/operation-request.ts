import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, ownValue } from '../model/json.js';
import { fieldKeys, scalarOf } from '../model/node.js';
import { documentBlueId } from '../types/document-id.js';
import { referenceOf } from '../types/type-refs.js';
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

/** What a version pin is checked against: the whole request and the scope it was sent to. */
export interface PinScope {
  /** The Operation Request (its `document` and `allowNewerVersion`). */
  request: JsonObject;
  /** The root of the scope the operation belongs to, as it is now. */
  document: JsonObject;
}

/**
 * Why the request is refused: its payload does not satisfy the Operation's declared
 * `request`, or (given `pin`) it pins a version of the document that is not this one.
 * Undefined when it is accepted. The type is looked at before the pin, as in blue-js.
 */
export function requestProblem(
  declared: JsonValue | undefined,
  payload: JsonValue | undefined,
  registry: TypeRegistry,
  validator: DocumentValidator,
  pin?: PinScope,
): string | undefined {
  return (
    payloadProblem(declared, payload, registry, validator) ??
    (pin === undefined ? undefined : pinProblem(pin, registry))
  );
}

/**
 * A request with `allowNewerVersion: false` and a `document` is meant for that version only.
 * As blue-js does, the pin (a `{blueId}` reference, else the BlueId of the node sent) is
 * compared with the scope's `initialized.documentId` (the document as it was initialised),
 * or, before initialisation, with the BlueId of the scope as it is now.
 */
export function pinProblem(pin: PinScope, registry: TypeRegistry): string | undefined {
  if (scalarOf(pin.request.allowNewerVersion) !== false) return undefined;
  const pinned = pin.request.document;
  if (pinned === undefined || pinned === null) return undefined;
  const pinnedId = referenceOf(pinned) ?? documentBlueId(pinned, registry);
  const contracts = pin.document.contracts;
  const initialized = isJsonObject(contracts) ? ownValue(contracts, 'initialized') : undefined;
  const stored = isJsonObject(initialized) ? scalarOf(initialized.documentId) : undefined;
  const expected =
    typeof stored === 'string' && stored.length > 0
      ? stored
      : documentBlueId(pin.document, registry);
  if (pinnedId === expected) return undefined;
  return `the request is pinned to document ${pinnedId} with allowNewerVersion: false, but this document is ${expected}`;
}

function payloadProblem(
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
  // What the type alone does not say: itemType, keyType, valueType and fixed values, here or
  // in the declared fields, at any depth (blue-js checks the payload against the whole node).
  const problem = validator.validateDeclared(payload, declared)[0];
  if (problem !== undefined) {
    const where =
      problem.pointer === '' || problem.pointer === undefined ? '' : ` at ${problem.pointer}`;
    const detail = problem.message.replace(/^document /, '');
    return `the request does not match the declared request${where} (${detail})`;
  }
  return undefined;
}

function sameScalarValue(payload: JsonValue, declared: JsonValue): boolean {
  return scalarOf(payload) === declared;
}
