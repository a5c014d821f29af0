/** A JSON value as paydoc holds documents in memory. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for a string, number or boolean. */
export function isScalar(value: JsonValue | undefined): value is string | number | boolean {
  const kind = typeof value;
  return kind === 'string' || kind === 'number' || kind === 'boolean';
}
