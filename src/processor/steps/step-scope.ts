import type { JsonObject, JsonValue } from '../../model/json.js';
import { isJsonObject, ownValue, protoKeyPath } from '../../model/json.js';
import { escapeSegment, toPointer } from '../../model/json-pointer.js';
import type { Sandbox, ScriptClock, ScriptLimits, ScriptOutcome } from '../../sandbox/sandbox.js';
import { withoutLocation } from '../../sandbox/script-position.js';
import { readAuthorView } from '../../model/read-author-view.js';
import type { ChannelInfo } from '../contracts.js';
import { Rejection } from '../rejection.js';
import type { Scope } from './expression.js';
import { evaluateExpression, Unsupported } from './expression.js';
import { splitTemplate } from './template.js';

/** What the steps of one handler run see, and how they reach the sandbox. */
export interface StepScope {
  event: JsonValue;
  entry: JsonValue;
  steps: JsonObject;
  currentContract: JsonObject;
  /** The handler's working document: its own earlier steps' patches applied. */
  document: JsonObject;
  stepName: string;
  sandbox: Sandbox | undefined;
  limits: Partial<ScriptLimits>;
  /**
   * The running step's pointer in the whole document (`/contracts/w/steps/0`), for a rejection
   * to name; absent for steps the document's type brings, which its text does not hold.
   */
  stepPointer?: string;
  /** What a step asking for the clock is told (see {@link scriptClock}). */
  clock?: ScriptClock;
}

/**
 * The pointer of a handler's steps in the whole document, when the document writes them (a
 * contract its type brings is not in its text). `scopePath` is the scope's root ('' or an
 * embedded child's pointer), `document` the scope's document.
 */
export function stepsPointer(
  scopePath: string,
  document: JsonObject,
  handlerKey: string,
): string | undefined {
  const contracts = document.contracts;
  const own = isJsonObject(contracts) ? ownValue(contracts, handlerKey) : undefined;
  if (!isJsonObject(own) || own.steps === undefined) return undefined;
  return `${scopePath}/contracts/${escapeSegment(handlerKey)}/steps`;
}

/**
 * What a step that asks for the clock is told, from what its channel delivers: a timeline
 * channel that delivers the entry's message has the time in `entry.timestamp`, a timer's event
 * in `event.deadline`; elsewhere the sandbox names whichever input has a `timestamp`.
 */
export function scriptClock(channel: ChannelInfo, entry: JsonValue): ScriptClock {
  const key = `\`${channel.key}\``;
  switch (channel.kind) {
    case 'timeline':
      if (!channel.deliversMessage)
        return { origin: `timeline channel ${key}, whose event is the timeline entry` };
      return {
        origin: `timeline channel ${key}, whose event is the entry's message`,
        ...(isJsonObject(entry) && Object.hasOwn(entry, 'timestamp')
          ? { source: 'entry.timestamp' }
          : {}),
      };
    case 'timer':
      return { origin: `timer channel ${key}`, source: 'event.deadline' };
    case 'lifecycle':
      return { origin: `lifecycle channel ${key}` };
    case 'triggered':
      return { origin: `triggered event channel ${key}` };
    case 'update':
      return { origin: `document update channel ${key}` };
    case 'embedded':
      return { origin: `embedded node channel ${key}` };
    default:
      return { origin: `channel ${key}` };
  }
}

/** Runs `code` in the sandbox with everything the scope gives a step. */
export function runScript(
  scope: StepScope,
  sandbox: Sandbox,
  code: string,
): Promise<ScriptOutcome> {
  return sandbox.run(
    {
      code,
      stepName: scope.stepName,
      event: scope.event,
      entry: scope.entry,
      document: scope.document,
      steps: scope.steps,
      currentContract: scope.currentContract,
      ...(scope.clock === undefined ? {} : { clock: scope.clock }),
    },
    scope.limits,
  );
}

/** Resolves `${…}` in every string of `value`: an exact `${expr}` keeps the result's JSON type. */
export async function resolveExpressions(value: JsonValue, scope: StepScope): Promise<JsonValue> {
  if (typeof value === 'string') return resolveString(value, scope);
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const item of value) out.push(await resolveExpressions(item, scope));
    return out;
  }
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value))
    out[key] = await resolveExpressions(value[key] as JsonValue, scope);
  return out;
}

async function resolveString(text: string, scope: StepScope): Promise<JsonValue> {
  const parts = splitTemplate(text);
  if (parts === undefined) return text;
  const [only] = parts;
  if (parts.length === 1 && only !== undefined && 'expr' in only) {
    const result = await evaluate(only.expr, scope);
    return toJson(result, only.expr, scope.stepName);
  }
  let out = '';
  for (const part of parts)
    out += 'text' in part ? part.text : String(await evaluate(part.expr, scope));
  return out;
}

async function evaluate(expr: string, scope: StepScope): Promise<unknown> {
  const names: Scope = {
    event: scope.event,
    entry: scope.entry,
    steps: scope.steps,
    currentContract: scope.currentContract,
    document: (pointer: unknown) => readAuthorView(scope.document, String(pointer)),
  };
  try {
    return evaluateExpression(expr, names);
  } catch (error) {
    if (!(error instanceof Unsupported)) {
      throw new Rejection(
        'expression_error',
        `step ${scope.stepName}: \${${expr}}: ${(error as Error).message}`,
        scope.stepName,
      );
    }
  }
  return evaluateInSandbox(expr, scope);
}

async function evaluateInSandbox(expr: string, scope: StepScope): Promise<unknown> {
  if (scope.sandbox === undefined) {
    throw new Rejection(
      'sandbox_unavailable',
      `step ${scope.stepName}: \${${expr}} needs the sandbox`,
      scope.stepName,
    );
  }
  const outcome = await runScript(scope, scope.sandbox, `return { value: (${expr}) };`);
  if (!outcome.ok) {
    const code = outcome.code === 'script_error' ? 'expression_error' : outcome.code;
    // The location is in the code made around the expression, not in anything the author wrote.
    throw new Rejection(
      code,
      `step ${scope.stepName}: \${${expr}}: ${withoutLocation(outcome.message, outcome.location)}`,
      scope.stepName,
    );
  }
  const value = outcome.value;
  const protoKey = protoKeyPath(value);
  if (protoKey !== undefined) {
    throw new Rejection(
      'expression_error',
      `step ${scope.stepName}: \${${expr}} has the key '__proto__' (at ${toPointer(protoKey.slice(1))}), which is not allowed`,
      scope.stepName,
    );
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? value.value
    : undefined;
}

function toJson(value: unknown, expr: string, stepName: string): JsonValue {
  if (value === undefined) {
    throw new Rejection('expression_error', `step ${stepName}: \${${expr}} is undefined`, stepName);
  }
  if (typeof value === 'function') {
    throw new Rejection(
      'expression_error',
      `step ${stepName}: \${${expr}} is a function`,
      stepName,
    );
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Rejection(
      'expression_error',
      `step ${stepName}: \${${expr}} is not a finite number`,
      stepName,
    );
  }
  return value as JsonValue;
}
