import { PaydocError } from '../errors/paydoc-error.js';
import type { Store } from '../store/store.js';
import type { WriteBatch } from '../store/store-records.js';
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
  /**
   * What the request touches first (its timeline, its charge, its poster): requests of one key
   * run one after another, in the order they came; requests of different keys run side by side.
   * Absent: the key `global`.
   */
  key?: string;
  /** Whose request it is (an account): lanes share the server fairly. Absent: the key. */
  lane?: string;
  /**
   * The request's reads and writes. It may run more than once (when what it read changed under
   * it, or its group's commit failed), so it keeps its effects in the set and only the last
   * run's outcome and `respond` count.
   */
  work: (set: WorkingSet, at: number) => Promise<Outcome<T>>;
  respond: (outcome: Outcome<T>) => Reply;
}

/** How one request of a batch ended before the commit: its reply, or what it threw. */
type Done = { reply: Reply } | { error: unknown };

interface Waiting {
  job: Job<unknown>;
  resolve: (reply: Reply) => void;
  reject: (error: unknown) => void;
}

/** The requests of one key, and whether a runner is working through them. */
interface KeyQueue {
  key: string;
  lane: string;
  waiting: Waiting[];
  running: boolean;
}

/** A batch of one key that ran and asks to join the next commit. */
interface Finished {
  set: WorkingSet;
  items: Waiting[];
  done: Done[];
  /** Resolves true once joined, false when its reads no longer hold (it runs again). */
  joined: (ok: boolean) => void;
}

/** Options of {@link CommitQueue}. */
export interface CommitQueueOptions {
  /** Requests per batch of one key at most (default 256). */
  maxGroup?: number;
  /** Requests waiting at most before new ones are refused with `overloaded` (default 10,000). */
  maxWaiting?: number;
  /** Keys of one lane running at once at most (default 4). */
  maxRunningPerLane?: number;
}

/** Runs of a batch whose reads changed under it before it runs alone (no one else running). */
const SPECULATIONS = 3;

/**
 * Every write goes through here. Requests are queued by key (a timeline, a charge, a poster) and
 * served by lane (an account), round-robin, a few keys of a lane at a time:
 *
 * - **Batches by key.** A key's runner takes every request waiting for it and runs them one
 *   after another against one working set (a fork of the set the next commit will write), so
 *   many entries on one busy timeline share a commit (group commit). Runners of different keys
 *   run side by side: one account's slow scripts or long workflows (waiting on the sandbox
 *   workers) hold up only its own keys, never another account's requests.
 * - **Joining a commit.** A finished batch joins the next commit only if everything it read
 *   from outside (document versions, timeline heads, who listens to a timeline, whether an
 *   email had an account) still holds there; otherwise it runs again from the new state,
 *   and after {@link SPECULATIONS} tries alone, once nothing else runs. So a batch's effects
 *   are those it would have had running after the batches committed before it.
 * - **Commits.** One loop joins finished batches and commits them in one transaction as soon as
 *   it has nothing more to join; a request is answered only after its commit returned, so every
 *   acknowledged request is durable.
 *
 * One request never fails the others:
 * - Before a request's writes join its batch they are checked ({@link WorkingSet.refusal}:
 *   everything they name exists, no unique key is taken); one that fails gets `store_conflict`
 *   alone and leaves nothing behind.
 * - If a commit fails all the same, nothing of it was written, and its requests are done again
 *   one at a time, each from a fresh working set on what the store holds and in a commit of
 *   its own. A request that read another's write is thus never answered from a write that did
 *   not happen. When the database cannot take writes at all (`storage_unavailable`, disk
 *   full), every request of that commit gets the error (503) instead.
 *
 * The committed heads of documents and timelines are cached across commits ({@link HeadCache}):
 * only a commit that succeeded publishes into it, and a failed one clears it.
 */
