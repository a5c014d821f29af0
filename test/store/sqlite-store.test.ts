import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('close() can be called twice', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
