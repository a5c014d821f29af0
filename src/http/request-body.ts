import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { loadYaml } from '../model/load-yaml.js';
import type { ServiceError } from '../engine/outcome.js';
import { problemsError } from './error-envelope.js';

/** The media types a body may have; both are read by the same strict loader. */
export const BODY_TYPES = [
  'application/json',
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
] as const;

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A body that is not valid UTF-8. The content-type parser fails with it and the app's error
 * handler answers 400 `invalid_encoding`.
 */
export class BodyEncodingError extends Error {
  readonly statusCode = 400;
  readonly code = 'invalid_encoding';

  constructor(
    readonly offset: number,
    bytes: Uint8Array,
  ) {
    const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
    super(
      `the body is not valid UTF-8: byte 0x${byte} at byte offset ${offset} ` +
        `(line ${lineAt(bytes, offset)}); send UTF-8 text`,
    );
    this.name = 'BodyEncodingError';
  }
}

/**
 * The body's bytes as text, decoded strictly: a byte that is not part of well-formed UTF-8
 * is a {@link BodyEncodingError} naming its offset, never a silent U+FFFD. A byte order mark
 * is kept, as fastify's own string decoding kept it.
 */
export function decodeBody(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new BodyEncodingError(invalidUtf8Offset(bytes), bytes);
  }
}

/**
 * The offset of the first byte that starts an ill-formed UTF-8 sequence (the rules of the
 * WHATWG decoder: no overlong forms, no surrogates, nothing above U+10FFFF, no truncated
 * sequence), or the length if there is none.
 */
function invalidUtf8Offset(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index] ?? 0;
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead < 0x80) length = 1;
    else if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return index;
    for (let next = 1; next < length; next += 1) {
      const byte = bytes[index + next];
      if (
        byte === undefined ||
        byte < (next === 1 ? low : 0x80) ||
        byte > (next === 1 ? high : 0xbf)
      )
        return index;
    }
    index += length;
  }
  return bytes.length;
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index += 1) if (bytes[index] === 0x0a) line += 1;
  return line;
}

/**
 * Reads a request body (YAML or JSON text; JSON is YAML) into a map, with line:col on every
 * problem. An absent or empty body is an empty map, so `POST …/capture` needs no body.
 */
export function readBody(
  text: unknown,
): { ok: true; value: JsonObject } | { ok: false; error: ServiceError } {
  if (text === undefined || text === null || (typeof text === 'string' && text.trim() === ''))
    return { ok: true, value: {} };
  if (typeof text !== 'string')
    return { ok: false, error: { code: 'invalid_request', message: 'the body must be text' } };
  const loaded = loadYaml(text);
  if (!loaded.ok) return { ok: false, error: problemsError(loaded.problems) };
  if (!isJsonObject(loaded.value))
    return {
      ok: false,
      error: {
        code: 'invalid_request',
        message: 'line 1:1: the body must be a map',
        param: '',
      },
    };
  return { ok: true, value: loaded.value };
}

/** A non-negative integer query parameter, or an error naming it. */
export function integerParam(
  value: JsonValue | undefined,
  name: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): { ok: true; value: number } | { ok: false; error: ServiceError } {
  if (value === undefined || value === '') return { ok: true, value: fallback };
  const number = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number > max)
    return {
      ok: false,
      error: {
        code: 'invalid_request',
        message: `${name} must be an integer from 0 to ${max}`,
        param: name,
      },
    };
  return { ok: true, value: number };
}

/**
 * A text query parameter, given at most once (a repeated one arrives as a list: refused), at
 * most `maxLength` characters; undefined when absent.
 */
export function textParam(
  value: JsonValue | undefined,
  name: string,
  maxLength = 256,
): { ok: true; value: string | undefined } | { ok: false; error: ServiceError } {
  if (value === undefined) return { ok: true, value: undefined };
  if (typeof value !== 'string' || value.length > maxLength)
    return {
      ok: false,
      error: {
        code: 'invalid_request',
        message: `${name} is one text of at most ${maxLength} characters`,
        param: name,
      },
    };
  return { ok: true, value };
}
