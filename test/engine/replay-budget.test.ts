import { afterAll, describe, expect, it } from 'vitest';
import { createAccount, OPERATOR_ACCOUNT } from '../../src/engine/accounts.js';
import type { AppendOutcome, CreateOutcome } from '../../src/engine/document-engine.js';
import { DocumentEngine } from '../../src/engine/document-engine.js';
import type { Outcome } from '../../src/engine/outcome.js';
import { replayDocument } from '../../src/engine/replay-document.js';
import type { JsonObject } from '../../src/model/json.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';

/**
 * CPU time is measured by the machine, not decided by the document: a replay on a machine that
 * is slower (here: budgets fifty times smaller than the server's) still reproduces every event
 * the server accepted, and takes an event the server refused as over budget as recorded.
 */

const registry = defaultTypeRegistry();
const host = new IsolateHost();

afterAll(async () => {
  await host.close();
});

function keep<T>(sink: (value: T) => void) {
  return (outcome: Outcome<T>) => {
    if (outcome.ok) sink(outcome.value);
    return { statusCode: outcome.ok ? 201 : 400, body: null };
  };
}

describe('replaying CPU budgets', () => {
  it('reproduces accepted work on a slower machine and takes recorded budget refusals as recorded', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const engine = new DocumentEngine({ store, context: { registry, sandbox: host } });
    await engine.start();
    let accountId = '';
    await createAccount(
      engine,
      OPERATOR_ACCOUNT.id,
      'cpu@x',
      keep((value) => (accountId = value.account.id)),
    );
    // Each message runs a step of a few ms; a message `spin` runs one that never ends.
    const document: JsonObject = {
      name: 'CPU',
      work: 0,
      contracts: {
        owner: { type: 'MyOS Account', email: 'cpu@x' },
        busy: {
          type: 'Conversation/Sequential Workflow',
          channel: 'owner',
          steps: [
            {
              name: 'Work',
              type: 'Conversation/JavaScript Code',
              code: 'if (event.spin) { for (;;) {} } let x = 0; for (let i = 0; i < 3e6; i++) x += i % 7; return { x };',
            },
            {
              name: 'Count',
              type: 'Conversation/Update Document',
              changeset: [{ op: 'replace', path: '/work', val: "${document('/work') + 1}" }],
            },
          ],
        },
      },
    };
    let created: CreateOutcome | undefined;
    await engine.createDocument(
      accountId,
      document,
      keep((value) => (created = value)),
    );
    const state = created?.document.state.contracts as Record<string, { timelineId: string }>;
    const timelineId = state.owner?.timelineId ?? '';
    const statuses: string[] = [];
    const messages: JsonObject[] = [{ note: 'a' }, { spin: true }, { note: 'b' }];
    for (const message of messages) {
      let appended: AppendOutcome | undefined;
      await engine.appendEntry(
        accountId,
        timelineId,
        message,
        {},
        keep((value) => (appended = value)),
      );
      const status = appended?.results[0]?.status as { kind: string; code?: string };
      statuses.push(status.code ?? status.kind);
    }
    expect(statuses).toEqual(['ok', 'budget_exceeded', 'ok']);
    const record = await store.document(created?.document.id ?? '');
    if (record === undefined) throw new Error('no document');
    expect(record.state.work).toBe(2);
    const results = await store.results(record.id);
    // The same machine replays it, and so does one whose budgets hold a fiftieth of the work
    // (a step there needs more than 1 ms; the replay gives it ten times that).
    expect(await replayDocument(record, results, { registry, sandbox: host })).toMatchObject({
      ok: true,
    });
    const slower = { registry, sandbox: host, limits: { scriptCpuMs: 1, eventCpuMs: 2 } };
    expect(await replayDocument(record, results, slower)).toMatchObject({ ok: true });
    await engine.close();
    await store.close();
  });
});
