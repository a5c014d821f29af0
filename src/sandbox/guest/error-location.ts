// Where in the step's code an error was thrown: the top frame of the step's own code in the
// error's stack trace (frames of this runtime, which threw on the step's behalf, are skipped).
// V8 writes the stack the same way on every run of the same code, so the place is as
// deterministic as the message.
import { caught } from './guard.js';
import { apply, member, RealRegExp, regexpExec, stringIndexOf, stringSlice } from './intrinsics.js';
import { STEP_FILE } from './step-source.js';

// `    at f (paydoc-step:5:7)` or, for an anonymous function, `    at paydoc-step:5:7`. Anchored
// at the end: a function's name may hold anything, even a parenthesis.
const FRAME = new RealRegExp(`(?:\\(| at )${STEP_FILE}:(\\d+):(\\d+)\\)?$`);

function lineCount(text: string): number {
  let count = 1;
  for (
    let at = apply(stringIndexOf, text, ['\n']) as number;
    at !== -1;
    at = apply(stringIndexOf, text, ['\n', at + 1]) as number
  )
    count += 1;
  return count;
}

/**
 * `line:col` (of the compiled function) of the step's top frame in `error`'s stack, if it has
 * one. `message` is what the error says (message-of.ts): the stack starts with it, and lines
 * of the message, which the thrower chose, are not frames.
 */
export function stepFrame(error: unknown, message: string): string | undefined {
  if (error === null || (typeof error !== 'object' && typeof error !== 'function'))
    return undefined;
  let stack: unknown;
  try {
    // A getter of guest code may run here: what it throws passes the guard.
    stack = member(error, 'stack');
  } catch (inner) {
    caught(inner);
    return undefined;
  }
  if (typeof stack !== 'string') return undefined;
  let skip = lineCount(message);
  let start = 0;
  while (start <= stack.length) {
    const end = apply(stringIndexOf, stack, ['\n', start]) as number;
    const line = apply(stringSlice, stack, [start, end === -1 ? stack.length : end]) as string;
    if (skip > 0) skip -= 1;
    else {
      const match = apply(regexpExec, FRAME, [line]) as RegExpExecArray | null;
      if (match !== null) return `${match[1] ?? ''}:${match[2] ?? ''}`;
    }
    if (end === -1) break;
    start = end + 1;
  }
  return undefined;
}
