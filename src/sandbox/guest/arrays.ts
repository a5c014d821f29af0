// Arrays too large for the heap fail cleanly. isolated-vm cannot stop some single huge
// allocations: new Array(1e8).fill(0) aborts the whole process, and several builtins over a
// huge array ignore the timeout. Arrays longer than what the heap could hold are refused up
// front (a memory failure, not a crash); the supervised child process remains the real defence
// against what this does not catch.
import { markMemoryError } from './guard.js';
import { hiddenIntrinsics } from './hardening.js';
import type { AnyFunction } from './intrinsics.js';
import {
  apply,
  construct,
  defineHidden,
  defineProperty,
  G,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  hasOwn,
  isArray,
  mathMax,
  mathMin,
  mathTrunc,
  member,
  ownKeys,
  RealArray,
  RealFunction,
  RealRangeError,
  RealTypeError,
  setHas,
} from './intrinsics.js';

let maxArrayLength = 0;

function memoryError(what: string): RangeError {
  const error = new RealRangeError(`${what} does not fit in the sandbox memory limit`);
  markMemoryError(error);
  return error;
}
function checkLength(length: number, what: string): void {
  if (length > maxArrayLength) throw memoryError(`${what} of ${length} elements`);
}

function PaydocArray(this: unknown, ...args: unknown[]): unknown[] {
  if (args.length === 1 && typeof args[0] === 'number') checkLength(args[0], 'an array');
  return construct(RealArray, args, new.target === undefined ? RealArray : new.target) as unknown[];
}

function toIntegerOrInfinity(value: unknown): number {
  const number = +(value as number);
  if (number !== number || number === 0) return 0;
  return mathTrunc(number);
}
function relativeIndex(value: unknown, length: number, fallback: number): number {
  if (value === undefined) return fallback;
  const relative = toIntegerOrInfinity(value);
  return relative < 0 ? mathMax(length + relative, 0) : mathMin(relative, length);
}

// A typed array's own (intrinsic, frozen) length getter cannot lie.
const typedArrayLength = (
  getOwnPropertyDescriptor(getPrototypeOf(Uint8Array.prototype), 'length') as PropertyDescriptor
).get;

function lengthOf(target: unknown, method: string): number {
  const object = Object(target) as object;
  if (!isArray(object)) {
    for (let owner: object | null = object; owner !== null; owner = getPrototypeOf(owner)) {
      const descriptor = getOwnPropertyDescriptor(owner, 'length');
      if (descriptor === undefined) continue;
      if (!hasOwn(descriptor, 'value') && descriptor.get !== typedArrayLength) {
        throw new RealTypeError(
          `${method} does not accept an array-like whose length is a getter in paydoc scripts`,
        );
      }
      break;
    }
  }
  const length = toIntegerOrInfinity(member(object, 'length'));
  checkLength(length, 'a list');
  return length;
}

function argumentList(list: unknown, method: string): void {
  if (
    list !== undefined &&
    list !== null &&
    (typeof list === 'object' || typeof list === 'function')
  )
    lengthOf(list, method);
}

const UNGUARDED: ReadonlySet<string> = new Set([
  'constructor',
  'fill',
  'keys',
  'values',
  'entries',
]);

/**
 * Replaces Array (and guards its methods, Function.prototype.apply, Reflect.apply and
 * Reflect.construct) for arrays longer than `maxLength`; returns the replacement, a root to
 * freeze. Proxy must be removed as well (hardening.ts): a trap could lie about a length.
 */
export function installArrayGuard(maxLength: number): AnyFunction {
  maxArrayLength = maxLength;
  defineProperty(PaydocArray, 'prototype', { value: RealArray.prototype, writable: false });
  defineProperty(PaydocArray, 'name', { value: 'Array' });
  defineProperty(PaydocArray, 'length', { value: 1 });
  for (const name of ['from', 'of', 'isArray'])
    defineHidden(PaydocArray, name, member(RealArray, name));
  defineProperty(PaydocArray, Symbol.species, {
    get: {
      [Symbol.species](this: unknown) {
        return this;
      },
    }[Symbol.species],
    configurable: true,
  });
  defineHidden(RealArray.prototype, 'constructor', PaydocArray);
  defineHidden(G, 'Array', PaydocArray);
  hiddenIntrinsics.push(RealArray);

  // Array.prototype.fill in JavaScript: the length is read once and checked, and the loop can
  // be interrupted by the timeout (the builtin cannot).
  defineHidden(
    RealArray.prototype,
    'fill',
    {
      fill(this: unknown, value: unknown, start: unknown, end: unknown) {
        if (this === undefined || this === null)
          throw new RealTypeError('Array.prototype.fill called on null or undefined');
        const target = Object(this) as Record<number, unknown>;
        const length = mathMin(
          mathMax(toIntegerOrInfinity((target as { length?: unknown }).length), 0),
          2 ** 53 - 1,
        );
        checkLength(length, 'an array');
        const last = relativeIndex(end, length, length);
        for (let index = relativeIndex(start, length, 0); index < last; index += 1)
          target[index] = value;
        return target;
      },
    }.fill,
  );

  // The same check in front of every other Array.prototype method and every way to spread an
  // array-like into an argument list: on a sparse array whose length was simply set to 1e8,
  // V8's sort, copyWithin, toSorted, with, fn.apply(…) and others crash the process or ignore
  // the timeout. A length read through a getter could differ between this check and the
  // builtin's own read, so array-likes with an accessor length are refused.
  for (const key of ownKeys(RealArray.prototype)) {
    if (typeof key !== 'string' || (apply(setHas, UNGUARDED, [key]) as boolean)) continue;
    const original = member(RealArray.prototype, key);
    if (typeof original !== 'function') continue;
    const label = `Array.prototype.${key}`;
    defineHidden(
      RealArray.prototype,
      key,
      {
        [key](this: unknown, ...args: unknown[]) {
          if (this === undefined || this === null)
            return apply(original as AnyFunction, this, args);
          lengthOf(this, label);
          return apply(original as AnyFunction, this, args);
        },
      }[key],
    );
  }
  const realFunctionApply = RealFunction.prototype.apply;
  defineHidden(
    RealFunction.prototype,
    'apply',
    {
      apply(this: unknown, thisArg: unknown, list: unknown) {
        argumentList(list, 'Function.prototype.apply');
        return apply(realFunctionApply, this, [thisArg, list]);
      },
    }.apply,
  );
  defineHidden(
    Reflect,
    'apply',
    {
      apply(target: AnyFunction, thisArg: unknown, list: ArrayLike<unknown>) {
        argumentList(list, 'Reflect.apply');
        return apply(target, thisArg, list);
      },
    }.apply,
  );
  defineHidden(
    Reflect,
    'construct',
    {
      construct(target: AnyFunction, list: ArrayLike<unknown>, ...newTarget: [AnyFunction?]) {
        argumentList(list, 'Reflect.construct');
        return construct(
          target as unknown as new (...args: unknown[]) => unknown,
          list,
          ...(newTarget as [AnyFunction]),
        );
      },
    }.construct,
  );
  return PaydocArray as unknown as AnyFunction;
}
