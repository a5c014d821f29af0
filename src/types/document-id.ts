import { blueId } from '../model/blue-id.js';
import type { JsonValue } from '../model/json.js';
import type { TypeRegistry } from './type-registry.js';
import { replaceTypeRefs } from './type-refs.js';

/**
 * A document's BlueId as written: type aliases the registry knows are hashed as their BlueIds
 * (as blue-js's preprocessor does), so `type: Card Payment` and `type: {blueId: …}` agree;
 * unknown aliases and `{blueId}` references are hashed as they stand.
 */
export function documentBlueId(document: JsonValue, registry: TypeRegistry): string {
  return blueId(replaceTypeRefs(document, (alias) => registry.idOfAlias(alias)));
}

/**
 * A timeline entry's BlueId (its id, its Merkle leaf, what its signature covers): hashed as
 * any document is, so `paydoc id entry.json` gives the server's id.
 */
export function entryBlueId(entry: JsonValue, registry: TypeRegistry): string {
  return documentBlueId(entry, registry);
}
