import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import type { Problem } from '../errors/problem.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, ownValue } from '../model/json.js';
import { escapeSegment, getAtPointer } from '../model/json-pointer.js';
import type { SourceMap } from '../model/load-yaml.js';
import { checkAnatomy, fieldKeys, locate, RESERVED_KEYS, simplify } from '../model/node.js';
import { declaredSchema, schemaUrn, typeSchema } from '../types/json-schema.js';
import type { FieldSpec } from '../types/type-definition.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { sameJson } from '../types/type-registry.js';
import { aliasOf, referenceOf } from '../types/type-refs.js';
import { contractRuleProblems } from './contract-rules.js';
import { suggestTypeName } from './did-you-mean.js';

// ajv-formats is CommonJS; under NodeNext its callable export sits on `.default`.
const addFormats = ajvFormats.default as unknown as (ajv: Ajv) => Ajv;

interface FieldValidators {
  byKey: Map<string, ValidateFunction>;
  required: Set<string>;
}

interface Expectation {
  typeId?: string;
  spec?: FieldSpec;
}

/** Keys a node may carry and still hold no value: `x: {type: Text}` declares, it does not fill. */
const VALUELESS_KEYS: ReadonlySet<string> = new Set([
  'type',
  'name',
  'description',
  'itemType',
  'keyType',
  'valueType',
  'schema',
  'mergePolicy',
]);

/**
 * Validates documents against the type library: node anatomy, each typed node against its
 * type's JSON Schema (compiled once per type), narrowing of declared types, and every
 * contract against its contract type. Problems name the JSON pointer and, given a source
 * map, the YAML line:col.
 */
