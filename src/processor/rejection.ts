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
 * Takes a stored status too (JSON read back from the store).
 */
export function isRetryableRejection(status: ProcessStatus | JsonObject): boolean {
  return (
    status.kind === 'rejected' &&
    (status.code === 'script_timeout' ||
      status.code === 'script_memory' ||
      status.code === 'sandbox_unavailable')
  );
}
