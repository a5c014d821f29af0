import { PaydocError } from '../errors/paydoc-error.js';
import type { Problem } from '../errors/problem.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, isScalar, ownValue } from '../model/json.js';
import { fieldKeys, simplify } from '../model/node.js';
import { escapeSegment } from '../model/json-pointer.js';
import type {
  Constraints,
  ContractSpec,
  FieldSpec,
  ResolvedType,
  TypeDefinition,
} from './type-definition.js';
import { CONSTRAINT_KEYWORDS } from './type-definition.js';
import { aliasOf, referenceOf } from './type-refs.js';

const INFERRED: Readonly<Record<string, string>> = {
  string: 'Text',
  boolean: 'Boolean',
};

/**
 * The type library: finds types by alias or BlueId, resolves their parent chains (narrowing
 * only) and answers subtype questions. Immutable once built; resolution is cached.
 */
export class TypeRegistry {
  private readonly byId = new Map<string, TypeDefinition>();
  private readonly aliases = new Map<string, string>();
  private readonly resolvedCache = new Map<string, ResolvedType>();
  private readonly resolving = new Set<string>();

  constructor(definitions: readonly TypeDefinition[], aliases: ReadonlyMap<string, string>) {
    for (const definition of definitions) {
      this.byId.set(definition.id, definition);
      this.aliases.set(definition.computedId, definition.id);
      this.aliases.set(definition.id, definition.id);
    }
    for (const [alias, id] of aliases) this.aliases.set(alias, id);
  }

  /** Every type, in library order. */
  list(): TypeDefinition[] {
    return [...this.byId.values()];
  }

