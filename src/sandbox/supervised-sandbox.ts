import type { PreparedCall, PreparedOutcome } from './script-call.js';
import { compileTimeoutMs, prepareCall, resolveLimits, toScriptOutcome } from './script-call.js';
import type { Sandbox, ScriptInput, ScriptLimits, ScriptOutcome, ScriptUsage } from './sandbox.js';
import { DEFAULT_SCRIPT_LIMITS } from './sandbox.js';
import { WorkerProcess } from './worker-process.js';
import type { ResultMessage } from './worker-protocol.js';

/** Options of {@link SupervisedSandbox}. */
export interface SupervisedSandboxOptions {
  /** Limits for calls that do not give their own (default {@link DEFAULT_SCRIPT_LIMITS}). */
  limits?: Partial<ScriptLimits>;
  /**
   * Worker processes (default 1). With two or more, a worker stuck on a hostile script does not
   * hold up the others: they keep answering while it is killed and restarted.
   */
  workers?: number;
  /**
   * Wall-clock time a step may take beyond its compile and CPU budgets before its worker is
   * killed (default 500 ms). It absorbs IPC, scheduling and isolate rebuild delays.
   */
  watchdogMarginMs?: number;
  /** Requests a worker may have queued beyond the one it is running (default 8). */
  pipelineDepth?: number;
  /**
   * Keep one extra worker started and idle (default true), so that replacing a killed or crashed
   * worker is immediate instead of waiting for a new process to boot (about 0.6 s with tsx).
   */
  spare?: boolean;
  /** Observes worker starts, watchdog kills and crashes, for logs and metrics. */
  onEvent?: (event: SupervisorEvent) => void;
}

/**
 * Something that happened to a worker process. `worker` is the slot index, -1 for the spare;
 * `startupMs` counts from the fork, so a promoted spare reports how long it took to boot, not
 * the (near zero) time it took to take over.
 */
export type SupervisorEvent =
  | { type: 'started'; worker: number; pid: number | undefined; startupMs: number }
  | { type: 'killed'; worker: number; pid: number | undefined; stepName: string; afterMs: number }
  | {
      type: 'exited';
      worker: number;
      pid: number | undefined;
      code: number | null;
      signal: string | null;
      stderr: string;
    };

/** Counters of a {@link SupervisedSandbox}. */
export interface SupervisedSandboxStats {
  /** Requests answered by a worker. */
  served: number;
  /** Requests waiting for a worker. */
  queued: number;
  /** Requests sent to a worker and not answered yet. */
  inFlight: number;
  /** Worker processes started, the first ones included. */
  starts: number;
  /** Workers killed by the watchdog. */
  watchdogKills: number;
  /** Workers that died on their own (crash, V8 abort) or never became ready. */
  crashes: number;
  /** Workers ready to take requests now. */
  readyWorkers: number;
  /** Whether a started, ready spare is waiting to replace a worker. */
  spareReady: boolean;
}

interface Pending {
  id: number;
  call: PreparedCall;
  limits: ScriptLimits;
  resolve: (outcome: ScriptOutcome) => void;
  /** Filled in with the CPU time the worker reports (nothing when it was killed or crashed). */
  usage: ScriptUsage | undefined;
  /** Times the request was handed to a worker. */
  attempts: number;
}

interface Slot {
  index: number;
  worker: WorkerProcess | undefined;
  /** When the current worker became ready for this slot; 0 while it is not. */
  readySince: number;
  /** Sent and unanswered, oldest first. The worker answers in order: [0] is the one running. */
  inFlight: Pending[];
  /** When inFlight[0] started running (when it was sent, or when its predecessor was answered). */
  headStartedAt: number;
  /** Consecutive starts that failed. */
  startFailures: number;
  /** Pause before the next start after failed ones. */
  timer: NodeJS.Timeout | undefined;
}

