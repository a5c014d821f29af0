import { PaydocError } from '../errors/paydoc-error.js';
import type { Problem } from '../errors/problem.js';
import { blueId } from '../model/blue-id.js';
import type { CoreTypeName } from '../model/core-type-ids.js';
import { CORE_TYPE_IDS } from '../model/core-type-ids.js';
import type { JsonObject } from '../model/json.js';
import { isJsonObject, ownValue } from '../model/json.js';
import type { PackageSource, TypeDefinition, TypeSource } from './type-definition.js';
import { TypeRegistry } from './type-registry.js';
import { replaceTypeRefs } from './type-refs.js';

/**
 * Short names resolve to the first package in this order that defines them: the seed's
 * `Timeline Channel` is the Payments one (it delivers the entry's message), while
 * `Operation` or `Sequential Workflow` fall through to Conversation.
 */
export const SHORT_NAME_PRECEDENCE = ['Payments', 'Bitcoin', 'Conversation', 'Core'] as const;

/** Builds the registry: computes every type's BlueId and its aliases. Throws on a bad library. */
export function buildRegistry(packages: readonly PackageSource[]): TypeRegistry {
  const sources = new Map<string, TypeSource>();
  const published = new Map<string, string>();
  for (const pkg of packages) {
    for (const type of pkg.types) {
      const qualified = `${pkg.name}/${type.name}`;
      if (sources.has(qualified))
        throw new PaydocError('type_conflict', `type ${qualified} is defined twice`);
      sources.set(qualified, type);
      const publishedId = ownValue(pkg.publishedBlueIds, type.name);
      if (publishedId !== undefined) published.set(qualified, publishedId);
    }
  }
  const nameToQualified = shortNames(packages);
  for (const qualified of sources.keys()) nameToQualified.set(qualified, qualified);

  const definitions = new Map<string, TypeDefinition>();
  const inProgress = new Set<string>();
  const problems: Problem[] = [];

  const idOfName = (alias: string): string | undefined => {
    if (Object.hasOwn(CORE_TYPE_IDS, alias)) return CORE_TYPE_IDS[alias as CoreTypeName];
    const qualified = nameToQualified.get(alias);
    if (qualified !== undefined) return define(qualified).id;
    return [...definitions.values()].find((d) => d.id === alias || d.computedId === alias)?.id;
  };

  const define = (qualified: string): TypeDefinition => {
    const existing = definitions.get(qualified);
    if (existing !== undefined) return existing;
    if (inProgress.has(qualified)) {
      throw new PaydocError(
        'type_cycle',
        `type ${qualified} refers to itself through its type references`,
      );
    }
    inProgress.add(qualified);
    const source = sources.get(qualified) as TypeSource;
    const idNode = replaceTypeRefs(source.node, idOfName, (alias, pointer) => {
      problems.push({
        code: 'unknown_type',
        message: `${qualified}: unknown type '${alias}'`,
        pointer,
      });
    }) as JsonObject;
    const computedId = blueId(idNode);
    const definition: TypeDefinition = {
      id: published.get(qualified) ?? computedId,
      computedId,
      name: source.name,
      qualifiedName: qualified,
      packageName: source.packageName,
      node: source.node,
      idNode,
      ...(source.file ? { file: source.file } : {}),
      ...(source.positions ? { positions: source.positions } : {}),
    };
    inProgress.delete(qualified);
    definitions.set(qualified, definition);
    return definition;
  };

  for (const qualified of sources.keys()) define(qualified);
  if (problems.length > 0) {
    throw new PaydocError(
      'unknown_type',
      problems.map((p) => `${p.message} at ${p.pointer}`).join('; '),
      problems,
    );
  }

  const aliases = new Map<string, string>();
  for (const [alias, qualified] of nameToQualified) {
    aliases.set(alias, (definitions.get(qualified) as TypeDefinition).id);
  }
  for (const [name, id] of Object.entries(CORE_TYPE_IDS)) {
    aliases.set(name, id);
    aliases.set(`Core/${name}`, id);
  }
  const registry = new TypeRegistry([...basicDefinitions(), ...definitions.values()], aliases);
  for (const definition of definitions.values()) registry.resolve(definition.id);
  return registry;
}

function shortNames(packages: readonly PackageSource[]): Map<string, string> {
  const names = new Map<string, string>();
  const ordered = [...packages].sort((a, b) => rank(a.name) - rank(b.name));
  for (const pkg of ordered) {
    for (const type of pkg.types) {
      if (!names.has(type.name)) names.set(type.name, `${pkg.name}/${type.name}`);
    }
  }
  return names;
}

function rank(packageName: string): number {
  const index = (SHORT_NAME_PRECEDENCE as readonly string[]).indexOf(packageName);
  return index === -1 ? SHORT_NAME_PRECEDENCE.length : index;
}

function basicDefinitions(): TypeDefinition[] {
  return Object.entries(CORE_TYPE_IDS).map(([name, id]) => {
    const node: JsonObject = { name };
    return {
      id,
      computedId: id,
      name,
      qualifiedName: name,
      packageName: 'Core',
      node,
      idNode: node,
      basic: name as CoreTypeName,
    };
  });
}

/** True when a parsed package manifest has the expected shape. */
export function isManifest(value: unknown): value is JsonObject & { name: string } {
  return isJsonObject(value as JsonObject) && typeof (value as JsonObject).name === 'string';
}
