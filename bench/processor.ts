import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../src/model/json.js';
import { processEvent } from '../src/processor/process-event.js';
import type { ProcessContext, ProcessorEvent } from '../src/processor/processor-types.js';
import { IsolateHost } from '../src/sandbox/isolate-host.js';
import { defaultTypeRegistry } from '../src/types/load-library.js';
import { loadDocument } from '../src/validation/check-document.js';
import { blueId } from '../src/model/blue-id.js';
import type { BenchResult } from './measure.js';
import { summarise } from './measure.js';
import type { Workload } from './workloads.js';
import {
  checkFinalState,
  REFERENCE,
  WORKLOADS,
  workloadDocument,
  workloadEvent,
} from './workloads.js';

/** Feeds events one at a time, timing each; returns the final document and per-event latencies. */
async function feed(
  document: JsonObject,
  events: (i: number) => ProcessorEvent,
  from: number,
  to: number,
  context: ProcessContext,
) {
  // Each timed run starts from a collected heap (npm run bench passes --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  let current = document;
  const emitted: JsonObject[] = [];
  const samples: number[] = [];
  const started = performance.now();
  for (let i = from; i <= to; i += 1) {
    const event = events(i);
    const before = performance.now();
    const result = await processEvent(current, event, context);
    samples.push(performance.now() - before);
    if (result.status.kind !== 'ok')
      throw new Error(`event ${i}: ${JSON.stringify(result.status)}`);
    current = result.document;
    emitted.push(...result.emitted);
  }
  return { document: current, emitted, samples, elapsed: performance.now() - started };
}

async function initialized(document: JsonObject, context: ProcessContext): Promise<JsonObject> {
  const result = await processEvent(document, { kind: 'initialize' }, context);
  if (result.status.kind !== 'ok') throw new Error(JSON.stringify(result.status));
  return result.document;
}

/** The four Blue-compatible workloads: 2 × 1,000 warm-up events each, then events 1..2,000 timed. */
export async function workloadBenchmarks(): Promise<BenchResult[]> {
  const sandbox = new IsolateHost();
  const context: ProcessContext = { registry: defaultTypeRegistry(), sandbox };
  const results: BenchResult[] = [];
  // Warm every workload first, so the first one measured does not pay for the JIT alone.
  for (let round = 0; round < 2; round += 1) {
    for (const name of WORKLOADS) {
      await feed(
        await initialized(workloadDocument(name), context),
        (i) => workloadEvent(name, i),
        1,
        1000,
        context,
      );
    }
  }
  for (const name of WORKLOADS) {
    const run = await feed(
      await initialized(workloadDocument(name), context),
      (i) => workloadEvent(name, i),
      1,
      2000,
      context,
    );
    const problem = checkFinalState(name as Workload, run.document, run.emitted);
    const result = summarise(name, run.samples, run.elapsed);
    const reference = REFERENCE[name];
    result.note = `${problem ? `WRONG STATE: ${problem}` : 'final state ok'}; blue-js ${reference.eventsPerSec}/s median ${reference.medianMs} ms → ${Math.round(result.opsPerSec / reference.eventsPerSec)}× faster`;
    results.push(result);
  }
  await sandbox.close();
  return results;
}

function twoKbDocument(withJavaScript: boolean): JsonObject {
  const loaded = loadDocument(
    readFileSync(
      join(import.meta.dirname, '../documents/examples/delivery-guarantee.yaml'),
      'utf8',
    ),
  );
  if (!loaded.ok) throw new Error('example');
  const document = loaded.document;
  const steps: JsonObject[] = withJavaScript
    ? [
        {
          name: 'Compute',
          type: 'Conversation/JavaScript Code',
          code: "return { next: document('/counter') + event.message.message.length };",
        },
        {
          name: 'Store',
          type: 'Conversation/Update Document',
          changeset: [{ op: 'replace', path: '/counter', val: '${steps.Compute.next}' }],
        },
      ]
    : [
        {
          name: 'Increment',
          type: 'Conversation/Update Document',
          changeset: [{ op: 'replace', path: '/counter', val: "${document('/counter') + 1}" }],
        },
      ];
  return {
    ...document,
    // Pads the 1.7 KB example to the 2 KB of DESIGN.md §11's targets.
    description:
      'Order 1042 from the online shop: two items, delivery by DHL, guarantee of an 80% discount for late delivery. '.repeat(
        3,
      ),
    counter: 0,
    contracts: {
      ...(document.contracts as JsonObject),
      benchChannel: { type: 'Conversation/Timeline Channel', timelineId: 'bench' },
      benchWorkflow: { type: 'Conversation/Sequential Workflow', channel: 'benchChannel', steps },
    },
  };
}

