import type { CoreTypeName } from '../model/core-type-ids.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
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

/**
 * What the editor form of a schema refers to besides types (see {@link exportSchema}). Each
 * returns the `$ref` of a definition the exporter adds on first use.
 */
export interface EditorRefs {
  /** The value of a node's `type` key: an alias or a reference `{blueId}` (or an inline type). */
  typeRef: () => string;
  /** A node of this type or of any of its subtypes, told apart by its `type`. */
  subtypes: (typeId: string) => string;
  /** Any contract, told apart by its `type` (which it must have). */
  contract: () => string;
}

/** The `$id` under which a type's schema is registered with ajv. */
export function schemaUrn(typeId: string): string {
  return `urn:paydoc:type:${typeId}`;
}

interface Context {
  registry: TypeRegistry;
  ref: SchemaRef;
  /** Present for the editor form only: validation and OpenAPI use the plain form. */
  editor?: EditorRefs;
}

/**
 * JSON Schema (draft-07) for instances of a type, in the simple form authors write
 * (`amount: 100`, lists as lists). Types are open: instances may add fields.
 *
 * With `editor`, the schema also accepts what the plain form leaves to the validator's own
 * walk, so that an editor flags only what paydoc would refuse: Blue's node form of a simple
 * value (`amount: {type: Integer, value: 4999}`), a `type` written as an alias or `{blueId}`,
 * `contracts` and workflow steps checked by the type they name (offered as completions).
 */
export function typeSchema(
  registry: TypeRegistry,
  resolved: ResolvedType,
  ref: SchemaRef,
  editor?: EditorRefs,
): JsonObject {
  const ctx: Context = { registry, ref, ...(editor === undefined ? {} : { editor }) };
  const definition = registry.get(resolved.id);
  let schema = specSchema(ctx, resolved.spec, resolved.basic);
  if (editor !== undefined && resolved.basic === undefined)
    schema = editorNode(ctx, resolved, schema);
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
  return specSchema({ registry, ref }, spec);
}

function specSchema(ctx: Context, spec: FieldSpec, basic?: CoreTypeName): JsonObject {
  const parts: JsonObject[] = [];
  if (basic !== undefined) parts.push(collectionSchema(ctx, basic, spec));
  else if (spec.typeId !== undefined) parts.push(typeRefSchema(ctx, spec.typeId, spec));
  // A field with neither a type nor fields of its own accepts any value (an event pattern, `val`).
  const hasFields = Object.keys(spec.fields).length > 0;
  if (hasFields) parts.push(objectSchema(ctx, spec));
  let schema: JsonObject =
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
  if (ctx.editor !== undefined) {
    schema = withoutRefSiblings(schema);
    // The root of a type (`basic` given) is sugared where it is used, not in its definition.
    if (basic === undefined && !hasFields && spec.typeId !== undefined)
      schema = withNodeForm(ctx, schema, ctx.registry.resolve(spec.typeId).basic);
  }
  return schema;
}

/** The schema of a value of one type, where a field, a list item or a dictionary value names it. */
function typeRefSchema(ctx: Context, typeId: string, spec?: FieldSpec): JsonObject {
  const basic = ctx.registry.get(typeId).basic;
  if (basic !== undefined)
    return collectionSchema(ctx, basic, spec ?? { typeId, constraints: {}, fields: {} });
  if (ctx.editor !== undefined && hasSubtypes(ctx.registry, typeId))
    return { $ref: ctx.editor.subtypes(typeId) };
  return { $ref: ctx.ref(typeId) };
}

/** {@link typeRefSchema} for an item or entry, which has no field spec to carry its sugar. */
function elementSchema(ctx: Context, typeId: string): JsonObject {
  const schema = typeRefSchema(ctx, typeId);
  return ctx.editor === undefined
    ? schema
    : withNodeForm(ctx, schema, ctx.registry.resolve(typeId).basic);
}

