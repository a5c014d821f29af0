import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import { multisigJsonForGuest, publicKeyFromWif } from './bitcoin-host.js';
import type { GuestRuntime } from './guest-runtime.js';
import { GUEST_RESULT_TAGS, guestRuntimeSource, uncatchableKind } from './guest-runtime.js';
import type { PreparedCall, PreparedOutcome } from './script-call.js';
import { compileTimeoutMs, prepareCall, resolveLimits, toScriptOutcome } from './script-call.js';
import { prepareScript } from './script-source.js';
import type { PreparedScript } from './script-source.js';
import type { ScriptLocation, ScriptLocator } from './script-position.js';
import { endOf, locationPrefix } from './script-position.js';
import type { Sandbox, ScriptInput, ScriptLimits, ScriptOutcome, ScriptUsage } from './sandbox.js';
import { DEFAULT_SCRIPT_LIMITS } from './sandbox.js';
import { LINES_BEFORE_BODY, STEP_FILE, stepFunctionSource } from './guest/step-source.js';
import type { JsonValue } from '../model/json.js';
import { blueId } from '../model/blue-id.js';
import { readAuthorView } from '../model/read-author-view.js';

/** Options of {@link IsolateHost}. */
export interface IsolateHostOptions {
  /** Limits for calls that do not give their own (default {@link DEFAULT_SCRIPT_LIMITS}). */
  limits?: Partial<ScriptLimits>;
  /** Compiled scripts kept, least recently used dropped first (default 1000). */
  maxCachedScripts?: number;
  /**
   * Called when isolated-vm reports that V8 lost control of the isolate. The isolate is
   * discarded and rebuilt either way; a supervised worker exits here instead.
   */
  onCatastrophicError?: (message: string) => void;
}

/** Counters of an {@link IsolateHost}. */
export interface IsolateHostStats {
  /** Calls run (including those that failed). */
  calls: number;
  /** Scripts compiled; a cache hit does not count. */
  compiles: number;
  /** Scripts in the compile cache now. */
  cachedScripts: number;
  /** Isolates built: the first one, and one after each timeout, out-of-memory or failure. */
  isolatesCreated: number;
}

/**
 * A compiled step (with the way back from its compiled positions to the author's), or why it
 * does not compile (and where, when known).
 */
type CacheEntry =
  { id: number; locate: ScriptLocator } | { error: string; location?: ScriptLocation };

interface IsolateState {
  isolate: ivm.Isolate;
  memoryMb: number;
  compile: ivm.Reference<GuestRuntime['compile']>;
  invoke: ivm.Reference<GuestRuntime['invoke']>;
  release: ivm.Reference<GuestRuntime['release']>;
  /** sha256 of the code → compiled step; Map order is least recently used first. */
  cache: Map<string, CacheEntry>;
  /** The code of the last call and its entry (a fast path in front of the cache). */
  lastCode: string | undefined;
  lastEntry: CacheEntry | undefined;
  broken: boolean;
}

const MAX_CODE_CHARS = 1_000_000;
// Bootstrapping hardens every intrinsic; generous, since it runs once per isolate.
const BOOTSTRAP_TIMEOUT_MS = 5_000;
// Longest array a guest may create: one that would fill a sixteenth of the heap. Beyond that
// isolated-vm may abort the process instead of reporting out-of-memory (see guest/arrays.ts).
const ARRAY_LENGTH_PER_MB = (1024 * 1024) / 16;

/**
 * Runs JavaScript Code steps in this process, in one long-lived isolated-vm isolate with one
 * hardened context (DESIGN.md §5). Each script is compiled once, cached by the sha256 of its
 * code; a call passes JSON text in and gets JSON text out.
 *
 * Calls run synchronously on the calling thread. A timeout or out-of-memory discards the
 * isolate and the next call builds a new one. isolated-vm cannot stop everything a hostile
 * script can do (some allocations hang or abort the process): servers should use
 * {@link SupervisedSandbox}, which runs this host in a child process it can kill.
 */
export class IsolateHost implements Sandbox {
  private readonly defaults: ScriptLimits;
  private readonly maxCachedScripts: number;
  private readonly onCatastrophicError: ((message: string) => void) | undefined;
  private state: IsolateState | undefined;
  private hostDocument: JsonValue | undefined;
  private nextId = 1;
  private closed = false;
  private readonly counters = { calls: 0, compiles: 0, isolatesCreated: 0 };

  constructor(options: IsolateHostOptions = {}) {
    this.defaults = resolveLimits(options.limits, DEFAULT_SCRIPT_LIMITS);
    this.maxCachedScripts = Math.max(1, options.maxCachedScripts ?? 1000);
    this.onCatastrophicError = options.onCatastrophicError;
  }

