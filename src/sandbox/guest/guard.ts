// Failures that are not deterministic cannot be caught. How deep a step recurses before the
// stack overflows, and which allocation fails first, differ from one run to the next. Every
// catch and finally block of guest code starts with the guard (script-guard.ts rewrites the
// code), and so does every catch of this runtime: the first such error of a call poisons it;
// from then on every catch and finally rethrows it, and the call fails with it however it
// returns. The guard is a closure over this module: nothing guest code reaches resets it.
import {
  apply,
  freeze,
  getOwnPropertyDescriptor,
  hasOwn,
  setHas,
  stringStartsWith,
  weakSetAdd,
  weakSetHas,
} from './intrinsics.js';
import { ALLOCATION_FAILED, SIZE_LIMITS, STACK_OVERFLOW, TYPED_ARRAY_LENGTH } from './protocol.js';

/** The state of the running call; the entry point resets it before each call. */
export const guardState: {
  poisoned: boolean;
  poison: unknown;
  /**
   * What the promise executor's catch caught, recorded before it calls the guard: if that call
   * overflows the stack (and the Promise constructor swallows it), the call still ends with it.
   */
  lastCaught: unknown;
} = { poisoned: false, poison: undefined, lastCaught: undefined };

const SIZE_LIMIT_SET: ReadonlySet<string> = new Set(SIZE_LIMITS);
// Errors the runtime itself raises for memory (the array guard): they read as memory failures.
const memoryErrors = new WeakSet<object>();

/** Marks an error the runtime made as a memory failure. */
export function markMemoryError(error: object): void {
  apply(weakSetAdd, memoryErrors, [error]);
}

/** The message of an error object as its own data property (a getter is never run here). */
export function ownMessage(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const descriptor = getOwnPropertyDescriptor(error, 'message');
  return descriptor !== undefined &&
    hasOwn(descriptor, 'value') &&
    typeof descriptor.value === 'string'
    ? descriptor.value
    : undefined;
}

export function isMemoryFailure(error: unknown): boolean {
  return (
    (error !== null &&
      typeof error === 'object' &&
      (apply(weakSetHas, memoryErrors, [error]) as boolean)) ||
    ownMessage(error) === ALLOCATION_FAILED
  );
}

export function isUncatchable(error: unknown): boolean {
  if (isMemoryFailure(error)) return true;
  const message = ownMessage(error);
  return (
    message !== undefined &&
    (message === STACK_OVERFLOW ||
      (apply(setHas, SIZE_LIMIT_SET, [message]) as boolean) ||
      (apply(stringStartsWith, message, [TYPED_ARRAY_LENGTH]) as boolean))
  );
}

/** At the start of every catch block, with what it caught. */
export function caught(error: unknown): void {
  if (guardState.poisoned) throw guardState.poison;
  if (isUncatchable(error)) {
    // Inline, not a helper: one frame more could overflow the stack where this one did not.
    guardState.poisoned = true;
    guardState.poison = error;
    throw error;
  }
}

/**
 * At the start of every finally block, with what the last catch of the call recorded: a catch
 * whose guard overflowed the stack once more recorded the error, and the finally must not let
 * it go (by a return, say).
 */
export function leaving(thrown: unknown): void {
  if (guardState.poisoned) throw guardState.poison;
  if (isUncatchable(thrown)) {
    guardState.poisoned = true;
    guardState.poison = thrown;
    throw thrown;
  }
}

/** What compiled steps receive as their guard parameter. */
export const guard = freeze({ __proto__: null, caught, leaving });
