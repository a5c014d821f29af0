import { afterAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { processEvent } from '../../src/processor/process-event.js';
import type { ProcessorEvent } from '../../src/processor/processor-types.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type { Sandbox, ScriptInput, ScriptOutcome } from '../../src/sandbox/sandbox.js';
import { prepareScript } from '../../src/sandbox/script-source.js';
import { SupervisedSandbox } from '../../src/sandbox/supervised-sandbox.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { call } from './seed-steps.js';

// Script errors name their place in the step's code as the author wrote it, on both sandboxes
// alike: the prologue, the guard's rewrite and the runtime's own frames are not the author's.
const sandboxes: Record<string, Sandbox> = {
  'in-process': new IsolateHost(),
  supervised: new SupervisedSandbox({ spare: false }),
};
afterAll(() => Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.close())));

/** Runs `input` on both sandboxes, expects the same outcome of each, and returns it. */
async function onBoth(input: ScriptInput): Promise<ScriptOutcome> {
  const [inProcess, supervised] = await Promise.all(
    Object.values(sandboxes).map((sandbox) => sandbox.run(input)),
  );
  expect(JSON.stringify(supervised)).toBe(JSON.stringify(inProcess));
  return inProcess as ScriptOutcome;
}

const failure = async (code: string, overrides: Partial<ScriptInput> = {}) =>
  onBoth(call(code, overrides));

describe('syntax errors', () => {
  it('name the line and column of the code, as written', async () => {
    const code = 'const a = 1;\nconst b = 2;\nconst c = a +* b;\nreturn { c };';
    expect(await failure(code)).toEqual({
      ok: false,
      code: 'script_error',
      message: "line 3:14: SyntaxError: Unexpected token '*'",
      location: { line: 3, col: 14 },
    });
  });

  it('count from the code, not from the prologue the blue: imports become', async () => {
    const code = "import { bitcoinjs } from 'blue:x';\n\n  let broken = ;";
    expect(await failure(code)).toMatchObject({
      message: "line 3:16: SyntaxError: Unexpected token ';'",
      location: { line: 3, col: 16 },
    });
  });

  it('place an early end at the end of the code', async () => {
    expect(await failure('if (event) {\n  return {')).toMatchObject({
      message: 'line 2:11: SyntaxError: Unexpected end of input',
      location: { line: 2, col: 11 },
    });
  });

  it('stay in place after a catch the guard rewrote', async () => {
    const code = 'try { f(); } catch (e) { g(); } const x = ;';
    expect(await failure(code)).toMatchObject({ location: { line: 1, col: 43 } });
  });

  it('give refusals of the source a column too, and leave prepareScript as it was', async () => {
    const code = 'const x = 1;\nconst f = async () => 1;\nreturn {};';
    expect(await failure(code)).toMatchObject({
      message:
        'line 2:11: async functions are not available in paydoc scripts (steps are synchronous)',
      location: { line: 2, col: 11 },
    });
    expect(prepareScript(code)).toEqual({
      ok: false,
      message:
        'line 2: async functions are not available in paydoc scripts (steps are synchronous)',
      location: { line: 2, col: 11 },
    });
  });
});

describe('runtime errors', () => {
  it('name the line of a TypeError on code line 2, on both sandboxes', async () => {
    const code = 'const order = event.order;\nconst total = order.amount;\nreturn { total };';
    expect(await failure(code)).toEqual({
      ok: false,
      code: 'script_error',
      message: "line 2:21: TypeError: Cannot read properties of undefined (reading 'amount')",
      location: { line: 2, col: 21 },
    });
  });

  it('name the top frame of the step, not of the runtime that threw for it', async () => {
    const code = 'function stamp() {\n  return Date.now();\n}\nreturn { t: stamp() };';
    expect(await failure(code)).toMatchObject({ location: { line: 2, col: 15 } });
    const sorted = '[1].map(() => {\n  return [].sort.call({ get length() { return 1; } });\n});';
    expect(await failure(sorted)).toMatchObject({ location: { line: 2, col: 18 } });
  });

  it('put columns back where the guard inserted its checks', async () => {
    const code = 'try {\n  null.x;\n} catch (e) { const m = e.nothing.more; }\nreturn {};';
    expect(await failure(code)).toMatchObject({
      message: "line 3:35: TypeError: Cannot read properties of undefined (reading 'more')",
      location: { line: 3, col: 35 },
    });
    const destructured = 'try { null.x; } catch ({ message }) {\n  message.no.such;\n}';
    expect(await failure(destructured)).toMatchObject({ location: { line: 2, col: 14 } });
  });

  it('are not fooled by frames written into the message', async () => {
    const code = "\nthrow new Error('no\\n    at f (paydoc-step:9:9)');";
    expect(await failure(code)).toMatchObject({
      message: 'line 2:7: no\n    at f (paydoc-step:9:9)',
      location: { line: 2, col: 7 },
    });
  });

  it('have no place when what was thrown has no stack, or the failure is not the code', async () => {
    expect(await failure("\nthrow 'plain';")).toEqual({
      ok: false,
      code: 'script_error',
      message: 'plain',
    });
    expect(await failure('return undefined;')).toEqual({
      ok: false,
      code: 'script_error',
      message: 'step must return a value',
    });
    // Where the stack overflowed differs between runs: it is never a place.
    expect(await failure('function f() { return f() + 1; }\nreturn f();')).toEqual({
      ok: false,
      code: 'script_error',
      message: 'RangeError: Maximum call stack size exceeded',
    });
  });
});