  /** Runs one step. Never rejects for anything the script does; see {@link ScriptOutcome}. */
  run(
    input: ScriptInput,
    limits?: Partial<ScriptLimits>,
    usage?: ScriptUsage,
  ): Promise<ScriptOutcome> {
    try {
      return Promise.resolve(this.runSync(input, limits, usage));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@link run}, synchronously.
   *
   * @throws RangeError when `limits` are not valid.
   */
  runSync(input: ScriptInput, limits?: Partial<ScriptLimits>, usage?: ScriptUsage): ScriptOutcome {
    // In process the guest reads the document through readForGuest: only what a step asks for
    // is serialised, never the whole document.
    this.hostDocument = input.document;
    try {
      return toScriptOutcome(
        this.runPrepared(
          { ...prepareCall({ ...input, document: null }), documentJson: '' },
          limits,
          usage,
        ),
      );
    } finally {
      this.hostDocument = undefined;
    }
  }

  /** `document(pointer)` for the running in-process step: the author's view as JSON ('' when absent). */
  private readForGuest(pointer: string): string {
    const value = readAuthorView(this.hostDocument ?? null, pointer);
    return value === undefined ? '' : JSON.stringify(value);
  }

  /**
   * Runs one step whose inputs are already JSON text, and leaves its value as JSON text: the
   * supervised worker's entry point, which never parses what it only passes along.
   *
   * @throws RangeError when `limits` are not valid.
   */
  runPrepared(
    call: PreparedCall,
    limits?: Partial<ScriptLimits>,
    usage?: ScriptUsage,
  ): PreparedOutcome {
    const resolved = resolveLimits(limits, this.defaults);
    this.counters.calls += 1;
    if (this.closed)
      return { ok: false, code: 'sandbox_unavailable', message: 'the sandbox is closed' };
    if (call.code.length > MAX_CODE_CHARS) {
      return {
        ok: false,
        code: 'script_error',
        message: `code is longer than ${MAX_CODE_CHARS} characters`,
      };
    }
    let state: IsolateState;
    try {
      state = this.ensureIsolate(resolved.memoryMb);
    } catch (error) {
      return {
        ok: false,
        code: 'sandbox_unavailable',
        message: `cannot start the sandbox: ${messageOf(error)}`,
      };
    }
    const compiled = this.compiled(state, call.code, resolved);
    if ('ok' in compiled) return compiled;
    if ('error' in compiled) {
      // It never ran.
      if (usage !== undefined) usage.cpuMs = 0;
      return {
        ok: false,
        code: 'script_error',
        message: compiled.error,
        ...(compiled.location === undefined ? {} : { location: compiled.location }),
      };
    }

    let tagged: string;
    // isolated-vm's timeout runs on the wall clock; the isolate's CPU time says how much of it
    // the step actually ran (see ScriptUsage).
    const cpuBefore = state.isolate.cpuTime;
    try {
      tagged = state.invoke.applySync(
        undefined,
        [
          compiled.id,
          call.argsJson,
          call.documentJson,
          call.contractJson,
          call.clock.source ?? '',
          call.clock.origin ?? '',
        ],
        {
          timeout: resolved.cpuMs,
        },
      );
    } catch (error) {
      if (usage !== undefined) measureCpu(state, cpuBefore, usage);
      return this.failure(state, error, resolved, resolved.cpuMs);
    }
    if (usage !== undefined) measureCpu(state, cpuBefore, usage);
    const rest = tagged.slice(1);
    switch (tagged[0]) {
      case GUEST_RESULT_TAGS.value:
        return { ok: true, valueJson: rest };
      case GUEST_RESULT_TAGS.memory:
        // The heap is full of the step's garbage: the next call (a retry) gets a fresh one.
        this.discard();
        return { ok: false, code: 'script_memory', message: memoryMessage(resolved) };
      case GUEST_RESULT_TAGS.located:
        return locatedError(rest, compiled.locate);
      default:
        return { ok: false, code: 'script_error', message: rest };
    }
  }

  /** Counters, for tests and metrics. */
  stats(): IsolateHostStats {
    return { ...this.counters, cachedScripts: this.state?.cache.size ?? 0 };
  }

  /** Disposes the isolate; later calls fail with `sandbox_unavailable`. */
  close(): Promise<void> {
    this.closed = true;
    this.discard();
    return Promise.resolve();
  }

  private ensureIsolate(memoryMb: number): IsolateState {
    const current = this.state;
    if (current !== undefined && !current.broken && !current.isolate.isDisposed) {
      // One memory limit per isolate: a call asking for another one gets a new isolate.
      if (current.memoryMb === memoryMb) return current;
    }
    this.discard();
    const state = this.createIsolate(memoryMb);
    this.state = state;
    return state;
  }

  private createIsolate(memoryMb: number): IsolateState {
    const holder: { state?: IsolateState } = {};
    const isolate = new ivm.Isolate({
      memoryLimit: memoryMb,
      onCatastrophicError: (message: string) => {
        if (holder.state !== undefined) holder.state.broken = true;
        this.onCatastrophicError?.(message);
      },
    });
    try {
      const context = isolate.createContextSync();
      const runtime = context.evalClosureSync(
        guestRuntimeSource(),
        // In the order guest-runtime.ts's boot call reads them ($0…$4).
        [
          new ivm.Callback(hostPublicKeyFromWif),
          Math.floor(memoryMb * ARRAY_LENGTH_PER_MB),
          new ivm.Callback((pointer: string) => this.readForGuest(pointer)),
          new ivm.Callback(multisigJsonForGuest),
          new ivm.Callback(blueIdForGuest),
        ],
        { result: { reference: true }, timeout: BOOTSTRAP_TIMEOUT_MS },
      ) as ivm.Reference<GuestRuntime>;
      const state: IsolateState = {
        isolate,
        memoryMb,
        compile: runtime.getSync('compile', { reference: true }),
        invoke: runtime.getSync('invoke', { reference: true }),
        release: runtime.getSync('release', { reference: true }),
        cache: new Map(),
        lastCode: undefined,
        lastEntry: undefined,
        broken: false,
      };
      runtime.release();
      holder.state = state;
      this.counters.isolatesCreated += 1;
      return state;
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      throw error;
    }
  }

  /** The cached compiled script, compiling it on a miss; an outcome when compiling failed for lack of time or memory. */
  private compiled(
    state: IsolateState,
    code: string,
    limits: ScriptLimits,
  ): CacheEntry | PreparedOutcome {
    // Steps usually repeat: the same code string as last time skips hashing.
    if (code === state.lastCode && state.lastEntry !== undefined) return state.lastEntry;
    const hash = createHash('sha256').update(code).digest('base64');
    const cached = state.cache.get(hash);
    if (cached !== undefined) {
      state.cache.delete(hash);
      state.cache.set(hash, cached);
      state.lastCode = code;
      state.lastEntry = cached;
      return cached;
    }
    const entry = this.compile(state, code, limits);
    if ('ok' in entry) return entry;
    state.cache.set(hash, entry);
    if (state.cache.size > this.maxCachedScripts) this.evictOldest(state);
    state.lastCode = code;
    state.lastEntry = entry;
    return entry;
  }

  private compile(
    state: IsolateState,
    code: string,
    limits: ScriptLimits,
  ): CacheEntry | PreparedOutcome {
    const prepared = prepareScript(code);
    if (!prepared.ok) return refusal(prepared.message, prepared.location);
    const id = this.nextId;
    this.nextId += 1;
    const timeout = compileTimeoutMs(limits);
    let problem: string;
    try {
      problem = state.compile.applySync(undefined, [id, prepared.prologue, prepared.body], {
        timeout,
      });
    } catch (error) {
      return this.failure(state, error, limits, timeout);
    }
    this.counters.compiles += 1;
    if (problem === '' && prepared.unreadable !== undefined) {
      // It compiles, but the guard could not be put in: it does not run.
      try {
        state.release.applySync(undefined, [id], { timeout: 100 });
      } catch {
        state.broken = true;
      }
      return refusal(
        `${prepared.unreadable} (the sandbox cannot read this code)`,
        prepared.unreadableLocation,
      );
    }
    const locate = prepared.locate ?? (() => undefined);
    if (problem === '') return { id, locate };
    return syntaxError(problem, syntaxErrorAt(state.isolate, prepared, locate));
  }

  private evictOldest(state: IsolateState): void {
    const oldest = state.cache.keys().next();
    if (oldest.done === true) return;
    const entry = state.cache.get(oldest.value);
    state.cache.delete(oldest.value);
    if (entry === state.lastEntry) {
      state.lastCode = undefined;
      state.lastEntry = undefined;
    }
    if (entry !== undefined && 'id' in entry) {
      try {
        state.release.applySync(undefined, [entry.id], { timeout: 100 });
      } catch {
        state.broken = true;
      }
    }
  }

  /**
   * A call that did not come back: out of memory, out of time, or the isolate broke. The
   * isolate is discarded in every case: after a timeout, work the script queued (promise jobs)
   * could still be pending and would run inside the next call.
   */
  private failure(
    state: IsolateState,
    error: unknown,
    limits: ScriptLimits,
    timeoutMs: number,
  ): PreparedOutcome {
    const message = messageOf(error);
    const outOfMemory = state.isolate.isDisposed || /memory limit/i.test(message);
    this.discard();
    const uncatchable = uncatchableKind(message);
    if (outOfMemory || uncatchable === 'memory')
      return { ok: false, code: 'script_memory', message: memoryMessage(limits) };
    if (uncatchable === 'error')
      return { ok: false, code: 'script_error', message: `RangeError: ${message}` };
    if (/timed out/i.test(message)) {
      return {
        ok: false,
        code: 'script_timeout',
        message: `step exceeded its time limit of ${timeoutMs} ms`,
      };
    }
    // isolated-vm's answer to a dynamic import() (script-guard.ts refuses the code before it
    // gets here; this is the fallback): the script's doing, not a broken sandbox.
    if (message === 'Not supported') {
      return {
        ok: false,
        code: 'script_error',
        message: 'the step used something the sandbox does not support (import())',
      };
    }
    return { ok: false, code: 'sandbox_unavailable', message: `sandbox failure: ${message}` };
  }

  private discard(): void {
    const state = this.state;
    this.state = undefined;
    if (state !== undefined && !state.isolate.isDisposed) state.isolate.dispose();
  }
}

/** One message for every memory failure: which allocation failed first differs between runs. */
function memoryMessage(limits: ScriptLimits): string {
  return `step exceeded the sandbox memory limit of ${limits.memoryMb} MB`;
}

/** Sets `usage.cpuMs` from the isolate's CPU clock (left unset if the isolate is gone). */
function measureCpu(state: IsolateState, before: bigint, usage: ScriptUsage): void {
  try {
    usage.cpuMs = Number(state.isolate.cpuTime - before) / 1e6;
  } catch {
    // disposed under the call (out of memory): unknown
  }
}

/**
 * `document('/x/blueId')` in a supervised worker, where the guest reads the document itself:
 * the node comes as JSON text, and the BlueId is the host's (model/blue-id.ts), as in process.
 */
function blueIdForGuest(nodeJson: unknown): string {
  if (typeof nodeJson !== 'string') throw new Error('blueId: expected the node as JSON text');
  return blueId(JSON.parse(nodeJson) as JsonValue);
}

/** The guest's `bitcoinjs.ECPair.fromWIF` lands here; whatever it throws is rethrown in the guest. */
function hostPublicKeyFromWif(wif: unknown): string {
  if (typeof wif !== 'string') throw new Error('invalid WIF private key: expected a string');
  return publicKeyFromWif(wif);
}

/**
 * A refusal of script-source.ts, whose message starts `line N: `: with its location known, it
 * reads `line N:C: ` as every other located script error does.
 */
function refusal(message: string, location: ScriptLocation | undefined): CacheEntry {
  if (location === undefined) return { error: message };
  return {
    error: locationPrefix(location) + message.replace(/^line \d+: /, ''),
    location,
  };
}

/** An error the guest located in the compiled function (`line:col:message`), as the author's. */
function locatedError(text: string, locate: ScriptLocator): PreparedOutcome {
  const match = /^(\d+):(\d+):/.exec(text);
  const message = match === null ? text : text.slice(match[0].length);
  const location =
    match === null ? undefined : locate(Number(match[1]) - LINES_BEFORE_BODY, Number(match[2]));
  if (location === undefined) return { ok: false, code: 'script_error', message };
  return { ok: false, code: 'script_error', message: locationPrefix(location) + message, location };
}

/**
 * Where a syntax error is, in the author's code: the body is compiled as a script once more,
 * exactly as the Function constructor wraps it (guest/step-source.ts), only to learn where V8
 * stopped, since the Function constructor reports no position. `end`: V8 blamed the wrapper's
 * own closing, which the author never wrote: the body ended too early, and the place is the
 * end of the code.
 */
function syntaxErrorAt(
  isolate: ivm.Isolate,
  prepared: PreparedScript & { ok: true },
  locate: ScriptLocator,
): { location: ScriptLocation; end: boolean } | undefined {
  try {
    isolate
      .compileScriptSync(stepFunctionSource(prepared.prologue, prepared.body), {
        filename: STEP_FILE,
      })
      .release();
  } catch (error) {
    const match = new RegExp(`\\[${STEP_FILE}:(\\d+):(\\d+)\\]$`).exec(messageOf(error));
    if (match === null) return undefined;
    const line = Number(match[1]) - LINES_BEFORE_BODY;
    // Before the body is the prologue, which the author did not write either.
    if (line < 1) return undefined;
    const location = locate(line, Number(match[2]));
    // Code that does not parse is compiled as written (script-guard.ts): its end is the author's.
    return location === undefined
      ? { location: endOf(prepared.body), end: true }
      : { location, end: false };
  }
  return undefined;
}

function syntaxError(
  message: string,
  at: { location: ScriptLocation; end: boolean } | undefined,
): CacheEntry {
  if (at === undefined) return { error: message };
  const { location } = at;
  // V8's message then is about the wrapper's closing parenthesis.
  const shown = at.end ? 'SyntaxError: Unexpected end of input' : message;
  return { error: locationPrefix(location) + shown, location };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
