import type { SourceMap } from '../model/load-yaml.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import type { CoreTypeName } from '../model/core-type-ids.js';

/** A type document as loaded from the library. */
export interface TypeSource {
  /** Name without the package, e.g. `Card Payment`. */
  name: string;
  packageName: string;
  node: JsonObject;
  file?: string;
  positions?: SourceMap;
}

/** A package of type documents (`documents/types/<package>/`). */
export interface PackageSource {
  name: string;
  description?: string;
  /** Blue's published BlueIds for types of this package, by type name. */
  publishedBlueIds: Readonly<Record<string, string>>;
  types: readonly TypeSource[];
}

/** A known type: its BlueId, names and the document that defines it. */
export interface TypeDefinition {
  /** The BlueId the type is known by: Blue's published one where there is one, else computed. */
  id: string;
  /** BlueId of `idNode`, the type document with its type references replaced by BlueIds. */
  computedId: string;
  name: string;
  /** `Package/Name`; the bare name for the basic types. */
  qualifiedName: string;
  packageName: string;
  node: JsonObject;
  idNode: JsonObject;
  basic?: CoreTypeName;
  file?: string;
  positions?: SourceMap;
}

/** Allowed constraint keywords (Blue's `schema`). */
export const CONSTRAINT_KEYWORDS = [
  'required',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'enum',
  'minItems',
  'maxItems',
] as const;
export type ConstraintKeyword = (typeof CONSTRAINT_KEYWORDS)[number];
export type Constraints = Partial<Record<ConstraintKeyword, JsonValue>>;

/** What a type says about one field (or about the type's own instances, at the root). */
export interface FieldSpec {
  typeId?: string;
  itemTypeId?: string;
  keyTypeId?: string;
  valueTypeId?: string;
  /** A fixed value (simple form): instances and subtypes may not change it. */
  fixed?: JsonValue;
  constraints: Constraints;
  description?: string;
  fields: Record<string, FieldSpec>;
}

/** A built-in contract that a type gives every instance. */
export interface ContractSpec {
  typeId?: string;
  node: JsonObject;
}

/** A type with its whole parent chain merged (narrowing checked). */
export interface ResolvedType {
  id: string;
  qualifiedName: string;
  /** This type's id followed by its ancestors' ids, nearest first. */
  lineage: readonly string[];
  basic?: CoreTypeName;
  spec: FieldSpec;
  contracts: Readonly<Record<string, ContractSpec>>;
}