  /** The type an alias (`Card Payment`, `Payments/Card Payment`) or BlueId names. */
  lookup(aliasOrId: string): TypeDefinition | undefined {
    const id = this.aliases.get(aliasOrId);
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** The type id a reference names: an alias, `{value: alias}` or `{blueId}`. */
  resolveRef(ref: JsonValue | undefined): string | undefined {
    const alias = aliasOf(ref) ?? referenceOf(ref);
    return alias === undefined ? undefined : this.aliases.get(alias);
  }

  /** The id of an alias only (used when hashing documents). */
  idOfAlias(alias: string): string | undefined {
    return this.aliases.get(alias);
  }

  get(id: string): TypeDefinition {
    const definition = this.byId.get(id);
    if (definition === undefined) throw new PaydocError('unknown_type', `unknown type id ${id}`);
    return definition;
  }

  /** True when `typeId` is `ancestorId` or descends from it. */
  isSubtype(typeId: string, ancestorId: string): boolean {
    return typeId === ancestorId || this.resolve(typeId).lineage.includes(ancestorId);
  }

  /** Name for messages: `Payments/Card Payment`. */
  nameOf(id: string): string {
    return this.byId.get(id)?.qualifiedName ?? id;
  }

  /** The type with its parent chain merged. Throws type_conflict / type_cycle for a bad library. */
  resolve(id: string): ResolvedType {
    const cached = this.resolvedCache.get(id);
    if (cached !== undefined) return cached;
    if (this.resolving.has(id)) {
      throw new PaydocError('type_cycle', `type ${this.nameOf(id)} inherits from itself`);
    }
    this.resolving.add(id);
    try {
      const resolved = this.resolveUncached(this.get(id));
      this.resolvedCache.set(id, resolved);
      return resolved;
    } finally {
      this.resolving.delete(id);
    }
  }

  private resolveUncached(definition: TypeDefinition): ResolvedType {
    const problems: Problem[] = [];
    const own = this.specOf(definition.node, '', problems, true);
    let parent: ResolvedType | undefined;
    if (definition.node.type !== undefined) {
      const parentId = this.resolveRef(definition.node.type);
      if (parentId === undefined) {
        problems.push({
          code: 'unknown_type',
          message: `unknown parent type ${JSON.stringify(definition.node.type)}`,
          pointer: '/type',
        });
      } else {
        parent = this.resolve(parentId);
      }
    }
    const spec = parent ? this.merge(parent.spec, own, '', problems) : own;
    const contracts = this.mergeContracts(
      parent?.contracts ?? {},
      definition.node.contracts,
      problems,
    );
    if (problems.length > 0) {
      const where = definition.file ?? definition.qualifiedName;
      throw new PaydocError(
        problems[0]?.code === 'unknown_type' ? 'unknown_type' : 'type_conflict',
        `type ${definition.qualifiedName} (${where}): ${problems.map((p) => `${p.pointer}: ${p.message}`).join('; ')}`,
        problems,
      );
    }
    const basic = definition.basic ?? parent?.basic;
    return {
      id: definition.id,
      qualifiedName: definition.qualifiedName,
      lineage: [definition.id, ...(parent?.lineage ?? [])],
      ...(basic ? { basic } : {}),
      spec,
      contracts,
    };
  }

  /** What a node in a type document says about instances (its root or one field). */
  specOf(node: JsonValue, pointer: string, problems: Problem[], isRoot = false): FieldSpec {
    if (!isJsonObject(node)) {
      // Sugar in a type document: `provider: stripe.com` fixes the value.
      if (node === null) return { constraints: {}, fields: {} };
      const inferred =
        typeof node === 'number'
          ? Number.isInteger(node)
            ? 'Integer'
            : 'Double'
          : INFERRED[typeof node];
      const typeId = inferred ? this.aliases.get(inferred) : undefined;
      return { ...(typeId ? { typeId } : {}), fixed: node, constraints: {}, fields: {} };
    }
    const spec: FieldSpec = {
      constraints: this.constraintsOf(node.schema, `${pointer}/schema`, problems),
      fields: {},
    };
    if (typeof node.description === 'string') spec.description = node.description;
    if (!isRoot) this.refInto(spec, 'typeId', node.type, `${pointer}/type`, problems);
    this.refInto(spec, 'itemTypeId', node.itemType, `${pointer}/itemType`, problems);
    this.refInto(spec, 'keyTypeId', node.keyType, `${pointer}/keyType`, problems);
    this.refInto(spec, 'valueTypeId', node.valueType, `${pointer}/valueType`, problems);
    if (Object.hasOwn(node, 'value') && node.value !== null) spec.fixed = node.value as JsonValue;
    else if (Array.isArray(node.items)) spec.fixed = simplify(node.items);
    for (const key of fieldKeys(node)) {
      spec.fields[key] = this.specOf(
        node[key] as JsonValue,
        `${pointer}/${escapeSegment(key)}`,
        problems,
      );
    }
    return spec;
  }

  private refInto(
    spec: FieldSpec,
    key: 'typeId' | 'itemTypeId' | 'keyTypeId' | 'valueTypeId',
    ref: JsonValue | undefined,
    pointer: string,
    problems: Problem[],
  ): void {
    if (ref === undefined || ref === null) return;
    const id = this.resolveRef(ref);
    if (id === undefined) {
      problems.push({
        code: 'unknown_type',
        message: `unknown type ${JSON.stringify(ref)}`,
        pointer,
      });
    } else {
      spec[key] = id;
    }
  }

  private constraintsOf(
    schema: JsonValue | undefined,
    pointer: string,
    problems: Problem[],
  ): Constraints {
    if (schema === undefined || schema === null) return {};
    if (!isJsonObject(schema)) {
      problems.push({
        code: 'invalid_node',
        message: 'schema must be a map of constraints',
        pointer,
      });
      return {};
    }
    const constraints: Constraints = {};
    for (const key of Object.keys(schema)) {
      if (!(CONSTRAINT_KEYWORDS as readonly string[]).includes(key)) {
        problems.push({
          code: 'invalid_node',
          message: `unknown schema keyword '${key}'`,
          pointer: `${pointer}/${key}`,
        });
        continue;
      }
      const value = simplify(schema[key] as JsonValue);
      const wrong = constraintProblem(key as keyof Constraints, value);
      if (wrong !== undefined) {
        problems.push({ code: 'invalid_node', message: wrong, pointer: `${pointer}/${key}` });
        continue;
      }
      constraints[key as keyof Constraints] = value;
    }
    return constraints;
  }

  private merge(
    parent: FieldSpec,
    own: FieldSpec,
    pointer: string,
    problems: Problem[],
  ): FieldSpec {
    const merged: FieldSpec = {
      ...parent,
      ...own,
      constraints: { ...parent.constraints, ...own.constraints },
      fields: { ...parent.fields },
    };
    for (const key of ['typeId', 'itemTypeId', 'keyTypeId', 'valueTypeId'] as const) {
      const wider = parent[key];
      const narrower = own[key];
      if (wider !== undefined && narrower !== undefined && !this.isSubtype(narrower, wider)) {
        problems.push({
          code: 'type_conflict',
          message: `${this.nameOf(narrower)} does not narrow ${this.nameOf(wider)}`,
          pointer: pointer || '/',
        });
      }
      if (wider !== undefined && narrower === undefined) merged[key] = wider;
    }
    if (
      parent.fixed !== undefined &&
      own.fixed !== undefined &&
      !sameJson(parent.fixed, own.fixed)
    ) {
      problems.push({
        code: 'type_conflict',
        message: `fixed value ${JSON.stringify(parent.fixed)} cannot change to ${JSON.stringify(own.fixed)}`,
        pointer: pointer || '/',
      });
    }
    if (parent.fixed !== undefined && own.fixed === undefined) merged.fixed = parent.fixed;
    for (const [key, field] of Object.entries(own.fields)) {
      const inherited = ownValue(parent.fields, key);
      const childPointer = `${pointer}/${escapeSegment(key)}`;
      merged.fields[key] = inherited ? this.merge(inherited, field, childPointer, problems) : field;
    }
    return merged;
  }

  private mergeContracts(
    inherited: Readonly<Record<string, ContractSpec>>,
    own: JsonValue | undefined,
    problems: Problem[],
  ): Record<string, ContractSpec> {
    const merged: Record<string, ContractSpec> = { ...inherited };
    if (!isJsonObject(own)) return merged;
    for (const [key, node] of Object.entries(own)) {
      if (!isJsonObject(node)) continue;
      const pointer = `/contracts/${escapeSegment(key)}`;
      const typeId = node.type === undefined ? undefined : this.resolveRef(node.type);
      if (node.type !== undefined && typeId === undefined) {
        problems.push({
          code: 'unknown_type',
          message: `unknown type ${JSON.stringify(node.type)}`,
          pointer,
        });
      }
      const declared = ownValue(inherited, key);
      const wider = declared?.typeId;
      if (typeId !== undefined && wider !== undefined && !this.isSubtype(typeId, wider)) {
        problems.push({
          code: 'type_conflict',
          message: `${this.nameOf(typeId)} does not narrow ${this.nameOf(wider)}`,
          pointer,
        });
      }
      const nodeMerged = { ...(declared?.node ?? {}), ...node };
      const resolvedTypeId = typeId ?? wider;
      merged[key] = resolvedTypeId
        ? { typeId: resolvedTypeId, node: nodeMerged }
        : { node: nodeMerged };
    }
    return merged;
  }
}

/**
 * What is wrong with a constraint's value, if anything: each becomes a JSON Schema keyword, so
 * one that JSON Schema cannot hold (`enum: []`, `maxLength: "a"`) is refused with the type, not
 * when a validator is compiled from it (an author's own type is refused as it is posted).
 */
function constraintProblem(key: keyof Constraints, value: JsonValue): string | undefined {
  switch (key) {
    case 'required':
      return typeof value === 'boolean' ? undefined : 'required must be true or false';
    case 'minimum':
    case 'maximum':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `${key} must be a number`;
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
      return Number.isSafeInteger(value) && (value as number) >= 0
        ? undefined
        : `${key} must be an integer of 0 or more`;
    case 'enum': {
      if (!Array.isArray(value) || value.length === 0)
        return 'enum must be a list of one or more values';
      const seen = new Set(value.map((item) => JSON.stringify(item)));
      return seen.size === value.length ? undefined : 'enum must not repeat a value';
    }
  }
}

/** Structural equality of JSON values. */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (isScalar(a) || isScalar(b) || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => sameJson(item, b[index] as JsonValue));
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b as JsonObject);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (key) =>
      Object.hasOwn(b as JsonObject, key) &&
      sameJson(a[key] as JsonValue, (b as JsonObject)[key] as JsonValue),
  );
}
