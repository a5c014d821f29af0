import { PaydocError } from '../errors/paydoc-error.js';
import type { Store } from '../store/store.js';
import type { Outcome, Reply } from './outcome.js';
import { failure } from './outcome.js';
import { HeadCache, WorkingSet } from './working-set.js';

/** A request's Idempotency-Key and the hash of what it asked. */
export interface IdempotencyClaim {
  accountId: string;
  key: string;
  requestHash: string;
}

/** One write request: its work against a working set, and how its outcome is answered. */
export interface Job<T> {
  idempotency?: IdempotencyClaim | undefined;
  work: (set: WorkingSet, at: number) => Promise<Outcome<T>>;
  respond: (outcome: Outcome<T>) => Reply;
}

interface Waiting {
  job: Job<unknown>;
  resolve: (reply: Reply) => void;
  reject: (error: unknown) => void;
}

/** Options of {@link CommitQueue}. */
export interface CommitQueueOptions {
  /** Requests per commit at most (default 256). */
  maxGroup?: number;
  /** Requests waiting at most before new ones are refused with `overloaded` (default 10,000). */
  maxWaiting?: number;
}

/**
 * Serialises every write and commits them in groups (group commit): the requests that queued
 * while the previous commit was on disk run one after another against one working set, then
 * go to the store in one transaction. A request is answered only after its group's commit
 * returned, so every acknowledged request is durable; if the commit fails, every request of
 * the group fails and nothing of it was written.
 */
export class CommitQueue {
  private readonly waiting: Waiting[] = [];
  /** Committed heads of documents and timelines, kept across groups: this queue is their only writer. */
  private readonly heads = new HeadCache();
  private readonly claimed = new Set<string>();
  private draining = false;
  private lastAt = 0;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly maxGroup: number;
  private readonly maxWaiting: number;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    options: CommitQueueOptions = {},
  ) {
    this.maxGroup = options.maxGroup ?? 256;
    this.maxWaiting = options.maxWaiting ?? 10_000;
  }

  /** Queues a write; resolves with its reply once durable (or with the stored reply of a replay). */
  submit<T>(job: Job<T>): Promise<Reply> {
    if (this.closed || this.waiting.length >= this.maxWaiting)
      return Promise.resolve(
        job.respond(failure('overloaded', 'the server is not taking writes now; retry shortly')),
      );
    const claim = job.idempotency;
    if (claim !== undefined) {
      const name = claimName(claim);
      // The same key still in flight: answering it twice could give two different answers.
      if (this.claimed.has(name))
        return Promise.resolve(
          job.respond(
            failure(
              'idempotency_key_in_use',
              'a request with this Idempotency-Key is still being processed; retry after it finished',
              'Idempotency-Key',
            ),
          ),
        );
      this.claimed.add(name);
    }
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.push({ job: job as Job<unknown>, resolve, reject });
      if (!this.draining) this.idle = this.drain();
    });
  }

  /** Stops taking writes and waits for those queued to be committed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        // The store answers synchronously (SQLite): without this turn of the event loop, the
        // requests waiting on sockets would never join a group and every one would pay its
        // own fsync.
        await new Promise<void>((resolve) => setImmediate(resolve));
        await this.runGroup(this.waiting.splice(0, this.maxGroup));
      }
    } finally {
      this.draining = false;
    }
  }

  private async runGroup(group: Waiting[]): Promise<void> {
    const root = new WorkingSet(this.store, undefined, this.heads);
    const replies: ({ reply: Reply } | { error: unknown })[] = [];
    for (const item of group) {
      try {
        replies.push({ reply: await this.runOne(root, item.job) });
      } catch (error) {
        replies.push({ error });
      }
    }
    let commitError: unknown;
    try {
      await this.store.commit(root.toBatch());
      root.publish();
    } catch (error) {
      commitError = error;
      // What the cache holds may be what failed to commit: read the store afresh.
      this.heads.clear();
    }
    group.forEach((item, index) => {
      if (item.job.idempotency !== undefined) this.claimed.delete(claimName(item.job.idempotency));
      const done = replies[index];
      if (commitError !== undefined) item.reject(commitError);
      else if (done !== undefined && 'reply' in done) item.resolve(done.reply);
      else item.reject(done?.error ?? new PaydocError('internal', 'the request was lost'));
    });
  }

  private async runOne(root: WorkingSet, job: Job<unknown>): Promise<Reply> {
    const claim = job.idempotency;
    if (claim !== undefined) {
      const stored = await root.idempotency(claim.accountId, claim.key);
      if (stored !== undefined) {
        if (stored.requestHash === claim.requestHash)
          return { statusCode: stored.statusCode, body: stored.response };
        return job.respond(
          failure(
            'idempotency_key_reused',
            'this Idempotency-Key was used with a different request; use a new key',
            'Idempotency-Key',
          ),
        );
      }
    }
    // Time only moves forward, so entries of one timeline never go back in time.
    const at = Math.max(this.clock(), this.lastAt);
    this.lastAt = at;
    const child = root.fork();
    const outcome = await job.work(child, at);
    const reply = job.respond(outcome);
    // A failed request keeps none of its writes, only its answer for the key.
    const kept = outcome.ok ? child : root.fork();
    if (claim !== undefined && reply.statusCode < 500)
      kept.addIdempotency({
        ...claim,
        statusCode: reply.statusCode,
        response: reply.body,
        createdAt: at,
      });
    root.merge(kept);
    return reply;
  }
}

function claimName(claim: IdempotencyClaim): string {
  return `${claim.accountId} ${claim.key}`;
}