const DEFAULT_MARGIN_MS = 500;
// Deeper pipelines raise throughput (IPC latency is hidden) and cost nothing on a hang: what
// waits behind the culprit is re-queued.
const DEFAULT_PIPELINE_DEPTH = 32;
const STARTUP_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 2_000;
// After this many failed starts in a row with no worker ready, waiting requests are failed
// rather than left hanging; starting is still retried, with a growing pause.
const MAX_START_FAILURES = 3;
// A request that was in flight behind a crash is re-sent; beyond this it is failed, so that a
// worker that keeps dying cannot hold a request forever.
const MAX_ATTEMPTS = 4;
// A worker whose running step has taken this long is presumed busy or stuck: new requests go to
// another worker, or wait, rather than queue up behind it.
const BUSY_AFTER_MS = 10;

/**
 * Runs JavaScript Code steps in supervised child processes (DESIGN.md §5): each worker wraps an
 * {@link IsolateHost}; requests go over IPC and come back in order. A watchdog kills a worker
 * (SIGKILL) whose running step has not answered within its compile + CPU budget plus a margin
 * (isolated-vm cannot interrupt everything, and some allocations abort the whole process), fails
 * that step with `script_timeout` and starts a new worker.
 *
 * Requests that were queued in the killed worker behind the culprit had not started (a worker
 * runs one step at a time, in order), and steps are pure, so they are re-queued, not failed.
 * Requests wait in the supervisor's queue while workers restart.
 */
export class SupervisedSandbox implements Sandbox {
  private readonly defaults: ScriptLimits;
  private readonly marginMs: number;
  private readonly pipelineDepth: number;
  private readonly onEvent: ((event: SupervisorEvent) => void) | undefined;
  private readonly keepSpare: boolean;
  private readonly slots: Slot[];
  private spare: WorkerProcess | undefined;
  private spareTimer: NodeJS.Timeout | undefined;
  private spareFailures = 0;
  /** Waiting requests; entries before queueHead have been taken. */
  private queue: (Pending | undefined)[] = [];
  private queueHead = 0;
  private nextId = 1;
  private closed = false;
  private watchdog: NodeJS.Timeout | undefined;
  private watchdogAt = Infinity;
  private referenced = true;
  private readonly counters = { served: 0, starts: 0, watchdogKills: 0, crashes: 0 };

  constructor(options: SupervisedSandboxOptions = {}) {
    this.defaults = resolveLimits(options.limits, DEFAULT_SCRIPT_LIMITS);
    this.marginMs = Math.max(0, options.watchdogMarginMs ?? DEFAULT_MARGIN_MS);
    this.pipelineDepth = Math.max(1, Math.floor(options.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH));
    this.onEvent = options.onEvent;
    this.keepSpare = options.spare ?? true;
    const workers = Math.max(1, Math.floor(options.workers ?? 1));
    this.slots = Array.from({ length: workers }, (_, index) => ({
      index,
      worker: undefined,
      readySince: 0,
      inFlight: [],
      headStartedAt: 0,
      startFailures: 0,
      timer: undefined,
    }));
    for (const slot of this.slots) this.replaceWorker(slot);
    this.spawnSpare();
    this.updateReferenced();
  }

