import type { JsonObject, JsonValue } from '../model/json.js';
import type { ScriptLocation } from './script-position.js';

export type { ScriptLocation } from './script-position.js';

/**
 * What a step that asks for the clock (`Date.now()`, `new Date()`) is told instead, as the
 * processor knows it from the step's channel. Both are optional: without them the sandbox names
 * `event.timestamp` or `entry.timestamp` when the step's input has one.
 */
export interface ScriptClock {
  /** Where the step finds the time of what it handles: `entry.timestamp`, `event.deadline`. */
  source?: string;
  /** What the step runs on: "timeline channel `buyer`, whose event is the entry's message". */
  origin?: string;
}

/** Everything a JavaScript Code step sees (DESIGN.md §4.3). All values are plain JSON. */
export interface ScriptInput {
  /** The step's `code`: a strict-mode function body that must `return`. */
  code: string;
  /** Step name, for error messages. */
  stepName: string;
  /** What the channel delivered. */
  event: JsonValue;
  /** The whole timeline entry when the channel delivers only its message; else null. */
  entry: JsonValue;
  /** The document as the handler sees it now (its own earlier steps' patches applied). */
  document: JsonValue;
  /** Results of earlier steps of this handler, by step name. */
  steps: JsonObject;
  /** The contract (workflow) being run, as written in the document. */
  currentContract: JsonValue;
  /** What a refusal of the clock names (see {@link ScriptClock}). */
  clock?: ScriptClock;
}

/** Per-call limits. */
export interface ScriptLimits {
  /** CPU time for one step, ms (default 50). */
  cpuMs: number;
  /** Heap for one isolate, MB (default 64). */
  memoryMb: number;
}

export const DEFAULT_SCRIPT_LIMITS: ScriptLimits = { cpuMs: 50, memoryMb: 64 };

/**
 * What one call used, as far as the sandbox can tell; a caller that wants to know passes an
 * empty object and the sandbox fills it in. `cpuMs` is the CPU time the step's code ran in
 * the isolate (compiling excluded). It stays unset when the sandbox could not measure it (a
 * worker killed or crashed under the step). A `script_timeout` whose `cpuMs` reaches the limit
 * the call was given was the script's doing (it used its CPU time); one well below it was the
 * machine's (the step waited for a CPU while the wall clock ran).
 */
export interface ScriptUsage {
  cpuMs?: number;
}

/**
 * The outcome of one step. `script_error`: the guest threw or returned something that is not
 * JSON (a document-level rejection, deterministic); a stack overflow and the limits of string,
 * array and BigInt sizes are script errors guest code cannot catch. `script_memory`: the step
 * ran out of the isolate's memory (also beyond the guest's reach, always with the same message).
 * `script_timeout` (see {@link ScriptUsage} for whose fault it was) and `sandbox_unavailable`
 * are infrastructure failures: the event is rejected and may be retried. `budget_exceeded`:
 * the step ran all the CPU time it was given (see metered-sandbox.ts), the script's failure.
 *
 * `location`: where in the step's code (as the author wrote it) a script error is, when the
 * sandbox can tell: a syntax error, a refused construct, an error thrown from the step's code.
 * The message then starts with it (`line 3:7: TypeError: …`, script-position.ts).
 */
export type ScriptOutcome =
  | { ok: true; value: JsonValue }
  | { ok: false; code: ScriptFailureCode; message: string; location?: ScriptLocation };

export type ScriptFailureCode =
  'script_error' | 'script_timeout' | 'script_memory' | 'sandbox_unavailable' | 'budget_exceeded';

/** A place to run JavaScript Code steps: in-process isolated-vm, or a supervised child process. */
export interface Sandbox {
  /** Runs one step; when `usage` is given, fills in what the call used. */
  run(
    input: ScriptInput,
    limits?: Partial<ScriptLimits>,
    usage?: ScriptUsage,
  ): Promise<ScriptOutcome>;
  close(): Promise<void>;
}
