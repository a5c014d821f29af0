import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
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
    // Another process (`paydoc accounts create`) migrates and writes while the server runs.
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

  it('close() can be called twice', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
