import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppendOutcome, CreateOutcome } from '../../src/engine/document-engine.js';
import { DocumentEngine } from '../../src/engine/document-engine.js';
import { createAccount, OPERATOR_ACCOUNT } from '../../src/engine/accounts.js';
import type { Outcome } from '../../src/engine/outcome.js';
import { replayDocument } from '../../src/engine/replay-document.js';
import type { JsonObject } from '../../src/model/json.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type {
  Sandbox,
  ScriptInput,
  ScriptLimits,
  ScriptOutcome,
} from '../../src/sandbox/sandbox.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';

const registry = defaultTypeRegistry();
const host = new IsolateHost();

/** A sandbox whose next `failures` calls fail as an overloaded worker would. */
class FlakySandbox implements Sandbox {
  failures = 0;
  run(input: ScriptInput, limits?: Partial<ScriptLimits>): Promise<ScriptOutcome> {
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.resolve({ ok: false, code: 'script_timeout', message: 'worker too slow' });
    }
    return host.run(input, limits);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const sandbox = new FlakySandbox();
let store: SqliteStore;
let engine: DocumentEngine;
let documentId = '';
let timelineId = '';
let accountId = '';

function capture<T>(sink: (value: T) => void) {
  return (outcome: Outcome<T>) => {
    if (outcome.ok) sink(outcome.value);
    return { statusCode: outcome.ok ? 201 : 400, body: null };
  };
}

beforeAll(async () => {
  store = new SqliteStore(':memory:');
  await store.migrate();
  engine = new DocumentEngine({ store, context: { registry, sandbox } });
  await engine.start();
  await createAccount(
    engine,
    OPERATOR_ACCOUNT.id,
    'm@x',
    capture((value) => {
      accountId = value.account.id;
    }),
  );
  const document: JsonObject = {
    name: 'Counter',
    count: 0,
    contracts: {
      owner: { type: 'MyOS Account', email: 'm@x' },
      count: {
        type: 'Conversation/Sequential Workflow',
        channel: 'owner',
        steps: [
          {
            name: 'Next',
            type: 'Conversation/JavaScript Code',
            code: "return { next: document('/count') + 1 };",
          },
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
      // The owner's channel is bound to a timeline of its own for this document.
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

async function append(): Promise<AppendOutcome | undefined> {
  let appended: AppendOutcome | undefined;
  await engine.appendEntry(
    accountId,
    timelineId,
    { note: 'tick' },
    {},
    capture((value) => (appended = value)),
  );
  return appended;
}

describe('DocumentEngine and sandbox failures', () => {
  it('tries again when the sandbox fails for its own reasons, and records only the outcome', async () => {
    sandbox.failures = 2;
    const appended = await append();
    expect(appended?.results[0]?.status).toEqual({ kind: 'ok' });
    expect((await store.document(documentId))?.state.count).toBe(1);
  });

  it('records a persistent sandbox failure as a rejection that a replay accepts', async () => {
    sandbox.failures = 3;
    const appended = await append();
    expect(appended?.results[0]?.status).toMatchObject({
      kind: 'rejected',
      code: 'script_timeout',
    });
    await append();
    const record = await store.document(documentId);
    expect(record?.state.count).toBe(2);
    if (record === undefined) throw new Error('no document');
    const report = await replayDocument(record, await store.results(documentId), {
      registry,
      sandbox: host,
    });
    expect(report).toMatchObject({ ok: true, events: record.version });
  });

  it('a replay finds a stored result that does not follow from its input', async () => {
    const record = await store.document(documentId);
    if (record === undefined) throw new Error('no document');
    const results = await store.results(documentId);
    const forged = results.map((result, index) =>
      index === results.length - 1 ? { ...result, blueId: 'Forged' } : result,
    );
    const report = await replayDocument(record, forged, { registry, sandbox: host });
    expect(report).toMatchObject({ ok: false, version: record.version });
  });
});
