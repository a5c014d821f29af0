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
