import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/engine/accounts.js';
import type { Job } from '../../src/engine/commit-queue.js';
import { CommitQueue } from '../../src/engine/commit-queue.js';
import type { Outcome, Reply } from '../../src/engine/outcome.js';
import { PaydocError } from '../../src/errors/paydoc-error.js';
import type { JsonValue } from '../../src/model/json.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { WriteBatch } from '../../src/store/store-records.js';
import { emptyBatch } from '../../src/store/store-records.js';

/**
 * One request of a commit group whose rows cannot be committed costs only its own request:
 * the others of the group are acknowledged and durable, and none is answered from a write of
 * the failing one.
 */

let dir: string;
let file: string;
let store: SqliteStore;
/** Every batch the queue asked the store to commit (also those that failed). */
let commits: WriteBatch[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paydoc-isolation-'));
  file = join(dir, 'paydoc.db');
  store = new SqliteStore(file);
  await store.migrate();
  commits = [];
  const commit = store.commit.bind(store);
  store.commit = (batch) => {
    commits.push(batch);
    // A row the database refuses although every check passes (the class of bug: a constraint
    // nobody checked): an account called poison@x.
    if (batch.accounts.some((account) => account.email.startsWith('poison')))
      return Promise.reject(new PaydocError('store_conflict', 'the commit was refused: poison'));
    // The same for an entry whose message is marked.
    if (batch.entries.some((entry) => (entry.entry.message as { poison?: boolean }).poison))
      return Promise.reject(new PaydocError('store_conflict', 'the commit was refused: poison'));
    return commit(batch);
  };
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const respond = (outcome: Outcome<JsonValue>): Reply =>
  outcome.ok
    ? { statusCode: 201, body: outcome.value }
    : { statusCode: 400, body: outcome.error.code };

type Work = Job<JsonValue>['work'];

/** Creates an account (with its timeline) unless the email has one. */
const account =
  (email: string): Work =>
  async (set, at) => {
    if ((await set.accountByEmail(email)) !== undefined)
      return { ok: false, error: { code: 'document_exists', message: email } };
    set.addAccount({ id: `acct_${email}`, email, timelineId: `tl_${email}`, createdAt: at });
    set.createTimeline(`tl_${email}`, `acct_${email}`, at);
    return { ok: true, value: email };
  };

/** Appends a message to a timeline; answers the sequence it got. */
const append =
  (timelineId: string, message: Record<string, JsonValue>): Work =>
  async (set) => {
    const timeline = await set.timeline(timelineId);
    if (timeline === undefined)
      return { ok: false, error: { code: 'not_found', message: timelineId } };
    const sequence = timeline.headSequence + 1;
    const blueId = `entry-${timelineId}-${sequence}-${JSON.stringify(message)}`;
    set.putTimeline({ ...timeline, headSequence: sequence, headBlueId: blueId }, false);
    set.rows.entries.push({ timelineId, sequence, blueId, entry: { message } });
    return { ok: true, value: sequence };
  };

function submitAll(queue: CommitQueue, works: Work[]): Promise<PromiseSettledResult<Reply>[]> {
  // Submitted in one turn of the event loop: one group.
  return Promise.allSettled(works.map((work) => queue.submit({ work, respond })));
}

const replyOf = (result: PromiseSettledResult<Reply> | undefined): Reply | undefined =>
  result?.status === 'fulfilled' ? result.value : undefined;

const errorOf = (result: PromiseSettledResult<Reply> | undefined): unknown =>
  result?.status === 'rejected' ? result.reason : undefined;

/** What a new store on the same file reads: only what is durable. */
async function reopened<T>(read: (store: SqliteStore) => Promise<T>): Promise<T> {
  const other = new SqliteStore(file);
  try {
    return await read(other);
  } finally {
    await other.close();
  }
}

describe('a request whose rows cannot join the group (checked before the commit)', () => {
  it('a key or reference already taken fails that request alone, and the group commits once', async () => {
    const queue = new CommitQueue(store, () => 1000);
    await submitAll(queue, [account('taken@x')]);
    await submitAll(queue, [append('tl_taken@x', { note: 'one' })]);
    commits.length = 0;
    const results = await submitAll(queue, [
      account('a@x'),
      // An account whose email is taken (the job does not look first).
      (set, at) => {
        set.addAccount({ id: 'acct_other', email: 'taken@x', timelineId: 'tl_o', createdAt: at });
        return Promise.resolve({ ok: true, value: 'duplicate' });
      },
      // A subscription to a timeline that does not exist (a foreign key).
      (set) => {
        set.subscribe('doc_missing', 'tl_missing');
        return Promise.resolve({ ok: true, value: 'dangling' });
      },
      // An entry with a sequence the timeline already has.
      (set) => {
        set.rows.entries.push({
          timelineId: 'tl_taken@x',
          sequence: 1,
          blueId: 'entry-again',
          entry: { message: {} },
        });
        return Promise.resolve({ ok: true, value: 'sequence' });
      },
      account('b@x'),
    ]);
    expect(replyOf(results[0])).toEqual({ statusCode: 201, body: 'a@x' });
    expect(replyOf(results[4])).toEqual({ statusCode: 201, body: 'b@x' });
    for (const failed of results.slice(1, 4)) {
      expect(failed.status).toBe('rejected');
      expect(errorOf(failed)).toMatchObject({ code: 'store_conflict' });
    }
    // The failing requests never reached the batch: one commit, the others in it.
    expect(commits.map((batch) => batch.accounts.map((row) => row.email))).toEqual([
      ['a@x', 'b@x'],
    ]);
    await reopened(async (durable) => {
      expect(await durable.accountByEmail('a@x')).toBeDefined();
      expect(await durable.accountByEmail('b@x')).toBeDefined();
      expect((await durable.accountByEmail('taken@x'))?.id).toBe('acct_taken@x');
      expect(await durable.accountById('acct_other')).toBeUndefined();
      const entries = await durable.entries('tl_taken@x', 0, 10);
      expect(entries.map((entry) => entry.entry.message)).toEqual([{ note: 'one' }]);
    });
  });
});

describe('a request whose rows fail the commit itself', () => {
  it('the others of the group are acknowledged and durable; the failing one gets its own error', async () => {
    const queue = new CommitQueue(store, () => 1000);
    const results = await submitAll(queue, [account('a@x'), account('poison@x'), account('b@x')]);
    expect(replyOf(results[0])).toEqual({ statusCode: 201, body: 'a@x' });
    expect(errorOf(results[1])).toMatchObject({ code: 'store_conflict' });
    expect(replyOf(results[2])).toEqual({ statusCode: 201, body: 'b@x' });
    await reopened(async (durable) => {
      expect(await durable.accountByEmail('a@x')).toBeDefined();
      expect(await durable.accountByEmail('b@x')).toBeDefined();
      expect(await durable.accountByEmail('poison@x')).toBeUndefined();
      expect(await durable.timeline('tl_poison@x')).toBeUndefined();
    });
  });

  it('a request that read the failing one’s write is not answered from it', async () => {
    const queue = new CommitQueue(store, () => 1000);
    /** Answers whether poison@x has an account; if not, makes b@x. */
    const reader: Work = async (set, at) => {
      if ((await set.accountByEmail('poison@x')) !== undefined)
        return { ok: true, value: 'saw poison@x' };
      return account('b@x')(set, at);
    };
    const results = await submitAll(queue, [
      account('poison@x'),
      // In the group it sees poison@x's account, which is never written.
      reader,
      // In the group it sees poison@x taken and refuses; alone it fails as poison@x does.
      account('poison@x'),
    ]);
    expect(errorOf(results[0])).toMatchObject({ code: 'store_conflict' });
    expect(replyOf(results[1])).toEqual({ statusCode: 201, body: 'b@x' });
    expect(errorOf(results[2])).toMatchObject({ code: 'store_conflict' });
    await reopened(async (durable) => {
      expect(await durable.accountByEmail('poison@x')).toBeUndefined();
      expect(await durable.accountByEmail('b@x')).toBeDefined();
    });
  });

  it('timeline heads stay consistent: a later append of the group is redone on the committed head', async () => {
    const queue = new CommitQueue(store, () => 1000);
    await submitAll(queue, [account('t@x')]);
    const results = await submitAll(queue, [
      append('tl_t@x', { note: 'first' }),
      append('tl_t@x', { note: 'poisoned', poison: true }),
      // Saw sequence 2 taken by the poisoned entry; done again it gets 2.
      append('tl_t@x', { note: 'third' }),
    ]);
    expect(replyOf(results[0])).toEqual({ statusCode: 201, body: 1 });
    expect(errorOf(results[1])).toMatchObject({ code: 'store_conflict' });
    expect(replyOf(results[2])).toEqual({ statusCode: 201, body: 2 });
    // The cached head is the committed one: the next append follows on.
    expect(replyOf((await submitAll(queue, [append('tl_t@x', { note: 'fourth' })]))[0])).toEqual({
      statusCode: 201,
      body: 3,
    });
    await reopened(async (durable) => {
      const entries = await durable.entries('tl_t@x', 0, 10);
      expect(entries.map((entry) => entry.entry.message)).toEqual([
        { note: 'first' },
        { note: 'third' },
        { note: 'fourth' },
      ]);
      expect((await durable.timeline('tl_t@x'))?.headSequence).toBe(3);
      expect((await durable.timeline('tl_t@x'))?.headBlueId).toBe(entries[2]?.blueId);
    });
  });

  it('a real constraint of the database (the hash of a revoked key) fails only that request', async () => {
    const queue = new CommitQueue(store, () => 1000);
    await submitAll(queue, [account('k@x')]);
    const hash = hashApiKey('pd_test_revoked');
    const seed = emptyBatch();
    seed.apiKeys.push({
      id: 'key_old',
      keyHash: hash,
      accountId: 'acct_k@x',
      hint: null,
      createdAt: 1,
    });
    seed.keyRevocations.push({ id: 'key_old', accountId: 'acct_k@x', revokedAt: 2 });
    await store.commit(seed);
    const results = await submitAll(queue, [
      account('a@x'),
      (set, at) => {
        set.addApiKey({
          id: 'key_new',
          keyHash: hash,
          accountId: 'acct_k@x',
          hint: null,
          createdAt: at,
        });
        return Promise.resolve({ ok: true, value: 'revoked again' });
      },
      account('b@x'),
    ]);
    expect(replyOf(results[0])).toEqual({ statusCode: 201, body: 'a@x' });
    expect(errorOf(results[1])).toMatchObject({ code: 'store_conflict' });
    expect(replyOf(results[2])).toEqual({ statusCode: 201, body: 'b@x' });
    await reopened(async (durable) => {
      expect(await durable.accountByEmail('a@x')).toBeDefined();
      expect(await durable.accountByEmail('b@x')).toBeDefined();
      expect((await durable.apiKeys('acct_k@x')).map((key) => key.id)).toEqual(['key_old']);
    });
  });

  it('a full disk fails the whole group at once (one attempt; doing it one by one cannot help)', async () => {
    const queue = new CommitQueue(store, () => 1000);
    store.commit = (batch) => {
      commits.push(batch);
      return Promise.reject(new PaydocError('storage_unavailable', 'database or disk is full'));
    };
    const results = await submitAll(queue, [account('a@x'), account('b@x'), account('c@x')]);
    expect(results.map((result) => (errorOf(result) as PaydocError | undefined)?.code)).toEqual([
      'storage_unavailable',
      'storage_unavailable',
      'storage_unavailable',
    ]);
    expect(commits).toHaveLength(1);
    expect(await store.countAccounts()).toBe(0);
  });
});
