import { exportSchema } from '../../types/json-schema.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import type { CliIo, ExitCode } from '../io.js';

/** `paydoc schema <Type>`: the type's JSON Schema (draft-07), for editors. */
export function schemaCommand(typeName: string, registry: TypeRegistry, io: CliIo): ExitCode {
  const definition = registry.lookup(typeName);
  if (definition === undefined) {
    io.err(`unknown type '${typeName}' (paydoc types lists them) [unknown_type]`);
    return 2;
  }
  io.out(JSON.stringify(exportSchema(registry, definition.id), null, 2));
  return 0;
}
