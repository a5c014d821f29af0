import type { JsonObject, JsonValue } from '../../model/json.js';
import { isJsonObject, protoKeyPath } from '../../model/json.js';
import { toPointer } from '../../model/json-pointer.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import { applyPatch } from '../apply-patch.js';
import type { KnownTypes } from '../known-types.js';
import type { AppliedPatch } from '../processor-types.js';
import { Rejection } from '../rejection.js';
import type { StepScope } from './step-scope.js';
import { resolveExpressions, runScript } from './step-scope.js';

/** What one step produced. */
export interface StepOutput {
  document: JsonObject;
  patches: AppliedPatch[];
  before: (JsonValue | undefined)[];
  events: JsonValue[];
  result?: JsonValue;
}

/** Runs one workflow step by its type: JavaScript Code, Update Document or Trigger Event. */
export async function runStep(
  step: JsonValue,
  scope: StepScope,
  registry: TypeRegistry,
  known: KnownTypes,
): Promise<StepOutput> {
  if (!isJsonObject(step))
    throw new Rejection('unknown_step', `step ${scope.stepName} must be a map`, scope.stepName);
  const typeId = step.type === undefined ? undefined : registry.resolveRef(step.type);
  if (typeId !== undefined && registry.isSubtype(typeId, known.javascriptCode))
    return runJavaScript(step, scope);
  if (typeId !== undefined && registry.isSubtype(typeId, known.updateDocument))
    return runUpdate(step, scope);
  if (typeId !== undefined && registry.isSubtype(typeId, known.triggerEvent)) {
    const event = await resolvePayload(step.event ?? null, scope, true);
    return { document: scope.document, patches: [], before: [], events: [event] };
  }
  throw new Rejection(
    'unknown_step',
    `step ${scope.stepName}: unknown step type ${JSON.stringify(step.type)}`,
    scope.stepName,
  );
}

async function runJavaScript(step: JsonObject, scope: StepScope): Promise<StepOutput> {
  const code =
    typeof step.code === 'string'
      ? step.code
      : isJsonObject(step.code)
        ? step.code.value
        : undefined;
  if (typeof code !== 'string')
    throw new Rejection('unknown_step', `step ${scope.stepName} has no code`, scope.stepName);
  if (scope.sandbox === undefined) {
    throw new Rejection(
      'sandbox_unavailable',
      `step ${scope.stepName}: no sandbox to run JavaScript`,
      scope.stepName,
    );
  }
  const outcome = await runScript(scope, scope.sandbox, code);
  if (!outcome.ok) {
    // The location is in the code, and the pointer says which code. The server keeps the
    // document, not the text it was posted as, so it cannot name the line of the file: its
    // message keeps `line 3:7` of the code, with the pointer beside it; `paydoc run`, which has
    // the file, turns the two into `file.yaml:62:9` (cli/commands/run.ts).
    const { location } = outcome;
    const pointer =
      location === undefined || scope.stepPointer === undefined
        ? undefined
        : `${scope.stepPointer}/${typeof step.code === 'string' ? 'code' : 'code/value'}`;
    throw new Rejection(
      outcome.code,
      `step ${scope.stepName}: ${outcome.message}`,
      scope.stepName,
      undefined,
      {
        ...(pointer === undefined ? {} : { pointer }),
        ...(location === undefined ? {} : { location }),
      },
    );
  }
  const value = outcome.value;
  // Field names are data, except `__proto__`, which no input may carry (the loader refuses it).
  const protoKey = protoKeyPath(value);
  if (protoKey !== undefined) {
    throw new Rejection(
      'script_error',
      `step ${scope.stepName}: the result has the key '__proto__' (at ${toPointer(protoKey)}), which is not allowed`,
      scope.stepName,
    );
  }
  if (!isJsonObject(value))
    return { document: scope.document, patches: [], before: [], events: [], result: value };
  const { events, ...result } = value;
  if (events !== undefined && !Array.isArray(events)) {
    throw new Rejection(
      'invalid_event',
      `step ${scope.stepName}: events must be a list`,
      scope.stepName,
    );
  }
  return { document: scope.document, patches: [], before: [], events: events ?? [], result };
}

async function runUpdate(step: JsonObject, scope: StepScope): Promise<StepOutput> {
  const resolved = await resolveExpressions(step.changeset ?? null, scope);
  const changes = Array.isArray(resolved)
    ? resolved
    : isJsonObject(resolved) && Array.isArray(resolved.items)
      ? resolved.items
      : undefined;
  if (changes === undefined) {
    throw new Rejection(
      'patch_invalid',
      `step ${scope.stepName}: changeset must be a list of changes`,
      scope.stepName,
    );
  }
  let document = scope.document;
  const patches: AppliedPatch[] = [];
  const before: (JsonValue | undefined)[] = [];
  for (const change of changes) {
    const outcome = applyPatch(document, change);
    if (!outcome.ok)
      throw new Rejection(
        outcome.code,
        `step ${scope.stepName}: ${outcome.reason}`,
        scope.stepName,
      );
    document = outcome.document;
    patches.push(outcome.applied);
    before.push(outcome.before);
  }
  return { document, patches, before, events: [] };
}

/**
 * Resolves `${…}` in a Trigger Event payload, as the reference does: a node inside the payload
 * that is itself a document (it carries `contracts`) is kept as written, expressions and all,
 * for that document to evaluate when it runs. The payload's own top level is always resolved.
 */
async function resolvePayload(value: JsonValue, scope: StepScope, top = false): Promise<JsonValue> {
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const item of value) out.push(await resolvePayload(item, scope));
    return out;
  }
  if (!isJsonObject(value)) return resolveExpressions(value, scope);
  if (!top && Object.hasOwn(value, 'contracts')) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value))
    out[key] = await resolvePayload(value[key] as JsonValue, scope);
  return out;
}