export class CommitQueue {
  private readonly keys = new Map<string, KeyQueue>();
  /** Each lane's keys that have requests waiting or running. */
  private readonly laneKeys = new Map<string, Set<KeyQueue>>();
  /** Requests waiting per lane (not yet taken into a batch). */
  private readonly laneWaiting = new Map<string, number>();
  /** Lanes with keys waiting for a runner, in round-robin order. */
  private readonly lanes: string[] = [];
  private readonly runningPerLane = new Map<string, number>();
  private readonly finished: Finished[] = [];
  private joinedSinceCommit: Finished[] = [];
  /** Committed heads of documents and timelines, kept across commits: this queue is their only writer. */
  private readonly heads = new HeadCache();
  /** What the next commit writes: the batches joined so far. */
  private next: WorkingSet;
  private readonly claimed = new Set<string>();
  private waitingCount = 0;
  /** Batches being run (a runner between two batches does not count). */
  private active = 0;
  /** A batch that ran too often while others committed runs alone: no other batch starts. */
  private exclusive = false;
  private committing = false;
  private lastAt = 0;
  private closed = false;
  private pending = 0;
  private idleResolve: (() => void) | undefined;
  private readonly maxGroup: number;
  private readonly maxWaiting: number;
  private readonly maxRunningPerLane: number;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    options: CommitQueueOptions = {},
  ) {
    this.maxGroup = options.maxGroup ?? 256;
    this.maxWaiting = options.maxWaiting ?? 10_000;
    this.maxRunningPerLane = options.maxRunningPerLane ?? 4;
    this.next = this.root();
  }

  private readonly listeners = new Set<(batch: WriteBatch) => void>();

  /**
   * Calls `listener` with every batch once it is durable (the webhook worker wakes on new
   * deliveries). A listener must not throw, and must not wait: it runs inside the commit path.
   */
  onCommit(listener: (batch: WriteBatch) => void): void {
    this.listeners.add(listener);
  }

  /** Queues a write; resolves with its reply once durable (or with the stored reply of a replay). */
  submit<T>(job: Job<T>): Promise<Reply> {
    const key = job.key ?? 'global';
    const lane = job.lane ?? key;
    const queue = this.keys.get(key);
    // One lane may fill at most a quarter of the queue: a flood from one account leaves room
    // for the others.
    const laneFull =
      (this.laneWaiting.get(lane) ?? 0) >= Math.max(1, Math.floor(this.maxWaiting / 4));
    if (this.closed || this.waitingCount >= this.maxWaiting || laneFull)
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
      const item: Waiting = { job: job as Job<unknown>, resolve, reject };
      const own = queue ?? { key, lane, waiting: [], running: false };
      if (queue === undefined) {
        this.keys.set(key, own);
        const keys = this.laneKeys.get(own.lane) ?? new Set();
        keys.add(own);
        this.laneKeys.set(own.lane, keys);
      }
      own.waiting.push(item);
      this.waitingCount += 1;
      this.laneWaiting.set(own.lane, (this.laneWaiting.get(own.lane) ?? 0) + 1);
      this.pending += 1;
      this.schedule();
    });
  }

  /** Stops taking writes and waits for those queued to be committed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => (this.idleResolve = resolve));
  }

  private root(): WorkingSet {
    return new WorkingSet(this.store, undefined, this.heads);
  }

  /** Starts runners for waiting keys, taking lanes in turn, a few keys per lane at most. */
  private schedule(): void {
    if (this.exclusive) return;
    for (const [lane, keys] of this.laneKeys)
      if (!this.lanes.includes(lane) && [...keys].some((queue) => !queue.running))
        this.lanes.push(lane);
    let started = true;
    while (started) {
      started = false;
      for (let turn = 0; turn < this.lanes.length; turn += 1) {
        const lane = this.lanes.shift() as string;
        const queue = this.idleKeyOf(lane);
        if (queue === undefined) continue;
        if ((this.runningPerLane.get(lane) ?? 0) >= this.maxRunningPerLane) {
          this.lanes.push(lane);
          continue;
        }
        this.lanes.push(lane);
        started = true;
        void this.runKey(queue);
      }
    }
  }

  private idleKeyOf(lane: string): KeyQueue | undefined {
    for (const queue of this.laneKeys.get(lane) ?? []) if (!queue.running) return queue;
    return undefined;
  }

  /** Works through a key's requests, a batch at a time, until none waits. */
  private async runKey(queue: KeyQueue): Promise<void> {
    queue.running = true;
    this.runningPerLane.set(queue.lane, (this.runningPerLane.get(queue.lane) ?? 0) + 1);
    try {
      while (queue.waiting.length > 0) {
        // The store answers synchronously (SQLite): without this turn of the event loop, the
        // requests waiting on sockets would never join a batch and each would pay its own fsync.
        // While a batch runs alone, the others wait here.
        do await new Promise<void>((resolve) => setImmediate(resolve));
        while (this.exclusive);
        const items = queue.waiting.splice(0, this.maxGroup);
        this.waitingCount -= items.length;
        this.laneWaiting.set(queue.lane, (this.laneWaiting.get(queue.lane) ?? 0) - items.length);
        await this.runBatch(items);
      }
    } finally {
      queue.running = false;
      this.runningPerLane.set(queue.lane, (this.runningPerLane.get(queue.lane) ?? 1) - 1);
      if (queue.waiting.length === 0) {
        this.keys.delete(queue.key);
        this.laneKeys.get(queue.lane)?.delete(queue);
        if (this.laneKeys.get(queue.lane)?.size === 0) {
          this.laneKeys.delete(queue.lane);
          this.laneWaiting.delete(queue.lane);
        }
      }
      this.schedule();
    }
  }

  /** Runs a batch until it joins a commit (its replies are given once that commit returned). */
  private async runBatch(items: Waiting[]): Promise<void> {
    for (let run = 1; ; run += 1) {
      const alone = run > SPECULATIONS;
      if (alone) await this.runAlone();
      else while (this.exclusive) await new Promise<void>((resolve) => setImmediate(resolve));
      this.active += 1;
      try {
        const set = this.next.trackedFork();
        const done: Done[] = [];
        for (const item of items) {
          try {
            done.push({ reply: await this.runOne(set, item.job) });
          } catch (error) {
            done.push({ error });
          }
        }
        const joined = await new Promise<boolean>((resolve) => {
          this.finished.push({ set, items, done, joined: resolve });
          void this.commitLoop();
        });
        if (joined) return;
      } finally {
        this.active -= 1;
        if (alone) {
          this.exclusive = false;
          this.schedule();
        }
      }
    }
  }

  /** Waits until this batch is the only one running, and keeps others from starting. */
  private async runAlone(): Promise<void> {
    // One batch at a time runs alone; one that waits for its turn counts as running for no one.
    while (this.exclusive) await new Promise<void>((resolve) => setImmediate(resolve));
    this.exclusive = true;
    while (this.active > 0 || this.committing || this.finished.length > 0)
      await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Joins finished batches and commits them, until nothing is left to join or commit. */
  private async commitLoop(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      for (;;) {
        while (this.finished.length > 0) await this.join(this.finished.shift() as Finished);
        if (this.joinedSinceCommit.length === 0) break;
        // One more turn: batches finishing now share this commit (and no more wait than that).
        await new Promise<void>((resolve) => setImmediate(resolve));
        while (this.finished.length > 0) await this.join(this.finished.shift() as Finished);
        await this.commit();
      }
    } finally {
      this.committing = false;
    }
    if (this.finished.length > 0) void this.commitLoop();
  }

  /** A finished batch joins the next commit if what it read still holds there. */
  private async join(batch: Finished): Promise<void> {
    const changed = await batch.set.changedIn(this.next);
    if (changed !== undefined) {
      batch.joined(false);
      return;
    }
    batch.set.rebase(this.next);
    this.next.merge(batch.set);
    this.joinedSinceCommit.push(batch);
    batch.joined(true);
  }

  private async commit(): Promise<void> {
    const batches = this.joinedSinceCommit;
    const set = this.next;
    this.joinedSinceCommit = [];
    this.next = this.root();
    const failed = await this.write(set);
    const items = batches.flatMap((batch) => batch.items);
    const done = batches.flatMap((batch) => batch.done);
    if (
      failed === undefined ||
      items.length === 1 ||
      (failed instanceof PaydocError && failed.code === 'storage_unavailable')
    ) {
      items.forEach((item, index) => this.settle(item, done[index], failed));
      return;
    }
    // Nothing of it was written: every request again, alone, from what the store holds.
    for (const item of items) await this.redoAlone(item);
  }

  /** One request in a commit of its own (after its commit with others failed). */
  private async redoAlone(item: Waiting): Promise<void> {
    const set = this.root();
    let done: Done;
    try {
      done = { reply: await this.runOne(set, item.job) };
    } catch (error) {
      done = { error };
    }
    this.settle(item, done, await this.write(set));
  }

  /** Commits a root set; answers what failed, if anything (then nothing of it was written). */
  private async write(set: WorkingSet): Promise<unknown> {
    try {
      const batch = set.toBatch();
      await this.store.commit(batch);
      set.publish();
      for (const listener of this.listeners) listener(batch);
      return undefined;
    } catch (error) {
      // What the cache holds may be what failed to commit: read the store afresh.
      this.heads.clear();
      return error;
    }
  }

  private settle(item: Waiting, done: Done | undefined, failed: unknown): void {
    if (item.job.idempotency !== undefined) this.claimed.delete(claimName(item.job.idempotency));
    if (failed !== undefined) item.reject(failed);
    else if (done !== undefined && 'reply' in done) item.resolve(done.reply);
    else item.reject(done?.error ?? new PaydocError('internal', 'the request was lost'));
    this.pending -= 1;
    if (this.pending === 0 && this.idleResolve !== undefined) {
      this.idleResolve();
      this.idleResolve = undefined;
    }
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
    // Rows that would break the group's commit fail this request alone, before they join it.
    const refusal = await kept.refusal();
    if (refusal !== undefined)
      throw new PaydocError('store_conflict', `the request cannot be committed: ${refusal}`);
    root.merge(kept);
    return reply;
  }
}

function claimName(claim: IdempotencyClaim): string {
  return `${claim.accountId} ${claim.key}`;
}
