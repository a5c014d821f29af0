import type { CoreTypeName } from '../model/core-type-ids.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { escapeSegment } from '../model/json-pointer.js';
import type { FieldSpec, ResolvedType } from './type-definition.js';
import type { TypeRegistry } from './type-registry.js';

const BASIC_SCHEMAS: Readonly<Record<CoreTypeName, JsonObject>> = {
  Text: { type: 'string' },
  Integer: { type: 'integer' },
  Double: { type: 'number' },
  Boolean: { type: 'boolean' },
  List: { type: 'array' },
  Dictionary: { type: 'object' },
};

/** How a schema refers to another type's schema (`urn:…` inside ajv, `#/$defs/…` in exports). */
export type SchemaRef = (typeId: string) => string;

/** The `$id` under which a type's schema is registered with ajv. */
export function schemaUrn(typeId: string): string {
  return `urn:paydoc:type:${typeId}`;
}

/**
 * JSON Schema (draft-07) for instances of a type, in the simple form authors write
 * (`amount: 100`, lists as lists). Types are open: instances may add fields.
 */
export function typeSchema(
  registry: TypeRegistry,
  resolved: ResolvedType,
  ref: SchemaRef,
): JsonObject {
  const definition = registry.get(resolved.id);
  const schema = specSchema(registry, resolved.spec, ref, resolved.basic);
  return {
    title: definition.qualifiedName,
    ...(typeof definition.node.description === 'string'
      ? { description: definition.node.description }
      : {}),
    ...schema,
  };
}

/**
 * JSON Schema for what one declared node says (an Operation's `request`, a node's own
 * `itemType`), in the same simple form as {@link typeSchema}; it names no type of its own.
 */
export function declaredSchema(
  registry: TypeRegistry,
  spec: FieldSpec,
  ref: SchemaRef,
): JsonObject {
  return specSchema(registry, spec, ref);
}

function specSchema(
  registry: TypeRegistry,
  spec: FieldSpec,
  ref: SchemaRef,
  basic?: CoreTypeName,
): JsonObject {
  const parts: JsonObject[] = [];
  if (basic !== undefined) parts.push(collectionSchema(registry, basic, spec, ref));
  else if (spec.typeId !== undefined) parts.push(typeRefSchema(registry, spec, ref));
  // A field with neither a type nor fields of its own accepts any value (an event pattern, `val`).
  if (Object.keys(spec.fields).length > 0) parts.push(objectSchema(registry, spec, ref));
  const schema: JsonObject =
    parts.length === 0
      ? {}
      : parts.length === 1
        ? { ...(parts[0] as JsonObject) }
        : { allOf: parts };
  for (const [keyword, value] of Object.entries(spec.constraints)) {
    if (keyword !== 'required' && value !== undefined) schema[keyword] = value;
  }
  if (spec.fixed !== undefined) schema.const = spec.fixed;
  if (spec.description !== undefined && schema.description === undefined)
    schema.description = spec.description;
  return schema;
}

function typeRefSchema(registry: TypeRegistry, spec: FieldSpec, ref: SchemaRef): JsonObject {
  const typeId = spec.typeId as string;
  const basic = registry.get(typeId).basic;
  if (basic !== undefined) return collectionSchema(registry, basic, spec, ref);
  return { $ref: ref(typeId) };
}

function collectionSchema(
  registry: TypeRegistry,
  basic: CoreTypeName,
  spec: FieldSpec,
  ref: SchemaRef,
): JsonObject {
  const schema: JsonObject = { ...BASIC_SCHEMAS[basic] };
  if (basic === 'List' && spec.itemTypeId !== undefined) {
    schema.items = typeRefSchema(
      registry,
      { typeId: spec.itemTypeId, constraints: {}, fields: {} },
      ref,
    );
  }
  if (basic === 'Dictionary' && spec.valueTypeId !== undefined) {
    // A dictionary written as a node keeps its reserved keys (`type`, `valueType`) beside its
    // entries: they are not entries, so neither the value nor the key type applies to them.
    schema.properties = NODE_KEYS_ANY;
    schema.additionalProperties = typeRefSchema(
      registry,
      { typeId: spec.valueTypeId, constraints: {}, fields: {} },
      ref,
    );
  }
  const keyPattern =
    basic === 'Dictionary' && spec.keyTypeId !== undefined
      ? KEY_PATTERNS[registry.get(spec.keyTypeId).basic ?? 'Text']
      : undefined;
  if (keyPattern !== undefined) {
    schema.propertyNames = { anyOf: [{ enum: [...NODE_KEYS] }, { pattern: keyPattern }] };
  }
  return schema;
}

const NODE_KEYS = ['name', 'description', 'type', 'itemType', 'keyType', 'valueType', 'blueId'];
const NODE_KEYS_ANY: JsonObject = Object.fromEntries(NODE_KEYS.map((key) => [key, {}]));

/**
 * Keys are text; a key type says which texts (blue-js DictionaryProcessor: an Integer key
 * round-trips through parseInt, a Double key parses as a number, a Boolean key is true/false
 * in any case). Text keys, and non-basic key types blue-js refuses on its own, add nothing.
 */
const KEY_PATTERNS: Readonly<Partial<Record<CoreTypeName, string>>> = {
  Integer: '^(0|-?[1-9][0-9]*)$',
  Double: '^\\s*[-+]?(Infinity|[0-9]+\\.?[0-9]*([eE][-+]?[0-9]+)?|\\.[0-9]+([eE][-+]?[0-9]+)?)',
  Boolean: '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$',
};

function objectSchema(registry: TypeRegistry, spec: FieldSpec, ref: SchemaRef): JsonObject {
  const properties: JsonObject = {
    name: { type: 'string' },
    description: { type: 'string' },
  };
  const required: JsonValue[] = [];
  for (const [key, field] of Object.entries(spec.fields)) {
    properties[key] = specSchema(registry, field, ref);
    if (field.constraints.required === true) required.push(key);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

/**
 * A standalone schema for one type with every type it refers to under `$defs`, for editors
 * (`paydoc schema <Type>`).
 */
export function exportSchema(registry: TypeRegistry, typeId: string): JsonObject {
  const defs: JsonObject = {};
  const pending = [typeId];
  const seen = new Set<string>();
  const defName = (id: string): string => registry.nameOf(id);
  // A JSON pointer in a URI fragment: `/` in a name is `~1` (RFC 6901), then the fragment is
  // percent-encoded (RFC 3986), so `Payments/Card Payment` is `Payments~1Card%20Payment`.
  const pointerTo = (id: string): string =>
    `#/$defs/${encodeURIComponent(escapeSegment(defName(id)))}`;
  const ref: SchemaRef = (id) => {
    if (!seen.has(id)) pending.push(id);
    return pointerTo(id);
  };
  while (pending.length > 0) {
    const id = pending.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    defs[defName(id)] = typeSchema(registry, registry.resolve(id), ref);
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: schemaUrn(typeId),
    $ref: pointerTo(typeId),
    $defs: defs,
  };
}
