import type { ErrorCode } from '../errors/error-code.js';
import type { Problem } from '../errors/problem.js';
import type { JsonValue } from '../model/json.js';

/** An expected failure of a service operation: a stable code, a message, maybe the field. */
export interface ServiceError {
  code: ErrorCode;
  message: string;
  /** The request field at fault (a JSON pointer or a parameter name). */
  param?: string;
  problems?: readonly Problem[];
}

/** What a service operation gives back: a value, or an expected failure (never thrown). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ServiceError };

/** The HTTP answer to a request, as stored for an Idempotency-Key replay. */
export interface Reply {
  statusCode: number;
  body: JsonValue;
}

export function failure(
  code: ErrorCode,
  message: string,
  param?: string,
): { ok: false; error: ServiceError } {
  return { ok: false, error: { code, message, ...(param === undefined ? {} : { param }) } };
}