describe('the clock hint', () => {
  it('names the input that has a time, or says there is no clock', async () => {
    expect(await failure('return Date.now();', { event: { timestamp: 5 } })).toMatchObject({
      message: 'line 1:13: Date.now() is not available in paydoc scripts: use event.timestamp',
    });
    expect(await failure('return new Date();')).toMatchObject({
      message:
        'line 1:8: new Date() without a value is not available in paydoc scripts: pass a value; no clock: time comes in with events',
    });
  });

  const registry = defaultTypeRegistry();
  const document = (channel: JsonObject, code: string): JsonObject => ({
    contracts: {
      buyer: channel,
      w: {
        type: 'Conversation/Sequential Workflow',
        channel: 'buyer',
        steps: [
          { name: 'Fine', type: 'Conversation/JavaScript Code', code: 'return {};' },
          { name: 'Stamp', type: 'Conversation/JavaScript Code', code },
        ],
      },
    },
  });
  const entry: ProcessorEvent = {
    kind: 'timeline',
    entry: {
      timeline: { timelineId: 't' },
      timestamp: 1_700_000_000_000,
      message: { type: 'Conversation/Event' },
    },
  };

  it.each(Object.keys(sandboxes))(
    'tells a step on a timeline channel of messages to use entry.timestamp (%s)',
    async (name) => {
      const sandbox = sandboxes[name] as Sandbox;
      const channel = { type: 'Payments/Timeline Channel', timelineId: 't' };
      const result = await processEvent(
        document(channel, 'const at = Date.now();\nreturn { at };'),
        entry,
        { registry, sandbox },
      );
      expect(result.status).toEqual({
        kind: 'rejected',
        code: 'script_error',
        reason:
          "step Stamp: line 1:17: Date.now() is not available in paydoc scripts: this step runs on timeline channel `buyer`, whose event is the entry's message: use entry.timestamp",
        step: 'Stamp',
        pointer: '/contracts/w/steps/1/code',
        location: { line: 1, col: 17 },
      });
      const newDate = await processEvent(
        document(channel, 'return { at: new Date().getTime() };'),
        entry,
        { registry, sandbox },
      );
      expect(newDate.status).toMatchObject({
        reason:
          "step Stamp: line 1:14: new Date() without a value is not available in paydoc scripts: pass a value, e.g. new Date(entry.timestamp) (this step runs on timeline channel `buyer`, whose event is the entry's message)",
      });
    },
  );

  it('tells a step on a timeline channel of entries to use event.timestamp', async () => {
    const channel = { type: 'Conversation/Timeline Channel', timelineId: 't' };
    const result = await processEvent(document(channel, 'return Date();'), entry, {
      registry,
      sandbox: sandboxes['in-process'] as Sandbox,
    });
    expect(result.status).toMatchObject({
      reason:
        'step Stamp: line 1:8: Date() is not available in paydoc scripts: this step runs on timeline channel `buyer`, whose event is the timeline entry: use event.timestamp',
    });
  });

  it('says there is no clock for a lifecycle event, which brings no time', async () => {
    const channel = { type: 'Core/Lifecycle Event Channel' };
    const result = await processEvent(
      document(channel, 'return { at: Date.now() };'),
      { kind: 'initialize' },
      { registry, sandbox: sandboxes['in-process'] as Sandbox },
    );
    expect(result.status).toMatchObject({
      reason:
        'step Stamp: line 1:19: Date.now() is not available in paydoc scripts: no clock: time comes in with events (this step runs on lifecycle channel `buyer`, which brings none)',
    });
  });
});
