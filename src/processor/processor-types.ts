import type { ErrorCode } from '../errors/error-code.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import type { Sandbox } from '../sandbox/sandbox.js';
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

export interface ProcessLimits {
  /** Gas for one event (channel matches, handlers, steps, patch and event bytes). */
  gas: number;
  /** Deliveries of triggered events and document updates for one incoming event. */
  cascade: number;
  /** CPU time for one JavaScript step, ms. */
  scriptCpuMs: number;
  /** Heap for the sandbox isolate, MB. */
  scriptMemoryMb: number;
}

export const DEFAULT_LIMITS: ProcessLimits = {
  gas: 10_000_000,
  cascade: 64,
  scriptCpuMs: 50,
  scriptMemoryMb: 64,
};

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
  | 'validation_failed'
  | 'terminated'
  | 'already_initialized'
  | 'unknown_channel'
>;

export type ProcessStatus =
  | { kind: 'ok' }
  | { kind: 'rejected'; code: RejectionCode; reason: string; step?: string; event?: JsonObject }
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
