import { isMap, isScalar, parseDocument } from 'yaml';
import type { ServiceError } from '../../engine/outcome.js';
import type { JsonObject } from '../../model/json.js';
import { parseDecimal } from '../../payments/money/money.js';
import type { Money } from '../../payments/money/money.js';

/**
 * The text of top-level number fields as the client wrote them: `{"price": 10.50}` →
 * `price: "10.50"`. A JSON number has already become a binary float once the body is read
 * (10.505 and 10.50499999999999989 are one double), so an exact conversion to minor units has
 * to start from the text. The body was read strictly before (readBody); this reads it again
 * only for the source of the named fields.
 */
export function numberSources(text: string, fields: readonly string[]): Map<string, string> {
  const sources = new Map<string, string>();
  const contents = parseDocument(text, { keepSourceTokens: false }).contents;
  if (!isMap(contents)) return sources;
  for (const pair of contents.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== 'string' || !fields.includes(key)) continue;
    if (isScalar(pair.value) && typeof pair.value.source === 'string')
      sources.set(key, pair.value.source);
  }
  return sources;
}

/**
 * An amount field of a request in major units — a JSON number (its source text) or a decimal
 * string — as exact minor units of `currency`, or the error naming the field.
 */
export function decimalField(
  body: JsonObject,
  sources: ReadonlyMap<string, string>,
  field: string,
  currency: unknown,
): { ok: true; value: Money } | { ok: false; error: ServiceError } {
  const value = Object.hasOwn(body, field) ? body[field] : undefined;
  const source = typeof value === 'number' ? sources.get(field) : undefined;
  const text = typeof value === 'string' ? value : source === undefined ? undefined : plain(source);
  if (text === undefined)
    return {
      ok: false,
      error: {
        code: 'invalid_request',
        message: `${field} must be a number or a decimal string (e.g. 10.5 or "10.50")`,
        param: field,
      },
    };
  const parsed = parseDecimal(text, currency);
  if (!parsed.ok)
    return {
      ok: false,
      error: { code: parsed.code, message: `${field}: ${parsed.message}`, param: field },
    };
  if (parsed.value.amount <= 0)
    return {
      ok: false,
      error: { code: 'invalid_price', message: `${field} must be above zero`, param: field },
    };
  return { ok: true, value: parsed.value };
}

/**
 * A JSON number's text in plain decimal form: `1e-7` → `0.0000001`, `1.5E3` → `1500`, as
 * clients serialise small amounts (JavaScript's JSON.stringify(0.0000001) is `1e-7`); the
 * digits are moved, not computed. Other text is returned as it is (parseDecimal judges it);
 * an exponent beyond ±40 is left as it is too, and refused there.
 */
export function plain(source: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d{1,2})$/.exec(source);
  if (match === null) return source;
  const [, sign = '', whole = '', fraction = '', power = '0'] = match;
  const shift = Number(power);
  if (Math.abs(shift) > 40) return source;
  const digits = whole + fraction;
  const point = whole.length + shift;
  const padded =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  const trimmed = padded.replace(/^0+(?=\d)/, '');
  return sign + trimmed;
}