export class DocumentValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly fieldCache = new Map<string, FieldValidators | undefined>();
  private readonly contractTypeId: string | undefined;
  private readonly declaredCache = new Map<string, ValidateFunction>();

  constructor(private readonly registry: TypeRegistry) {
    // ownProperties: a field the schema names (`required`, `properties`) is present only as an
    // own property, so an instance without a `toString` field does not "have" Object.prototype's.
    this.ajv = new Ajv({
      allErrors: true,
      strict: false,
      allowUnionTypes: true,
      ownProperties: true,
    });
    addFormats(this.ajv);
    for (const definition of registry.list()) {
      const schema = typeSchema(registry, registry.resolve(definition.id), schemaUrn);
      this.ajv.addSchema({ ...schema, $id: schemaUrn(definition.id) });
    }
    this.contractTypeId = registry.lookup('Core/Contract')?.id;
  }

  /** All problems of a document; an empty list means valid. */
  validate(document: JsonValue, positions?: SourceMap): Problem[] {
    const problems = checkAnatomy(document);
    if (problems.length === 0) {
      this.walk(document, {}, '', true, problems);
      problems.push(...contractRuleProblems(document, this.registry));
    }
    return dedupe(problems).map((problem) => ({
      ...problem,
      ...(positions && problem.pointer !== undefined
        ? { position: locate(document, problem.pointer, positions) ?? { line: 1, col: 1 } }
        : {}),
    }));
  }

  /**
   * Validates a document that differs from `previous` (already valid) only in subtrees that
   * are new objects, as processor patches produce: identical subtrees are skipped, and a typed
   * node whose type did not change has only its changed fields checked.
   */
  revalidate(document: JsonValue, previous: JsonValue): Problem[] {
    const problems = checkAnatomy(document, previous);
    if (problems.length === 0) this.walk(document, {}, '', true, problems, previous);
    return dedupe(problems);
  }

  /** Validates one value against one type (e.g. an operation request), without positions. */
  validateAs(value: JsonValue, typeId: string): Problem[] {
    const problems: Problem[] = [];
    this.walk(value, { typeId }, '', true, problems);
    return dedupe(problems);
  }

  /**
   * Validates one value against a declared node (an Operation's `request`): its type and
   * everything written beside it, `itemType`, `keyType`, `valueType` and fields, at any depth.
   */
  validateDeclared(value: JsonValue, declared: JsonValue): Problem[] {
    const problems: Problem[] = [];
    const spec = collectionSpec(this.registry.specOf(declared, '', []), this.registry);
    this.runDeclared(spec, value, '', problems);
    return dedupe(problems);
  }

  private walk(
    raw: JsonValue,
    expected: Expectation,
    pointer: string,
    force: boolean,
    problems: Problem[],
    previous?: JsonValue,
  ): void {
    if (previous !== undefined && raw === previous) return;
    if (Array.isArray(raw)) {
      const priorItems = Array.isArray(previous) ? previous : undefined;
      const itemTypeId = expected.spec?.itemTypeId;
      raw.forEach((item, index) =>
        this.walk(
          item,
          itemTypeId ? { typeId: itemTypeId } : {},
          `${pointer}/${index}`,
          false,
          problems,
          priorItems?.[index],
        ),
      );
      return;
    }
    if (!isJsonObject(raw)) {
      if (force && expected.typeId !== undefined)
        this.runSchema(expected.typeId, raw, pointer, problems);
      return;
    }
    const typeId = this.declaredType(raw, expected, pointer, problems);
    if (typeId === null) return;
    const before =
      isJsonObject(previous) && sameJson(previous.type ?? null, raw.type ?? null)
        ? previous
        : undefined;
    if (typeId !== undefined && (force || typeId !== expected.typeId)) {
      if (before === undefined || !this.runChangedFields(typeId, raw, before, pointer, problems)) {
        this.runSchema(typeId, raw, pointer, problems);
      }
    }
    const own = this.ownDeclaration(raw, typeId, pointer, problems);
    if (own !== undefined) this.runDeclared(own, raw, pointer, problems);
    const fields = this.fieldsOf(typeId, own ?? expected.spec);
    for (const key of Object.keys(raw)) {
      if (RESERVED_KEYS.has(key)) continue;
      const child = raw[key] as JsonValue;
      const prior = before === undefined ? undefined : ownValue(before, key);
      if (prior !== undefined && child === prior) continue;
      const spec = ownValue(fields, key);
      // A field the type declares as "any value" (an event pattern, a patch value, a message)
      // holds data, not a typed instance: it is matched or copied, never validated as one.
      if (spec !== undefined && isAnyValue(spec)) continue;
      if (spec === undefined && (typeof child !== 'object' || child === null)) continue;
      this.walk(
        child,
        spec ? { ...(spec.typeId ? { typeId: spec.typeId } : {}), spec } : {},
        `${pointer}/${escapeSegment(key)}`,
        false,
        problems,
        prior,
      );
    }
    if (Array.isArray(raw.items)) {
      const itemsExpected = own === undefined ? expected : { ...expected, spec: own };
      this.walk(raw.items, itemsExpected, `${pointer}/items`, false, problems, before?.items);
    }
    if (isJsonObject(raw.contracts)) {
      const priorContracts = isJsonObject(before?.contracts) ? before.contracts : undefined;
      this.walkContracts(raw.contracts, typeId, `${pointer}/contracts`, problems, priorContracts);
    }
  }

  /** The node's effective type id; null when its declared type is unknown or not allowed here. */
  private declaredType(
    raw: JsonObject,
    expected: Expectation,
    pointer: string,
    problems: Problem[],
  ): string | undefined | null {
    if (raw.type === undefined || raw.type === null) return expected.typeId;
    if (isInlineType(raw.type)) return this.inlineParent(raw.type, expected, pointer, problems);
    const declared = this.registry.resolveRef(raw.type);
    if (declared === undefined) {
      problems.push({
        code: 'unknown_type',
        message: `unknown type ${describeRef(raw.type)}${this.typeHint(raw.type)}`,
        pointer: `${pointer}/type`,
      });
      return null;
    }
    if (expected.typeId !== undefined && !this.registry.isSubtype(declared, expected.typeId)) {
      problems.push({
        code: 'validation_failed',
        message: `type ${this.registry.nameOf(declared)} is not a ${this.registry.nameOf(expected.typeId)}`,
        pointer: `${pointer}/type`,
      });
      return null;
    }
    return declared;
  }

  /** `; did you mean 'JavaScript Code'?` for a mistyped alias; nothing for a BlueId. */
  private typeHint(ref: JsonValue): string {
    const alias = aliasOf(ref);
    const known = alias === undefined ? undefined : suggestTypeName(this.registry, alias);
    return known === undefined ? '' : `; did you mean '${known}'?`;
  }

  /**
   * An anonymous type written inline (`type: {name: TypeX, …}`), as blue-js resolves one: its
   * own `type` is its parent (and must fit where the node is), what it declares overlays it.
   */
  private inlineParent(
    inline: JsonObject,
    expected: Expectation,
    pointer: string,
    problems: Problem[],
  ): string | undefined | null {
    if (inline.type === undefined || inline.type === null) return expected.typeId;
    return this.declaredType(inline, expected, `${pointer}/type`, problems);
  }

  /**
   * What the node itself declares beyond its type: an inline type's fields, or its own
   * `itemType`/`keyType`/`valueType`; undefined when it declares nothing of the kind.
   */
  private ownDeclaration(
    raw: JsonObject,
    typeId: string | undefined,
    pointer: string,
    problems: Problem[],
  ): FieldSpec | undefined {
    const inline = isInlineType(raw.type) ? raw.type : undefined;
    if (
      inline === undefined &&
      raw.itemType === undefined &&
      raw.keyType === undefined &&
      raw.valueType === undefined
    )
      return undefined;
    const found: Problem[] = [];
    const spec: FieldSpec =
      inline === undefined
        ? { constraints: {}, fields: {} }
        : this.registry.specOf({ ...inline, type: null }, `${pointer}/type`, found, true);
    delete spec.fixed;
    const ownSpec = this.registry.specOf(
      {
        ...(raw.itemType === undefined ? {} : { itemType: raw.itemType }),
        ...(raw.keyType === undefined ? {} : { keyType: raw.keyType }),
        ...(raw.valueType === undefined ? {} : { valueType: raw.valueType }),
      },
      pointer,
      found,
      true,
    );
    for (const key of ['itemTypeId', 'keyTypeId', 'valueTypeId'] as const) {
      const id = ownSpec[key];
      if (id !== undefined) spec[key] = id;
    }
    problems.push(...found);
    if (found.length > 0) return undefined;
    if (typeId !== undefined) spec.typeId = typeId;
    return collectionSpec(spec, this.registry);
  }

  private runDeclared(spec: FieldSpec, raw: JsonValue, pointer: string, problems: Problem[]): void {
    const key = JSON.stringify(spec);
    let validate = this.declaredCache.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(declaredSchema(this.registry, spec, schemaUrn));
      if (this.declaredCache.size > 4096) this.declaredCache.clear();
      this.declaredCache.set(key, validate);
    }
    // Problems of the node as a whole read as the type check's do (and so merge with them).
    this.report(validate, simplify(raw), pointer, problems, pointer, true);
  }

  /** Ajv's errors as problems, but none at or inside a node that only declares (`{type: Text}`). */
  private report(
    validate: ValidateFunction,
    simple: JsonValue,
    pointer: string,
    problems: Problem[],
    labelPrefix = '',
    rootAsDocument = false,
  ): void {
    if (validate(simple)) return;
    for (const error of validate.errors ?? []) {
      if (error.keyword === 'allOf' || error.keyword === 'if' || error.keyword === 'anyOf')
        continue;
      // A key's own failures are summed up by the `propertyNames` error that follows them.
      if (error.schemaPath.includes('/propertyNames/')) continue;
      if (declaresOnly(simple, error.instancePath, this.registry)) continue;
      const prefix =
        rootAsDocument && error.instancePath === '' && error.keyword !== 'propertyNames'
          ? ''
          : labelPrefix;
      problems.push(toProblem(error, simple, pointer, prefix));
    }
  }

  private fieldsOf(
    typeId: string | undefined,
    spec: FieldSpec | undefined,
  ): Record<string, FieldSpec> {
    const fromType = typeId ? this.registry.resolve(typeId).spec.fields : {};
    return spec && Object.keys(spec.fields).length > 0 ? { ...fromType, ...spec.fields } : fromType;
  }

  private walkContracts(
    contracts: JsonObject,
    typeId: string | undefined,
    pointer: string,
    problems: Problem[],
    previous?: JsonObject,
  ): void {
    const declared = typeId ? this.registry.resolve(typeId).contracts : {};
    for (const [key, entry] of Object.entries(contracts)) {
      if (previous !== undefined && ownValue(previous, key) === entry) continue;
      const entryPointer = `${pointer}/${escapeSegment(key)}`;
      const declaredContract = ownValue(declared, key);
      const inherited = declaredContract?.typeId;
      if (!isJsonObject(entry)) {
        problems.push({
          code: 'validation_failed',
          message: `contract '${key}' must be a map with a type`,
          pointer: entryPointer,
        });
        continue;
      }
      if (entry.type === undefined && inherited === undefined) {
        problems.push({
          code: 'validation_failed',
          message: `contract '${key}' needs a type`,
          pointer: entryPointer,
        });
        continue;
      }
      const declaredNode = declaredContract?.node;
      if (declaredNode !== undefined)
        this.checkInheritedContract(key, declaredNode, entry, entryPointer, problems);
      const effective = declaredNode === undefined ? entry : { ...declaredNode, ...entry };
      const expectedType = inherited ?? this.contractTypeId;
      this.walk(
        effective,
        expectedType ? { typeId: expectedType } : {},
        entryPointer,
        true,
        problems,
      );
    }
  }

  /** A contract the type declares keeps the values the type gives it; an instance may only add or narrow. */
  private checkInheritedContract(
    key: string,
    declared: JsonObject,
    entry: JsonObject,
    pointer: string,
    problems: Problem[],
  ): void {
    for (const field of fieldKeys(declared)) {
      if (!Object.hasOwn(entry, field)) continue;
      const fixed = simplify(declared[field] as JsonValue);
      if (!sameJson(fixed, simplify(entry[field] as JsonValue))) {
        problems.push({
          code: 'validation_failed',
          message: `contract '${key}': ${field} is fixed to ${JSON.stringify(fixed)} by the document's type`,
          pointer: `${pointer}/${escapeSegment(field)}`,
        });
      }
    }
  }

  /**
   * Checks only the fields of `raw` that differ from `before` (same type, already valid), each
   * against its property schema. False when the type's schema is not a plain object schema.
   */
  private runChangedFields(
    typeId: string,
    raw: JsonObject,
    before: JsonObject,
    pointer: string,
    problems: Problem[],
  ): boolean {
    const fields = this.fieldValidators(typeId);
    if (fields === undefined) return false;
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(raw, key) && fields.required.has(key)) {
        problems.push({
          code: 'validation_failed',
          message: `missing required field '${key}'`,
          pointer,
        });
      }
    }
    for (const key of Object.keys(raw)) {
      const value = raw[key] as JsonValue;
      if (value === ownValue(before, key)) continue;
      const validate = fields.byKey.get(key);
      if (validate === undefined) continue;
      this.report(
        validate,
        simplify(value),
        `${pointer}/${escapeSegment(key)}`,
        problems,
        `/${escapeSegment(key)}`,
      );
    }
    return true;
  }

  private fieldValidators(typeId: string): FieldValidators | undefined {
    if (this.fieldCache.has(typeId)) return this.fieldCache.get(typeId);
    const schema = typeSchema(this.registry, this.registry.resolve(typeId), schemaUrn);
    let validators: FieldValidators | undefined;
    if (
      schema.type === 'object' &&
      isJsonObject(schema.properties) &&
      schema.allOf === undefined &&
      schema.const === undefined
    ) {
      const byKey = new Map<string, ValidateFunction>();
      for (const [key, property] of Object.entries(schema.properties)) {
        byKey.set(key, this.ajv.compile(property as JsonObject));
      }
      const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
      validators = { byKey, required };
    }
    this.fieldCache.set(typeId, validators);
    return validators;
  }

  private runSchema(typeId: string, raw: JsonValue, pointer: string, problems: Problem[]): void {
    this.report(this.schemaFor(typeId), simplify(raw), pointer, problems);
  }

  private schemaFor(typeId: string): ValidateFunction {
    let validate = this.compiled.get(typeId);
    if (validate === undefined) {
      validate = this.ajv.getSchema(schemaUrn(typeId)) as ValidateFunction;
      this.compiled.set(typeId, validate);
    }
    return validate;
  }
}

