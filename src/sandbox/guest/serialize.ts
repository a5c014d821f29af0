// Step results: strict JSON. Whatever a step returns is written here, not by JSON.stringify:
// what JSON.stringify would quietly turn into null or leave out (NaN, a function, a Map) is an
// error naming where it is, and size and depth are bounded.
import { caught } from './guard.js';
import type { AnyFunction } from './intrinsics.js';
import {
  apply,
  getPrototypeOf,
  isArray,
  jsonStringify,
  numberIsFinite,
  objectKeys,
  ObjectPrototype,
  RealError,
  RealPromise,
  setAdd,
  setDelete,
  setHas,
  stringReplace,
} from './intrinsics.js';
import { MAX_RESULT_CHARS, MAX_RESULT_DEPTH } from './protocol.js';

/** A step result that is not JSON. */
export class NotJson extends RealError {}

function typeName(value: object): string {
  if (value instanceof RealPromise) return 'a Promise (async steps are not supported)';
  try {
    const constructor: unknown = (getPrototypeOf(value) as { constructor?: unknown }).constructor;
    if (typeof constructor === 'function') {
      const name: unknown = (constructor as { name?: unknown }).name;
      if (typeof name === 'string' && name !== '') return `a ${name}`;
    }
  } catch (error) {
    caught(error);
  }
  return 'an object that is not plain';
}

function escapeSegment(key: string | number): string {
  return apply(stringReplace, apply(stringReplace, String(key), [/~/g, '~0']), [
    /\//g,
    '~1',
  ]) as string;
}

/** The JSON text of a step's result. @throws NotJson (or whatever guest getters throw). */
export function serialize(root: unknown): string {
  const path: (string | number)[] = [];
  const ancestors = new Set<object>();
  function fail(what: string): never {
    let where = '';
    for (const key of path) where += `/${escapeSegment(key)}`;
    throw new NotJson(`step result is not JSON: ${what}${where === '' ? '' : ` at "${where}"`}`);
  }
  function write(input: unknown, key: string): string {
    let value = input;
    if (value !== null && typeof value === 'object') {
      const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = apply(toJSON as AnyFunction, value, [key]);
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
    const object = value as object;
    if (apply(setHas, ancestors, [object]) as boolean) fail('a circular reference');
    if (path.length >= MAX_RESULT_DEPTH) fail(`nesting deeper than ${MAX_RESULT_DEPTH} levels`);
    apply(setAdd, ancestors, [object]);
    let out: string;
    if (isArray(object)) {
      out = '[';
      const length = object.length;
      for (let index = 0; index < length; index += 1) {
        path.push(index);
        out += (index === 0 ? '' : ',') + write(object[index], String(index));
        path.pop();
      }
      out += ']';
    } else {
      const prototype: unknown = getPrototypeOf(object);
      if (prototype !== ObjectPrototype && prototype !== null) fail(typeName(object));
      out = '{';
      let first = true;
      for (const name of objectKeys(object)) {
        const child: unknown = (object as Record<string, unknown>)[name];
        // As in JSON.stringify, a property that is undefined is left out.
        if (child === undefined) continue;
        path.push(name);
        out += `${first ? '' : ','}${jsonStringify(name)}:${write(child, name)}`;
        path.pop();
        first = false;
      }
      out += '}';
    }
    apply(setDelete, ancestors, [object]);
    if (out.length > MAX_RESULT_CHARS)
      throw new NotJson(`step result is larger than ${MAX_RESULT_CHARS} characters of JSON`);
    return out;
  }
  return write(root, '');
}
