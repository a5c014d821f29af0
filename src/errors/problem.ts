import type { ErrorCode } from './error-code.js';

/** A place in a source file, 1-based. */
export interface SourcePosition {
  line: number;
  col: number;
}

/**
 * An expected failure, returned as a value: a document that does not load or validate,
 * an event that is rejected. `pointer` is the JSON pointer into the document where known.
 */
export interface Problem {
  code: ErrorCode;
  message: string;
  pointer?: string;
  position?: SourcePosition;
}

/** Formats a problem as `file:line:col: message` (the position part only when known). */
export function formatProblem(problem: Problem, file?: string): string {
  const where = problem.position ? `${problem.position.line}:${problem.position.col}` : '';
  const prefix = [file, where].filter((part) => part).join(':');
  const at =
    problem.pointer !== undefined && problem.pointer !== '' ? ` (at ${problem.pointer})` : '';
  return `${prefix ? `${prefix}: ` : ''}${problem.message}${at} [${problem.code}]`;
}
