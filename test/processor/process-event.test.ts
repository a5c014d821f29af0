import { afterAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { processEvent } from '../../src/processor/process-event.js';
import type { ProcessContext, ProcessorEvent } from '../../src/processor/processor-types.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import { documentBlueId, entryBlueId } from '../../src/types/document-id.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';

const registry = defaultTypeRegistry();
const sandbox = new IsolateHost();
const context: ProcessContext = { registry, sandbox };
afterAll(() => sandbox.close());

function workflow(steps: JsonObject[], extra: JsonObject = {}): JsonObject {
  return {
    ...extra,
    contracts: {
      timeline: { type: 'Conversation/Timeline Channel', timelineId: 't' },
      run: { type: 'Conversation/Sequential Workflow', channel: 'timeline', steps },
      ...((extra.contracts as JsonObject | undefined) ?? {}),
    },
  };
}

function entry(message: JsonObject, timestamp = 1000): ProcessorEvent {
  return {
    kind: 'timeline',
    entry: {
      type: 'Conversation/Timeline Entry',
      timeline: { timelineId: 't' },
      timestamp,
      message,
    },
  };
}

const update = (path: string, val: unknown): JsonObject => ({
  name: 'U',
  type: 'Conversation/Update Document',
  changeset: [{ op: 'replace', path, val }] as JsonObject[],
});
const card: JsonObject = { type: 'Card Payment', amount: 1000, currency: 'USD', token: 'tok_visa' };

describe('processEvent', () => {
  it('initialises once, with the document BlueId as its id, and delivers the lifecycle event', async () => {
    const document = workflow([], {
      contracts: {
        life: { type: 'Core/Lifecycle Event Channel' },
        onCreate: {
          type: 'Conversation/Sequential Workflow',
          channel: 'life',
          steps: [update('/createdAs', '${event.documentId}')],
        },
      },
    });
    const result = await processEvent(document, { kind: 'initialize' }, context);
    const id = documentBlueId(document, registry);
    expect(result.status).toEqual({ kind: 'ok' });
    expect(result.document).toMatchObject({
      createdAs: id,
      contracts: { initialized: { documentId: id } },
    });
    // As in blue-js: the lifecycle event is reported among the emitted events, first.
    expect(result.emitted).toEqual([
      { type: 'Core/Document Processing Initiated', documentId: id },
    ]);
    const quiet = await processEvent(workflow([]), { kind: 'initialize' }, context);
    expect(quiet.emitted).toEqual([
      {
        type: 'Core/Document Processing Initiated',
        documentId: documentBlueId(workflow([]), registry),
      },
    ]);
    const again = await processEvent(result.document, { kind: 'initialize' }, context);
    expect(again.status).toMatchObject({ kind: 'rejected', code: 'already_initialized' });
  });

  it('stops the terminating handler at once and reports the termination as emitted', async () => {
    const document = workflow([
      update('/a', 1),
      {
        name: 'End',
        type: 'Conversation/Trigger Event',
        event: { type: 'Core/Document Processing Terminated', cause: 'fatal' },
      },
      update('/b', 2),
      { name: 'Boom', type: 'Conversation/JavaScript Code', code: 'throw new Error("no")' },
    ]);
    const result = await processEvent(document, entry({ type: 'Conversation/Event' }), context);
    expect(result.status).toEqual({ kind: 'terminated', cause: 'fatal', reason: '' });
    expect(result.document).toMatchObject({ a: 1 });
    expect(result.document.b).toBeUndefined();
    expect(result.patches.map((patch) => patch.path)).toEqual(['/a']);
    // blue-js leaves the reason out when there is none.
    expect(result.emitted).toEqual([
      { type: 'Core/Document Processing Terminated', cause: 'fatal' },
    ]);
  });

  it('never mutates its input and returns the input itself when rejected', async () => {
    const document = workflow([
      update('/a', 1),
      { name: 'Boom', type: 'Conversation/JavaScript Code', code: 'throw new Error("no")' },
    ]);
    const frozen = JSON.stringify(document);
    const result = await processEvent(document, entry({ type: 'Conversation/Event' }), context);
    expect(result.status).toMatchObject({ kind: 'rejected', code: 'script_error', step: 'Boom' });
    expect(result.document).toBe(document);
    expect(result.patches).toEqual([]);
    expect(JSON.stringify(document)).toBe(frozen);
  });

  it('rejects a patch that would make a typed document invalid', async () => {
    const document = workflow([update('/amount', 'a lot')], card);
    const result = await processEvent(document, entry({ type: 'Conversation/Event' }), context);
    expect(result.status).toMatchObject({ kind: 'rejected', code: 'validation_failed' });
    if (result.status.kind === 'rejected')
      expect(result.status.reason).toMatch(/amount must be an integer/);
    const fine = await processEvent(
      workflow([update('/amount', 1500)], card),
      entry({ type: 'Conversation/Event' }),
      context,
    );
    expect(fine.status).toEqual({ kind: 'ok' });
  });

  it('rejects an emitted event that does not conform to its type (a float capture)', async () => {
    const document = workflow([
      {
        name: 'Emit',
        type: 'Conversation/JavaScript Code',
        code: "return { events: [{ type: 'Capture Payment', amount: 199.8 }] };",
      },
    ]);
    const result = await processEvent(document, entry({ type: 'Conversation/Event' }), context);
    expect(result.status).toMatchObject({ kind: 'rejected', code: 'invalid_event', step: 'Emit' });
  });

  it('rejects a step that spends its whole CPU time as over budget (not retried), changing nothing', async () => {
    const document = workflow([
      update('/a', 1),
      { name: 'Spin', type: 'Conversation/JavaScript Code', code: 'while (true) {}' },
    ]);
    const result = await processEvent(document, entry({ type: 'Conversation/Event' }), context);
    expect(result.status).toMatchObject({
      kind: 'rejected',
      code: 'budget_exceeded',
      step: 'Spin',
    });
    expect(result.document).toBe(document);
  });

  it('runs handlers in (order, key) order and lets later steps see earlier results', async () => {
    const document = workflow([], {
      contracts: {
        b: {
          type: 'Conversation/Sequential Workflow',
          channel: 'timeline',
          order: 1,
          steps: [update('/log', "${document('/log') + 'b'}")],
        },
        a: {
          type: 'Conversation/Sequential Workflow',
          channel: 'timeline',
          order: 1,
          steps: [update('/log', "${document('/log') + 'a'}")],
        },
        z: {
          type: 'Conversation/Sequential Workflow',
          channel: 'timeline',
          order: 0,
          steps: [update('/log', "${document('/log') + 'z'}")],
        },
      },
      log: '',
    });
    const { run: _run, ...rest } = document.contracts as JsonObject;
    const result = await processEvent(
      { ...document, contracts: rest },
      entry({ type: 'Conversation/Event' }),
      context,
    );
    expect(result.document.log).toBe('zab');
  });

  it('gives ${document()} and a JavaScript step the same view of a wrapped list', async () => {
    const document = workflow(
      [
        {
          name: 'Js',
          type: 'Conversation/JavaScript Code',
          code: "return { seen: document('/refunds') };",
        },
        update('/fromExpression', "${document('/refunds')}"),
        {
          name: 'Copy',
          type: 'Conversation/Update Document',
          changeset: [{ op: 'add', path: '/fromScript', val: '${steps.Js.seen}' }],
        },
      ],
      { refunds: { type: 'List', items: [{ amount: { value: 5 } }] } },
    );
    const result = await processEvent(document, entry({ type: 'Conversation/Event' }), context);
    expect(result.status).toEqual({ kind: 'ok' });
    expect(result.document.fromExpression).toEqual([{ amount: 5 }]);
    expect(result.document.fromScript).toEqual(result.document.fromExpression);
  });

  it('rejects an unknown step type, an undefined expression, and JavaScript without a sandbox', async () => {
    const unknown = await processEvent(
      workflow([{ name: 'X', type: 'Conversation/Event' }]),
      entry({ type: 'Conversation/Event' }),
      context,
    );
    expect(unknown.status).toMatchObject({ kind: 'rejected', code: 'unknown_step', step: 'X' });
    const undefinedValue = await processEvent(
      workflow([update('/a', '${event.message.nothing}')]),
      entry({ type: 'Conversation/Event' }),
      context,
    );
    expect(undefinedValue.status).toMatchObject({
      kind: 'rejected',
      code: 'expression_error',
      step: 'U',
    });
    const noSandbox = await processEvent(
      workflow([{ name: 'J', type: 'Conversation/JavaScript Code', code: 'return {};' }]),
      entry({ type: 'Conversation/Event' }),
      { registry },
    );
    expect(noSandbox.status).toMatchObject({
      kind: 'rejected',
      code: 'sandbox_unavailable',
      step: 'J',
    });
  });

  it.each([
    ['a malformed timer path is no timer', '/at~2', undefined],
    ['a timer path without its leading slash reads as the document() reader does', 'at', true],
  ])('%s', async (_name, path, fired) => {
    const document = {
      at: 5,
      contracts: {
        t: { type: 'Core/Timer Channel', path },
        w: {
          type: 'Conversation/Sequential Workflow',
          channel: 't',
          steps: [update('/fired', true)],
        },
      },
    };
    const result = await processEvent(document, { kind: 'timer', timestamp: 10 }, context);
    expect(result.status).toEqual({ kind: 'ok' });
    expect(result.document.fired).toBe(fired);
  });

  it('stops at the gas budget', async () => {
    const document = workflow([update('/a', 'x'.repeat(10_000))]);
    const result = await processEvent(document, entry({ type: 'Conversation/Event' }), {
      ...context,
      limits: { gas: 100 },
    });
    expect(result.status).toMatchObject({ kind: 'rejected', code: 'gas_exhausted' });
  });

  it('delivers direct events only to an existing channel', async () => {
    const document = {
      contracts: {
        processor: { type: 'Payments/Internal Logic Channel' },
        onResult: {
          type: 'Conversation/Sequential Workflow',
          channel: 'processor',
          steps: [update('/captured', '${event.amountCaptured > 0}')],
        },
      },
    };
    const ok = await processEvent(
      document,
      {
        kind: 'direct',
        channel: 'processor',
        event: { type: 'Payment Captured', amountCaptured: 500, amountReleased: 0 },
      },
      context,
    );
    expect(ok.document.captured).toBe(true);
    const missing = await processEvent(
      document,
      { kind: 'direct', channel: 'nope', event: {} },
      context,
    );
    expect(missing.status).toMatchObject({ kind: 'rejected', code: 'unknown_channel' });
  });

  it('uses the BlueId the edge gives for the checkpoint, or computes it', async () => {
    const document = workflow([update('/n', 1)]);
    const event = entry({ type: 'Conversation/Event' });
    const computed = await processEvent(document, event, context);
    expect(computed.document).toMatchObject({
      contracts: {
        checkpoint: {
          lastEvents: {
            timeline: { blueId: entryBlueId((event as { entry: JsonObject }).entry, registry) },
          },
        },
      },
    });
    const given = await processEvent(
      document,
      { ...(event as { kind: 'timeline'; entry: JsonObject }), entryId: 'GivenId' },
      context,
    );
    expect(given.document).toMatchObject({
      contracts: { checkpoint: { lastEvents: { timeline: { blueId: 'GivenId' } } } },
    });
  });

  it('sees the same state and BlueId for the same events, whatever the run', async () => {
    const document = workflow([
      {
        name: 'J',
        type: 'Conversation/JavaScript Code',
        code: "return { events: [{ type: 'Conversation/Chat Message', message: 'at ' + new Date(event.timestamp).toISOString() }] };",
      },
    ]);
    const run = async () => {
      let current = document;
      const out: string[] = [];
      for (let i = 1; i <= 20; i += 1) {
        const result = await processEvent(
          current,
          entry({ type: 'Conversation/Event', i }, 1000 * i),
          context,
        );
        current = result.document;
        out.push(JSON.stringify(result));
      }
      return { out, id: documentBlueId(current, registry) };
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
  });
});