/** Entries as the timeline layer hands them over: stamped with a sequence and their BlueId. */
function stampedEntry(i: number): ProcessorEvent {
  const entry = {
    type: 'Conversation/Timeline Entry',
    timeline: { timelineId: 'bench' },
    sequence: i,
    timestamp: 1700000000000 + i,
    message: { type: 'Conversation/Chat Message', message: `message ${i}` },
  };
  return { kind: 'timeline', entry, entryId: blueId(entry) };
}

/** DESIGN.md §11 in-process targets on a 2 KB typed document (Smart Card Payment). */
export async function throughputBenchmarks(): Promise<BenchResult[]> {
  const sandbox = new IsolateHost();
  const context: ProcessContext = { registry: defaultTypeRegistry(), sandbox };
  const results: BenchResult[] = [];
  const events = Array.from({ length: 22_001 }, (_, i) => stampedEntry(i));
  for (const withJavaScript of [false, true]) {
    const document = twoKbDocument(withJavaScript);
    const size = Buffer.byteLength(JSON.stringify(document));
    const start = await initialized(document, context);
    await feed(start, (i) => events[i] as ProcessorEvent, 1, 2000, context);
    const run = await feed(start, (i) => events[i] as ProcessorEvent, 1, 20_000, context);
    const name = withJavaScript ? 'JavaScript Code + Update Document' : 'one Update Document step';
    const target = withJavaScript ? 15_000 : 30_000;
    const result = summarise(name, run.samples, run.elapsed);
    result.note = `${(size / 1024).toFixed(1)} KB document, entries stamped by the timeline layer; target ≥ ${target}/s`;
    results.push(result);
  }
  await sandbox.close();
  return results;
}

/**
 * Per-event cost after 100,000 events vs after 1,000 (target ≤ 1.2×): the mean and median of a
 * 2,000-event window at each point, each window starting from a collected heap so that garbage
 * left by the events in between is not billed to the later window.
 */
export async function growthBenchmark(): Promise<BenchResult[]> {
  const context: ProcessContext = { registry: defaultTypeRegistry() };
  const window = 2000;
  const events = (i: number) => stampedEntry(i);
  let document = await initialized(twoKbDocument(false), context);
  document = (await feed(document, events, 1, 1000, context)).document;
  const early = await feed(document, events, 1001, 1000 + window, context);
  document = (await feed(early.document, events, 1001 + window, 100_000, context)).document;
  const late = await feed(document, events, 100_001, 100_000 + window, context);
  const mean = (samples: number[]) => samples.reduce((a, b) => a + b, 0) / samples.length;
  const median = (samples: number[]) =>
    [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
  const meanRatio = mean(late.samples) / mean(early.samples);
  const medianRatio = median(late.samples) / median(early.samples);
  return [
    {
      name: 'per-event cost, 100k vs 1k events',
      opsPerSec: Math.round(1000 / mean(late.samples)),
      note:
        `mean ${(mean(early.samples) * 1000).toFixed(1)} → ${(mean(late.samples) * 1000).toFixed(1)} µs (${meanRatio.toFixed(2)}×), ` +
        `median ${(median(early.samples) * 1000).toFixed(1)} → ${(median(late.samples) * 1000).toFixed(1)} µs (${medianRatio.toFixed(2)}×); ` +
        `target ≤ 1.2×; document ${Buffer.byteLength(JSON.stringify(late.document))} bytes after 102k events`,
    },
  ];
}