  /** Runs one step in a worker. Never rejects for anything the script does; see {@link ScriptOutcome}. */
  run(
    input: ScriptInput,
    limits?: Partial<ScriptLimits>,
    usage?: ScriptUsage,
  ): Promise<ScriptOutcome> {
    if (this.closed) return Promise.resolve(unavailable('the sandbox is closed'));
    let resolved: ScriptLimits;
    let call: PreparedCall;
    try {
      resolved = resolveLimits(limits, this.defaults);
      call = prepareCall(input);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve) => {
      const id = this.nextId;
      this.nextId += 1;
      this.queue.push({ id, call, limits: resolved, resolve, usage, attempts: 0 });
      if (this.hopeless()) this.failQueue('no sandbox worker could be started');
      else this.pump();
    });
  }

  /** Counters, for tests and metrics. */
  stats(): SupervisedSandboxStats {
    let inFlight = 0;
    let readyWorkers = 0;
    for (const slot of this.slots) {
      inFlight += slot.inFlight.length;
      if (slot.readySince > 0) readyWorkers += 1;
    }
    return {
      ...this.counters,
      queued: this.queue.length - this.queueHead,
      inFlight,
      readyWorkers,
      spareReady: this.spare?.ready === true,
    };
  }

  /** Process ids of the workers, by slot (for operators and tests). */
  workerPids(): (number | undefined)[] {
    return this.slots.map((slot) => slot.worker?.pid);
  }

  /** Process id of the spare worker, if one is started. */
  sparePid(): number | undefined {
    return this.spare?.pid;
  }

  /** Fails everything not yet answered with `sandbox_unavailable` and stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    if (this.spareTimer !== undefined) clearTimeout(this.spareTimer);
    this.failQueue('the sandbox is closed');
    const stopping: Promise<void>[] = [];
    for (const slot of this.slots) {
      for (const pending of slot.inFlight.splice(0))
        pending.resolve(unavailable('the sandbox is closed'));
      const worker = slot.worker;
      this.retire(slot);
      if (worker !== undefined) stopping.push(worker.stop(STOP_GRACE_MS));
    }
    if (this.spare !== undefined) stopping.push(this.spare.stop(STOP_GRACE_MS));
    this.spare = undefined;
    await Promise.all(stopping);
  }

  // --- Dispatch --------------------------------------------------------------------------------

  private pump(): void {
    const now = Date.now();
    while (this.queueHead < this.queue.length) {
      const slot = this.pickSlot(now);
      if (slot === undefined) break;
      const pending = this.queue[this.queueHead];
      this.queue[this.queueHead] = undefined;
      this.queueHead += 1;
      if (pending !== undefined) this.dispatch(slot, pending, now);
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    this.updateReferenced();
  }

  /** The ready worker with the least work that is not busy with a slow step, if any. */
  private pickSlot(now: number): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.readySince === 0 || slot.inFlight.length > this.pipelineDepth) continue;
      if (slot.inFlight.length > 0 && now - slot.headStartedAt > BUSY_AFTER_MS) continue;
      if (best === undefined || slot.inFlight.length < best.inFlight.length) best = slot;
    }
    return best;
  }

  private dispatch(slot: Slot, pending: Pending, now: number): void {
    const worker = slot.worker;
    if (worker === undefined) {
      this.requeue([pending]);
      return;
    }
    pending.attempts += 1;
    if (slot.inFlight.length === 0) slot.headStartedAt = now;
    slot.inFlight.push(pending);
    worker.send({ type: 'run', id: pending.id, call: pending.call, limits: pending.limits });
    if (slot.inFlight.length === 1) this.armWatchdog(this.deadline(slot));
  }

  private onResult(slot: Slot, message: ResultMessage): void {
    const index = slot.inFlight.findIndex((pending) => pending.id === message.id);
    if (index === -1) return;
    const [pending] = slot.inFlight.splice(index, 1);
    if (index === 0 && slot.inFlight.length > 0) {
      slot.headStartedAt = Date.now();
      this.armWatchdog(this.deadline(slot));
    }
    this.counters.served += 1;
    if (pending?.usage !== undefined && message.cpuMs !== undefined)
      pending.usage.cpuMs = message.cpuMs;
    pending?.resolve(parseOutcome(message.outcome));
    this.pump();
  }

  /** Puts requests back at the front of the queue, in their order; those tried too often fail. */
  private requeue(requests: Pending[]): void {
    const retry: Pending[] = [];
    for (const pending of requests) {
      if (pending.attempts >= MAX_ATTEMPTS) {
        pending.resolve(
          unavailable('the sandbox worker kept failing while this step waited for it'),
        );
      } else {
        retry.push(pending);
      }
    }
    if (retry.length === 0) return;
    this.queue = [...retry, ...this.waiting()];
    this.queueHead = 0;
  }

  private waiting(): Pending[] {
    return this.queue.slice(this.queueHead).filter((pending) => pending !== undefined);
  }

  private failQueue(reason: string): void {
    const waiting = this.waiting();
    this.queue = [];
    this.queueHead = 0;
    for (const pending of waiting) pending.resolve(unavailable(reason));
  }

  /** True when no worker is ready and every one has failed to start several times in a row. */
  private hopeless(): boolean {
    return this.slots.every(
      (slot) => slot.readySince === 0 && slot.startFailures >= MAX_START_FAILURES,
    );
  }

  // --- Watchdog --------------------------------------------------------------------------------

  private budgetMs(limits: ScriptLimits): number {
    return compileTimeoutMs(limits) + limits.cpuMs + this.marginMs;
  }

  private deadline(slot: Slot): number {
    const head = slot.inFlight[0];
    return head === undefined ? Infinity : slot.headStartedAt + this.budgetMs(head.limits);
  }

  private armWatchdog(at: number): void {
    if (this.closed || at === Infinity || at >= this.watchdogAt) return;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdogAt = at;
    this.watchdog = setTimeout(
      () => {
        this.watchdog = undefined;
        this.watchdogAt = Infinity;
        // Let pending IPC messages in first (the poll phase runs before setImmediate): an answer
        // that is already here must not be mistaken for a hang because our own loop was late.
        setImmediate(() => this.checkDeadlines());
      },
      Math.max(0, at - Date.now()),
    );
  }

  private checkDeadlines(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const slot of this.slots) {
      if (slot.worker !== undefined && slot.inFlight.length > 0 && this.deadline(slot) <= now) {
        this.killStuck(slot, now);
      }
    }
    for (const slot of this.slots) this.armWatchdog(this.deadline(slot));
  }

  private killStuck(slot: Slot, now: number): void {
    const worker = slot.worker;
    const [head, ...behind] = slot.inFlight.splice(0);
    if (worker === undefined || head === undefined) return;
    const afterMs = now - slot.headStartedAt;
    this.retire(slot);
    worker.kill();
    this.counters.watchdogKills += 1;
    this.emit({
      type: 'killed',
      worker: slot.index,
      pid: worker.pid,
      stepName: head.call.stepName,
      afterMs,
    });
    head.resolve({
      ok: false,
      code: 'script_timeout',
      message: `step did not finish within ${this.budgetMs(head.limits)} ms; its sandbox worker was killed and restarted`,
    });
    this.requeue(behind);
    this.replaceWorker(slot);
    this.pump();
  }

  // --- Worker life cycle -----------------------------------------------------------------------

  /** Gives the slot a worker: the spare if there is one (ready or still starting), else a new one. */
  private replaceWorker(slot: Slot): void {
    if (this.closed) return;
    const spare = this.spare;
    if (spare !== undefined) {
      this.spare = undefined;
      slot.worker = spare;
      spare.setReferenced(this.referenced);
      if (spare.ready) this.onSlotReady(slot, spare);
      this.spawnSpare();
      return;
    }
    slot.worker = this.fork();
  }

  private spawnSpare(): void {
    if (this.closed || !this.keepSpare || this.spare !== undefined || this.spareTimer !== undefined)
      return;
    this.spare = this.fork();
    // An idle spare never keeps the process alive.
    this.spare.setReferenced(false);
  }

  private fork(): WorkerProcess {
    this.counters.starts += 1;
    const worker = new WorkerProcess(
      {
        onReady: () => {
          const slot = this.slotOf(worker);
          if (slot !== undefined) this.onSlotReady(slot, worker);
          else if (worker === this.spare) this.spareFailures = 0;
        },
        onResult: (message) => {
          const slot = this.slotOf(worker);
          if (slot !== undefined) this.onResult(slot, message);
        },
        onExit: (code, signal) => {
          const slot = this.slotOf(worker);
          if (slot !== undefined) this.onWorkerDied(slot, worker, code, signal);
          else if (worker === this.spare) this.onSpareDied(worker, code, signal);
        },
      },
      { startupTimeoutMs: STARTUP_TIMEOUT_MS },
    );
    worker.setReferenced(this.referenced);
    return worker;
  }

  private slotOf(worker: WorkerProcess): Slot | undefined {
    return this.slots.find((slot) => slot.worker === worker);
  }

  private onSlotReady(slot: Slot, worker: WorkerProcess): void {
    slot.startFailures = 0;
    slot.readySince = Date.now();
    this.emit({
      type: 'started',
      worker: slot.index,
      pid: worker.pid,
      startupMs: slot.readySince - worker.spawnedAt,
    });
    this.pump();
  }

  private onWorkerDied(
    slot: Slot,
    worker: WorkerProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    const wasReady = slot.readySince > 0;
    const [head, ...behind] = slot.inFlight.splice(0);
    this.retire(slot);
    this.counters.crashes += 1;
    const stderr = worker.stderrTail();
    this.emit({ type: 'exited', worker: slot.index, pid: worker.pid, code, signal, stderr });
    if (head !== undefined) head.resolve(crashOutcome(code, signal, stderr));
    this.requeue(behind);
    if (this.closed) return;
    if (!wasReady) slot.startFailures += 1;
    if (this.hopeless()) this.failQueue(`no sandbox worker could be started: ${lastLine(stderr)}`);
    if (slot.startFailures === 0) {
      this.replaceWorker(slot);
    } else {
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        if (slot.worker === undefined) this.replaceWorker(slot);
      }, backoffMs(slot.startFailures));
      slot.timer.unref();
    }
    this.pump();
  }

  private onSpareDied(
    worker: WorkerProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    this.spare = undefined;
    this.counters.crashes += 1;
    this.emit({
      type: 'exited',
      worker: -1,
      pid: worker.pid,
      code,
      signal,
      stderr: worker.stderrTail(),
    });
    if (this.closed) return;
    this.spareFailures += 1;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined;
      this.spawnSpare();
    }, backoffMs(this.spareFailures));
    this.spareTimer.unref();
  }

  /** Detaches the slot from its worker, so that nothing the old process still says counts. */
  private retire(slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.worker = undefined;
    slot.readySince = 0;
  }

  /** Workers keep the event loop alive only while there is work, so an idle sandbox never holds a process open. */
  private updateReferenced(): void {
    const busy =
      this.queueHead < this.queue.length || this.slots.some((slot) => slot.inFlight.length > 0);
    if (busy === this.referenced) return;
    this.referenced = busy;
    for (const slot of this.slots) slot.worker?.setReferenced(busy);
  }

  private emit(event: SupervisorEvent): void {
    try {
      this.onEvent?.(event);
    } catch {
      // an observer's failure must not disturb the supervisor
    }
  }
}

