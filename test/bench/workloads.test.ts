import { afterAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { processEvent } from '../../src/processor/process-event.js';
import type { ProcessContext } from '../../src/processor/processor-types.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import {
  checkFinalState,
  WORKLOADS,
  workloadDocument,
  workloadEvent,
} from '../../bench/workloads.js';

// A correctness check of the Conversation/* semantics: the four Blue-compatible workloads of
// ../shared/bench reach the final states their README gives after events 1..2000.
const sandbox = new IsolateHost();
const context: ProcessContext = { registry: defaultTypeRegistry(), sandbox };
afterAll(() => sandbox.close());

describe('Blue-compatible workloads', () => {
  for (const name of WORKLOADS) {
    it(`${name} reaches the expected final state after 2,000 events`, async () => {
      let document: JsonObject = (
        await processEvent(workloadDocument(name), { kind: 'initialize' }, context)
      ).document;
      const emitted: JsonObject[] = [];
      for (let i = 1; i <= 2000; i += 1) {
        const result = await processEvent(document, workloadEvent(name, i), context);
        expect(result.status, `event ${i}`).toEqual({ kind: 'ok' });
        document = result.document;
        emitted.push(...result.emitted);
      }
      expect(checkFinalState(name, document, emitted)).toBeUndefined();
    });
  }

  it('capture keeps the previous amount for requests above the amount', async () => {
    let document = (
      await processEvent(workloadDocument('capture'), { kind: 'initialize' }, context)
    ).document;
    for (const i of [1, 215])
      document = (await processEvent(document, workloadEvent('capture', i), context)).document;
    // Event 215 requests ((215·7) mod 1500) + 1 = 6, event 1 requests 8.
    expect(document).toMatchObject({ captured: true, amountCaptured: 6 });
    document = (await processEvent(document, workloadEvent('capture', 358), context)).document;
    // Event 358 requests ((358·7) mod 1500) + 1 = 1007 > 1000: captured false, amount kept.
    expect(document).toMatchObject({ captured: false, amountCaptured: 6 });
  });
});