/** A type written as a node of its own rather than named (an alias or `{blueId}`). */
function isInlineType(type: JsonValue | undefined): type is JsonObject {
  return isJsonObject(type) && aliasOf(type) === undefined && referenceOf(type) === undefined;
}

/** `itemType` means a List and `keyType`/`valueType` a Dictionary, where no type says so. */
function collectionSpec(spec: FieldSpec, registry: TypeRegistry): FieldSpec {
  if (spec.typeId !== undefined) return spec;
  const implied =
    spec.itemTypeId !== undefined
      ? 'List'
      : spec.keyTypeId !== undefined || spec.valueTypeId !== undefined
        ? 'Dictionary'
        : undefined;
  const typeId = implied === undefined ? undefined : registry.lookup(implied)?.id;
  return typeId === undefined ? spec : { ...spec, typeId };
}

/**
 * Is the value at `instancePath` (or one of its ancestors) a node of a basic type (Text, List,
 * …) that holds no value? Blue allows one (`x: {type: Text}`); a node of a type with fields
 * still owes the fields it requires.
 */
function declaresOnly(simple: JsonValue, instancePath: string, registry: TypeRegistry): boolean {
  let current: JsonValue | undefined = simple;
  const segments = instancePath === '' ? [] : instancePath.slice(1).split('/');
  for (let index = 0; ; index += 1) {
    if (isJsonObject(current) && current.type !== undefined && current.type !== null) {
      if (
        Object.keys(current).every((key) => VALUELESS_KEYS.has(key)) &&
        isBasicTyped(current.type, registry)
      )
        return true;
    }
    if (index >= segments.length || current === undefined) return false;
    const segment = (segments[index] as string).replace(/~1/g, '/').replace(/~0/g, '~');
    current = Array.isArray(current)
      ? current[Number(segment)]
      : isJsonObject(current)
        ? ownValue(current, segment)
        : undefined;
  }
}

