import type { TypeRegistry } from '../../types/type-registry.js';
import type { CliIo, ExitCode } from '../io.js';

/** `paydoc types`: the type library, one type per line (`Package/Name  BlueId`). */
export function typesCommand(
  options: { json?: boolean },
  registry: TypeRegistry,
  io: CliIo,
): ExitCode {
  const types = registry.list().map((definition) => ({
    name: definition.qualifiedName,
    blueId: definition.id,
    ...(typeof definition.node.description === 'string'
      ? { description: definition.node.description }
      : {}),
  }));
  if (options.json) {
    io.out(JSON.stringify(types, null, 2));
    return 0;
  }
  const width = Math.max(...types.map((type) => type.name.length));
  for (const type of types) io.out(`${type.name.padEnd(width)}  ${type.blueId}`);
  return 0;
}
