import type { JsonObject } from '../model/json.js';
import type { ScriptLocation } from '../sandbox/sandbox.js';
import type { ProcessStatus, RejectionCode } from './processor-types.js';

/**
 * Where in the document a rejection points: `pointer`, the JSON pointer of what failed (a
 * JavaScript step's `code`), and `location`, the line:col in that code as its author wrote it.
 */
export interface RejectionPlace {
  pointer?: string;
  location?: ScriptLocation;
}

/** Unwinds one event's processing; turned into a `rejected` result (nothing changes). */
export class Rejection extends Error {
  constructor(
    readonly code: RejectionCode,
    readonly reason: string,
    readonly step?: string,
    readonly event?: JsonObject,
    readonly place?: RejectionPlace,
  ) {
    super(reason);
  }
}

/** The `rejected` status of a rejection. */
export function rejectedStatus(rejection: Rejection): ProcessStatus {
  const { place } = rejection;
  return {
    kind: 'rejected',
    code: rejection.code,
    reason: rejection.reason,
    ...(rejection.step !== undefined ? { step: rejection.step } : {}),
    ...(rejection.event !== undefined ? { event: rejection.event } : {}),
    ...(place?.pointer !== undefined ? { pointer: place.pointer } : {}),
    ...(place?.location !== undefined ? { location: place.location } : {}),
  };
}

/**
 * A rejection the error catalogue calls retryable: the sandbox failed for its own reasons (a
 * timeout under load, a lost worker), which says nothing about the document or the event.
 * Takes a stored status too (JSON read back from the store). Never what the document asked
 * for: a step that ran all of its CPU time is `budget_exceeded` (as is an event over any of
 * its budgets), a stack overflow a `script_error`, an oversized state `state_limit_exceeded`.
 * A memory failure is retried: the isolate's heap is shared by the calls it served, so the
 * first may be a previous call's garbage; the host rebuilds the isolate before the next try.
 */
export function isRetryableRejection(status: ProcessStatus | JsonObject): boolean {
  return (
    status.kind === 'rejected' &&
    (status.code === 'script_timeout' ||
      status.code === 'script_memory' ||
      status.code === 'sandbox_unavailable')
  );
}
