import type { Resolver } from '../model/blue-id.js';
import { blueId, resolvedBlueId } from '../model/blue-id.js';
import { TYPE_KEYS } from '../model/node.js';
import type { JsonValue } from '../model/json.js';
import type { TypeRegistry } from './type-registry.js';
import { aliasOf, replaceTypeRefs } from './type-refs.js';

/**
 * A document's BlueId as written: type aliases the registry knows are hashed as their BlueIds
 * (as blue-js's preprocessor does), so `type: Card Payment` and `type: {blueId: …}` agree;
 * unknown aliases and `{blueId}` references are hashed as they stand.
 */
export function documentBlueId(document: JsonValue, registry: TypeRegistry): string {
  return resolvedBlueId(document, resolverOf(registry));
}

/**
 * The same, copying the tree and remembering nothing: the definition resolvedBlueId must agree
 * with (test/types/document-id.test.ts holds them to each other).
 */
export function documentBlueIdByCopy(document: JsonValue, registry: TypeRegistry): string {
  return blueId(replaceTypeRefs(document, (alias) => registry.idOfAlias(alias)));
}

// One resolver per registry, always the same object: resolvedBlueId remembers ids by it.
const resolvers = new WeakMap<TypeRegistry, Resolver>();

function resolverOf(registry: TypeRegistry): Resolver {
  let resolver = resolvers.get(registry);
  if (resolver === undefined) {
    const resolve = (alias: string) => registry.idOfAlias(alias);
    resolver = {
      resolveAlias: (ref) => {
        const alias = aliasOf(ref);
        return alias === undefined ? undefined : resolve(alias);
      },
      typeKeys: TYPE_KEYS,
      copy: (node) => replaceTypeRefs(node, resolve),
    };
    resolvers.set(registry, resolver);
  }
  return resolver;
}

/**
 * A timeline entry's BlueId (its id, its Merkle leaf, what its signature covers): hashed as
 * any document is, so `paydoc id entry.json` gives the server's id.
 */
export function entryBlueId(entry: JsonValue, registry: TypeRegistry): string {
  return documentBlueId(entry, registry);
}
