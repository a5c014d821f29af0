import type { ErrorCode } from './error-code.js';
import type { Problem } from './problem.js';

/** An unexpected or unrecoverable failure. Carries a stable {@link ErrorCode}. */
export class PaydocError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, message: string, problems: readonly Problem[] = []) {
    super(message);
    this.name = 'PaydocError';
    this.code = code;
    this.problems = problems;
  }
}
