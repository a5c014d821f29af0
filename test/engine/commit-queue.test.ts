import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommitQueue } from '../../src/engine/commit-queue.js';
import type { Outcome, Reply } from '../../src/engine/outcome.js';
import { failure } from '../../src/engine/outcome.js';
import type { WorkingSet } from '../../src/engine/working-set.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { WriteBatch } from '../../src/store/store-records.js';

let store: SqliteStore;

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  await store.migrate();
});

afterEach(async () => {
  await store.close();
});

const respond = (outcome: Outcome<string>): Reply =>
  outcome.ok
    ? { statusCode: 201, body: outcome.value }
    : { statusCode: 400, body: outcome.error.code };

/** A job creating one account (and its timeline); `gate` holds it in flight. */
function accountJob(email: string, gate?: Promise<void>) {
  return async (set: WorkingSet, at: number): Promise<Outcome<string>> => {
    if (gate !== undefined) await gate;
    if ((await set.accountByEmail(email)) !== undefined) return failure('document_exists', email);
    const id = `acct_${email}`;
    set.addAccount({ id, email, timelineId: `tl_${email}`, createdAt: at });
    set.putTimeline(
      { id: `tl_${email}`, ownerId: id, headSequence: 0, headBlueId: null, createdAt: at },
      true,
    );
    return { ok: true, value: id };
  };
}

const claim = (key: string, requestHash = 'h') => ({ accountId: 'acct_a@x', key, requestHash });

