import type { JsonObject, JsonValue } from '../../model/json.js';
import { isJsonObject, ownValue } from '../../model/json.js';
import { BLUE_ID_SEGMENT } from '../../model/author-view.js';
import { getAtPointer, toPointer } from '../../model/json-pointer.js';
import { fieldKeys, toRawPointer } from '../../model/node.js';
import type { ContractSet } from '../../processor/contracts.js';
import type { FieldSpec } from '../../types/type-definition.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import { aliasOf } from '../../types/type-refs.js';
import { changesOf, literalWrite } from './changes.js';

/**
 * What fields a document scope may have when its steps run: those it has, those its type (or a
 * typed node on the way) declares, and those some Update Document of it writes (any handler's,
 * the type's built-in ones included). A read or patch outside all three is most likely a typo.
 * A scope whose own steps write where only running tells (a `${…}` path or changeset) could
 * have any field: nothing is reported for it.
 */
export interface DocumentFields {
  readonly certain: boolean;
  /** Whether the path (unescaped segments) may be there; `except` leaves one write out. */
  has(segments: readonly string[], except?: string): boolean;
  /** Names a field under `parent` may have, to suggest from. */
  namesUnder(parent: readonly string[]): string[];
}

interface Write {
  segments: readonly string[];
  /** The change that writes it (its pointer), so that a change does not vouch for itself. */
  source: string;
}

export function documentFields(
  document: JsonObject,
  set: ContractSet,
  registry: TypeRegistry,
  isOwn: (key: string) => boolean,
): DocumentFields {
  const writes: Write[] = [];
  let certain = true;
  for (const handler of set.handlers) {
    const own = isOwn(handler.key);
    handler.steps.forEach((step, index) => {
      const changes = changesOf(step, registry, set);
      if (changes === undefined) return;
      if (changes === 'dynamic') {
        if (own) certain = false;
        return;
      }
      changes.forEach((change, at) => {
        const write = literalWrite(change);
        if (write === 'dynamic') {
          if (own) certain = false;
        } else if (write !== undefined) {
          writes.push({ segments: write, source: writeSource(handler.key, index, at) });
        }
      });
    });
  }
  const declared = (segments: readonly string[]): boolean =>
    declaredPath(document, segments, registry);
  return {
    certain,
    has(segments, except) {
      const path = beforeBlueId(segments);
      if (path.length === 0 || path[0] === 'contracts') return true;
      if (valueAt(document, path) !== undefined) return true;
      if (declared(path)) return true;
      return writes.some((write) => write.source !== except && related(write.segments, path));
    },
    namesUnder(parent) {
      const names = new Set<string>();
      const node = valueAt(document, parent);
      if (isJsonObject(node)) for (const key of fieldKeys(node)) names.add(key);
      for (const write of writes) {
        const next = write.segments[parent.length];
        if (next !== undefined && related(write.segments.slice(0, parent.length), parent))
          names.add(next);
      }
      if (parent.length === 0)
        for (const key of Object.keys(rootFields(document, registry))) names.add(key);
      return [...names];
    },
  };
}

/** The unique identity of a change for {@link DocumentFields.has}'s `except`. */
export function writeSource(handlerKey: string, step: number, change: number): string {
  return `${handlerKey}/${step}/${change}`;
}

/** `document('/x/blueId')` reads the BlueId of `/x`: the field to look for is `/x`. */
function beforeBlueId(segments: readonly string[]): readonly string[] {
  const at = segments.indexOf(BLUE_ID_SEGMENT);
  return at === -1 ? segments : segments.slice(0, at);
}

/**
 * The node `document(pointer)` would read (entering `{items}` lists by index, as the author
 * view does), looked up in place: a read's answer is a copy, and checking a path need not copy.
 */
function valueAt(document: JsonObject, segments: readonly string[]): JsonValue | undefined {
  return getAtPointer(document, toRawPointer(document, toPointer(segments)));
}

/** One path is the other's prefix (`-`, an append, standing for any index). */
function related(written: readonly string[], path: readonly string[]): boolean {
  const length = Math.min(written.length, path.length);
  for (let index = 0; index < length; index += 1) {
    const a = written[index] as string;
    const b = path[index] as string;
    if (a !== b && !(a === '-' && /^\d+$/.test(b))) return false;
  }
  return true;
}

function rootFields(document: JsonObject, registry: TypeRegistry): Record<string, FieldSpec> {
  const spec = typedSpec(document, registry);
  return spec === undefined ? {} : fieldsOf(spec, registry);
}

/**
 * Whether the type of the document, or of a typed node on the way, declares the path, or the
 * path lies in a field declared to hold any value, a list or a dictionary (whose contents are
 * data the type does not name).
 */
function declaredPath(
  document: JsonObject,
  segments: readonly string[],
  registry: TypeRegistry,
): boolean {
  let spec: FieldSpec | undefined;
  let node: JsonValue | undefined = document;
  for (const segment of segments) {
    const own = typedSpec(node, registry);
    const specs = [spec, own].filter((candidate) => candidate !== undefined);
    if (specs.length === 0) return false;
    if (specs.some((candidate) => isAnyValue(candidate) || isCollection(candidate, registry)))
      return true;
    let next: FieldSpec | undefined;
    for (const candidate of specs) next ??= ownValue(fieldsOf(candidate, registry), segment);
    if (next === undefined) return false;
    spec = next;
    node = childOf(node, segment);
  }
  return true;
}

function typedSpec(node: JsonValue | undefined, registry: TypeRegistry): FieldSpec | undefined {
  if (!isJsonObject(node) || aliasOf(node.type) === undefined) return undefined;
  const id = registry.resolveRef(node.type);
  // With its type id, so that a node typed as a List or Dictionary reads as a collection.
  return id === undefined ? undefined : { ...registry.resolve(id).spec, typeId: id };
}

function fieldsOf(spec: FieldSpec, registry: TypeRegistry): Record<string, FieldSpec> {
  const fromType = spec.typeId === undefined ? {} : registry.resolve(spec.typeId).spec.fields;
  return { ...fromType, ...spec.fields };
}

function isAnyValue(spec: FieldSpec): boolean {
  return (
    spec.typeId === undefined &&
    spec.itemTypeId === undefined &&
    spec.keyTypeId === undefined &&
    spec.valueTypeId === undefined &&
    Object.keys(spec.fields).length === 0 &&
    spec.fixed === undefined
  );
}

function isCollection(spec: FieldSpec, registry: TypeRegistry): boolean {
  if (spec.itemTypeId !== undefined || spec.keyTypeId !== undefined) return true;
  if (spec.valueTypeId !== undefined) return true;
  const basic = spec.typeId === undefined ? undefined : registry.resolve(spec.typeId).basic;
  return basic === 'List' || basic === 'Dictionary';
}

function childOf(node: JsonValue | undefined, segment: string): JsonValue | undefined {
  if (Array.isArray(node)) return /^\d+$/.test(segment) ? node[Number(segment)] : undefined;
  if (!isJsonObject(node)) return undefined;
  if (Array.isArray(node.items) && /^\d+$/.test(segment)) return node.items[Number(segment)];
  return ownValue(node, segment);
}
