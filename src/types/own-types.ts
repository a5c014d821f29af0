import { PaydocError } from '../errors/paydoc-error.js';
import type { Problem } from '../errors/problem.js';
import type { JsonObject } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { buildRegistry } from './build-registry.js';
import type { PackageSource, TypeSource } from './type-definition.js';
import type { TypeRegistry } from './type-registry.js';

/**
 * An author's own types: type documents in the same form as `documents/types/`, kept in a
 * folder (`paydoc … --types DIR`) or posted to an account (`POST /types`). Both are built the
 * same way, here, into a registry of the library plus the package `Own`, so a document and its
 * own types give the same BlueIds and the same behaviour offline and on the server.
 *
 * Decisions:
 * - Own types live in one package, `Own`: a name is written as is (`Item Shipped`) or as
 *   `Own/Item Shipped`. A type's BlueId does not depend on its package, only on its content.
 * - An own type may not take a name the library already gives (`Card Payment`,
 *   `Payments/Card Payment`): the library's meaning of a name is the same for everyone.
 * - Own types may refer to each other and to library types, by name or BlueId.
 */
export const OWN_PACKAGE = 'Own';

/** At most this many own types per account or folder (a registry is built from all of them). */
export const MAX_OWN_TYPES = 200;

export type OwnRegistry = { ok: true; registry: TypeRegistry } | { ok: false; problems: Problem[] };

/**
 * The library's registry extended with `own` types. `library` is the registry built from
 * `packages` (used to refuse names it already gives).
 */
export function buildOwnRegistry(
  packages: readonly PackageSource[],
  library: TypeRegistry,
  own: readonly { node: JsonObject; file?: string; positions?: TypeSource['positions'] }[],
): OwnRegistry {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const types: TypeSource[] = [];
  for (const source of own) {
    const name = source.node.name;
    const at = source.file === undefined ? '' : `${source.file}: `;
    if (typeof name !== 'string' || name.trim() === '') {
      problems.push({ code: 'invalid_node', message: `${at}a type needs a name`, pointer: '' });
      continue;
    }
    if (name.includes('/')) {
      problems.push({
        code: 'invalid_node',
        message: `${at}a type's name may not contain '/' (${OWN_PACKAGE}/${name} is how it is qualified)`,
        pointer: '/name',
      });
      continue;
    }
    if (library.lookup(name) !== undefined) {
      problems.push({
        code: 'type_conflict',
        message: `${at}'${name}' is the library's ${library.nameOf(library.lookup(name)?.id ?? '')}; give your type another name`,
        pointer: '/name',
      });
      continue;
    }
    if (seen.has(name)) {
      problems.push({
        code: 'type_conflict',
        message: `${at}type '${name}' is defined twice`,
        pointer: '/name',
      });
      continue;
    }
    seen.add(name);
    types.push({
      name,
      packageName: OWN_PACKAGE,
      node: source.node,
      ...(source.file === undefined ? {} : { file: source.file }),
      ...(source.positions === undefined ? {} : { positions: source.positions }),
    });
  }
  if (types.length > MAX_OWN_TYPES)
    problems.push({
      code: 'too_many_types',
      message: `at most ${MAX_OWN_TYPES} own types, not ${types.length}`,
    });
  if (problems.length > 0) return { ok: false, problems };
  try {
    const registry = buildRegistry([
      ...packages,
      { name: OWN_PACKAGE, publishedBlueIds: {}, types },
    ]);
    // Resolving every own type surfaces its problems (an unknown parent, a widened field) now.
    for (const definition of registry.list())
      if (definition.packageName === OWN_PACKAGE) registry.resolve(definition.id);
    return { ok: true, registry };
  } catch (error) {
    if (!(error instanceof PaydocError)) throw error;
    return {
      ok: false,
      problems:
        error.problems.length > 0
          ? [...error.problems]
          : [{ code: error.code, message: error.message }],
    };
  }
}

/** The own types of a registry built by {@link buildOwnRegistry}, in the order given. */
export function ownTypesOf(registry: TypeRegistry): { name: string; blueId: string }[] {
  return registry
    .list()
    .filter((definition) => definition.packageName === OWN_PACKAGE)
    .map((definition) => ({ name: definition.name, blueId: definition.id }));
}

/**
 * A message whose `type` is an own type, with the type written as its BlueId: a name means
 * something only in its sender's account, while the documents reading the message may belong
 * to another, so the server (and `paydoc run`, to stay byte-identical) records the BlueId.
 */
export function ownTypeAsBlueId(message: JsonObject, registry: TypeRegistry): JsonObject {
  const id = registry.resolveRef(message.type);
  if (id === undefined || registry.get(id).packageName !== OWN_PACKAGE) return message;
  const written = message.type;
  if (isJsonObject(written) && Object.keys(written).length === 1 && written.blueId === id)
    return message;
  return { ...message, type: { blueId: id } };
}