function parseOutcome(outcome: PreparedOutcome): ScriptOutcome {
  try {
    return toScriptOutcome(outcome);
  } catch {
    return unavailable('the sandbox worker sent a malformed result');
  }
}

function unavailable(message: string): ScriptOutcome {
  return { ok: false, code: 'sandbox_unavailable', message };
}

/**
 * The running step's outcome when its worker died under it. V8 kills the process when a single
 * allocation cannot be satisfied (abort on out-of-memory, a fatal "invalid size" error on a
 * string or array too large to exist), which isolated-vm cannot turn into an error: that is the
 * memory limit. Anything else is an infrastructure failure.
 */
function crashOutcome(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): ScriptOutcome {
  const outOfMemory =
    signal === 'SIGABRT' ||
    code === 134 ||
    /out of memory|CALL_AND_RETRY_LAST|allocation failed|invalid size error|invalid array length/i.test(
      stderr,
    );
  if (outOfMemory) {
    return {
      ok: false,
      code: 'script_memory',
      message: 'step exhausted the sandbox memory; its sandbox worker was restarted',
    };
  }
  const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
  return unavailable(`the sandbox worker died (${how}) while running this step`);
}

function backoffMs(failures: number): number {
  return Math.min(250 * 2 ** (failures - 1), 5_000);
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
