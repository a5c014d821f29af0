import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAccount } from '../../src/engine/document-engine.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { TestApp } from './support/test-app.js';
import { bearer, JSON_BODY, testApp } from './support/test-app.js';

type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'paydoc-full-'));
const file = join(dir, 'paydoc.db');
let t: TestApp;
let merchant: NewAccount;

beforeAll(async () => {
  t = await testApp({ db: file });
  merchant = await t.account('merchant@example.com');
});

afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The store's own connection: `max_page_count` is a setting of the connection, and a database
 * that may not grow fails a write exactly as a full disk does (SQLITE_FULL).
 */
function connection(store: SqliteStore): Database {
  return (store as unknown as { db: Database }).db;
}

/** Lets the database grow no further than it is now. */
function fillDisk(): void {
  const db = connection(t.store);
  db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
}

function makeRoom(): void {
  connection(t.store).pragma('max_page_count = 1073741823');
}

const entriesPath = () => `/timelines/${merchant.account.timelineId}/entries`;

function append(note: string) {
  return t.app.inject({
    method: 'POST',
    url: entriesPath(),
    // Larger than the pages free in the file, so the commit must grow it.
    payload: JSON.stringify({ message: { note, padding: 'x'.repeat(200_000) } }),
    headers: { ...bearer(merchant.apiKey), ...JSON_BODY, 'idempotency-key': `key-${note}` },
  });
}

describe('a full disk', () => {
  it('answers 503 storage_unavailable with Retry-After, writes nothing, keeps reading, and writes again once there is room', async () => {
    const before = await t.store.timeline(merchant.account.timelineId);
    fillDisk();
    let refused;
    try {
      refused = await append('full');
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect((refused.json() as { error: Json }).error).toMatchObject({
        type: 'api_error',
        code: 'storage_unavailable',
      });
      // Nothing of it was written, its Idempotency-Key included.
      expect(await t.store.timeline(merchant.account.timelineId)).toEqual(before);
      expect(await t.store.idempotency(merchant.account.id, 'key-full')).toBeUndefined();
      const durable = new SqliteStore(file);
      try {
        expect(await durable.timeline(merchant.account.timelineId)).toEqual(before);
      } finally {
        await durable.close();
      }
      // Reads go on.
      const read = await t.app.inject({
        method: 'GET',
        url: entriesPath(),
        headers: bearer(merchant.apiKey),
      });
      expect(read.statusCode).toBe(200);
    } finally {
      makeRoom();
    }
    // The same request again, once there is room: written, as the next entry.
    const retried = await append('full');
    expect(retried.statusCode, retried.body).toBe(201);
    expect((retried.json() as { entry: { sequence: number } }).entry.sequence).toBe(
      (before?.headSequence ?? 0) + 1,
    );
    const next = await append('after');
    expect(next.statusCode).toBe(201);
    expect((await t.store.timeline(merchant.account.timelineId))?.headSequence).toBe(
      (before?.headSequence ?? 0) + 2,
    );
  });
});
