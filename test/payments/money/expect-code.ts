import { expect } from 'vitest';
import type { ErrorCode } from '../../../src/errors/error-code.js';
import { PaydocError } from '../../../src/errors/paydoc-error.js';

/** Runs `action` and checks that it throws a PaydocError with `code` (and a message matching `message`). */
export function expectCode(action: () => unknown, code: ErrorCode, message?: RegExp): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(PaydocError);
  expect((thrown as PaydocError).code).toBe(code);
  if (message !== undefined) expect((thrown as PaydocError).message).toMatch(message);
}
