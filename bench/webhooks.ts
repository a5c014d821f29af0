import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, OPERATOR_ACCOUNT } from '../src/engine/accounts.js';
import { DocumentEngine } from '../src/engine/document-engine.js';
import { EventWriter } from '../src/engine/webhook-events.js';
import { WebhookWorker } from '../src/engine/webhook-worker.js';
import { newWebhookSecret } from '../src/outbox/webhook-signing.js';
import { IsolateHost } from '../src/sandbox/isolate-host.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { WebhookEndpointRecord } from '../src/store/store-records.js';
import { defaultTypeRegistry } from '../src/types/load-library.js';
import type { BenchResult } from './measure.js';

export const WEBHOOK_TABLE_TITLE =
  'Webhooks (issue 14): signed deliveries to a local receiver (SQLite file, real sockets)';

const BACKLOG = 2_000;
const PACED = 400;

/**
 * Two figures: deliveries per second, the worker draining a backlog of events to one local
 * receiver over HTTP (each signed with standardwebhooks, each attempt written); and the time
 * from an event's commit to its arrival at the receiver, events committed one at a time at a
 * steady pace while the worker runs.
 */
export async function webhookBenchmarks(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'paydoc-bench-webhooks-'));
  const store = new SqliteStore(join(dir, 'bench.db'));
  await store.migrate();
  const sandbox = new IsolateHost();
  const engine = new DocumentEngine({
    store,
    context: { registry: defaultTypeRegistry(), sandbox },
  });
  await engine.start();
  await createAccount(engine, OPERATOR_ACCOUNT.id, 'hooks-bench@example.com', (outcome) => ({
    statusCode: outcome.ok ? 201 : 400,
    body: null,
  }));
  const account = await store.accountByEmail('hooks-bench@example.com');
  if (account === undefined) throw new Error('no bench account');
  const arrived = new Map<string, number>();
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      arrived.set(
        String(request.headers['webhook-id']),
        performance.now() + performance.timeOrigin,
      );
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  const endpoint: WebhookEndpointRecord = {
    id: 'we_bench',
    accountId: account.id,
    url,
    events: null,
    description: null,
    secret: newWebhookSecret(),
    previousSecret: null,
    previousSecretUntil: null,
    status: 'enabled',
    createdAt: 0,
    failingSince: null,
    disabledAt: null,
  };
  await engine.write({
    work: (set) => {
      set.rows.webhookEndpoints.push(endpoint);
      return Promise.resolve({ ok: true, value: null });
    },
    respond: () => ({ statusCode: 200, body: null }),
  });
  const committed = new Map<string, number>();
  const addEvent = (ids?: string[]) =>
    engine.write({
      work: (set, at) => {
        const id = new EventWriter(set, account.id, [endpoint], at).add(
          'payment.captured',
          null,
          { event: { type: 'Payments/Payment Captured', amount: 1000 } },
          at,
        );
        return Promise.resolve({ ok: true, value: id });
      },
      respond: (outcome) => {
        if (outcome.ok) {
          committed.set(String(outcome.value), Date.now());
          ids?.push(String(outcome.value));
        }
        return { statusCode: 200, body: null };
      },
    });
  const waitFor = async (count: number) => {
    while (arrived.size < count) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  // 1. A backlog, drained.
  await Promise.all(Array.from({ length: BACKLOG }, () => addEvent()));
  const worker = new WebhookWorker({ store, writer: engine, allowPrivate: true });
  engine.onCommit((batch) => {
    if (batch.deliveries.length > 0) worker.kick();
  });
  const started = performance.now();
  worker.start();
  await waitFor(BACKLOG);
  const drainMs = performance.now() - started;
  await worker.idle();

  // 2. Paced: one event every 5 ms, commit to arrival.
  const pacedIds: string[] = [];
  const before = arrived.size;
  for (let i = 0; i < PACED; i++) {
    void addEvent(pacedIds);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await waitFor(before + PACED);
  const latencies = pacedIds.map((id) => (arrived.get(id) ?? 0) - (committed.get(id) ?? 0));
  await worker.close();
  receiver.close();
  await engine.close();
  await sandbox.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const drained: BenchResult = {
    name: `drain a backlog of ${BACKLOG}`,
    opsPerSec: Math.round((BACKLOG / drainMs) * 1000),
    note: `deliveries/s to one local receiver, each signed and its attempt written (${Math.round(drainMs)} ms)`,
  };
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) =>
    (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1);
  const paced: BenchResult = {
    name: 'commit → delivered',
    opsPerSec: 200,
    medianUs: Math.round(Number(at(0.5)) * 1000),
    p99Us: Math.round(Number(at(0.99)) * 1000),
    note: `${PACED} events at 200/s: commit to arrival p50 ${at(0.5)} / p99 ${at(0.99)} / max ${at(1)} ms`,
  };
  return [drained, paced];
}
