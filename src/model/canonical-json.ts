import type { JsonValue } from './json.js';

/**
 * RFC 8785 (JCS) canonical JSON. Object keys sort by UTF-16 code units (the default
 * `Array.prototype.sort` order); strings and numbers serialise as ECMAScript's JSON.stringify does.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const child = value[key];
    if (child === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(child)}`);
  }
  return `{${parts.join(',')}}`;
}
