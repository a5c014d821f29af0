import type { TypeRegistry } from '../../types/type-registry.js';
import type { CliIo, ExitCode } from '../io.js';

/** How much of a description fits on a type's line. */
const SUMMARY_CHARS = 90;

/**
 * `paydoc types`: the type library sorted by name, one type per line (`Package/Name  BlueId
 * summary`, the summary being the description's first sentence); `--package` keeps one package.
 */
export function typesCommand(
  options: { json?: boolean; package?: string },
  registry: TypeRegistry,
  io: CliIo,
): ExitCode {
  const wanted = options.package?.toLowerCase();
  const definitions = registry
    .list()
    .filter(
      (definition) =>
        wanted === undefined || definition.qualifiedName.toLowerCase().startsWith(`${wanted}/`),
    )
    .sort((a, b) => (a.qualifiedName < b.qualifiedName ? -1 : 1));
  if (definitions.length === 0) {
    io.err(`paydoc types: no package named '${options.package ?? ''}'`);
    return 2;
  }
  const types = definitions.map((definition) => ({
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
  for (const type of types) {
    const summary = type.description === undefined ? '' : `  ${summaryOf(type.description)}`;
    io.out(`${type.name.padEnd(width)}  ${type.blueId}${summary}`);
  }
  return 0;
}

function summaryOf(description: string): string {
  const text = description.replace(/\s+/g, ' ').trim();
  const sentence = /^.*?\.(?=\s|$)/.exec(text)?.[0] ?? text;
  return sentence.length <= SUMMARY_CHARS ? sentence : `${sentence.slice(0, SUMMARY_CHARS - 1)}…`;
}
