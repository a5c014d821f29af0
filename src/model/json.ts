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

/**
 * `record[key]` for an own key, else undefined. Field names are data: a document, a message or
 * a step result may well have a field called `constructor` or `toString`, and a plain
 * `record[key]` would find Object.prototype's member where the field is absent.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * The path (unescaped segments) to the first `__proto__` key in `value`, if any. It is the one
 * name paydoc refuses (the YAML loader refuses it in input): JSON.parse makes it an own field,
 * but an assignment `out[key] = …` elsewhere would set the object's prototype instead.
 */
export function protoKeyPath(value: JsonValue | undefined): string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = protoKeyPath(value[index]);
      if (found !== undefined) return [String(index), ...found];
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return [key];
    const found = protoKeyPath(value[key]);
    if (found !== undefined) return [key, ...found];
  }
  return undefined;
}
