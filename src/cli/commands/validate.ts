import { formatProblem } from '../../errors/problem.js';
import { checkDocument } from '../../validation/check-document.js';
import type { DocumentValidator } from '../../validation/document-validator.js';
import type { CliIo, ExitCode } from '../io.js';
import { readTextFile } from '../io.js';

/** `paydoc validate <file...>`: 0 when every file is valid, 1 when any is invalid, 2 when one cannot be read. */
export function validateCommand(
  files: string[],
  options: { json?: boolean },
  validator: DocumentValidator,
  io: CliIo,
): ExitCode {
  const results = files.map((file) => {
    const read = readTextFile(file);
    if (!read.ok)
      return {
        file,
        valid: false,
        unreadable: true,
        problems: [{ code: 'file_not_found' as const, message: read.message }],
      };
    const checked = checkDocument(read.text, validator);
    return {
      file,
      valid: checked.ok,
      unreadable: false,
      problems: checked.ok ? [] : checked.problems,
    };
  });
  if (options.json) {
    io.out(
      JSON.stringify(
        results.map(({ unreadable: _u, ...rest }) => rest),
        null,
        2,
      ),
    );
  } else {
    for (const result of results) {
      if (result.valid) io.out(`${result.file}: valid`);
      else for (const problem of result.problems) io.err(formatProblem(problem, result.file));
    }
  }
  if (results.some((result) => result.unreadable)) return 2;
  return results.every((result) => result.valid) ? 0 : 1;
}
