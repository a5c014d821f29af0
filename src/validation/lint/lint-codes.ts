import type { SourcePosition } from '../../errors/problem.js';

/**
 * An error is a document that fails or silently does nothing once it runs: `paydoc validate`
 * exits 1 and `POST /blue` refuses it. A warning is most likely a mistake but may be meant
 * (a type of the author's own, a field only some events bring): it is reported, nothing more.
 */
export type LintSeverity = 'error' | 'warning';

/** The linter's findings: a stable code each, its severity and what it means. */
export const LINT_CATALOGUE = {
  script_syntax: {
    severity: 'error',
    description: 'A JavaScript Code step does not compile as the sandbox compiles it.',
  },
  script_refused: {
    severity: 'error',
    description:
      'The sandbox refuses a JavaScript Code step before running it (an import other than blue:, async code, import(), a __paydoc name, code it cannot read).',
  },
  expression_syntax: {
    severity: 'error',
    description:
      'A ${…} expression that neither the built-in evaluator reads nor the sandbox compiles.',
  },
  unknown_channel: {
    severity: 'error',
    description:
      'A handler or an Operation names a channel that is not a channel contract of the document.',
  },
  handler_without_channel: {
    severity: 'error',
    description: 'A Sequential Workflow without a channel, which no event ever reaches.',
  },
  unknown_operation: {
    severity: 'error',
    description:
      'A Sequential Workflow Operation or an Actor Policy names an operation the document does not declare.',
  },
  misspelled_type: {
    severity: 'error',
    description:
      'A type the library does not know, close to one it does (in an event pattern, a Trigger Event or an object literal of JavaScript).',
  },
  patch_op: {
    severity: 'error',
    description:
      'An Update Document change whose op the processor does not apply (it applies add, replace and remove, in any case).',
  },
  patch_path: {
    severity: 'error',
    description:
      "An Update Document path that is not a JSON pointer starting with '/' (nor a ${…} template), or one that names the root or __proto__.",
  },
  patch_value: {
    severity: 'error',
    description: 'An add or replace change without a val.',
  },
  patch_shape: {
    severity: 'error',
    description:
      'A changeset that is not a list of changes (nor one ${…} expression), or a change that is not a map.',
  },
  invalid_pointer: {
    severity: 'error',
    description: "A document('…') pointer with a '~' that is not followed by 0 or 1.",
  },
  unknown_event_type: {
    severity: 'error',
    description:
      'An event pattern or Trigger Event whose type neither the library nor your own types (--types, POST /types) know: the server accepts no message of it, so the workflow can never run.',
  },
  unlisted_type: {
    severity: 'warning',
    description:
      'A type the library does not know: events of it are never checked, and a pattern with it matches only events that name it exactly.',
  },
  unknown_field: {
    severity: 'warning',
    description:
      'A read (document() in JavaScript or ${…}), or a replace or remove path, of a field that the document does not have, its type does not declare and no Update Document of it writes.',
  },
  unknown_step: {
    severity: 'warning',
    description: 'A steps.<name> reference naming no earlier step of the workflow.',
  },
} as const satisfies Record<string, { severity: LintSeverity; description: string }>;

/** A stable code from {@link LINT_CATALOGUE}. */
export type LintCode = keyof typeof LINT_CATALOGUE;

/** One finding: where (a JSON pointer into the document and, when known, the YAML line:col). */
export interface LintFinding {
  code: LintCode;
  severity: LintSeverity;
  message: string;
  pointer: string;
  position?: SourcePosition;
}

/** A finding with the severity its code has in the catalogue. */
export function lintFinding(
  code: LintCode,
  message: string,
  pointer: string,
  position?: SourcePosition,
): LintFinding {
  return {
    code,
    severity: LINT_CATALOGUE[code].severity,
    message,
    pointer,
    ...(position === undefined ? {} : { position }),
  };
}

/** Formats a finding as `file:line:col: severity message (at pointer) [code]`. */
export function formatFinding(finding: LintFinding, file?: string): string {
  const where = finding.position ? `${finding.position.line}:${finding.position.col}` : '';
  const prefix = [file, where].filter((part) => part).join(':');
  const at = finding.pointer === '' ? '' : ` (at ${finding.pointer})`;
  return `${prefix ? `${prefix}: ` : ''}${finding.severity} ${finding.message}${at} [${finding.code}]`;
}
