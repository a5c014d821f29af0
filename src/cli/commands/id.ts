import { formatProblem } from '../../errors/problem.js';
import { loadYaml } from '../../model/load-yaml.js';
import { documentBlueId } from '../../types/document-id.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import type { CliIo, ExitCode } from '../io.js';
import { readTextFile } from '../io.js';

/** `paydoc id <file...>`: each document's BlueId, one per line, hashed as written. */
export function idCommand(
  files: string[],
  options: { json?: boolean },
  registry: TypeRegistry,
  io: CliIo,
): ExitCode {
  let code: ExitCode = 0;
  const ids: { file: string; blueId?: string; error?: string }[] = [];
  for (const file of files) {
    const read = readTextFile(file);
    if (!read.ok) {
      ids.push({ file, error: read.message });
      code = 2;
      continue;
    }
    const loaded = loadYaml(read.text);
    if (!loaded.ok) {
      ids.push({
        file,
        error: loaded.problems.map((problem) => formatProblem(problem, file)).join('\n'),
      });
      if (code === 0) code = 1;
      continue;
    }
    ids.push({ file, blueId: documentBlueId(loaded.value, registry) });
  }
  if (options.json) io.out(JSON.stringify(ids, null, 2));
  else {
    for (const entry of ids) {
      if (entry.blueId !== undefined) io.out(entry.blueId);
      else io.err(entry.error ?? '');
    }
  }
  return code;
}