function collectionSchema(ctx: Context, basic: CoreTypeName, spec: FieldSpec): JsonObject {
  const schema: JsonObject = { ...BASIC_SCHEMAS[basic] };
  if (basic === 'List' && spec.itemTypeId !== undefined) {
    schema.items = elementSchema(ctx, spec.itemTypeId);
  }
  if (basic === 'Dictionary' && spec.valueTypeId !== undefined) {
    // A dictionary written as a node keeps its reserved keys (`type`, `valueType`) beside its
    // entries: they are not entries, so neither the value nor the key type applies to them.
    schema.properties = NODE_KEYS_ANY;
    schema.additionalProperties = elementSchema(ctx, spec.valueTypeId);
  }
  const keyPattern =
    basic === 'Dictionary' && spec.keyTypeId !== undefined
      ? KEY_PATTERNS[ctx.registry.get(spec.keyTypeId).basic ?? 'Text']
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

function objectSchema(ctx: Context, spec: FieldSpec): JsonObject {
  const properties: JsonObject = {
    name: { type: 'string' },
    description: { type: 'string' },
  };
  if (ctx.editor !== undefined) properties.type = { $ref: ctx.editor.typeRef() };
  const required: JsonValue[] = [];
  for (const [key, field] of Object.entries(spec.fields)) {
    properties[key] = specSchema(ctx, field);
    if (field.constraints.required === true) required.push(key);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

// ---------------------------------------------------------------------------------------------
// The editor form

/**
 * Keywords an editor keeps beside a `$ref` under draft-07, which ignores the others there
 * (yaml-language-server strips them): a `$ref` with constraints becomes an `allOf`.
 */
const REF_ANNOTATIONS: ReadonlySet<string> = new Set(['$ref', 'title', 'description']);

function withoutRefSiblings(schema: JsonObject): JsonObject {
  if (typeof schema.$ref !== 'string') return schema;
  const constraints = Object.entries(schema).filter(([key]) => !REF_ANNOTATIONS.has(key));
  if (constraints.length === 0) return schema;
  return {
    ...(schema.description === undefined ? {} : { description: schema.description }),
    allOf: [{ $ref: schema.$ref }, Object.fromEntries(constraints)],
  };
}

/** Node keys Blue allows on a simple value that an editor need not offer as completions. */
const QUIET_NODE_KEYS = '^(schema|mergePolicy|blue)$';

/**
 * A simple value (text, number, boolean, list) may also be written as a Blue node:
 * `amount: {value: 4999}`, `{type: Integer, value: 4999, description: …}`, a list as
 * `{itemType: Text, items: […]}`, a reference `{blueId: …}`, or a node that only declares its
 * type (`{type: Integer}`, which Blue allows even for a required field).
 */
function withNodeForm(
  ctx: Context,
  schema: JsonObject,
  basic: CoreTypeName | undefined,
): JsonObject {
  const editor = ctx.editor;
  if (editor === undefined || basic === undefined || basic === 'Dictionary') return schema;
  const { description, ...value } = schema;
  const properties: JsonObject = {
    [basic === 'List' ? 'items' : 'value']: value,
    type: { $ref: editor.typeRef() },
    ...(basic === 'List' ? { itemType: { $ref: editor.typeRef() } } : {}),
    name: { type: 'string' },
    description: { type: 'string' },
    blueId: { type: 'string' },
  };
  const node: JsonObject = {
    // Named for messages: "Expected integer | object(node {value: …})".
    title: basic === 'List' ? 'node {items: […]}' : 'node {value: …}',
    type: 'object',
    properties,
    patternProperties: { [QUIET_NODE_KEYS]: {} },
    additionalProperties: false,
  };
  return { ...(description === undefined ? {} : { description }), anyOf: [value, node] };
}

/** A type's definition in the editor form: always a node, with `type` and its `contracts`. */
function editorNode(ctx: Context, resolved: ResolvedType, schema: JsonObject): JsonObject {
  const editor = ctx.editor as EditorRefs;
  const isNode = schema.type === 'object' && isJsonObject(schema.properties);
  // A type without fields of its own (an event, a step base) still describes a node.
  if (!isNode && Object.keys(schema).some((key) => key !== 'description')) return schema;
  const node: JsonObject = isNode
    ? { ...schema, properties: { ...(schema.properties as JsonObject) } }
    : {
        ...schema,
        type: 'object',
        properties: { name: { type: 'string' }, description: { type: 'string' } },
      };
  const properties = node.properties as JsonObject;
  properties.type = { $ref: editor.typeRef() };
  if (!isContractOrStep(ctx.registry, resolved.id))
    properties.contracts = contractsSchema(ctx, resolved);
  return node;
}

/**
 * A node's `contracts`: the ones its type declares keep their declared type (an instance may
 * leave out `type` or narrow it); any other key is a contract that must name its type.
 */
function contractsSchema(ctx: Context, resolved: ResolvedType | undefined): JsonObject {
  const editor = ctx.editor as EditorRefs;
  const declared = Object.entries(resolved?.contracts ?? {}).map(
    ([key, contract]): [string, JsonValue] => [
      key,
      contract.typeId === undefined ? {} : { $ref: anyOfType(ctx, contract.typeId) },
    ],
  );
  return {
    type: 'object',
    description:
      "The node's channels, handlers and markers by key; each one's `type` says which (Timeline Channel, Sequential Workflow, Operation, …).",
    ...(declared.length > 0 ? { properties: Object.fromEntries(declared) } : {}),
    additionalProperties: { $ref: editor.contract() },
  };
}

function anyOfType(ctx: Context, typeId: string): string {
  const editor = ctx.editor as EditorRefs;
  return hasSubtypes(ctx.registry, typeId) ? editor.subtypes(typeId) : ctx.ref(typeId);
}

/** Contract types and workflow step types describe parts of a document, never hold contracts. */
function isContractOrStep(registry: TypeRegistry, typeId: string): boolean {
  return [CONTRACT, STEP].some((name) => {
    const base = registry.lookup(name);
    return base !== undefined && registry.isSubtype(typeId, base.id);
  });
}

const CONTRACT = 'Core/Contract';
const STEP = 'Conversation/Sequential Workflow Step';

function hasSubtypes(registry: TypeRegistry, typeId: string): boolean {
  return registry
    .list()
    .some((other) => other.id !== typeId && isSubtypeOf(registry, other.id, typeId));
}

function isSubtypeOf(registry: TypeRegistry, typeId: string, ancestorId: string): boolean {
  return registry.get(typeId).basic === undefined && registry.isSubtype(typeId, ancestorId);
}

/** Every type a contract may have: Core/Contract's subtypes and whatever a type declares as one. */
function contractTypeIds(registry: TypeRegistry): string[] {
  const bases = new Set<string>();
  const contract = registry.lookup(CONTRACT);
  if (contract !== undefined) bases.add(contract.id);
  for (const definition of registry.list()) {
    if (definition.basic !== undefined) continue;
    for (const declared of Object.values(registry.resolve(definition.id).contracts))
      if (declared.typeId !== undefined) bases.add(declared.typeId);
  }
  return registry
    .list()
    .filter((definition) => [...bases].some((base) => isSubtypeOf(registry, definition.id, base)))
    .map((definition) => definition.id);
}

/**
 * The names an author may write for a type, for completion: its short name where that names
 * this type (`Timeline Channel` is the Payments one), then its qualified name.
 */
function typeNames(registry: TypeRegistry, typeId: string): string[] {
  const definition = registry.get(typeId);
  const short = registry.lookup(definition.name)?.id === typeId ? [definition.name] : [];
  return definition.name === definition.qualifiedName
    ? short
    : [...short, definition.qualifiedName];
}

/** A BlueId written as a type alias (Base58, as `paydoc types` prints them). */
const BLUE_ID_PATTERN = '^[1-9A-HJ-NP-Za-km-z]{32,50}$';

/** `type` names this type: one of its aliases or BlueIds, as text or `{blueId}`. */
function typeIs(registry: TypeRegistry, typeId: string): JsonObject {
  const definition = registry.get(typeId);
  const ids = [...new Set([definition.id, definition.computedId])];
  return {
    required: ['type'],
    properties: {
      type: {
        anyOf: [
          { enum: [...typeNames(registry, typeId), ...ids] },
          { type: 'object', required: ['blueId'], properties: { blueId: { enum: ids } } },
        ],
      },
    },
  };
}

/**
 * A node whose schema is chosen by its `type`: one `if`/`then` per candidate type (so an editor
 * checks the fields of the type written and offers them), `type` offered as an enum of the
 * candidates' names, and `fallback` for a node without `type`.
 */
function dispatchSchema(
  ctx: Context,
  options: {
    title: string;
    description?: string;
    candidates: readonly string[];
    fallback?: JsonObject;
    requireType: boolean;
  },
): JsonObject {
  const { registry, ref } = ctx;
  const candidates = [...options.candidates].sort((a, b) =>
    registry.nameOf(a) < registry.nameOf(b) ? -1 : 1,
  );
  // Short names first: they are what authors write.
  const names = [...new Set(candidates.flatMap((id) => typeNames(registry, id)))].sort(
    (a, b) => Number(a.includes('/')) - Number(b.includes('/')) || (a < b ? -1 : 1),
  );
  const descriptions = names.map((name) => {
    const description = registry.lookup(name)?.node.description;
    return typeof description === 'string' ? description : '';
  });
  const branches: JsonValue[] = candidates.map((id) => ({
    if: typeIs(registry, id),
    then: { $ref: ref(id) },
  }));
  if (options.fallback !== undefined)
    branches.push({ if: { not: { required: ['type'] } }, then: options.fallback });
  return {
    title: options.title,
    ...(options.description === undefined ? {} : { description: options.description }),
    type: 'object',
    properties: {
      type: {
        description: 'The type of this node: a type name (completion lists them) or a BlueId.',
        anyOf: [
          { type: 'string', enum: names, enumDescriptions: descriptions },
          { type: 'string', pattern: BLUE_ID_PATTERN },
          // Any other text is a name no type has: only a reference or an inline type remains.
          {
            type: 'object',
            description: 'A reference `{blueId: …}`, or a type written inline.',
            minProperties: 1,
          },
        ],
      },
    },
    ...(options.requireType ? { required: ['type'] } : {}),
    allOf: branches,
  };
}

/** The value of any node's `type` key: a name or BlueId, `{blueId: …}`, or a type written inline. */
function typeRefDefinition(): JsonObject {
  return {
    title: 'Type reference',
    description:
      'A type name (`Card Payment`, `Payments/Card Payment`), a BlueId, `{blueId: …}`, or a type written inline (`{name: …, <fields>}`).',
    anyOf: [
      { type: 'string' },
      {
        type: 'object',
        properties: { blueId: { type: 'string' }, name: { type: 'string' } },
        minProperties: 1,
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Exports

const TYPE_REF_DEF = 'paydoc:type-ref';
const CONTRACT_DEF = 'paydoc:contract';
const DOCUMENT_DEF = 'paydoc:document';
const subtypesDef = (qualifiedName: string): string => `paydoc:subtypes:${qualifiedName}`;

/** What the root of a standalone schema is built with. */
interface Exporter {
  ctx: Context;
  /** The `$ref` of a definition under `$defs`, built (once) when first wanted. */
  want: (key: string, build: () => JsonObject) => string;
}

/**
 * Builds a standalone schema: every definition it refers to lands under `$defs`, keyed by the
 * type's qualified name (synthetic ones by `paydoc:…`, which no qualified name can be).
 */
function standalone(
  registry: TypeRegistry,
  root: (exporter: Exporter) => string,
  options: { id: string; title?: string; description?: string; everyType?: boolean },
): JsonObject {
  const defs = new Map<string, JsonObject>();
  const queue: { key: string; build: () => JsonObject }[] = [];
  const queued = new Set<string>();
  // A JSON pointer in a URI fragment: `/` in a name is `~1` (RFC 6901), then the fragment is
  // percent-encoded (RFC 3986), so `Payments/Card Payment` is `Payments~1Card%20Payment`.
  const pointer = (key: string): string => `#/$defs/${encodeURIComponent(escapeSegment(key))}`;
  const want = (key: string, build: () => JsonObject): string => {
    if (!queued.has(key)) {
      queued.add(key);
      queue.push({ key, build });
    }
    return pointer(key);
  };
  const ref: SchemaRef = (id) =>
    want(registry.nameOf(id), () => typeSchema(registry, registry.resolve(id), ref, editor));
  const editor: EditorRefs = {
    typeRef: () => want(TYPE_REF_DEF, typeRefDefinition),
    subtypes: (id) =>
      want(subtypesDef(registry.nameOf(id)), () =>
        dispatchSchema(ctx, {
          title: `${registry.nameOf(id)} or a subtype`,
          candidates: registry
            .list()
            .filter((definition) => isSubtypeOf(registry, definition.id, id))
            .map((definition) => definition.id),
          fallback: { $ref: ref(id) },
          requireType: false,
        }),
      ),
    contract: () =>
      want(CONTRACT_DEF, () =>
        dispatchSchema(ctx, {
          title: 'Contract',
          description:
            'A channel (who may speak to the document), a handler (what happens then) or a marker; its `type` says which.',
          candidates: contractTypeIds(registry),
          requireType: true,
        }),
      ),
  };
  const ctx: Context = { registry, ref, editor };
  const rootRef = root({ ctx, want });
  if (options.everyType === true)
    for (const definition of registry.list())
      if (definition.basic === undefined) ref(definition.id);
  for (let next = queue.shift(); next !== undefined; next = queue.shift())
    defs.set(next.key, next.build());
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: options.id,
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.description === undefined ? {} : { description: options.description }),
    $ref: rootRef,
    $defs: Object.fromEntries([...defs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

/**
 * A standalone editor schema for documents of one type (or of a subtype, told apart by their
 * `type`), with every definition it refers to under `$defs` (`paydoc schema <Type>`).
 */
export function exportSchema(registry: TypeRegistry, typeId: string): JsonObject {
  return standalone(
    registry,
    ({ ctx }) =>
      registry.get(typeId).basic === undefined ? anyOfType(ctx, typeId) : ctx.ref(typeId),
    { id: schemaUrn(typeId) },
  );
}

/** The `$id` of the bundle {@link exportBundle} makes. */
export const BUNDLE_ID = 'urn:paydoc:schema:bundle';

/**
 * One editor schema for any paydoc document (`paydoc schema --all`): every type of the registry
 * under `$defs`, and at the top a dispatch on the document's `type`, so that whatever type a
 * document names, its fields, contracts and steps are checked and offered.
 */
export function exportBundle(registry: TypeRegistry): JsonObject {
  return standalone(
    registry,
    ({ ctx, want }) =>
      want(DOCUMENT_DEF, () =>
        dispatchSchema(ctx, {
          title: 'paydoc document',
          description: 'A paydoc document (or event): its `type` chooses the schema.',
          candidates: registry
            .list()
            .filter((definition) => definition.basic === undefined)
            .map((definition) => definition.id),
          // A document without a type (a scenario, a test) still has contracts worth checking.
          fallback: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              description: { type: 'string' },
              contracts: contractsSchema(ctx, undefined),
            },
          },
          requireType: false,
        }),
      ),
    { id: BUNDLE_ID, everyType: true },
  );
}
