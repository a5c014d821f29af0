import type { JsonObject } from '../model/json.js';
import type { RejectionCode } from './processor-types.js';

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
