// Everything the guest runtime itself uses, captured when the bundle is evaluated: before any
// guest code runs and before the runtime replaces a single global. After hardening the
// intrinsics are frozen anyway, so these are the originals; capturing them also keeps the
// runtime independent of the stubs and wrappers it installs (Reflect.apply, Array methods).

/** The global object, as a plain record: hardening deletes and redefines its properties. */
export const G = globalThis as unknown as Record<PropertyKey, unknown>;

export const {
  defineProperty,
  freeze,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  keys: objectKeys,
  hasOwn,
  assign: objectAssign,
} = Object;
export const { apply, construct, ownKeys } = Reflect;
export const ObjectPrototype = Object.prototype;
export const isArray = Array.isArray;
export const jsonParse = JSON.parse;
export const jsonStringify = JSON.stringify;
export const RealFunction = Function;
export const RealDate = Date;
export const RealArray = Array;
export const RealError = Error;
export const RealTypeError = TypeError;
export const RealRangeError = RangeError;
export const RealPromise = Promise;
export const numberIsFinite = Number.isFinite;
export const mathMin = Math.min;
export const mathMax = Math.max;
export const mathTrunc = Math.trunc;
export const dateGetTime = Date.prototype.getTime;
export const dateParse = Date.parse;
export const dateUtc = Date.UTC;
export const stringSlice = String.prototype.slice;
export const stringReplace = String.prototype.replace;
export const stringStartsWith = String.prototype.startsWith;
export const stringPadStart = String.prototype.padStart;
export const stringIndexOf = String.prototype.indexOf;
export const stringCharCodeAt = String.prototype.charCodeAt;
export const regexpTest = RegExp.prototype.test;
export const regexpExec = RegExp.prototype.exec;
export const RealRegExp = RegExp;
export const arraySort = Array.prototype.sort;
export const arrayPush = Array.prototype.push;
export const weakSetAdd = WeakSet.prototype.add;
export const weakSetHas = WeakSet.prototype.has;
export const setHas = Set.prototype.has;
export const setAdd = Set.prototype.add;
export const setDelete = Set.prototype.delete;
export const promiseThen = Promise.prototype.then;

/** Any function, as the runtime calls it (through {@link apply}). */
export type AnyFunction = (...args: unknown[]) => unknown;

/** Defines a non-enumerable data property (as built-in methods are). */
export function defineHidden(target: object, key: PropertyKey, value: unknown): void {
  defineProperty(target, key, { value, writable: true, enumerable: false, configurable: true });
}

/** `target[key]` of a built-in, read as a record (hardening walks and rewrites built-ins). */
export function member(target: object, key: PropertyKey): unknown {
  return (target as Record<PropertyKey, unknown>)[key];
}
