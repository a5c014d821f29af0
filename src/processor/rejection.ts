import type { JsonObject } from '../model/json.js';
import type { ProcessStatus, RejectionCode } from './processor-types.js';

/** Unwinds one event's processing; turned into a `rejected` result (nothing changes). */
export class Rejection extends Error {
  constructor(
    readonly code: RejectionCode,
    readonly reason: string,
    readonly step?: string,
    readonly event?: JsonObject,
  ) {
    super(reason);
  }
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
