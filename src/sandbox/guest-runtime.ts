import { RESERVED_KEYS } from '../model/node.js';
import { GUEST_GLOBALS } from './guest-api.js';
import { GUARD_PARAMETER, THROWN_PARAMETER } from './script-guard.js';

/**
 * How the guest runtime reports one call back to the host: the first character tags the rest.
 * `V` + JSON text of the step's value; `E` + message of a script error; `M` (+ a message the
 * host does not show: a memory failure reads the same whichever allocation failed) for a
 * memory-limit failure detected inside the guest (an allocation V8 refused, or the array guard
 * below).
 */
export const GUEST_RESULT_TAGS = { value: 'V', error: 'E', memory: 'M' } as const;

/** The guest runtime's entry points, as the host holds them (through isolated-vm references). */
export interface GuestRuntime {
  /** Compiles a step body under `id`; returns '' on success, else the syntax error's message. */
  compile(id: number, prologue: string, body: string): string;
  /** Runs step `id`; returns a tagged result (see {@link GUEST_RESULT_TAGS}). */
  invoke(id: number, argsJson: string, documentJson: string, contractJson: string): string;
  /** Forgets step `id` (evicted from the host's cache). */
  release(id: number): void;
}

// The messages V8 gives the errors guest code cannot catch (see the guard in the runtime). The
// longest string, typed array and BigInt are V8's constants, but whether a step gets there
// before it runs out of memory is not: they go with the others. (An invalid array length is an
// argument error, the same on every run: it stays catchable.)
const STACK_OVERFLOW = 'Maximum call stack size exceeded';
const ALLOCATION_FAILED = 'Array buffer allocation failed';
const SIZE_LIMITS = ['Invalid string length', 'Maximum BigInt size exceeded'];
const TYPED_ARRAY_LENGTH = 'Invalid typed array length';

/**
 * How a call fails whose error guest code could not catch, from the error's message: `memory`
 * (script_memory), `error` (script_error `RangeError: <message>`), or undefined for any other
 * message. The host needs it where such an error reaches it past the runtime (isolated-vm fails
 * the call over a promise left rejected, which can happen when making the promise overflowed).
 */
export function uncatchableKind(message: string): 'memory' | 'error' | undefined {
  if (message === ALLOCATION_FAILED) return 'memory';
  if (
    message === STACK_OVERFLOW ||
    SIZE_LIMITS.includes(message) ||
    message.startsWith(TYPED_ARRAY_LENGTH)
  )
    return 'error';
  return undefined;
}

/**
 * Name of the hidden last parameter of every compiled step: the frozen `blue:` module object
 * that the `import … from 'blue:…'` lines are rewritten to read from.
 */
export const BLUE_MODULE_PARAMETER = '__paydocBlueModule';

// Longest accepted step result (JSON text) and its deepest nesting: documents are small, and
// whatever a step returns is later canonicalised, patched and stored by recursive host code.
const MAX_RESULT_CHARS = 4 * 1024 * 1024;
const MAX_RESULT_DEPTH = 256;
const MAX_MESSAGE_CHARS = 2000;

/**
 * Source of the guest runtime: a closure body for `context.evalClosureSync`, with `$0` the
 * host's WIF callback (a WIF in, its public key hex out), `$1` the longest array the guest may
 * create, `$2` the host's document reader and `$3` the host's multisig callback (two hex keys
 * in, the wallet as JSON text out). It hardens the context once (deterministic profile, no code generation from
 * strings, frozen intrinsics) and returns the three {@link GuestRuntime} functions.
 *
 * It is plain JavaScript in a string because it runs inside the isolate: it must not contain
 * backticks or dollar-brace sequences (this is a template literal).
 */
