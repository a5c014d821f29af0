// Hardening the context once, at boot: no code generation from strings, no globals that are
// non-deterministic, shared or a way out, and every intrinsic frozen at the end.
import {
  apply,
  defineHidden,
  defineProperty,
  freeze,
  G,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  hasOwn,
  ObjectPrototype,
  ownKeys,
  RealArray,
  RealError,
  RealFunction,
  RealTypeError,
  setAdd,
  setHas,
} from './intrinsics.js';

/**
 * Intrinsics no longer reachable from the global object once their globals are replaced (the
 * real Function, Array, Promise constructors), which must be frozen all the same.
 */
export const hiddenIntrinsics: unknown[] = [];

/** A function that throws "`what` is not available in paydoc scripts[: hint]". */
export function unavailable(what: string, hint?: string): () => never {
  const message = `${what} is not available in paydoc scripts${hint ? `: ${hint}` : ''}`;
  // A plain function, not a method or an arrow, so that "new Function('…')" fails with the same
  // clear message rather than "… is not a constructor".
  const stub = function (): never {
    throw new RealError(message);
  };
  defineProperty(stub, 'name', { value: what });
  return stub;
}

/**
 * eval and every function constructor reachable from an instance's prototype are replaced by
 * stubs that throw; the stubs share the originals' prototypes so instanceof keeps working.
 */
export function blockCodeGeneration(): void {
  const functionConstructors: [object, string][] = [
    [RealFunction, 'Function'],
    [getPrototypeOf(async function () {}).constructor as object, 'AsyncFunction'],
    [getPrototypeOf(function* () {}).constructor as object, 'GeneratorFunction'],
    [getPrototypeOf(async function* () {}).constructor as object, 'AsyncGeneratorFunction'],
  ];
  const hint = 'code cannot be generated from strings';
  for (const [original, name] of functionConstructors) {
    const stub = unavailable(`${name}()`, hint);
    const prototype = (original as { prototype: object }).prototype;
    defineProperty(stub, 'prototype', { value: prototype, writable: false });
    defineProperty(prototype, 'constructor', {
      value: stub,
      writable: false,
      enumerable: false,
      configurable: true,
    });
    hiddenIntrinsics.push(original, stub);
  }
  defineHidden(G, 'Function', RealFunction.prototype.constructor);
  defineHidden(G, 'eval', unavailable('eval()', hint));
}

// Intl: its formatters read the clock when given no date and the host's locale otherwise.
// (Proxy goes too, in removeProxy, once nothing of the runtime's boot needs it.)
const REMOVED_GLOBALS = [
  'WebAssembly',
  'SharedArrayBuffer',
  'Atomics',
  'FinalizationRegistry',
  'WeakRef',
  'console',
  'Intl',
];
// RegExp's legacy static properties (RegExp.$1, lastMatch, …) carry state from one call to the next.
const REGEXP_STATICS = [
  'input',
  '$_',
  'lastMatch',
  '$&',
  'lastParen',
  '$+',
  'leftContext',
  '$`',
  'rightContext',
  "$'",
  '$1',
  '$2',
  '$3',
  '$4',
  '$5',
  '$6',
  '$7',
  '$8',
  '$9',
];

/** Removes the globals that are non-deterministic, shared or a way out. */
export function removeNondeterministicGlobals(): void {
  for (const name of REMOVED_GLOBALS) delete G[name];
  for (const name of REGEXP_STATICS) {
    try {
      delete (RegExp as unknown as Record<string, unknown>)[name];
    } catch {
      // not configurable in this V8: hardening freezes RegExp, which is the next best thing
    }
  }
  defineHidden(Math, 'random', unavailable('Math.random()', 'scripts must be deterministic'));
}

/** Proxy goes last: a length read through a trap could lie to the array guard (arrays.ts). */
export function removeProxy(): void {
  delete G.Proxy;
}

/**
 * Assigning a property that a frozen prototype has must still work on ordinary objects (the
 * "override mistake": with Error.prototype frozen, this.name = 'MyError' would throw).
 */
function allowOverride(target: object, key: string): void {
  const descriptor = getOwnPropertyDescriptor(target, key);
  if (descriptor === undefined || !hasOwn(descriptor, 'value') || descriptor.configurable !== true)
    return;
  const value: unknown = descriptor.value;
  defineProperty(target, key, {
    get: {
      [key]() {
        return value;
      },
    }[key],
    set: {
      [key](this: unknown, newValue: unknown) {
        if (this === target) {
          throw new RealTypeError(
            `Cannot assign to read only property ${String(key)} of a frozen intrinsic`,
          );
        }
        defineProperty(this, key, {
          value: newValue,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      },
    }[key],
    enumerable: descriptor.enumerable === true,
    configurable: false,
  });
}

export function allowOverrides(): void {
  for (const key of [
    'constructor',
    'toString',
    'valueOf',
    'toLocaleString',
    'hasOwnProperty',
    'isPrototypeOf',
    'propertyIsEnumerable',
  ]) {
    allowOverride(ObjectPrototype, key);
  }
  allowOverride(RealFunction.prototype, 'toString');
  allowOverride(RealArray.prototype, 'toString');
  for (const ErrorType of [
    Error,
    TypeError,
    RangeError,
    SyntaxError,
    ReferenceError,
    EvalError,
    URIError,
    AggregateError,
  ]) {
    for (const key of ['constructor', 'name', 'message', 'toString'])
      allowOverride(ErrorType.prototype, key);
  }
}

/** Freezes every object reachable from `roots` (properties, accessors and prototypes). */
export function hardenAll(roots: readonly unknown[]): void {
  const seen = new Set<unknown>();
  const pending = [...roots];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) continue;
    if (apply(setHas, seen, [value]) as boolean) continue;
    apply(setAdd, seen, [value]);
    freeze(value);
    pending.push(getPrototypeOf(value));
    for (const key of ownKeys(value)) {
      const descriptor = getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
      if (hasOwn(descriptor, 'value')) pending.push(descriptor.value);
      else pending.push(descriptor.get, descriptor.set);
    }
  }
}
