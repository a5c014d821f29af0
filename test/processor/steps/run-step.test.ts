import { afterAll, describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../src/model/json.js';
import { knownTypes } from '../../../src/processor/known-types.js';
import { Rejection } from '../../../src/processor/rejection.js';
import { runStep } from '../../../src/processor/steps/run-step.js';
import type { StepScope } from '../../../src/processor/steps/step-scope.js';
import { IsolateHost } from '../../../src/sandbox/isolate-host.js';
import { defaultTypeRegistry } from '../../../src/types/load-library.js';

const registry = defaultTypeRegistry();
const known = knownTypes(registry);
const sandbox = new IsolateHost();
afterAll(() => sandbox.close());

function scope(document: JsonObject = {}, steps: JsonObject = {}): StepScope {
  return {
    event: { type: 'Chat Message', message: 'hi' },
    entry: null,
    steps,
    currentContract: {},
    document,
    stepName: 'S',
    sandbox,
    limits: {},
  };
}

const script = (code: string): JsonObject => ({ type: 'JavaScript Code', code });
const update = (path: string, val: JsonValue): JsonObject => ({
  type: 'Update Document',
  changeset: [{ op: 'replace', path, val }],
});

async function rejectionOf(step: JsonObject, at: StepScope = scope()): Promise<Rejection> {
  const error = await runStep(step, at, registry, known).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(Rejection);
  return error as Rejection;
}

describe('step results with the names of Object.prototype', () => {
  it("keeps a JavaScript step's odd keys as data, down to patches at /constructor", async () => {
    const computed = await runStep(
      script('return { toString: 1, constructor: { valueOf: 2 }, events: [] };'),
      scope(),
      registry,
      known,
    );
    expect(computed.result).toEqual({ toString: 1, constructor: { valueOf: 2 } });
    const steps = { Compute: computed.result as JsonValue };
    const output = await runStep(
      {
        type: 'Update Document',
        changeset: [
          { op: 'replace', path: '/constructor', val: '${steps.Compute.constructor}' },
          { op: 'replace', path: '/toString', val: '${steps.Compute.toString}' },
          { op: 'replace', path: '/all', val: '${steps.Compute}' },
        ],
      },
      scope({}, steps),
      registry,
      known,
    );
    expect(output.document).toEqual({
      constructor: { valueOf: 2 },
      toString: 1,
      all: { toString: 1, constructor: { valueOf: 2 } },
    });
  });

  it("refuses a JavaScript result with a '__proto__' key (script_error)", async () => {
    const rejection = await rejectionOf(
      script('return JSON.parse(\'{"a": {"__proto__": {"polluted": true}}}\');'),
    );
    expect(rejection.code).toBe('script_error');
    expect(rejection.reason).toBe(
      "step S: the result has the key '__proto__' (at /a/__proto__), which is not allowed",
    );
  });

  it("refuses a sandboxed ${} value with a '__proto__' key and a bare function (expression_error)", async () => {
    const proto = await rejectionOf(update('/x', '${JSON.parse(\'{"__proto__": 1}\')}'));
    expect(proto.code).toBe('expression_error');
    expect(proto.reason).toMatch(/has the key '__proto__' \(at \/__proto__\)/);
    const fn = await rejectionOf(update('/x', '${document}'));
    expect(fn.code).toBe('expression_error');
    expect(fn.reason).toBe('step S: ${document} is a function');
  });
});

describe('Trigger Event payloads', () => {
  it("keeps a nested document's expressions as written (a node with contracts)", async () => {
    const output = await runStep(
      {
        type: 'Trigger Event',
        event: {
          message: '${event.message}',
          contracts: { note: '${event.message}' },
          child: {
            total: '${event.message}',
            contracts: { c: { type: 'Core/Lifecycle Event Channel' } },
          },
          list: [{ x: '${event.message}', contracts: {} }, { y: '${event.message}' }],
          deep: { inner: { z: '${event.message}' } },
        },
      },
      scope(),
      registry,
      known,
    );
    expect(output.events).toEqual([
      {
        message: 'hi',
        contracts: { note: 'hi' },
        child: {
          total: '${event.message}',
          contracts: { c: { type: 'Core/Lifecycle Event Channel' } },
        },
        list: [{ x: '${event.message}', contracts: {} }, { y: 'hi' }],
        deep: { inner: { z: 'hi' } },
      },
    ]);
  });
});