function isBasicTyped(type: JsonValue, registry: TypeRegistry): boolean {
  if (isInlineType(type)) return type.type !== undefined && isBasicTyped(type.type, registry);
  const id = registry.resolveRef(type);
  return id !== undefined && registry.resolve(id).basic !== undefined;
}

function isAnyValue(spec: FieldSpec): boolean {
  return (
    spec.typeId === undefined &&
    spec.itemTypeId === undefined &&
    Object.keys(spec.fields).length === 0 &&
    spec.fixed === undefined
  );
}

function toProblem(error: ErrorObject, simple: JsonValue, base: string, labelPrefix = ''): Problem {
  const params = error.params as Record<string, unknown>;
  const pointer = base + error.instancePath;
  const label = fieldLabel(labelPrefix + error.instancePath);
  const value = getAtPointer(simple, error.instancePath);
  switch (error.keyword) {
    case 'required':
      return {
        code: 'validation_failed',
        message: `missing required field '${String(params.missingProperty)}'${label === 'document' ? '' : ` in ${label}`}`,
        pointer,
      };
    case 'type': {
      const hint =
        params.type === 'integer' && typeof value === 'number'
          ? ' (amounts are integers in minor units, e.g. 1050 for 10.50)'
          : '';
      // What looks like a card number is never repeated back (logs keep error messages).
      if (typeof value === 'number' && /^\d{12,19}$/.test(String(value)))
        return {
          code: 'validation_failed',
          message: `${label} must be ${typeWord(String(params.type))}, got a number ending in ${String(value).slice(-4)}: a raw card number is never accepted; tokenise the card (POST /test/tokens in test mode) and send its tok_… token`,
          pointer,
        };
      return {
        code: 'validation_failed',
        message: `${label} must be ${typeWord(String(params.type))}, got ${describe(value)}${hint}`,
        pointer,
      };
    }
    case 'const':
      return {
        code: 'validation_failed',
        message: `${label} is fixed to ${JSON.stringify(params.allowedValue)}, got ${describe(value)}`,
        pointer,
      };
    case 'propertyNames':
      return {
        code: 'validation_failed',
        message: `${label} has a key '${String(params.propertyName)}' that its keyType does not allow`,
        pointer: `${pointer}/${escapeSegment(String(params.propertyName))}`,
      };
    case 'enum':
      return {
        code: 'validation_failed',
        message: `${label} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`,
        pointer,
      };
    default:
      return {
        code: 'validation_failed',
        message: `${label} ${error.message ?? 'is invalid'}`,
        pointer,
      };
  }
}

function fieldLabel(instancePath: string): string {
  if (instancePath === '') return 'document';
  return instancePath.slice(1).replace(/~1/g, '/').replace(/~0/g, '~');
}

function typeWord(type: string): string {
  return type === 'integer'
    ? 'an integer'
    : type === 'object'
      ? 'a map'
      : type === 'array'
        ? 'a list'
        : `a ${type === 'string' ? 'text' : type}`;
}

function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isJsonObject(value)) return 'a map';
  return JSON.stringify(value);
}

function describeRef(ref: JsonValue): string {
  if (typeof ref === 'string') return `'${ref}'`;
  return JSON.stringify(ref);
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.pointer}|${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
