import type { JsonObject, JsonValue } from '../../model/json.js';
import { protoKeyPath } from '../../model/json.js';
import { toPointer } from '../../model/json-pointer.js';
import type { Sandbox, ScriptLimits, ScriptOutcome } from '../../sandbox/sandbox.js';
import { readAuthorView } from '../../model/read-author-view.js';
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
    throw new Rejection(
      code,
      `step ${scope.stepName}: \${${expr}}: ${outcome.message}`,
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
