import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentEngine } from '../../src/engine/document-engine.js';
import type { CreateOutcome } from '../../src/engine/document-engine.js';
import { createAccount, OPERATOR_ACCOUNT } from '../../src/engine/accounts.js';
import { TimerScheduler } from '../../src/engine/timer-scheduler.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';

const dir = mkdtempSync(join(tmpdir(), 'paydoc-timers-'));
const registry = defaultTypeRegistry();
const sandbox = new IsolateHost();
const DAY = 24 * 60 * 60 * 1000;
const T0 = 1_700_000_000_000;

afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(file: string, now: () => number) {
  const store = new SqliteStore(file);
  await store.migrate();
  const engine = new DocumentEngine({ store, context: { registry, sandbox }, clock: now });
  await engine.start();
  return { store, engine };
}

describe('TimerScheduler', () => {
  it('expires an uncaptured authorisation 7 days later, across a restart', async () => {
    const file = join(dir, 'expiry.db');
    const first = await open(file, () => T0);
    let created: CreateOutcome | undefined;
    await createAccount(first.engine, OPERATOR_ACCOUNT.id, 'm@x', () => ({
      statusCode: 201,
      body: null,
    }));
    const account = await first.store.accountByEmail('m@x');
    await first.engine.createDocument(
      account?.id ?? '',
      { type: 'Classic Card Payment', amount: 100, currency: 'USD', token: 'tok_1234' },
      (outcome) => {
        if (outcome.ok) created = outcome.value;
        return { statusCode: 201, body: null };
      },
    );
    const id = created?.document.id ?? '';
    const stored = await first.store.document(id);
    expect(stored?.state.status).toBe('authorized');
    expect(stored?.nextTimerAt).toBe(T0 + 7 * DAY);
    // Nothing is due yet.
    expect(await first.engine.fireDueTimers()).toBe(0);
    await first.engine.close();
    await first.store.close();

    // The server was down when the deadline passed; the next start fires it.
    let now = T0 + 8 * DAY;
    const second = await open(file, () => now);
    const scheduler = new TimerScheduler(second.engine, () => now, 20);
    scheduler.start();
    for (let i = 0; i < 100; i++) {
      if ((await second.store.document(id))?.state.status === 'expired') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await scheduler.stop();
    const expired = await second.store.document(id);
    expect(expired?.state.status).toBe('expired');
    expect(expired?.nextTimerAt).toBeNull();
    const results = await second.store.results(id);
    expect(results.at(-2)?.event).toEqual({ kind: 'timer', timestamp: now });
    expect(results.at(-1)?.emitted).toEqual([]);
    now += DAY;
    expect(await second.engine.fireDueTimers()).toBe(0);
    await second.engine.close();
    await second.store.close();
  });
});
