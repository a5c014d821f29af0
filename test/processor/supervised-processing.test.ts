import { afterAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { processEvent } from '../../src/processor/process-event.js';
import type { ProcessContext, ProcessResult } from '../../src/processor/processor-types.js';
import { SupervisedSandbox } from '../../src/sandbox/supervised-sandbox.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';

// The engine's view of supervised mode: while one document's script hangs its worker beyond
// what isolated-vm can stop, other documents keep being processed, the hostile event is
// rejected as a retryable timeout, and the sandbox serves again promptly.
const sandbox = new SupervisedSandbox({ workers: 2 });
const context: ProcessContext = {
  registry: defaultTypeRegistry(),
  sandbox,
  limits: { scriptMemoryMb: 256 },
};
afterAll(() => sandbox.close());

function documentWith(code: string): JsonObject {
  return {
    contracts: {
      timeline: { type: 'Conversation/Timeline Channel', timelineId: 't' },
      run: {
        type: 'Conversation/Sequential Workflow',
        channel: 'timeline',
        steps: [
          { name: 'Compute', type: 'Conversation/JavaScript Code', code },
          {
            name: 'Store',
            type: 'Conversation/Update Document',
            changeset: [{ op: 'add', path: '/out', val: '${steps.Compute.n}' }],
          },
        ],
      },
    },
  };
}

const entry = (i: number) => ({
  kind: 'timeline' as const,
  entry: {
    type: 'Conversation/Timeline Entry',
    timeline: { timelineId: 't' },
    timestamp: i,
    message: { type: 'Conversation/Event', i },
  },
});

describe('processing with the supervised sandbox', () => {
  it('keeps serving other documents while a hostile one hangs a worker', async () => {
    const hostileDocument = documentWith('return { n: new Uint8Array(2 ** 27).sort().length };');
    const normalDocument = documentWith('return { n: event.message.i * 2 };');
    // Both workers up (as a running server's are) before the hostile event arrives.
    await processEvent(normalDocument, entry(1), context);
    while (sandbox.stats().readyWorkers < 2)
      await new Promise((resolve) => setTimeout(resolve, 10));
    let hostileDone = false;
    const hostile = processEvent(hostileDocument, entry(1), context).then((result) => {
      hostileDone = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const served: ProcessResult[] = [];
    while (!hostileDone && served.length < 500) {
      served.push(await processEvent(normalDocument, entry(served.length + 1), context));
    }
    const hostileResult = await hostile;
    expect(hostileResult.status).toMatchObject({
      kind: 'rejected',
      code: 'script_timeout',
      step: 'Compute',
    });
    expect(hostileResult.document).toBe(hostileDocument);
    expect(served.length).toBeGreaterThan(5);
    for (const [index, result] of served.entries()) {
      expect(result.status).toEqual({ kind: 'ok' });
      expect(result.document.out).toBe((index + 1) * 2);
    }
    const started = performance.now();
    const after = await processEvent(normalDocument, entry(9999), context);
    expect(after.document.out).toBe(19998);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
