import type { JsonObject, JsonValue } from '../model/json.js';

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
 * The outcome of one step. `script_error`: the guest threw or returned something that is not
 * JSON (a document-level rejection, deterministic). `script_timeout`, `script_memory` and
 * `sandbox_unavailable` are infrastructure failures: the event is rejected and may be retried.
 */
export type ScriptOutcome =
  { ok: true; value: JsonValue } | { ok: false; code: ScriptFailureCode; message: string };

export type ScriptFailureCode =
  'script_error' | 'script_timeout' | 'script_memory' | 'sandbox_unavailable';

/** A place to run JavaScript Code steps: in-process isolated-vm, or a supervised child process. */
export interface Sandbox {
  run(input: ScriptInput, limits?: Partial<ScriptLimits>): Promise<ScriptOutcome>;
  close(): Promise<void>;
}
