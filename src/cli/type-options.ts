import { PaydocError } from '../errors/paydoc-error.js';
import { defaultTypeRegistry, loadOwnTypes } from '../types/load-library.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { DocumentValidator } from '../validation/document-validator.js';
import type { CliIo } from './io.js';

/** The types a command reads documents with: the library, plus `--types DIR` when given. */
export interface CommandTypes {
  registry: TypeRegistry;
  validator: DocumentValidator;
}

/**
 * `--types DIR`: an author's own types (one type document per YAML file, the form of
 * documents/types/) beside the library, as `POST /types` gives them to an account's documents.
 * Undefined (with the problem printed) when the folder does not build.
 */
export function commandTypes(options: { types?: string }, io: CliIo): CommandTypes | undefined {
  if (options.types === undefined) {
    const registry = defaultTypeRegistry();
    return { registry, validator: libraryValidator(registry) };
  }
  try {
    const registry = loadOwnTypes(options.types);
    return { registry, validator: new DocumentValidator(registry) };
  } catch (error) {
    if (!(error instanceof PaydocError)) throw error;
    io.err(`${error.message} [${error.code}]`);
    return undefined;
  }
}

let shared: DocumentValidator | undefined;

function libraryValidator(registry: TypeRegistry): DocumentValidator {
  shared ??= new DocumentValidator(registry);
  return shared;
}

/** The option as every command that reads documents declares it. */
export const TYPES_OPTION = [
  '--types <dir>',
  'a folder of your own type documents (YAML, the form of documents/types/)',
] as const;
