// Promises: an executor cannot swallow what the guard must see. The Promise constructor turns
// whatever its executor throws into a rejection: the executor runs behind the guard. (Async
// functions, which do the same, are refused by script-guard.ts.) Every promise is marked
// handled as it is made: a step is synchronous, nothing it returns may be a promise, and
// isolated-vm would fail the whole call over a rejection nobody handled as though the sandbox
// had broken. Subclasses are refused, so no guest code runs while a promise is made.
import { caught, guardState } from './guard.js';
import { hiddenIntrinsics } from './hardening.js';
import type { AnyFunction } from './intrinsics.js';
import {
  apply,
  construct,
  defineHidden,
  defineProperty,
  G,
  member,
  promiseThen,
  RealPromise,
  RealTypeError,
} from './intrinsics.js';

let markingHandled = false;
function ignoreRejection(): void {}

function PaydocPromise(this: unknown, executor: unknown): Promise<unknown> {
  if (new.target !== PaydocPromise) {
    throw new RealTypeError(
      new.target === undefined
        ? "Promise constructor cannot be invoked without 'new'"
        : 'Promise cannot be subclassed in paydoc scripts',
    );
  }
  if (typeof executor !== 'function')
    return construct(RealPromise, [executor], PaydocPromise) as Promise<unknown>;
  const promise = construct(
    RealPromise,
    [
      function (resolve: unknown, reject: unknown): unknown {
        try {
          return apply(executor as AnyFunction, undefined, [resolve, reject]);
        } catch (error) {
          // Recorded before the guard runs, and kept unless the guard passed it: a later
          // ordinary error must not hide one whose guard overflowed the stack (and was
          // swallowed with it).
          const earlier = guardState.lastCaught;
          guardState.lastCaught = error;
          caught(error);
          guardState.lastCaught = earlier;
          throw error;
        }
      },
    ],
    PaydocPromise,
  ) as Promise<unknown>;
  if (!markingHandled) {
    markingHandled = true;
    try {
      apply(promiseThen, promise, [undefined, ignoreRejection]);
    } finally {
      markingHandled = false;
    }
  }
  return promise;
}

/** Replaces Promise; returns nothing to freeze beyond the global (the original is hidden). */
export function installPromise(): void {
  defineProperty(PaydocPromise, 'prototype', { value: RealPromise.prototype, writable: false });
  defineProperty(PaydocPromise, 'name', { value: 'Promise' });
  defineProperty(PaydocPromise, 'length', { value: 1 });
  for (const name of ['all', 'allSettled', 'any', 'race', 'reject', 'resolve', 'withResolvers']) {
    const method = member(RealPromise, name);
    if (typeof method === 'function') defineHidden(PaydocPromise, name, method);
  }
  defineProperty(PaydocPromise, Symbol.species, {
    get: {
      [Symbol.species](this: unknown) {
        return this;
      },
    }[Symbol.species],
    configurable: true,
  });
  defineHidden(RealPromise.prototype, 'constructor', PaydocPromise);
  defineHidden(G, 'Promise', PaydocPromise);
  hiddenIntrinsics.push(RealPromise);
}