export const GUEST_RUNTIME_SOURCE = String.raw`
'use strict';
// The host's bitcoin callbacks (strings in and out): a WIF's public key, a 2-of-2 wallet.
const hostBitcoin = $0;
const hostMultisig = $3;
const maxArrayLength = $1;
// In process, document() reads through the host (no copy of the document crosses over);
// a supervised worker passes the document as JSON text instead.
const hostReadDocument = $2;

const GUEST_PARAMETERS = ${JSON.stringify(GUEST_GLOBALS)};
const DOCUMENT_INDEX = GUEST_PARAMETERS.indexOf('document');
const CONTRACT_INDEX = GUEST_PARAMETERS.indexOf('currentContract');
const BLUE_PARAMETER = ${JSON.stringify(BLUE_MODULE_PARAMETER)};
const GUARD_PARAMETER = ${JSON.stringify(GUARD_PARAMETER)};
const THROWN_PARAMETER = ${JSON.stringify(THROWN_PARAMETER)};
const RESERVED_KEYS = new Set(${JSON.stringify([...RESERVED_KEYS])});
const MAX_RESULT_CHARS = ${MAX_RESULT_CHARS};
const MAX_RESULT_DEPTH = ${MAX_RESULT_DEPTH};
const MAX_MESSAGE_CHARS = ${MAX_MESSAGE_CHARS};
const TAG_VALUE = ${JSON.stringify(GUEST_RESULT_TAGS.value)};
const TAG_ERROR = ${JSON.stringify(GUEST_RESULT_TAGS.error)};
const TAG_MEMORY = ${JSON.stringify(GUEST_RESULT_TAGS.memory)};

// Everything the runtime itself uses is captured before guest code can run; after hardening
// the intrinsics are frozen anyway, so these are the originals.
const G = globalThis;
const {
  defineProperty, freeze, getOwnPropertyDescriptor, getPrototypeOf, keys: objectKeys, hasOwn,
} = Object;
const { apply, construct, ownKeys } = Reflect;
const ObjectPrototype = Object.prototype;
const isArray = Array.isArray;
const jsonParse = JSON.parse;
const jsonStringify = JSON.stringify;
const RealFunction = Function;
const RealDate = Date;
const RealArray = Array;
const RealError = Error;
const RealRangeError = RangeError;
const RealPromise = Promise;
const numberIsFinite = Number.isFinite;
const mathMin = Math.min;
const mathMax = Math.max;
const mathTrunc = Math.trunc;
const dateGetTime = Date.prototype.getTime;
const stringSlice = String.prototype.slice;
const stringSplit = String.prototype.split;
const stringReplace = String.prototype.replace;
const stringStartsWith = String.prototype.startsWith;
const stringPadStart = String.prototype.padStart;
const regexpTest = RegExp.prototype.test;
const memoryErrors = new WeakSet();
const weakSetAdd = WeakSet.prototype.add;
const weakSetHas = WeakSet.prototype.has;
const setHas = Set.prototype.has;
const setAdd = Set.prototype.add;
const setDelete = Set.prototype.delete;

function defineHidden(target, key, value) {
  defineProperty(target, key, { value, writable: true, enumerable: false, configurable: true });
}

// --- Failures that are not deterministic cannot be caught -------------------------------------
// How deep a step recurses before the stack overflows, and which allocation fails first, differ
// from one run to the next. Every catch and finally block of guest code starts with the guard
// (script-guard.ts rewrites the code), and so does every catch of this runtime: the first such
// error of a call poisons it; from then on every catch and finally rethrows it, and the call
// fails with it however it returns. The guard is a closure: nothing guest code reaches resets it.
let poisoned = false;
let poison;
// What the promise executor's catch caught, recorded before it calls the guard: if that call
// overflows the stack (and the Promise constructor swallows it), the call still ends with it.
let lastCaught;
// The messages V8 gives these errors (uncatchableKind, outside, reads the same ones).
const STACK_OVERFLOW = ${JSON.stringify(STACK_OVERFLOW)};
const ALLOCATION_FAILED = ${JSON.stringify(ALLOCATION_FAILED)};
const SIZE_LIMITS = new Set(${JSON.stringify(SIZE_LIMITS)});
const TYPED_ARRAY_LENGTH = ${JSON.stringify(TYPED_ARRAY_LENGTH)};

// The message of an error object as its own data property (a getter is never run here).
function ownMessage(error) {
  if (error === null || typeof error !== 'object') return undefined;
  const descriptor = getOwnPropertyDescriptor(error, 'message');
  return descriptor !== undefined && hasOwn(descriptor, 'value') && typeof descriptor.value === 'string'
    ? descriptor.value : undefined;
}
function isMemoryFailure(error) {
  return (error !== null && typeof error === 'object' && apply(weakSetHas, memoryErrors, [error])) ||
    ownMessage(error) === ALLOCATION_FAILED;
}
function isUncatchable(error) {
  if (isMemoryFailure(error)) return true;
  const message = ownMessage(error);
  return message !== undefined && (message === STACK_OVERFLOW || apply(setHas, SIZE_LIMITS, [message]) ||
    apply(stringStartsWith, message, [TYPED_ARRAY_LENGTH]));
}
// At the start of every catch block, with what it caught.
function caught(error) {
  if (poisoned) throw poison;
  if (isUncatchable(error)) {
    poisoned = true;
    poison = error;
    throw error;
  }
}
// At the start of every finally block, with what the last catch of the call recorded: a catch
// whose guard overflowed the stack once more recorded the error, and the finally must not let
// it go (by a return, say).
function leaving(thrown) {
  if (poisoned) throw poison;
  if (isUncatchable(thrown)) {
    poisoned = true;
    poison = thrown;
    throw thrown;
  }
}
const guard = freeze({ __proto__: null, caught, leaving });

// A plain function, not a method, so that "new Function('…')" fails with the same clear message.
function unavailable(what, hint) {
  const message = what + ' is not available in paydoc scripts' + (hint ? ': ' + hint : '');
  const stub = function () { throw new RealError(message); };
  defineProperty(stub, 'name', { value: what });
  return stub;
}

// --- No code generation from strings --------------------------------------------------------
// eval and every function constructor reachable from an instance's prototype are replaced by
// stubs that throw; the stubs share the originals' prototypes so instanceof keeps working.
const functionConstructors = [
  [RealFunction, 'Function'],
  [getPrototypeOf(async function () {}).constructor, 'AsyncFunction'],
  [getPrototypeOf(function* () {}).constructor, 'GeneratorFunction'],
  [getPrototypeOf(async function* () {}).constructor, 'AsyncGeneratorFunction'],
];
const hiddenIntrinsics = [];
for (const [original, name] of functionConstructors) {
  const stub = unavailable(name + '()', 'code cannot be generated from strings');
  defineProperty(stub, 'prototype', { value: original.prototype, writable: false });
  defineProperty(original.prototype, 'constructor', {
    value: stub, writable: false, enumerable: false, configurable: true,
  });
  hiddenIntrinsics.push(original, stub);
}
defineHidden(G, 'Function', functionConstructors[0][0].prototype.constructor);
defineHidden(G, 'eval', unavailable('eval()', 'code cannot be generated from strings'));

// --- Globals that are non-deterministic, shared or a way out ---------------------------------
// Intl: its formatters read the clock when given no date and the host's locale otherwise.
// (Proxy goes too, below, once nothing of ours needs it.)
for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry',
  'WeakRef', 'console', 'Intl']) {
  delete G[name];
}
// RegExp's legacy static properties (RegExp.$1, lastMatch, …) carry state from one call to the next.
for (const name of ['input', '$_', 'lastMatch', '$&', 'lastParen', '$+', 'leftContext', '$' + '\x60',
  'rightContext', "$'", '$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9']) {
  try {
    delete RegExp[name];
  } catch {
    // not configurable in this V8: hardening freezes RegExp, which is the next best thing
  }
}
defineHidden(Math, 'random', unavailable('Math.random()', 'scripts must be deterministic'));

// --- Dates: no clock, and UTC wherever JavaScript would use the host's time zone --------------
const NO_CLOCK = 'use event.timestamp';
const NEW_DATE_HINT = 'pass a value, e.g. new Date(event.timestamp)';
// An ISO date-time without an offset is local time in JavaScript; here it is UTC.
const ISO_WITHOUT_OFFSET = /^(?:[+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

function isRealDate(value) {
  try {
    apply(dateGetTime, value, []);
    return true;
  } catch (error) {
    caught(error);
    return false;
  }
}

function parseUtc(text) {
  return apply(regexpTest, ISO_WITHOUT_OFFSET, [text]) ? RealDate.parse(text + 'Z') : RealDate.parse(text);
}

function toPrimitive(value) {
  const exotic = value[Symbol.toPrimitive];
  if (exotic !== undefined && exotic !== null) return apply(exotic, value, ['default']);
  for (const method of ['valueOf', 'toString']) {
    const fn = value[method];
    if (typeof fn === 'function') {
      const result = apply(fn, value, []);
      if (result === null || (typeof result !== 'object' && typeof result !== 'function')) return result;
    }
  }
  throw new TypeError('Cannot convert object to primitive value');
}

function PaydocDate(...args) {
  if (new.target === undefined) {
    throw new RealError('Date() is not available in paydoc scripts: ' + NO_CLOCK);
  }
  if (args.length === 0) {
    throw new RealError('new Date() without a value is not available in paydoc scripts: ' + NEW_DATE_HINT);
  }
  let time;
  if (args.length === 1) {
    let value = args[0];
    if (value !== null && (typeof value === 'object' || typeof value === 'function') && !isRealDate(value)) {
      value = toPrimitive(value);
    }
    time = typeof value === 'string' ? parseUtc(value) : value;
  } else {
    time = apply(RealDate.UTC, RealDate, args);
  }
  return construct(RealDate, [time], new.target);
}
const DatePrototype = RealDate.prototype;
defineProperty(PaydocDate, 'prototype', { value: DatePrototype, writable: false });
defineProperty(PaydocDate, 'name', { value: 'Date' });
defineProperty(PaydocDate, 'length', { value: 7 });
defineHidden(PaydocDate, 'now', unavailable('Date.now()', NO_CLOCK));
defineHidden(PaydocDate, 'UTC', RealDate.UTC);
defineHidden(PaydocDate, 'parse', { parse(text) { return parseUtc(String(text)); } }.parse);
defineHidden(DatePrototype, 'constructor', PaydocDate);
defineHidden(G, 'Date', PaydocDate);

for (const name of ['FullYear', 'Month', 'Date', 'Day', 'Hours', 'Minutes', 'Seconds', 'Milliseconds']) {
  defineHidden(DatePrototype, 'get' + name, DatePrototype['getUTC' + name]);
  if (name !== 'Day') defineHidden(DatePrototype, 'set' + name, DatePrototype['setUTC' + name]);
}
delete DatePrototype.getYear;
delete DatePrototype.setYear;
defineHidden(DatePrototype, 'getTimezoneOffset', {
  getTimezoneOffset() { const time = apply(dateGetTime, this, []); return time === time ? 0 : NaN; },
}.getTimezoneOffset);

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function pad(number, width) {
  return apply(stringPadStart, String(number), [width, '0']);
}
function utcDateText(date) {
  const year = apply(DatePrototype.getUTCFullYear, date, []);
  const yearText = year < 0 ? '-' + pad(-year, 6) : pad(year, 4);
  return DAYS[apply(DatePrototype.getUTCDay, date, [])] + ' ' + MONTHS[apply(DatePrototype.getUTCMonth, date, [])] +
    ' ' + pad(apply(DatePrototype.getUTCDate, date, []), 2) + ' ' + yearText;
}
function utcTimeText(date) {
  return pad(apply(DatePrototype.getUTCHours, date, []), 2) + ':' + pad(apply(DatePrototype.getUTCMinutes, date, []), 2) +
    ':' + pad(apply(DatePrototype.getUTCSeconds, date, []), 2) + ' GMT+0000 (Coordinated Universal Time)';
}
function isInvalid(date) {
  const time = apply(dateGetTime, date, []);
  return time !== time;
}
defineHidden(DatePrototype, 'toString', {
  toString() { return isInvalid(this) ? 'Invalid Date' : utcDateText(this) + ' ' + utcTimeText(this); },
}.toString);
defineHidden(DatePrototype, 'toDateString', {
  toDateString() { return isInvalid(this) ? 'Invalid Date' : utcDateText(this); },
}.toDateString);
defineHidden(DatePrototype, 'toTimeString', {
  toTimeString() { return isInvalid(this) ? 'Invalid Date' : utcTimeText(this); },
}.toTimeString);

// --- Locale-sensitive methods default to en-US (and dates to UTC), not to the host's locale ---
const DEFAULT_LOCALE = 'en-US';
function defaultLocale(prototype, name, localeIndex, isDate) {
  const original = prototype[name];
  if (typeof original !== 'function') return;
  defineHidden(prototype, name, {
    [name](...args) {
      if (args[localeIndex] === undefined) args[localeIndex] = DEFAULT_LOCALE;
      if (isDate) {
        const options = args[localeIndex + 1];
        if (options === undefined || options === null) {
          args[localeIndex + 1] = { timeZone: 'UTC' };
        } else if (options.timeZone === undefined) {
          args[localeIndex + 1] = Object.assign({}, options, { timeZone: 'UTC' });
        }
      }
      return apply(original, this, args);
    },
  }[name]);
}
defaultLocale(DatePrototype, 'toLocaleString', 0, true);
defaultLocale(DatePrototype, 'toLocaleDateString', 0, true);
defaultLocale(DatePrototype, 'toLocaleTimeString', 0, true);
defaultLocale(Number.prototype, 'toLocaleString', 0, false);
defaultLocale(BigInt.prototype, 'toLocaleString', 0, false);
defaultLocale(String.prototype, 'localeCompare', 1, false);
defaultLocale(String.prototype, 'toLocaleUpperCase', 0, false);
defaultLocale(String.prototype, 'toLocaleLowerCase', 0, false);

// --- Arrays too large for the heap fail cleanly -----------------------------------------------
// isolated-vm cannot stop some single huge allocations: new Array(1e8).fill(0) aborts the whole
// process, and several builtins over a huge array ignore the timeout. Arrays longer than what
// the heap could hold are refused up front (a memory failure, not a crash); the supervised
// child process remains the real defence against what this does not catch.
function memoryError(what) {
  const error = new RealRangeError(what + ' does not fit in the sandbox memory limit');
  apply(weakSetAdd, memoryErrors, [error]);
  return error;
}
function checkLength(length, what) {
  if (length > maxArrayLength) throw memoryError(what + ' of ' + length + ' elements');
}
function PaydocArray(...args) {
  if (args.length === 1 && typeof args[0] === 'number') checkLength(args[0], 'an array');
  return construct(RealArray, args, new.target === undefined ? RealArray : new.target);
}
defineProperty(PaydocArray, 'prototype', { value: RealArray.prototype, writable: false });
defineProperty(PaydocArray, 'name', { value: 'Array' });
defineProperty(PaydocArray, 'length', { value: 1 });
for (const name of ['from', 'of', 'isArray']) defineHidden(PaydocArray, name, RealArray[name]);
defineProperty(PaydocArray, Symbol.species, {
  get: { [Symbol.species]() { return this; } }[Symbol.species], configurable: true,
});
defineHidden(RealArray.prototype, 'constructor', PaydocArray);
defineHidden(G, 'Array', PaydocArray);
hiddenIntrinsics.push(RealArray);

function toIntegerOrInfinity(value) {
  const number = +value;
  if (number !== number || number === 0) return 0;
  return mathTrunc(number);
}
function relativeIndex(value, length, fallback) {
  if (value === undefined) return fallback;
  const relative = toIntegerOrInfinity(value);
  return relative < 0 ? mathMax(length + relative, 0) : mathMin(relative, length);
}
// Array.prototype.fill in JavaScript: the length is read once and checked, and the loop can be
// interrupted by the timeout (the builtin cannot).
defineHidden(RealArray.prototype, 'fill', {
  fill(value, start, end) {
    if (this === undefined || this === null) throw new TypeError('Array.prototype.fill called on null or undefined');
    const target = Object(this);
    const length = mathMin(mathMax(toIntegerOrInfinity(target.length), 0), 2 ** 53 - 1);
    checkLength(length, 'an array');
    const last = relativeIndex(end, length, length);
    for (let index = relativeIndex(start, length, 0); index < last; index += 1) target[index] = value;
    return target;
  },
}.fill);

// The same check in front of every other Array.prototype method and every way to spread an
// array-like into an argument list: on a sparse array whose length was simply set to 1e8, V8's
// sort, copyWithin, toSorted, with, fn.apply(…) and others crash the process or ignore the
// timeout. A length read through a getter could differ between this check and the builtin's own
// read, so array-likes with an accessor length are refused, and Proxy is not available.
const typedArrayLength = getOwnPropertyDescriptor(getPrototypeOf(Uint8Array.prototype), 'length').get;
function lengthOf(target, method) {
  const object = Object(target);
  if (!isArray(object)) {
    for (let owner = object; owner !== null; owner = getPrototypeOf(owner)) {
      const descriptor = getOwnPropertyDescriptor(owner, 'length');
      if (descriptor === undefined) continue;
      // A typed array's own (intrinsic, frozen) getter cannot lie.
      if (!hasOwn(descriptor, 'value') && descriptor.get !== typedArrayLength) {
        throw new TypeError(method + ' does not accept an array-like whose length is a getter in paydoc scripts');
      }
      break;
    }
  }
  const length = toIntegerOrInfinity(object.length);
  checkLength(length, 'a list');
  return length;
}
const UNGUARDED = new Set(['constructor', 'fill', 'keys', 'values', 'entries']);
for (const key of ownKeys(RealArray.prototype)) {
  if (typeof key !== 'string' || apply(setHas, UNGUARDED, [key])) continue;
  const original = RealArray.prototype[key];
  if (typeof original !== 'function') continue;
  const label = 'Array.prototype.' + key;
  defineHidden(RealArray.prototype, key, {
    [key](...args) {
      if (this === undefined || this === null) return apply(original, this, args);
      lengthOf(this, label);
      return apply(original, this, args);
    },
  }[key]);
}
function argumentList(list, method) {
  if (list !== undefined && list !== null && (typeof list === 'object' || typeof list === 'function')) lengthOf(list, method);
}
const realFunctionApply = RealFunction.prototype.apply;
defineHidden(RealFunction.prototype, 'apply', {
  apply(thisArg, list) {
    argumentList(list, 'Function.prototype.apply');
    return apply(realFunctionApply, this, [thisArg, list]);
  },
}.apply);
defineHidden(Reflect, 'apply', {
  apply(target, thisArg, list) {
    argumentList(list, 'Reflect.apply');
    return apply(target, thisArg, list);
  },
}.apply);
defineHidden(Reflect, 'construct', {
  construct(target, list, ...newTarget) {
    argumentList(list, 'Reflect.construct');
    return construct(target, list, ...newTarget);
  },
}.construct);
delete G.Proxy;

// --- Assigning a property that a frozen prototype has must still work on ordinary objects -----
// (the "override mistake": with Error.prototype frozen, this.name = 'MyError' would throw).
function allowOverride(target, key) {
  const descriptor = getOwnPropertyDescriptor(target, key);
  if (descriptor === undefined || !hasOwn(descriptor, 'value') || !descriptor.configurable) return;
  const value = descriptor.value;
  defineProperty(target, key, {
    get: { [key]() { return value; } }[key],
    set: {
      [key](newValue) {
        if (this === target) throw new TypeError('Cannot assign to read only property ' + String(key) + ' of a frozen intrinsic');
        defineProperty(this, key, { value: newValue, writable: true, enumerable: true, configurable: true });
      },
    }[key],
    enumerable: descriptor.enumerable,
    configurable: false,
  });
}
for (const key of ['constructor', 'toString', 'valueOf', 'toLocaleString', 'hasOwnProperty',
  'isPrototypeOf', 'propertyIsEnumerable']) {
  allowOverride(ObjectPrototype, key);
}
allowOverride(RealFunction.prototype, 'toString');
allowOverride(RealArray.prototype, 'toString');
for (const ErrorType of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError,
  URIError, AggregateError]) {
  for (const key of ['constructor', 'name', 'message', 'toString']) allowOverride(ErrorType.prototype, key);
}

// --- Promises: an executor cannot swallow what the guard must see --------------------------------
// The Promise constructor turns whatever its executor throws into a rejection: the executor runs
// behind the guard. (Async functions, which do the same, are refused by script-guard.ts.) Every
// promise is marked handled as it is made: a step is synchronous, nothing it returns may be a
// promise, and isolated-vm would fail the whole call over a rejection nobody handled as though
// the sandbox had broken. Subclasses are refused, so no guest code runs while a promise is made.
const promiseThen = RealPromise.prototype.then;
let markingHandled = false;
function ignoreRejection() {}
function PaydocPromise(executor) {
  if (new.target !== PaydocPromise) {
    throw new TypeError(new.target === undefined ? "Promise constructor cannot be invoked without 'new'"
      : 'Promise cannot be subclassed in paydoc scripts');
  }
  if (typeof executor !== 'function') return construct(RealPromise, [executor], PaydocPromise);
  const promise = construct(RealPromise, [function (resolve, reject) {
    try {
      return apply(executor, undefined, [resolve, reject]);
    } catch (error) {
      // Recorded before the guard runs, and kept unless the guard passed it: a later ordinary
      // error must not hide one whose guard overflowed the stack (and was swallowed with it).
      const earlier = lastCaught;
      lastCaught = error;
      caught(error);
      lastCaught = earlier;
      throw error;
    }
  }], PaydocPromise);
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
defineProperty(PaydocPromise, 'prototype', { value: RealPromise.prototype, writable: false });
defineProperty(PaydocPromise, 'name', { value: 'Promise' });
defineProperty(PaydocPromise, 'length', { value: 1 });
for (const name of ['all', 'allSettled', 'any', 'race', 'reject', 'resolve', 'withResolvers']) {
  if (typeof RealPromise[name] === 'function') defineHidden(PaydocPromise, name, RealPromise[name]);
}
defineProperty(PaydocPromise, Symbol.species, {
  get: { [Symbol.species]() { return this; } }[Symbol.species], configurable: true,
});
defineHidden(RealPromise.prototype, 'constructor', PaydocPromise);
defineHidden(G, 'Promise', PaydocPromise);
hiddenIntrinsics.push(RealPromise);

// --- The blue: module ---------------------------------------------------------------------------
function messageOf(error) {
  try {
    if (error !== null && typeof error === 'object') {
      const message = error.message;
      if (typeof message === 'string') {
        const name = error.name;
        return typeof name === 'string' && name !== '' && name !== 'Error' ? name + ': ' + message : message;
      }
    }
    return String(error);
  } catch (inner) {
    caught(inner);
    return 'a value that cannot be shown was thrown';
  }
}
function hexBuffer(hex) {
  return freeze({
    length: hex.length / 2,
    toString(encoding) {
      if (encoding === 'hex') return hex;
      throw new RealError("publicKey.toString() supports only 'hex' in paydoc scripts");
    },
  });
}
const ECPair = freeze({
  fromWIF(wif) {
    if (typeof wif !== 'string') throw new TypeError('ECPair.fromWIF() expects a WIF string');
    let hex;
    try {
      hex = hostBitcoin(wif);
    } catch (error) {
      caught(error);
      throw new RealError(messageOf(error));
    }
    return freeze({ publicKey: hexBuffer(hex), compressed: hex.length === 66 });
  },
});
const bitcoinjs = freeze({
  ECPair,
  // A method, not a function expression: it cannot be called with new.
  multisig2of2(pubKeyA, pubKeyB) {
    if (typeof pubKeyA !== 'string' || typeof pubKeyB !== 'string') {
      throw new TypeError('bitcoinjs.multisig2of2() expects two hex public keys (strings)');
    }
    let answer;
    try {
      answer = hostMultisig(pubKeyA, pubKeyB);
    } catch (error) {
      caught(error);
      throw new RealError(messageOf(error));
    }
    const wallet = jsonParse(answer);
    return freeze({ address: wallet.address, witnessScript: wallet.witnessScript });
  },
});
const blueModule = freeze({ __proto__: null, bitcoinjs });

// --- Hardening: freeze every intrinsic reachable from the global object -----------------------
function hardenAll(roots) {
  const seen = new Set();
  const pending = [...roots];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) continue;
    if (apply(setHas, seen, [value])) continue;
    apply(setAdd, seen, [value]);
    freeze(value);
    pending.push(getPrototypeOf(value));
    for (const key of ownKeys(value)) {
      const descriptor = getOwnPropertyDescriptor(value, key);
      if (hasOwn(descriptor, 'value')) pending.push(descriptor.value);
      else pending.push(descriptor.get, descriptor.set);
    }
  }
}

// --- document(pointer) ------------------------------------------------------------------------
let documentJson = null;
// Sentinel for "read the document through the host" (an invoke with no document text).
const HOST_DOCUMENT = '\u0000host';
let documentRoot;
let documentParsed = false;
// The last document parsed: consecutive steps usually read the same one. Safe to share because
// no part of it is ever handed to guest code (document() returns copies).
let lastDocumentJson = null;
let lastDocumentRoot;

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;
const BAD_ESCAPE = /~(?:[^01]|$)/;
const ESCAPED_SLASH = /~1/g;
const ESCAPED_TILDE = /~0/g;

// The author's view of a node (model/node.ts simplify): {value: x} is x, {items: [...]} is the
// list. It always builds fresh objects, so a step cannot change what a later read returns.
function simplify(node) {
  if (node === null || typeof node !== 'object') return node;
  if (isArray(node)) {
    const out = [];
    for (let index = 0; index < node.length; index += 1) out[index] = simplify(node[index]);
    return out;
  }
  const nodeKeys = objectKeys(node);
  let fields = 0;
  for (const key of nodeKeys) if (!apply(setHas, RESERVED_KEYS, [key])) fields += 1;
  if (fields === 0 && hasOwn(node, 'value')) return node.value === undefined ? null : node.value;
  if (fields === 0 && hasOwn(node, 'items') && isArray(node.items)) return simplify(node.items);
  const out = {};
  for (const key of nodeKeys) {
    const child = apply(setHas, RESERVED_KEYS, [key]) ? copy(node[key]) : simplify(node[key]);
    if (key === '__proto__') defineProperty(out, key, { value: child, writable: true, enumerable: true, configurable: true });
    else out[key] = child;
  }
  return out;
}
function copy(value) {
  return value === null || typeof value !== 'object' ? value : jsonParse(jsonStringify(value));
}

const readDocument = {
  document(pointer) {
    if (documentJson === null) throw new RealError('document() can only be called while the step runs');
    if (typeof pointer !== 'string') throw new TypeError('document() expects a JSON pointer such as "/amount"');
    // As in the reference processor (and model/read-author-view.ts), 'counter' means '/counter'.
    if (pointer !== '' && !apply(stringStartsWith, pointer, ['/'])) pointer = '/' + pointer;
    if (apply(regexpTest, BAD_ESCAPE, [pointer])) {
      throw new RealError('invalid JSON pointer "' + pointer + '": "~" must be followed by 0 or 1');
    }
    if (documentJson === HOST_DOCUMENT) {
      const json = hostReadDocument(pointer);
      return json === '' ? undefined : jsonParse(json);
    }
    if (!documentParsed) {
      if (documentJson !== lastDocumentJson) {
        lastDocumentRoot = jsonParse(documentJson);
        lastDocumentJson = documentJson;
      }
      documentRoot = lastDocumentRoot;
      documentParsed = true;
    }
    let node = documentRoot;
    if (pointer !== '') {
      const segments = apply(stringSplit, apply(stringSlice, pointer, [1]), ['/']);
      for (const raw of segments) {
        const segment = apply(stringReplace, apply(stringReplace, raw, [ESCAPED_SLASH, '/']), [ESCAPED_TILDE, '~']);
        if (node === null || typeof node !== 'object') return undefined;
        const isIndex = apply(regexpTest, ARRAY_INDEX, [segment]);
        if (isArray(node)) {
          node = isIndex ? node[+segment] : undefined;
        } else if (isIndex && hasOwn(node, 'items') && isArray(node.items)) {
          node = node.items[+segment];
        } else {
          node = hasOwn(node, segment) ? node[segment] : undefined;
        }
        if (node === undefined) return undefined;
      }
    }
    return simplify(node);
  },
}.document;

// --- Step results: strict JSON ------------------------------------------------------------------
class NotJson extends RealError {}

function typeName(value) {
  if (value instanceof RealPromise) return 'a Promise (async steps are not supported)';
  try {
    const constructor = getPrototypeOf(value).constructor;
    if (typeof constructor === 'function' && typeof constructor.name === 'string' && constructor.name !== '') {
      return 'a ' + constructor.name;
    }
  } catch (error) {
    caught(error);
  }
  return 'an object that is not plain';
}

function serialize(root) {
  const path = [];
  const ancestors = new Set();
  function fail(what) {
    let where = '';
    for (const key of path) where += '/' + apply(stringReplace, apply(stringReplace, String(key), [/~/g, '~0']), [/\//g, '~1']);
    throw new NotJson('step result is not JSON: ' + what + (where === '' ? '' : ' at "' + where + '"'));
  }
  function write(input, key) {
    let value = input;
    if (value !== null && typeof value === 'object') {
      const toJSON = value.toJSON;
      if (typeof toJSON === 'function') value = apply(toJSON, value, [key]);
    }
    switch (typeof value) {
      case 'string':
        return jsonStringify(value);
      case 'number':
        if (!numberIsFinite(value)) fail(String(value));
        return jsonStringify(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'undefined':
        return fail('undefined');
      case 'bigint':
        return fail('a BigInt');
      case 'symbol':
        return fail('a Symbol');
      case 'function':
        return fail('a function');
    }
    if (value === null) return 'null';
    if (apply(setHas, ancestors, [value])) fail('a circular reference');
    if (path.length >= MAX_RESULT_DEPTH) fail('nesting deeper than ' + MAX_RESULT_DEPTH + ' levels');
    apply(setAdd, ancestors, [value]);
    let out;
    if (isArray(value)) {
      out = '[';
      const length = value.length;
      for (let index = 0; index < length; index += 1) {
        path.push(index);
        out += (index === 0 ? '' : ',') + write(value[index], String(index));
        path.pop();
      }
      out += ']';
    } else {
      const prototype = getPrototypeOf(value);
      if (prototype !== ObjectPrototype && prototype !== null) fail(typeName(value));
      out = '{';
      let first = true;
      for (const name of objectKeys(value)) {
        const child = value[name];
        // As in JSON.stringify, a property that is undefined is left out.
        if (child === undefined) continue;
        path.push(name);
        out += (first ? '' : ',') + jsonStringify(name) + ':' + write(child, name);
        path.pop();
        first = false;
      }
      out += '}';
    }
    apply(setDelete, ancestors, [value]);
    if (out.length > MAX_RESULT_CHARS) throw new NotJson('step result is larger than ' + MAX_RESULT_CHARS + ' characters of JSON');
    return out;
  }
  return write(root, '');
}

// --- Entry points -------------------------------------------------------------------------------
const compiledSteps = [];

// What an error that the guard stops says: always the same, whichever allocation or frame failed.
function uncatchableFailure(error) {
  if (isMemoryFailure(error)) return TAG_MEMORY;
  return TAG_ERROR + 'RangeError: ' + ownMessage(error);
}

function failure(error) {
  if (poisoned) return uncatchableFailure(poison);
  if (isUncatchable(error)) {
    poisoned = true;
    poison = error;
    return uncatchableFailure(error);
  }
  let message;
  try {
    message = messageOf(error);
  } catch (inner) {
    // messageOf poisoned the call (a guest getter overflowed the stack)
    if (poisoned) return uncatchableFailure(poison);
    message = 'a value that cannot be shown was thrown';
  }
  return TAG_ERROR + (message.length > MAX_MESSAGE_CHARS ? apply(stringSlice, message, [0, MAX_MESSAGE_CHARS]) + '…' : message);
}

function compile(id, prologue, body) {
  try {
    compiledSteps[id] = construct(RealFunction, [...GUEST_PARAMETERS, BLUE_PARAMETER, GUARD_PARAMETER, THROWN_PARAMETER, "'use strict'; " + prologue + '\n' + body + '\n']);
    return '';
  } catch (error) {
    return messageOf(error);
  }
}

// The last currentContract parsed, deep-frozen so that sharing it between calls is safe.
let lastContractJson = null;
let lastContract = null;
function frozenParse(json) {
  const value = jsonParse(json);
  const pending = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next !== null && typeof next === 'object') {
      freeze(next);
      for (const key of objectKeys(next)) pending.push(next[key]);
    }
  }
  return value;
}

function invoke(id, argsJson, documentText, contractJson) {
  const step = compiledSteps[id];
  let outcome;
  documentJson = documentText === '' ? HOST_DOCUMENT : documentText;
  documentParsed = false;
  poisoned = false;
  poison = undefined;
  lastCaught = undefined;
  try {
    const args = jsonParse(argsJson);
    args[DOCUMENT_INDEX] = readDocument;
    if (contractJson !== lastContractJson) {
      lastContract = frozenParse(contractJson);
      lastContractJson = contractJson;
    }
    args[CONTRACT_INDEX] = lastContract;
    args[GUEST_PARAMETERS.length] = blueModule;
    args[GUEST_PARAMETERS.length + 1] = guard;
    const result = apply(step, undefined, args);
    if (result === undefined) {
      outcome = TAG_ERROR + 'step must return a value';
    } else if (result instanceof RealPromise) {
      outcome = TAG_ERROR + 'step returned a Promise: async steps are not supported';
    } else {
      // Any JSON value is a result (as in the reference processor): a number, text or list is
      // the step's result as it is; only an object's \`events\` are emitted (run-step.ts).
      outcome = TAG_VALUE + serialize(result);
    }
  } catch (error) {
    outcome = failure(error);
  }
  // However the step ended: once the guard stopped an error, that error is the outcome.
  if (!poisoned && lastCaught !== undefined && isUncatchable(lastCaught)) {
    poisoned = true;
    poison = lastCaught;
  }
  if (poisoned) outcome = uncatchableFailure(poison);
  lastCaught = undefined;
  poison = undefined;
  documentJson = null;
  documentRoot = undefined;
  return outcome;
}

function release(id) {
  compiledSteps[id] = undefined;
}

hardenAll([G, blueModule, readDocument, PaydocDate, PaydocArray, ...hiddenIntrinsics,
  getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(new Map()[Symbol.iterator]()),
  getPrototypeOf(new Set()[Symbol.iterator]()), getPrototypeOf(''[Symbol.iterator]()),
  getPrototypeOf('a'.matchAll(/a/g))]);

return freeze({ compile, invoke, release });
`;
