import type { JsonObject } from '../model/json.js';
import type { ProcessContext } from '../processor/processor-types.js';
import type { Store } from '../store/store.js';
import type { TypeRecord } from '../store/store-records.js';
import type { OwnRegistry } from '../types/own-types.js';
import { buildOwnRegistry } from '../types/own-types.js';
import type { PackageSource } from '../types/type-definition.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { DocumentValidator } from '../validation/document-validator.js';
import { PaymentDesk } from './payment-desk.js';

/**
 * The types one account's documents are read with: the library, plus the account's own types
 * (POST /types). A document is loaded, processed, hashed and answered by the payment desk in
 * its owner's space, and a message is checked in its sender's; an account without own types
 * shares the library's space, so the common case costs nothing.
 */
export interface TypeSpace {
  /** The sorted BlueIds of the own types ('' for the library's space). */
  readonly key: string;
  readonly context: ProcessContext;
  readonly registry: TypeRegistry;
  readonly validator: DocumentValidator;
  readonly desk: PaymentDesk;
}

/**
 * Compiled spaces, at most this many kept (least recently used goes first). Building one costs
 * a registry and a validator (about 40 ms); an account's space is rebuilt only after it was
 * pushed out by others or its types changed.
 */
const MAX_SPACES = 64;

/**
 * Finds each account's space. The account's types are read from the store every time (a
 * primary-key range read), so a type another server added is seen at once; only compiling is
 * cached, by the set of BlueIds, which names the space exactly (types are immutable).
 */
export class TypeSpaces {
  readonly library: TypeSpace;
  private readonly compiled = new Map<string, TypeSpace>();

  constructor(
    private readonly store: Pick<Store, 'typesOf'>,
    base: ProcessContext,
    private readonly packages: readonly PackageSource[],
  ) {
    const validator = base.validator ?? new DocumentValidator(base.registry);
    this.library = {
      key: '',
      context: base,
      registry: base.registry,
      validator,
      desk: new PaymentDesk(base.registry),
    };
  }

  /** The space of an account's documents. */
  async of(accountId: string): Promise<TypeSpace> {
    const types = await this.store.typesOf(accountId);
    if (types.length === 0) return this.library;
    const key = keyOf(types);
    const cached = this.compiled.get(key);
    if (cached !== undefined) {
      this.compiled.delete(key);
      this.compiled.set(key, cached);
      return cached;
    }
    const built = this.build(types.map((type) => type.definition));
    // Stored types were checked when posted and are immutable; failing now is a broken store.
    if (!built.ok)
      throw new Error(
        `the own types of ${accountId} no longer build: ${built.problems[0]?.message}`,
      );
    return this.remember(key, built.registry);
  }

  /** Registry of the library, `existing` own types and `added` ones (to check a POST /types). */
  build(definitions: readonly JsonObject[]): OwnRegistry {
    return buildOwnRegistry(
      this.packages,
      this.library.registry,
      definitions.map((node) => ({ node })),
    );
  }

  private remember(key: string, registry: TypeRegistry): TypeSpace {
    const validator = new DocumentValidator(registry);
    const space: TypeSpace = {
      key,
      // A space validates documents after each event exactly when the library's does.
      context: {
        ...this.library.context,
        registry,
        ...(this.library.context.validator === undefined ? {} : { validator }),
      },
      registry,
      validator,
      desk: new PaymentDesk(registry),
    };
    this.compiled.set(key, space);
    while (this.compiled.size > MAX_SPACES) {
      const oldest = this.compiled.keys().next().value as string;
      this.compiled.delete(oldest);
    }
    return space;
  }
}

function keyOf(types: readonly TypeRecord[]): string {
  return types
    .map((type) => type.blueId)
    .sort()
    .join(',');
}
