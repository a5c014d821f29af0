import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/sqlite-migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { emptyBatch } from '../../src/store/store-records.js';
import { storeContract } from './store-contract.js';

function tempFile(): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'paydoc-store-'));
  return {
    file: join(dir, 'paydoc.db'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A claim-worker.ts process: `ready` once the store is open, `go()` starts it claiming. */
function claimer(file: string, now: number, leaseUntil: number) {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'claim-worker.ts');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, file, String(now), String(leaseUntil)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.startsWith('ready\n')) onReady();
  });
  const claimed = new Promise<string[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`claim-worker exited with ${code}`));
      else resolve(JSON.parse(out.slice('ready\n'.length)) as string[]);
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), claimed };
}

storeContract('SqliteStore on a file', () => {
  const { file, remove } = tempFile();
  return Promise.resolve({
    store: new SqliteStore(file),
    reopen: () => Promise.resolve(new SqliteStore(file)),
    cleanup: () => Promise.resolve(remove()),
  });
});

storeContract(
  `SqliteStore on ':memory:'`,
  () => Promise.resolve({ store: new SqliteStore(':memory:') }),
  { durable: false },
);

describe('SqliteStore on a file, beyond the contract', () => {
  const cleanups: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function open(file: string): SqliteStore {
    const store = new SqliteStore(file);
    cleanups.push(() => store.close());
    return store;
  }

  it('puts the file in WAL mode', async () => {
    const { file, remove } = tempFile();
    cleanups.push(remove);
    await open(file).migrate();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('a second store on the same file sees commits while both are open', async () => {
    const { file, remove } = tempFile();
    cleanups.push(remove);
    const server = open(file);
    await server.migrate();
    // Another process (a second store on the file) migrates and writes while the server runs.
    const cli = open(file);
    await cli.migrate();
    await cli.commit({
      ...emptyBatch(),
      accounts: [{ id: 'acct_1', email: 'one@example.com', timelineId: 'tl_1', createdAt: 1 }],
      timelines: [
        { id: 'tl_1', ownerId: 'acct_1', headSequence: 0, headBlueId: null, createdAt: 1 },
      ],
    });
    expect(await server.accountByEmail('one@example.com')).toStrictEqual({
      id: 'acct_1',
      email: 'one@example.com',
      timelineId: 'tl_1',
      createdAt: 1,
    });
    expect(await server.countAccounts()).toBe(1);
  });

  it('migration 2 keeps the keys of a version 1 database working, with ids and no hints', async () => {
    const { file, remove } = tempFile();
    cleanups.push(remove);
    const v1 = new Database(file);
    v1.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT',
    );
    v1.exec(SQLITE_MIGRATIONS.find((migration) => migration.version === 1)!.sql);
    v1.prepare('INSERT INTO schema_migrations VALUES (1, 0)').run();
    v1.prepare("INSERT INTO accounts VALUES ('acct_1', 'one@example.com', 'tl_1', 1)").run();
    v1.prepare("INSERT INTO timelines VALUES ('tl_1', 'acct_1', 0, NULL, 1)").run();
    v1.prepare("INSERT INTO api_keys VALUES ('sha_1', 'acct_1', 2), ('sha_2', 'acct_1', 3)").run();
    v1.close();
    const store = open(file);
    await store.migrate();
    const account = { id: 'acct_1', email: 'one@example.com', timelineId: 'tl_1', createdAt: 1 };
    expect(await store.accountByKeyHash('sha_1')).toStrictEqual(account);
    expect(await store.accountByKeyHash('sha_2')).toStrictEqual(account);
    const keys = await store.apiKeys('acct_1');
    expect(keys.map(({ id: _id, ...rest }) => rest)).toStrictEqual([
      { accountId: 'acct_1', hint: null, createdAt: 2, revokedAt: null },
      { accountId: 'acct_1', hint: null, createdAt: 3, revokedAt: null },
    ]);
    expect(keys[0]!.id).toMatch(/^key_[0-9a-f]{20}$/);
    expect(keys[1]!.id).not.toBe(keys[0]!.id);
    await store.commit({
      ...emptyBatch(),
      keyRevocations: [{ id: keys[0]!.id, accountId: 'acct_1', revokedAt: 9 }],
    });
    expect(await store.accountByKeyHash('sha_1')).toBeUndefined();
    expect(await store.accountByKeyHash('sha_2')).toStrictEqual(account);
  });

  it('two processes claiming at once never get one delivery both', async () => {
    const { file, remove } = tempFile();
    cleanups.push(remove);
    const store = open(file);
    await store.migrate();
    const deliveries = Array.from({ length: 150 }, (_, i) => ({
      id: `dlv_${String(i).padStart(3, '0')}`,
      eventId: 'evt_1',
      endpointId: 'we_1',
      accountId: 'acct_1',
      state: 'pending' as const,
      attempts: 0,
      nextAttemptAt: 1_000 + (i % 7),
      leaseUntil: null,
      createdAt: 1,
      deliveredAt: null,
    }));
    await store.commit({
      ...emptyBatch(),
      accounts: [{ id: 'acct_1', email: 'one@example.com', timelineId: 'tl_1', createdAt: 1 }],
      events: [
        {
          id: 'evt_1',
          accountId: 'acct_1',
          type: 'payment.captured',
          documentId: null,
          createdAt: 1,
          data: {},
        },
      ],
      webhookEndpoints: [
        {
          id: 'we_1',
          accountId: 'acct_1',
          url: 'https://hooks.example.com/',
          events: null,
          description: null,
          secret: 'whsec_1',
          previousSecret: null,
          previousSecretUntil: null,
          status: 'enabled',
          createdAt: 1,
          failingSince: null,
          disabledAt: null,
        },
      ],
      deliveries,
    });
    const workers = [claimer(file, 2_000, 9_000), claimer(file, 2_000, 9_000)];
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) worker.go();
    const [first, second] = await Promise.all(workers.map((worker) => worker.claimed));
    // Both took part (each paused after every claim), and no delivery went to both.
    expect(first!.length, 'the first process claimed nothing').toBeGreaterThan(0);
    expect(second!.length, 'the second process claimed nothing').toBeGreaterThan(0);
    expect(first!.filter((id) => second!.includes(id))).toStrictEqual([]);
    expect([...first!, ...second!].sort()).toStrictEqual(deliveries.map((row) => row.id));
    // Each took its share in due order (earliest nextAttemptAt first, then id).
    const dueOrder = [...deliveries]
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : 1))
      .map((row) => row.id);
    for (const claimed of [first!, second!])
      expect(claimed).toStrictEqual(dueOrder.filter((id) => claimed.includes(id)));
    for (const row of deliveries) expect((await store.delivery(row.id))?.leaseUntil).toBe(9_000);
  }, 60_000);

  it('close() can be called twice', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