describe('CommitQueue', () => {
  it('answers 409 to a second request with a key still in flight, then replays the stored answer', async () => {
    const queue = new CommitQueue(store, () => 1000);
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const first = queue.submit({ idempotency: claim('k'), work: accountJob('a@x', gate), respond });
    const second = await queue.submit({
      idempotency: claim('k'),
      work: accountJob('a@x'),
      respond,
    });
    expect(second).toEqual({ statusCode: 400, body: 'idempotency_key_in_use' });
    open();
    expect(await first).toEqual({ statusCode: 201, body: 'acct_a@x' });
    // The same key again: the stored answer, and no second effect.
    const replay = await queue.submit({
      idempotency: claim('k'),
      work: accountJob('b@x'),
      respond,
    });
    expect(replay).toEqual({ statusCode: 201, body: 'acct_a@x' });
    expect(await store.accountByEmail('b@x')).toBeUndefined();
    const reused = await queue.submit({
      idempotency: claim('k', 'other'),
      work: accountJob('c@x'),
      respond,
    });
    expect(reused.body).toBe('idempotency_key_reused');
  });

  it('commits what queued in one transaction; later requests see earlier ones; a failed one leaves nothing', async () => {
    const queue = new CommitQueue(store, () => 1000);
    const commits: WriteBatch[] = [];
    const commit = store.commit.bind(store);
    store.commit = (batch) => {
      commits.push(batch);
      return commit(batch);
    };
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const pending = [
      queue.submit({ work: accountJob('g@x', gate), respond }),
      queue.submit({ work: accountJob('a@x'), respond }),
      queue.submit({ work: accountJob('a@x'), respond }),
      queue.submit({ work: accountJob('b@x'), respond }),
    ];
    open();
    const replies = await Promise.all(pending);
    expect(replies.map((reply) => reply.statusCode)).toEqual([201, 201, 400, 201]);
    // Everything that queued while the event loop turned forms one group, and the duplicate
    // saw the write of the request before it in the same group.
    expect(commits.map((batch) => batch.accounts.map((account) => account.email))).toEqual([
      ['g@x', 'a@x', 'b@x'],
    ]);
    expect(commits[0]?.timelines.map((timeline) => timeline.id)).toEqual([
      'tl_g@x',
      'tl_a@x',
      'tl_b@x',
    ]);
  });

  it('fails every request of a group whose commit fails (tried again alone too), and acknowledges none', async () => {
    const queue = new CommitQueue(store, () => 1000);
    store.commit = () => Promise.reject(new Error('disk full'));
    const results = await Promise.allSettled([
      queue.submit({ work: accountJob('a@x'), respond }),
      queue.submit({ work: accountJob('b@x'), respond }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await store.countAccounts()).toBe(0);
  });

  it('refuses new writes with overloaded once closing, after finishing those queued', async () => {
    const queue = new CommitQueue(store, () => 1000);
    const queued = queue.submit({ work: accountJob('a@x'), respond });
    const closing = queue.close();
    const refused = await queue.submit({ work: accountJob('b@x'), respond });
    expect(refused).toEqual({ statusCode: 400, body: 'overloaded' });
    await closing;
    expect(await queued).toEqual({ statusCode: 201, body: 'acct_a@x' });
    expect(await store.accountByEmail('b@x')).toBeUndefined();
  });

  it('keeps time moving forward even if the clock steps back', async () => {
    const times = [5000, 4000];
    const queue = new CommitQueue(store, () => times.shift() ?? 0);
    const seen: number[] = [];
    for (const email of ['a@x', 'b@x'])
      await queue.submit({
        work: (set, at) => {
          seen.push(at);
          return accountJob(email)(set, at);
        },
        respond,
      });
    expect(seen).toEqual([5000, 5000]);
  });
});

describe('CommitQueue: keys side by side', () => {
  /** Appends to one shared timeline after a pause, so requests of different keys overlap. */
  const appendShared =
    (pauseMs: number) =>
    async (set: WorkingSet): Promise<Outcome<string>> => {
      const timeline = await set.timeline('tl_shared');
      if (timeline === undefined) return failure('not_found', 'tl_shared');
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      const sequence = timeline.headSequence + 1;
      const blueId = `entry-${sequence}`;
      set.putTimeline({ ...timeline, headSequence: sequence, headBlueId: blueId }, false);
      set.rows.entries.push({ timelineId: 'tl_shared', sequence, blueId, entry: { n: sequence } });
      return { ok: true, value: String(sequence) };
    };

  it('loses no write when batches of different keys touch the same timeline (they run again)', async () => {
    const queue = new CommitQueue(store, () => 1000);
    await queue.submit({ work: accountJob('owner@x'), respond });
    await queue.submit({
      work: (set, at) => {
        set.putTimeline(
          {
            id: 'tl_shared',
            ownerId: 'acct_owner@x',
            headSequence: 0,
            headBlueId: null,
            createdAt: at,
          },
          true,
        );
        return Promise.resolve({ ok: true, value: 'made' });
      },
      respond,
    });
    // Twelve keys, each appending to the same timeline after a pause of its own: every batch
    // reads the head, waits, and writes the next sequence; overlapping ones must run again.
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        queue.submit({
          key: `k${index}`,
          lane: `lane${index % 3}`,
          work: appendShared(1 + (index % 4)),
          respond,
        }),
      ),
    );
    const sequences = replies.map((reply) => Number(reply.body)).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 12 }, (_, index) => index + 1));
    const entries = await store.entries('tl_shared', 0, 100);
    expect(entries.map((entry) => entry.sequence)).toEqual(sequences);
    expect((await store.timeline('tl_shared'))?.headSequence).toBe(12);
  });

  it('answers a fast key while a slow key of another lane is still running', async () => {
    const queue = new CommitQueue(store, () => 1000);
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = queue.submit({
      key: 'slow',
      lane: 'hostile',
      work: accountJob('slow@x', gate),
      respond,
    });
    const fast = await queue.submit({
      key: 'fast',
      lane: 'benign',
      work: accountJob('fast@x'),
      respond,
    });
    expect(fast).toEqual({ statusCode: 201, body: 'acct_fast@x' });
    expect(await store.accountByEmail('fast@x')).toBeDefined();
    expect(await store.accountByEmail('slow@x')).toBeUndefined();
    release();
    expect(await slow).toEqual({ statusCode: 201, body: 'acct_slow@x' });
  });
});
