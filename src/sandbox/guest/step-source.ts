// How a step body becomes the function the runtime compiles, shared by the guest (which
// compiles it with the Function constructor) and the host (which compiles the same source once
// more to learn where a syntax error is: the Function constructor does not say). Pure, so both
// sides can import it.
import { GUEST_GLOBALS } from '../guest-api.js';
import { BLUE_MODULE_PARAMETER, GUARD_PARAMETER, THROWN_PARAMETER } from './protocol.js';

/** The parameters of every compiled step: the guest globals, then the hidden ones. */
export const STEP_PARAMETERS: readonly string[] = [
  ...GUEST_GLOBALS,
  BLUE_MODULE_PARAMETER,
  GUARD_PARAMETER,
  THROWN_PARAMETER,
];

/**
 * The file name V8 gives step code in stack traces and syntax errors (a `sourceURL` comment:
 * the Function constructor takes no file name), so that the runtime can tell the step's
 * frames from its own.
 */
export const STEP_FILE = 'paydoc-step';

/**
 * Lines of the compiled function before the body's first: V8's `(function anonymous(…` and
 * `) {` (the Function constructor's wrapper, which {@link stepFunctionSource} writes the same
 * way) and the prologue line of {@link stepFunctionBody}.
 */
export const LINES_BEFORE_BODY = 3;

/** What the Function constructor is given as the body: strict, the prologue on a line of its own. */
export function stepFunctionBody(prologue: string, body: string): string {
  return `'use strict'; ${prologue}\n${body}\n//# sourceURL=${STEP_FILE}\n`;
}

/** The whole function as the Function constructor writes it, for a host-side compile. */
export function stepFunctionSource(prologue: string, body: string): string {
  return `(function anonymous(${STEP_PARAMETERS.join(',')}\n) {\n${stepFunctionBody(prologue, body)}\n})`;
}
