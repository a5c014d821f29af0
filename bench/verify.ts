import { parse } from 'yaml';
import { DocumentEngine } from '../src/engine/document-engine.js';
import type { ExportBundle } from '../src/engine/bundle-format.js';
import { exportBundle } from '../src/engine/export-bundle.js';
import { verifyBundle } from '../src/engine/verify-bundle.js';
import { createAccount, OPERATOR_ACCOUNT } from '../src/engine/accounts.js';
import type { JsonObject } from '../src/model/json.js';
import { IsolateHost } from '../src/sandbox/isolate-host.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../src/types/load-library.js';
import type { BenchResult } from './measure.js';

export const VERIFY_TABLE_TITLE = 'paydoc verify (issue 13): a long Update Document timeline';

/** What issue 13 asks of `paydoc verify`, in entries per second. */
export const VERIFY_FLOOR = 20_000;

const ENTRIES = 5_000;

/**
 * A document whose one workflow counts the entries of its owner's timeline (an Update Document
 * per entry) runs on the engine for {@link ENTRIES} entries; its export is then verified
 * offline, as `paydoc verify` does: every entry's id, signature, chain and inclusion proof, and
 * a replay of every input compared with its recorded result. Entries per second of the whole
 * verification, against the floor the issue sets.
 */
export async function verifyBenchmarks(): Promise<BenchResult[]> {
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const registry = defaultTypeRegistry();
  const sandbox = new IsolateHost();
  const engine = new DocumentEngine({ store, context: { registry, sandbox } });
  await engine.start();
  await createAccount(engine, OPERATOR_ACCOUNT.id, 'bench@example.com', (outcome) => ({
    statusCode: outcome.ok ? 201 : 400,
    body: null,
  }));
  const account = await store.accountByEmail('bench@example.com');
  if (account === undefined) throw new Error('no bench account');
  const document = parse(`
name: Verify Benchmark
counter: 0
contracts:
  timeline:
    type: Conversation/Timeline Channel
    timelineId: ${account.timelineId}
  count:
    type: Conversation/Sequential Workflow
    channel: timeline
    steps:
      - name: Count
        type: Conversation/Update Document
        changeset:
          - op: replace
            path: /counter
            val: "\${document('/counter') + 1}"
`) as JsonObject;
  let documentId = '';
  await engine.createDocument(account.id, document, (outcome) => {
    if (outcome.ok) documentId = outcome.value.document.id;
    return { statusCode: 201, body: null };
  });
  // In groups, as clients would send them: the commit queue refuses a lane's backlog beyond
  // its bound, and every entry is wanted.
  for (let from = 1; from <= ENTRIES; from += 250) {
    const appends: Promise<unknown>[] = [];
    for (let i = from; i < from + 250 && i <= ENTRIES; i++)
      appends.push(
        engine.appendEntry(
          account.id,
          account.timelineId,
          { type: 'Conversation/Chat Message', message: `entry ${i}` },
          {},
          () => ({ statusCode: 201, body: null }),
        ),
      );
    await Promise.all(appends);
  }
  const exported = await exportBundle(engine, documentId, { at: Date.now() });
  if (exported === undefined) throw new Error('no bundle');
  // As read from a file: plain JSON, nothing shared with the engine's objects.
  const bundle = JSON.parse(JSON.stringify(exported)) as ExportBundle;
  const entries = bundle.inputs.filter((input) => input.entry !== undefined).length;
  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const report = await verifyBundle(structuredClone(bundle), { sandbox });
    runs.push(performance.now() - started);
    if (!report.ok)
      throw new Error(`the bench bundle does not verify: ${report.divergence.message}`);
  }
  await engine.close();
  await sandbox.close();
  await store.close();
  const best = Math.min(...runs);
  const perSecond = Math.round((entries / best) * 1000);
  return [
    {
      name: `verify ${entries} entries (${bundle.inputs.length} inputs)`,
      opsPerSec: perSecond,
      medianUs: Math.round((best / entries) * 1000),
      note: `${perSecond >= VERIFY_FLOOR ? 'meets' : 'BELOW'} the floor of ${VERIFY_FLOOR.toLocaleString('en')} entries/s; best of 3 runs, ${Math.round(best)} ms`,
    },
  ];
}
