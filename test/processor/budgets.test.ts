import { afterAll, describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../src/model/json.js';
import { loadYaml } from '../../src/model/load-yaml.js';
import { processEvent } from '../../src/processor/process-event.js';
import type {
  ProcessContext,
  ProcessLimits,
  ProcessorEvent,
  ProcessResult,
} from '../../src/processor/processor-types.js';
import { DEFAULT_LIMITS } from '../../src/processor/processor-types.js';
import { isRetryableRejection } from '../../src/processor/rejection.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type {
  Sandbox,
  ScriptInput,
  ScriptLimits,
  ScriptOutcome,
  ScriptUsage,
} from '../../src/sandbox/sandbox.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';

const registry = defaultTypeRegistry();
const host = new IsolateHost();
afterAll(() => host.close());

/**
 * A sandbox that runs nothing: every call "uses" `cpuMs` of CPU and answers `outcome` (by
 * default an empty result), and the limits of each call are kept.
 */
class ScriptedSandbox implements Sandbox {
  readonly calls: ScriptLimits[] = [];
  constructor(
    private readonly cpuMs: number | ((limits: ScriptLimits) => number | undefined),
    private readonly outcome: ScriptOutcome = { ok: true, value: {} },
  ) {}

  run(_input: ScriptInput, limits?: Partial<ScriptLimits>, usage?: ScriptUsage) {
    const given = { cpuMs: limits?.cpuMs ?? 50, memoryMb: limits?.memoryMb ?? 64 };
    this.calls.push(given);
    const used = typeof this.cpuMs === 'number' ? this.cpuMs : this.cpuMs(given);
    if (usage !== undefined && used !== undefined) usage.cpuMs = used;
    return Promise.resolve(this.outcome);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function workflow(steps: JsonObject[], contracts: JsonObject = {}, extra: JsonObject = {}) {
  return {
    ...extra,
    contracts: {
      timeline: { type: 'Conversation/Timeline Channel', timelineId: 't' },
      run: { type: 'Conversation/Sequential Workflow', channel: 'timeline', steps },
      ...contracts,
    },
  };
}

const limitsMarker = (limits: Partial<ProcessLimits>): JsonObject => ({
  processingLimits: { type: 'Core/Marker', ...limits },
});

function entry(message: JsonObject = { type: 'Conversation/Event' }): ProcessorEvent {
  return {
    kind: 'timeline',
    entry: {
      type: 'Conversation/Timeline Entry',
      timeline: { timelineId: 't' },
      timestamp: 1000,
      message,
    },
  };
}

const js = (name: string, code: string): JsonObject => ({
  name,
  type: 'Conversation/JavaScript Code',
  code,
});
const update = (name: string, path: string, val: JsonValue): JsonObject => ({
  name,
  type: 'Conversation/Update Document',
  changeset: [{ op: 'replace', path, val }],
});
const steps = (count: number, make: (index: number) => JsonObject): JsonObject[] =>
  Array.from({ length: count }, (_, index) => make(index));

function context(sandbox: Sandbox, limits: Partial<ProcessLimits> = {}): ProcessContext {
  return { registry, sandbox, limits };
}

describe('the JavaScript CPU budget of an event', () => {
  it('is documented with its defaults', () => {
    expect(DEFAULT_LIMITS).toMatchObject({
      scriptCpuMs: 50,
      eventCpuMs: 200,
      steps: 256,
      outputBytes: 1024 * 1024,
      cascade: 64,
    });
  });

  it('gives each step the lesser of its limit and what is left, and rejects once it is spent', async () => {
    const sandbox = new ScriptedSandbox(30);
    const document = workflow(steps(10, (index) => js(`S${index}`, 'return {};')));
    const result = await processEvent(document, entry(), context(sandbox));
    // 6 × 30 ms leave 20 ms: the 7th step may run 20 ms, after which nothing is left.
    expect(sandbox.calls.map((call) => call.cpuMs)).toEqual([50, 50, 50, 50, 50, 50, 20]);
    expect(result.status).toEqual({
      kind: 'rejected',
      code: 'budget_exceeded',
      reason: 'step S7: the event used all of its 200 ms of JavaScript CPU time',
      step: 'S7',
    });
    expect(result.document).toBe(document);
    expect(isRetryableRejection(result.status)).toBe(false);
  });

  it('counts `${}` expressions run in the sandbox against the same budget', async () => {
    const sandbox = new ScriptedSandbox(60, { ok: true, value: { value: 1 } });
    const document = workflow(
      steps(5, (index) => update(`U${index}`, `/v${index}`, '${[1].map((x) => x).length}')),
    );
    const result = await processEvent(document, entry(), context(sandbox));
    expect(sandbox.calls.map((call) => call.cpuMs)).toEqual([50, 50, 50, 20]);
    expect(result.status).toMatchObject({ kind: 'rejected', code: 'budget_exceeded', step: 'U4' });
  });

  it('rejects a step that used all of its CPU time with budget_exceeded, not a retryable timeout', async () => {
    const timedOut: ScriptOutcome = { ok: false, code: 'script_timeout', message: 'too long' };
    const spent = new ScriptedSandbox((limits) => limits.cpuMs + 0.5, timedOut);
    const result = await processEvent(workflow([js('Spin', '')]), entry(), context(spent));
    expect(result.status).toEqual({
      kind: 'rejected',
      code: 'budget_exceeded',
      reason: 'step Spin: used all of its 50 ms of CPU time',
      step: 'Spin',
    });
    // A timeout after 40 of 50 ms was the machine's (the step waited for a CPU): retryable.
    const loaded = new ScriptedSandbox(40, timedOut);
    const slow = await processEvent(workflow([js('Spin', '')]), entry(), context(loaded));
    expect(slow.status).toMatchObject({ kind: 'rejected', code: 'script_timeout', step: 'Spin' });
    expect(isRetryableRejection(slow.status)).toBe(true);
    // So is one the sandbox could not measure (a worker killed under the step).
    const unknown = new ScriptedSandbox(() => undefined, timedOut);
    const killed = await processEvent(workflow([js('Spin', '')]), entry(), context(unknown));
    expect(killed.status).toMatchObject({ kind: 'rejected', code: 'script_timeout' });
  });

  it('stops an endless loop in a real isolate with budget_exceeded', async () => {
    const document = workflow([update('U', '/a', 1), js('Spin', 'while (true) {}')]);
    const result = await processEvent(document, entry(), { registry, sandbox: host });
    expect(result.status).toMatchObject({
      kind: 'rejected',
      code: 'budget_exceeded',
      step: 'Spin',
    });
    expect(result.document).toBe(document);
    // With 30 ms left of the event's budget, a 50 ms step runs 30 ms.
    const started = performance.now();
    const short = await processEvent(workflow([js('Spin', 'while (true) {}')]), entry(), {
      registry,
      sandbox: host,
      limits: { eventCpuMs: 30 },
    });
    expect(short.status).toEqual({
      kind: 'rejected',
      code: 'budget_exceeded',
      reason: 'step Spin: the event used all of its 30 ms of JavaScript CPU time',
      step: 'Spin',
    });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('steps, bytes and cascade per event', () => {
  it('rejects an event that runs more steps than its budget', async () => {
    const many = workflow(steps(300, (index) => update(`U${index}`, '/n', index)));
    const result = await processEvent(many, entry(), context(host));
    expect(result.status).toEqual({
      kind: 'rejected',
      code: 'budget_exceeded',
      reason: 'step U256: the event would run more than its budget of 256 steps',
      step: 'U256',
    });
    const enough = workflow(steps(256, (index) => update(`U${index}`, '/n', index)));
    expect((await processEvent(enough, entry(), context(host))).status).toEqual({ kind: 'ok' });
  });

  it('rejects an event that produces more bytes of changes and events than its budget', async () => {
    const big = 'x'.repeat(600 * 1024);
    const patches = workflow([update('A', '/a', big), update('B', '/b', big)]);
    const result = await processEvent(patches, entry(), context(host));
    expect(result.status).toMatchObject({
      kind: 'rejected',
      code: 'budget_exceeded',
      reason:
        'step B: the event would produce more than its budget of 1048576 bytes of changes and events',
    });
    const events = workflow([
      {
        name: 'E1',
        type: 'Conversation/Trigger Event',
        event: { type: 'Conversation/Event', big },
      },
      {
        name: 'E2',
        type: 'Conversation/Trigger Event',
        event: { type: 'Conversation/Event', big },
      },
    ]);
    expect((await processEvent(events, entry(), context(host))).status).toMatchObject({
      code: 'budget_exceeded',
      step: 'E2',
    });
    // Non-ASCII text counts in UTF-8 bytes: 400 Ki of "é" is 800 KiB, twice over the budget.
    const accents = workflow([
      update('A', '/a', 'é'.repeat(400 * 1024)),
      update('B', '/b', 'é'.repeat(400 * 1024)),
    ]);
    expect((await processEvent(accents, entry(), context(host))).status).toMatchObject({
      code: 'budget_exceeded',
      step: 'B',
    });
  });
});

describe("a document's own limits", () => {
  it('lower the steps, cascade, bytes and CPU budgets of its events', async () => {
    const tenSteps = steps(10, (index) => update(`U${index}`, '/n', index));
    const lowered = await processEvent(
      workflow(tenSteps, limitsMarker({ steps: 5 })),
      entry(),
      context(host),
    );
    expect(lowered.status).toMatchObject({
      code: 'budget_exceeded',
      reason: 'step U5: the event would run more than its budget of 5 steps',
    });

    const bytes = await processEvent(
      workflow([update('A', '/a', 'x'.repeat(200))], limitsMarker({ outputBytes: 100 })),
      entry(),
      context(host),
    );
    expect(bytes.status).toMatchObject({ code: 'budget_exceeded', step: 'A' });

    const sandbox = new ScriptedSandbox(30);
    const cpu = await processEvent(
      workflow(
        steps(3, (index) => js(`S${index}`, 'return {};')),
        limitsMarker({ eventCpuMs: 50, scriptCpuMs: 40 }),
      ),
      entry(),
      context(sandbox),
    );
    expect(sandbox.calls.map((call) => call.cpuMs)).toEqual([40, 20]);
    expect(cpu.status).toMatchObject({
      code: 'budget_exceeded',
      reason: 'step S2: the event used all of its 50 ms of JavaScript CPU time',
    });

    const cascading = workflow([update('U', '/watched', 1)], {
      ...limitsMarker({ cascade: 1 }),
      watch: { type: 'Core/Document Update Channel', path: '/watched' },
      again: {
        type: 'Conversation/Sequential Workflow',
        channel: 'watch',
        steps: [update('Again', '/watched', '${event.after + 1}')],
      },
    });
    expect((await processEvent(cascading, entry(), context(host))).status).toMatchObject({
      kind: 'rejected',
      code: 'cascade_limit',
      reason: 'more than 1 triggered deliveries for one event',
    });
  });

  it('cannot raise them: a larger value (or one that is not a positive integer) is ignored', async () => {
    const many = steps(300, (index) => update(`U${index}`, '/n', index));
    for (const steps of [100_000, 0, -1, 2.5, '10']) {
      const result = await processEvent(
        workflow(many, { processingLimits: { type: 'Core/Marker', steps } }),
        entry(),
        context(host),
      );
      expect(result.status).toMatchObject({
        code: 'budget_exceeded',
        reason: 'step U256: the event would run more than its budget of 256 steps',
      });
    }
    const sandbox = new ScriptedSandbox(30);
    await processEvent(
      workflow([js('S', 'return {};')], limitsMarker({ scriptCpuMs: 10_000, eventCpuMs: 10_000 })),
      entry(),
      context(sandbox),
    );
    expect(sandbox.calls.map((call) => call.cpuMs)).toEqual([50]);
  });

  it('are read from a {value: …} node as well', async () => {
    const result = await processEvent(
      workflow(
        steps(3, (index) => update(`U${index}`, '/n', index)),
        { processingLimits: { type: 'Core/Marker', steps: { value: 2 } } },
      ),
      entry(),
      context(host),
    );
    expect(result.status).toMatchObject({ code: 'budget_exceeded', step: 'U2' });
  });
});

describe('the state an event leaves is one the loader would load', () => {
  const loads = (document: JsonObject): boolean => loadYaml(JSON.stringify(document)).ok;

  it('rejects an integer beyond ±(2^53−1) from an expression', async () => {
    const document = workflow([update('U', '/n', '${9007199254740991 * 1000}')]);
    const result = await processEvent(document, entry(), context(host));
    expect(result.status).toEqual({
      kind: 'rejected',
      code: 'state_limit_exceeded',
      reason:
        'the document would be more than a document may be: the integer 9007199254740991000 is beyond ±(2^53−1) (at /n)',
    });
    expect(result.document).toBe(document);
    // What is refused is what the loader refuses; a safe integer and a double are stored.
    expect(loads({ n: 9007199254740991000 })).toBe(false);
    expect(loads({ n: 1e21 })).toBe(true);
    const fine = workflow([
      update('A', '/a', '${9007199254740990 + 1}'),
      update('B', '/b', 1e21),
      update('C', '/c', -0.5),
    ]);
    expect((await processEvent(fine, entry(), context(host))).status).toEqual({ kind: 'ok' });
  });

  it('rejects nesting deeper than 64 levels', async () => {
    // A step builds `levels` nested maps under /deep (the document is level 0, /deep level 1).
    const nesting = (levels: number): JsonObject =>
      workflow([
        js(
          'Nest',
          `let value = { leaf: 1 }; for (let i = 1; i < ${levels}; i++) value = { next: value }; return { value };`,
        ),
        update('U', '/deep', '${steps.Nest.value}'),
      ]);
    // 63 maps under /deep put the leaf at level 64: the deepest a loaded document may go.
    const ok = await processEvent(nesting(63), entry(), context(host));
    expect(ok.status).toEqual({ kind: 'ok' });
    expect(loads(ok.document)).toBe(true);

    const deeper = nesting(64);
    const result = await processEvent(deeper, entry(), context(host));
    expect(result.status).toMatchObject({
      kind: 'rejected',
      code: 'state_limit_exceeded',
      reason: expect.stringMatching(
        /^the document would be more than a document may be: nested deeper than 64 levels \(at \/deep(\/next)+\/leaf\)$/,
      ),
    });
    expect(loads({ ...ok.document, deep: { next: ok.document.deep ?? null } })).toBe(false);
  });

  it('rejects a state larger than 4 MiB, even one grown by small steps', async () => {
    // Each event doubles a field: two small appends, and the state would be 5 MiB.
    const doubling = workflow(
      [update('Twice', '/s', "${document('/s') + document('/s')}")],
      {},
      { s: 'x'.repeat(1024 * 1024) },
    );
    const roomy = { ...context(host), limits: { outputBytes: 64 * 1024 * 1024 } };
    const once = await processEvent(doubling, entry(), roomy);
    expect(once.status).toEqual({ kind: 'ok' });
    const twice = await processEvent(
      once.document,
      entry({ type: 'Conversation/Event', n: 2 }),
      roomy,
    );
    expect(twice.status).toMatchObject({
      kind: 'rejected',
      code: 'state_limit_exceeded',
      reason: 'the document would be more than a document may be: more than 4194304 bytes of JSON',
    });
    expect(twice.document).toBe(once.document);
  });

  it('bounds a state grown a little every event, and measures it again before the limit', async () => {
    // Each event appends 100 KB: accepted while the state stays within 4 MiB, refused once it
    // would not, although every event is small (the check follows the patches, then measures).
    const growing = workflow(
      [
        js('Chunk', "return { text: 'x'.repeat(100 * 1024) };"),
        update('Append', '/chunks/-', '${steps.Chunk.text}'),
      ],
      {},
      { chunks: [] },
    );
    let document: JsonObject = growing;
    let accepted = 0;
    let refused: ProcessResult | undefined;
    for (let n = 1; n <= 60 && refused === undefined; n += 1) {
      const result = await processEvent(
        document,
        entry({ type: 'Conversation/Event', n }),
        context(host),
      );
      if (result.status.kind === 'ok') {
        accepted += 1;
        document = result.document;
      } else refused = result;
    }
    // 4 MiB hold 40 chunks of 100 KB and a little more, not 41.
    expect(accepted).toBe(40);
    expect(refused?.status).toMatchObject({ kind: 'rejected', code: 'state_limit_exceeded' });
    expect(refused?.document).toBe(document);
  });

  it('rejects more than 200,000 nodes', async () => {
    const document = workflow([
      js('Make', 'return { list: new Array(200000).fill(0) };'),
      update('U', '/list', '${steps.Make.list}'),
    ]);
    const result = await processEvent(document, entry(), {
      ...context(host),
      limits: { scriptCpuMs: 1_000, eventCpuMs: 1_000 },
    });
    expect(result.status).toMatchObject({
      kind: 'rejected',
      code: 'state_limit_exceeded',
      reason:
        'the document would be more than a document may be: more than 200000 nodes (at /list)',
    });
  });

  it('keeps accepting a large state event after event', async () => {
    const big = workflow(
      [update('U', '/n', '${event.message.n}')],
      {},
      {
        list: Array.from({ length: 150_000 }, (_, index) => index),
      },
    );
    let document: JsonObject = big;
    for (let n = 1; n <= 4; n += 1) {
      const result = await processEvent(
        document,
        entry({ type: 'Conversation/Event', n }),
        context(host),
      );
      expect(result.status).toEqual({ kind: 'ok' });
      document = result.document;
    }
    expect(document.n).toBe(4);
    expect(loads(document)).toBe(true);
  });
});
