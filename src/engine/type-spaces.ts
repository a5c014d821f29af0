import type { JsonObject } from '../model/json.js';
import type { ProcessContext } from '../processor/processor-types.js';
import type { Store } from '../store/store.js';
import type { TypeRecord } from '../store/store-records.js';
import type { Problem } from '../errors/problem.js';
import { buildOwnRegistry, OWN_PACKAGE, ownTypesOf } from '../types/own-types.js';
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
 * Compiled spaces, one per account, at most this many kept (the least recently used goes
 * first). Building one costs a registry and a validator (about 40 ms for the library alone); an
 * account's space is rebuilt only after it was pushed out or its types changed, and an account
 * adding types replaces its own entry, never another account's.
 */
const MAX_SPACES = 64;

/**
 * An account's own types together, as JSON text, may be at most this big: building its space
 * blocks the event loop for a time that grows with it (about 0.1 s for this much), so the bound
 * keeps what one account can cost the others small.
 */
export const MAX_OWN_TYPE_BYTES = 128 * 1024;

/** A space built for one more type, or why the type does not build. */
export type PreparedType =
  { ok: true; space: TypeSpace; blueId: string; name: string } | { ok: false; problems: Problem[] };

/**
 * Finds each account's space. The account's types are read from the store every time (a
 * primary-key range read), so a type another server added is seen at once; only compiling is
 * cached, under the account, by the set of BlueIds, which names the space exactly (types are
 * immutable).
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
    const cached = this.compiled.get(accountId);
    if (cached?.key === key) {
      this.compiled.delete(accountId);
      this.compiled.set(accountId, cached);
      return cached;
    }
    const built = this.build(types.map((type) => type.definition));
    // Stored types were built exactly so (in this order) when they were added; a failure now
    // is a broken store, not the author's mistake.
    if (!built.ok)
      throw new Error(
        `the own types of ${accountId} no longer build: ${built.problems[0]?.message}`,
      );
    this.remember(accountId, built.space);
    return built.space;
  }

  /**
   * The space of an account's `existing` types and one more (`POST /types`): the type is
   * checked as its documents will use it (its registry and its validator), and the space is
   * kept for the account once the type is stored ({@link remember}).
   */
  prepare(existing: readonly TypeRecord[], definition: JsonObject): PreparedType {
    const bytes =
      existing.reduce((sum, type) => sum + JSON.stringify(type.definition).length, 0) +
      JSON.stringify(definition).length;
    if (bytes > MAX_OWN_TYPE_BYTES)
      return {
        ok: false,
        problems: [
          {
            code: 'too_many_types',
            message: `an account's own types may hold ${MAX_OWN_TYPE_BYTES} bytes of JSON together; with this one they would hold ${bytes}`,
          },
        ],
      };
    const built = this.build([...existing.map((type) => type.definition), definition]);
    if (!built.ok) return built;
    const name = typeof definition.name === 'string' ? definition.name : '';
    const blueId = built.space.registry.lookup(`${OWN_PACKAGE}/${name}`)?.id ?? '';
    return { ok: true, space: built.space, blueId, name };
  }

  /** Keeps an account's space (after its types changed), in place of the one it had. */
  remember(accountId: string, space: TypeSpace): void {
    this.compiled.delete(accountId);
    this.compiled.set(accountId, space);
    while (this.compiled.size > MAX_SPACES) {
      const oldest = this.compiled.keys().next().value as string;
      this.compiled.delete(oldest);
    }
  }

  /** Builds a space from own type documents, in the order given. */
  private build(
    definitions: readonly JsonObject[],
  ): { ok: true; space: TypeSpace } | { ok: false; problems: Problem[] } {
    const built = buildOwnRegistry(
      this.packages,
      this.library.registry,
      definitions.map((node) => ({ node })),
    );
    if (!built.ok) return built;
    const registry = built.registry;
    const validator = new DocumentValidator(registry);
    const space: TypeSpace = {
      key: keyOfIds(ownTypesOf(registry).map((type) => type.blueId)),
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
    return { ok: true, space };
  }
}

function keyOf(types: readonly TypeRecord[]): string {
  return keyOfIds(types.map((type) => type.blueId));
}

function keyOfIds(ids: readonly string[]): string {
  return [...ids].sort().join(',');
}
