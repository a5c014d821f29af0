import type { Problem } from '../../errors/problem.js';
import { formatProblem } from '../../errors/problem.js';
import { codeLocator } from '../../model/code-position.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import { checkDocument } from '../../validation/check-document.js';
import type { DocumentValidator } from '../../validation/document-validator.js';
import type { LintFinding } from '../../validation/lint/lint-codes.js';
import { formatFinding } from '../../validation/lint/lint-codes.js';
import { lintDocument } from '../../validation/lint/lint-document.js';
import type { CliIo, ExitCode } from '../io.js';
import { readTextFile } from '../io.js';

export interface ValidateOptions {
  json?: boolean;
  /** Warnings fail the file too (exit 1). */
  strict?: boolean;
}

interface FileResult {
  file: string;
  valid: boolean;
  unreadable: boolean;
  problems: Problem[];
  findings: LintFinding[];
}

/**
 * `paydoc validate <file...>`: each file is loaded and validated against the type library and,
 * when valid, linted (lint-document.ts). Exit 0 when no file has a problem or a lint error
 * (warnings are printed but pass, unless `--strict`), 1 otherwise, 2 when a file cannot be read.
 */
export function validateCommand(
  files: string[],
  options: ValidateOptions,
  validator: DocumentValidator,
  registry: TypeRegistry,
  io: CliIo,
): ExitCode {
  const results = files.map((file) => validateFile(file, options, validator, registry));
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
      for (const problem of result.problems) io.err(formatProblem(problem, result.file));
      for (const finding of result.findings) io.err(formatFinding(finding, result.file));
      if (result.valid) io.out(`${result.file}: valid${warningCount(result.findings)}`);
    }
  }
  if (results.some((result) => result.unreadable)) return 2;
  return results.every((result) => result.valid) ? 0 : 1;
}

function validateFile(
  file: string,
  options: ValidateOptions,
  validator: DocumentValidator,
  registry: TypeRegistry,
): FileResult {
  const read = readTextFile(file);
  if (!read.ok) {
    return {
      file,
      valid: false,
      unreadable: true,
      problems: [{ code: 'file_not_found', message: read.message }],
      findings: [],
    };
  }
  const checked = checkDocument(read.text, validator);
  if (!checked.ok)
    return { file, valid: false, unreadable: false, problems: checked.problems, findings: [] };
  // Linting reads a document that conforms to its types: a schema problem comes first.
  const findings = lintDocument(checked.document, registry, {
    positions: checked.positions,
    locateCode: codeLocator(read.text, checked.document),
  });
  const failing = findings.some(
    (finding) => finding.severity === 'error' || options.strict === true,
  );
  return { file, valid: !failing, unreadable: false, problems: [], findings };
}

function warningCount(findings: readonly LintFinding[]): string {
  const count = findings.filter((finding) => finding.severity === 'warning').length;
  return count === 0 ? '' : ` (${count} warning${count === 1 ? '' : 's'})`;
}
