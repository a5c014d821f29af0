import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppendOutcome, CreateOutcome } from '../../src/engine/document-engine.js';
import { DocumentEngine } from '../../src/engine/document-engine.js';
import { createAccount, OPERATOR_ACCOUNT } from '../../src/engine/accounts.js';
import type { Outcome } from '../../src/engine/outcome.js';
import type { JsonObject } from '../../src/model/json.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type {
  Sandbox,
  ScriptInput,
  ScriptLimits,
  ScriptOutcome,
  ScriptUsage,
} from '../../src/sandbox/sandbox.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';

const registry = defaultTypeRegistry();
const host = new IsolateHost();

/**
 * Counts the calls of each step, and can make the next ones fail as the sandbox would for its
 * own reasons: a worker killed (nothing measured) or a timeout under load (little CPU used).
 */
class CountingSandbox implements Sandbox {
  readonly calls = new Map<string, number>();
  failures: { count: number; cpuMs?: number } = { count: 0 };

  run(
    input: ScriptInput,
    limits?: Partial<ScriptLimits>,
    usage?: ScriptUsage,
  ): Promise<ScriptOutcome> {
    this.calls.set(input.stepName, (this.calls.get(input.stepName) ?? 0) + 1);
    if (this.failures.count > 0) {
      this.failures.count -= 1;
      if (usage !== undefined && this.failures.cpuMs !== undefined)
        usage.cpuMs = this.failures.cpuMs;
      return Promise.resolve({ ok: false, code: 'script_timeout', message: 'worker too slow' });
    }
    return host.run(input, limits, usage);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const sandbox = new CountingSandbox();
let store: SqliteStore;
let engine: DocumentEngine;
let accountId = '';
let documentId = '';
let timelineId = '';

function capture<T>(sink: (value: T) => void) {
  return (outcome: Outcome<T>) => {
    if (outcome.ok) sink(outcome.value);
    return { statusCode: outcome.ok ? 201 : 400, body: null };
  };
}

const step = (name: string, code: string): JsonObject => ({
  name,
  type: 'Conversation/JavaScript Code',
  code,
});

beforeAll(async () => {
  store = new SqliteStore(':memory:');
  await store.migrate();
  engine = new DocumentEngine({ store, context: { registry, sandbox } });
  await engine.start();
  await createAccount(
    engine,
    OPERATOR_ACCOUNT.id,
    'spin@x',
    capture((value) => {
      accountId = value.account.id;
    }),
  );
  const document: JsonObject = {
    name: 'Expensive',
    count: 0,
    contracts: {
      owner: { type: 'MyOS Account', email: 'spin@x' },
      spin: {
        type: 'Conversation/Sequential Workflow',
        channel: 'owner',
        event: { kind: 'spin' },
        steps: [step('Spin', 'while (true) {}')],
      },
      recurse: {
        type: 'Conversation/Sequential Workflow',
        channel: 'owner',
        event: { kind: 'recurse' },
        steps: [
          step(
            'Recurse',
            'let n = 0; function f() { n++; f(); } try { f() } catch (e) {} return { n };',
          ),
        ],
      },
      count: {
        type: 'Conversation/Sequential Workflow',
        channel: 'owner',
        event: { kind: 'count' },
        steps: [
          step('Next', "return { next: document('/count') + 1 };"),
          {
            name: 'Save',
            type: 'Conversation/Update Document',
            changeset: [{ op: 'replace', path: '/count', val: '${steps.Next.next}' }],
          },
        ],
      },
    },
  };
  await engine.createDocument(
    accountId,
    document,
    capture<CreateOutcome>((value) => {
      documentId = value.document.id;
      const contracts = value.document.state.contracts as Record<string, { timelineId: string }>;
      timelineId = contracts.owner?.timelineId ?? '';
    }),
  );
});

afterAll(async () => {
  await engine.close();
  await store.close();
  await host.close();
});

async function append(kind: string): Promise<AppendOutcome | undefined> {
  let appended: AppendOutcome | undefined;
  await engine.appendEntry(
    accountId,
    timelineId,
    { kind },
    {},
    capture((value) => (appended = value)),
  );
  return appended;
}

describe('DocumentEngine retries', () => {
  it('processes an event over its CPU budget once, not three times', async () => {
    const started = performance.now();
    const appended = await append('spin');
    expect(appended?.results[0]?.status).toEqual({
      kind: 'rejected',
      code: 'budget_exceeded',
      reason: 'step Spin: used all of its 50 ms of CPU time',
      step: 'Spin',
    });
    expect(sandbox.calls.get('Spin')).toBe(1);
    expect(performance.now() - started).toBeLessThan(1_000);
    const results = await store.results(documentId);
    expect(results.at(-1)?.status).toMatchObject({ code: 'budget_exceeded' });
  });

  it('processes an event whose step overflows the stack once, with the same rejection each time', async () => {
    const first = await append('recurse');
    const second = await append('recurse');
    const rejection = {
      kind: 'rejected',
      code: 'script_error',
      reason: 'step Recurse: RangeError: Maximum call stack size exceeded',
      step: 'Recurse',
    };
    expect(first?.results[0]?.status).toEqual(rejection);
    expect(second?.results[0]?.status).toEqual(rejection);
    expect(sandbox.calls.get('Recurse')).toBe(2);
  });

  it('still tries again when the sandbox failed for its own reasons', async () => {
    // A worker killed under the step (the sandbox measured nothing), then one slow under load
    // (5 of 50 ms of CPU): neither is the document's doing.
    sandbox.failures = { count: 1 };
    const before = sandbox.calls.get('Next') ?? 0;
    expect((await append('count'))?.results[0]?.status).toEqual({ kind: 'ok' });
    sandbox.failures = { count: 2, cpuMs: 5 };
    expect((await append('count'))?.results[0]?.status).toEqual({ kind: 'ok' });
    expect((sandbox.calls.get('Next') ?? 0) - before).toBe(2 + 3);
    expect((await store.document(documentId))?.state.count).toBe(2);
  });

  it('gives up after three tries of a sandbox failure, and records it', async () => {
    sandbox.failures = { count: 3, cpuMs: 5 };
    const before = sandbox.calls.get('Next') ?? 0;
    expect((await append('count'))?.results[0]?.status).toMatchObject({
      kind: 'rejected',
      code: 'script_timeout',
    });
    expect((sandbox.calls.get('Next') ?? 0) - before).toBe(3);
  });
});
