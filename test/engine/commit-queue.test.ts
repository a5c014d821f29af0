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
