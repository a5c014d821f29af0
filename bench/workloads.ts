import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../src/model/json.js';
import type { ProcessorEvent } from '../src/processor/processor-types.js';
import { loadDocument } from '../src/validation/check-document.js';

/** The four Blue-compatible workloads of ../shared/bench (copied to bench/workloads/). */
export const WORKLOADS = ['constant', 'counter', 'js-step', 'capture'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** blue-js 4.1.1 on this kind of machine (../shared/bench/README.md): events/s and median ms. */
export const REFERENCE: Readonly<Record<Workload, { eventsPerSec: number; medianMs: number }>> = {
  constant: { eventsPerSec: 181, medianMs: 4.7 },
  counter: { eventsPerSec: 47, medianMs: 22.3 },
  'js-step': { eventsPerSec: 29, medianMs: 33.8 },
  capture: { eventsPerSec: 25, medianMs: 39.1 },
};

export function workloadDocument(name: Workload): JsonObject {
  const loaded = loadDocument(
    readFileSync(join(import.meta.dirname, 'workloads', `${name}.yaml`), 'utf8'),
  );
  if (!loaded.ok) throw new Error(`${name}: ${JSON.stringify(loaded.problems)}`);
  return loaded.document;
}

/** Event i (1-based) of a workload, exactly as ../shared/bench/README.md describes it. */
export function workloadEvent(name: Workload, i: number): ProcessorEvent {
  const message: JsonObject =
    name === 'capture'
      ? {
          type: 'Conversation/Operation Request',
          operation: 'capture',
          request: ((i * 7) % 1500) + 1,
        }
      : { type: 'Conversation/Chat Message', message: `message number ${i}` };
  return {
    kind: 'timeline',
    entry: {
      type: 'Conversation/Timeline Entry',
      timeline: { timelineId: 'bench-timeline-1' },
      timestamp: 1700000000000 + i * 1000,
      message,
    },
  };
}

/** The final state each workload must reach after events 1..2000 (the README's table). */
export function checkFinalState(
  name: Workload,
  document: JsonObject,
  emitted: JsonObject[],
): string | undefined {
  const expected: Record<Workload, JsonObject> = {
    constant: { counter: 7 },
    counter: { counter: 2000 },
    'js-step': { total: 36893 },
    capture: { captured: true, amountCaptured: 501 },
  };
  for (const [key, value] of Object.entries(expected[name])) {
    if (document[key] !== value)
      return `${key} is ${JSON.stringify(document[key])}, expected ${JSON.stringify(value)}`;
  }
  if (name === 'js-step') {
    if (emitted.length !== 2000) return `${emitted.length} Chat Messages emitted, expected 2000`;
    if (emitted[0]?.message !== 'seen 16 chars, total 16')
      return `first message is ${JSON.stringify(emitted[0]?.message)}`;
  }
  return undefined;
}
