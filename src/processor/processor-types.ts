import type { ErrorCode } from '../errors/error-code.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import type { Sandbox, ScriptLocation } from '../sandbox/sandbox.js';
import type { TypeRegistry } from '../types/type-registry.js';
import type { DocumentValidator } from '../validation/document-validator.js';

/**
 * What arrives at a document. Time always comes in with the event: the processor has no clock.
 * - `timeline`: a timeline entry (`{timeline: {timelineId}, message, timestamp, sequence?, …}`).
 * - `direct`: an event for one named channel without a public timeline (Internal Logic
 *   Channel, a REST API Channel without a proxy); `by` says who sent it and through what, as
 *   an entry's `actor` and `source` would (Actor Policy reads it).
 * - `timer`: the edge's clock says it is `timestamp`; due Timer Channels fire.
 * - `initialize`: the document is created (lifecycle).
 */
export type ProcessorEvent =
  | { kind: 'timeline'; entry: JsonObject; entryId?: string }
  | {
      kind: 'direct';
      channel: string;
      event: JsonObject;
      timestamp?: number;
      by?: { actor: JsonObject; source: string };
    }
  | { kind: 'timer'; timestamp: number }
  | { kind: 'initialize'; timestamp?: number };

/**
 * What one event may cost (one call of `processEvent`: the incoming event and everything it
 * cascades into). Beyond a budget the event is rejected with `budget_exceeded` (the cascade with
 * `cascade_limit`, gas with `gas_exhausted`), never retried: the document asked for too much,
 * and trying again would only cost as much again. A document may lower any of these but
 * `scriptMemoryMb` for itself with a `contracts.processingLimits` marker
 * (`{type: Core/Marker, steps: 32, eventCpuMs: 100, …}`, positive integers); a value above the
 * processor's own is ignored.
 */
export interface ProcessLimits {
  /** Gas for one event (channel matches, handlers, steps, patch and event bytes). */
  gas: number;
  /** Deliveries of triggered events and document updates for one incoming event. */
  cascade: number;
  /** CPU time for one JavaScript step, ms. */
  scriptCpuMs: number;
  /**
   * CPU time of all the JavaScript of one event (steps and `${}` expressions run in the
   * sandbox), ms. A step runs with the lesser of `scriptCpuMs` and what is left of this.
   */
  eventCpuMs: number;
  /** Workflow steps one event runs, of every kind. */
  steps: number;
  /** Bytes one event produces: the JSON of its patches (path and value) and emitted events. */
  outputBytes: number;
  /** Heap for the sandbox isolate, MB. */
  scriptMemoryMb: number;
}

/**
 * The processor's limits: a step may run 50 ms of CPU and an event 200 ms in all, over at most
 * 256 steps and 64 cascaded deliveries, producing at most 1 MiB of patches and events.
 */
export const DEFAULT_LIMITS: ProcessLimits = {
  gas: 10_000_000,
  cascade: 64,
  scriptCpuMs: 50,
  eventCpuMs: 200,
  steps: 256,
  outputBytes: 1024 * 1024,
  scriptMemoryMb: 64,
};

/** The limits a document may lower for itself (see {@link ProcessLimits}). */
export const DOCUMENT_LIMIT_KEYS = [
  'gas',
  'cascade',
  'scriptCpuMs',
  'eventCpuMs',
  'steps',
  'outputBytes',
] as const satisfies readonly (keyof ProcessLimits)[];

/** What the pure processor needs: the type library and the sandbox (both provided by the edge). */
export interface ProcessContext {
  registry: TypeRegistry;
  /** Runs JavaScript Code steps (and `${}` expressions beyond the built-in evaluator). */
  sandbox?: Sandbox;
  /** When given, the document must stay valid after every event. */
  validator?: DocumentValidator;
  limits?: Partial<ProcessLimits>;
}

/** A patch as applied (Blue semantics, after normalisation). */
export interface AppliedPatch {
  op: 'add' | 'replace' | 'remove';
  path: string;
  val?: JsonValue;
}

/** The codes a rejected event can carry (all in the one catalogue, src/errors/error-code.ts). */
export type RejectionCode = Extract<
  ErrorCode,
  | 'illegal_request'
  | 'actor_not_allowed'
  | 'script_error'
  | 'script_timeout'
  | 'script_memory'
  | 'sandbox_unavailable'
  | 'patch_invalid'
  | 'patch_forbidden'
  | 'expression_error'
  | 'invalid_event'
  | 'unknown_step'
  | 'cascade_limit'
  | 'gas_exhausted'
  | 'budget_exceeded'
  | 'state_limit_exceeded'
  | 'validation_failed'
  | 'terminated'
  | 'already_initialized'
  | 'unknown_channel'
  | 'boundary_violation'
>;

/**
 * A rejected status may say where in the document it points: `pointer`, the JSON pointer of a
 * failed JavaScript step's `code` in the whole document (embedded children included), and
 * `location`, the line:col in that code as its author wrote it, which the reason also starts
 * with (`step X: line 3:7: TypeError: …`). Only `paydoc run`, which has the file's text, turns
 * it into the file's line (cli/commands/run.ts).
 */
export type ProcessStatus =
  | { kind: 'ok' }
  | {
      kind: 'rejected';
      code: RejectionCode;
      reason: string;
      step?: string;
      event?: JsonObject;
      pointer?: string;
      location?: ScriptLocation;
    }
  | { kind: 'terminated'; cause: 'fatal' | 'graceful'; reason: string };

/** The outcome of one event. Rejected means `document` is the input, unchanged. */
export interface ProcessResult {
  document: JsonObject;
  patches: AppliedPatch[];
  emitted: JsonObject[];
  gas: number;
  status: ProcessStatus;
  /** Channels that saw the event but skipped it (duplicate or stale per their checkpoint). */
  skipped: string[];
}
