// JSON.stringify with the reference processor's key order.
//
// Decision (Blue conformance item 16): blue-js 4.1.1 runs JavaScript Code steps and `${…}`
// expressions in QuickJS (@blue-quickjs 0.4.x, deterministic mode), whose JSON.stringify writes
// every object's keys in deterministic CBOR order, the order of its DV wire format: shorter
// UTF-8 encodings first, then bytewise (so `JSON.stringify(JSON.parse('{"aa":1,"b":2}'))` is
// `{"b":2,"aa":1}`), with no integer-like keys first as in V8 (V8 writes `{"10":1,"a":2}` where
// QuickJS writes `{"a":2,"10":1}`). A step that stores JSON.stringify's text, or derives a
// BlueId or a signature from it, must get the same bytes on both implementations, so the guest's
// JSON.stringify writes keys in that order. What the reference refuses (a replacer, a space
// argument, undefined members, toJSON, non-plain objects) keeps V8's meaning here: refusing it
// would break paydoc scripts that work today, and no text the reference can produce differs.
// Step results are not written by this (serialize.ts): their key order never reaches a BlueId,
// whose canonical JSON sorts keys anyway.
import type { AnyFunction } from './intrinsics.js';
import {
  apply,
  arraySort,
  defineHidden,
  isArray,
  jsonParse,
  jsonStringify,
  objectKeys,
  stringCharCodeAt,
  stringSlice,
} from './intrinsics.js';

/** The UTF-8 length of a string (a lone surrogate counts as its 3-byte WTF-8 form). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index += 1) {
    const unit = apply(stringCharCodeAt, text, [index]) as number;
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = apply(stringCharCodeAt, text, [index + 1]) as number;
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

// The code point at `index` (a lone surrogate stands for itself).
function codePointAt(text: string, index: number): number {
  const unit = apply(stringCharCodeAt, text, [index]) as number;
  if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
    const next = apply(stringCharCodeAt, text, [index + 1]) as number;
    if (next >= 0xdc00 && next <= 0xdfff)
      return (unit - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
  }
  return unit;
}

/**
 * Deterministic CBOR order of two keys: by UTF-8 length, then bytewise. UTF-8 preserves code
 * point order, so equal-length keys compare by their code points.
 */
export function compareKeys(a: string, b: string): number {
  const lengthA = utf8Length(a);
  const lengthB = utf8Length(b);
  if (lengthA !== lengthB) return lengthA - lengthB;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const pointA = codePointAt(a, i);
    const pointB = codePointAt(b, j);
    if (pointA !== pointB) return pointA - pointB;
    i += pointA > 0xffff ? 2 : 1;
    j += pointB > 0xffff ? 2 : 1;
  }
  return 0;
}

// JSON.stringify's gap for a space argument, by JSON.stringify itself (so a Number or String
// object is read exactly as the specification says, once).
function gapOf(space: unknown): string {
  if (space === undefined || space === null) return '';
  const probe = jsonStringify([0], null, space as string | number);
  // "[0]" without a gap, else "[\n<gap>0\n]".
  return probe.length > 3 ? (apply(stringSlice, probe, [2, probe.length - 3]) as string) : '';
}

// Writes JSON text parsed back (only null, booleans, numbers, strings, arrays, plain objects).
function write(value: unknown, gap: string, indent: string): string {
  if (value === null || typeof value !== 'object') return jsonStringify(value);
  const inner = indent + gap;
  const open = gap === '' ? '' : `\n${inner}`;
  const separator = gap === '' ? ',' : `,\n${inner}`;
  const close = gap === '' ? '' : `\n${indent}`;
  if (isArray(value)) {
    if (value.length === 0) return '[]';
    let out = `[${open}`;
    for (let index = 0; index < value.length; index += 1)
      out += (index === 0 ? '' : separator) + write(value[index], gap, inner);
    return `${out}${close}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = apply(arraySort, objectKeys(record), [compareKeys]) as string[];
  if (keys.length === 0) return '{}';
  const colon = gap === '' ? ':' : ': ';
  let out = `{${open}`;
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index] as string;
    out += `${index === 0 ? '' : separator}${jsonStringify(key)}${colon}${write(record[key], gap, inner)}`;
  }
  return `${out}${close}}`;
}

const stringify = {
  stringify(value: unknown, replacer?: unknown, space?: unknown): string | undefined {
    const gap = gapOf(space);
    // V8 decides what is written (toJSON, the replacer, what is left out); only the key order
    // and the layout are redone. Reading the text back loses nothing: it is JSON already.
    const text = jsonStringify(
      value,
      replacer as ((this: unknown, key: string, value: unknown) => unknown) | undefined,
    ) as string | undefined;
    if (text === undefined) return undefined;
    return write(jsonParse(text), gap, '');
  },
}.stringify;

/** Installs the reordering JSON.stringify. */
export function installJsonStringify(): void {
  defineHidden(JSON, 'stringify', stringify as AnyFunction);
}
