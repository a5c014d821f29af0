import { Parser } from 'acorn';
import type { AnyNode, Node, Options } from 'acorn';
import { GUEST_GLOBALS } from '../../sandbox/guest-api.js';
import {
  BLUE_MODULE_PARAMETER,
  GUARD_PARAMETER,
  THROWN_PARAMETER,
} from '../../sandbox/guest/protocol.js';
import type { ScriptLocation } from '../../sandbox/script-position.js';
import { prepareScript } from '../../sandbox/script-source.js';

/** Why a script cannot run, and where in the author's code (when known). */
export interface ScriptProblem {
  code: 'script_syntax' | 'script_refused';
  message: string;
  location?: ScriptLocation;
}

/** A string literal of the code, where the author wrote it. */
export interface ScriptLiteral {
  text: string;
  location: ScriptLocation;
}

/** What the linter reads off a step's code, positions in the author's code. */
export interface ScriptReport {
  problem?: ScriptProblem;
  /** String values of `type` in object literals: the events a step emits or returns. */
  types: ScriptLiteral[];
  /** `document('<literal>')` reads whose result is used as if the field were there. */
  reads: ScriptLiteral[];
  /** `steps.<name>` references. */
  steps: ScriptLiteral[];
}

// The parameters of a compiled step, in the order the guest runtime gives them
// (guest/entry.ts): a body that redeclares one (`let event`) fails to compile, so they are
// declared here too.
const STEP_PARAMETERS = [
  ...GUEST_GLOBALS,
  BLUE_MODULE_PARAMETER,
  GUARD_PARAMETER,
  THROWN_PARAMETER,
];
const HEADER = `(function (${STEP_PARAMETERS.join(', ')}) {'use strict'; `;
const OPTIONS: Options = { ecmaVersion: 'latest', sourceType: 'script', locations: true };

/**
 * Compiles a step's code as the sandbox does (prepared by script-source.ts, then the body of a
 * strict function of the step's parameters, as the guest runtime's Function constructor makes
 * it) with acorn, and reads what the linter checks from the tree. Never throws.
 */
export function analyseScript(code: string): ScriptReport {
  const report: ScriptReport = { types: [], reads: [], steps: [] };
  let prepared: ReturnType<typeof prepareScript>;
  try {
    prepared = prepareScript(code);
  } catch {
    // What the guard cannot read without failing fails the step the same way in the sandbox.
    report.problem = { code: 'script_refused', message: 'the sandbox cannot read this code' };
    return report;
  }
  if (!prepared.ok) {
    report.problem = {
      code: 'script_refused',
      message: unplaced(prepared.message),
      ...located(prepared.location ?? lineOf(prepared.message)),
    };
    return report;
  }
  const source = `${HEADER}${prepared.prologue}\n${prepared.body}\n})`;
  // Positions in `source` are one line below the body's; `locate` undoes the guard's edits.
  const toAuthor = (line: number, column: number): ScriptLocation | undefined => {
    const bodyLine = line - 1;
    if (bodyLine < 1) return undefined;
    return prepared.locate?.(bodyLine, column + 1) ?? { line: bodyLine, col: column + 1 };
  };
  const bodyLines = prepared.body.split(/\r\n|[\n\r\u2028\u2029]/).length;
  let program: Node;
  try {
    program = Parser.parse(source, OPTIONS);
  } catch (error) {
    if (isAcornError(error)) {
      const message = error.message.replace(/ \(\d+:\d+\)$/, '');
      // Past the body's last line is the wrapper's own closing: the body ended too early.
      if (error.loc.line - 1 > bodyLines) {
        report.problem = {
          code: 'script_syntax',
          message: 'SyntaxError: Unexpected end of input',
          ...located(endOf(prepared.body)),
        };
      } else {
        const at = toAuthor(error.loc.line, error.loc.column);
        report.problem = {
          code: 'script_syntax',
          message: `SyntaxError: ${message}`,
          ...located(at),
        };
      }
    } else {
      // acorn recursing deeper than the host's stack: the sandbox refuses such code too.
      report.problem = {
        code: 'script_refused',
        message: unplaced(prepared.unreadable ?? 'code nested too deeply to read'),
      };
    }
    return report;
  }
  const closing = earlyClosing(program, source.length);
  if (closing !== undefined) {
    report.problem = {
      code: 'script_syntax',
      message: "SyntaxError: Unexpected token '}' (it closes the step's function)",
      ...located(toAuthor(closing.line, closing.column)),
    };
    return report;
  }
  if (prepared.unreadable !== undefined) {
    report.problem = {
      code: 'script_refused',
      message: `${unplaced(prepared.unreadable)} (the sandbox cannot read this code)`,
      ...located(prepared.unreadableLocation ?? lineOf(prepared.unreadable)),
    };
    return report;
  }
  collect(program, report, toAuthor);
  return report;
}

/** A body that closes the function it is compiled into (`}); (function () {`) parses here but not there. */
function earlyClosing(program: Node, length: number): { line: number; column: number } | undefined {
  const statements = (program as Node & { body: Node[] }).body;
  const only = statements.length === 1 ? statements[0] : undefined;
  const fn =
    only?.type === 'ExpressionStatement'
      ? (only as Node & { expression: Node }).expression
      : undefined;
  if (fn?.type === 'FunctionExpression' && fn.end === length - 1) return undefined;
  const end = (fn ?? only ?? program).loc?.end;
  return end === undefined ? { line: 1, column: 0 } : { line: end.line, column: end.column - 1 };
}

function collect(
  program: Node,
  report: ScriptReport,
  toAuthor: (line: number, column: number) => ScriptLocation | undefined,
): void {
  const push = (list: ScriptLiteral[], text: string, node: Node): void => {
    const location = node.loc ? toAuthor(node.loc.start.line, node.loc.start.column) : undefined;
    if (location !== undefined) list.push({ text, location });
  };
  for (const { node, parent } of walk(program)) {
    if (node.type === 'Property') {
      const name = node.computed ? stringOf(node.key) : identifierOrString(node.key);
      const text = stringOf(node.value);
      if (name === 'type' && text !== undefined && parent?.type === 'ObjectExpression')
        push(report.types, text, node.value);
    } else if (node.type === 'CallExpression') {
      const [first] = node.arguments;
      const pointer = first === undefined ? undefined : stringOf(first);
      if (
        node.callee.type === 'Identifier' &&
        node.callee.name === 'document' &&
        first !== undefined &&
        pointer !== undefined &&
        !testsPresence(node, parent)
      )
        push(report.reads, pointer, first);
    } else if (node.type === 'MemberExpression') {
      const name = node.computed ? stringOf(node.property) : identifierOrString(node.property);
      if (node.object.type === 'Identifier' && node.object.name === 'steps' && name !== undefined)
        push(report.steps, name, node.property);
    }
  }
}

/**
 * Whether the read asks if the field is there (`document('/x') ?? 0`, `typeof`, `!`, a test, a
 * comparison, `?.`) rather than takes it for granted: an optional field is not a mistake.
 */
function testsPresence(node: AnyNode, parent: AnyNode | undefined): boolean {
  switch (parent?.type) {
    case 'LogicalExpression':
      return parent.left === node;
    case 'UnaryExpression':
      return parent.operator === 'typeof' || parent.operator === '!';
    case 'BinaryExpression':
      return ['==', '!=', '===', '!=='].includes(parent.operator);
    case 'ConditionalExpression':
    case 'IfStatement':
    case 'WhileStatement':
      return parent.test === node;
    case 'MemberExpression':
      return parent.optional && parent.object === node;
    case 'ChainExpression':
      return true;
    default:
      return false;
  }
}

function identifierOrString(node: AnyNode): string | undefined {
  return node.type === 'Identifier' ? node.name : stringOf(node);
}

/** The text of a string literal, or of a template literal without `${…}`. */
function stringOf(node: AnyNode): string | undefined {
  if (node.type === 'Literal') return typeof node.value === 'string' ? node.value : undefined;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) {
    const cooked = node.quasis[0]?.value.cooked;
    return typeof cooked === 'string' ? cooked : undefined;
  }
  return undefined;
}

function isNode(value: unknown): value is AnyNode {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

/** Every node with its parent, on a stack of its own (the tree may be deep). */
function* walk(root: Node): Generator<{ node: AnyNode; parent: AnyNode | undefined }> {
  const pending: { node: AnyNode; parent: AnyNode | undefined }[] = [
    { node: root as AnyNode, parent: undefined },
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    yield next;
    const { node } = next;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'loc') continue;
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) pending.push({ node: item, parent: node });
      } else if (isNode(value)) {
        pending.push({ node: value, parent: node });
      }
    }
  }
}

interface AcornError extends SyntaxError {
  pos: number;
  loc: { line: number; column: number };
}

function isAcornError(error: unknown): error is AcornError {
  return error instanceof SyntaxError && 'pos' in error && 'loc' in error;
}

/** `line N: …` of a message from script-source.ts, as a location at the line's start. */
function lineOf(message: string): ScriptLocation | undefined {
  const line = Number(LINE_PREFIX.exec(message)?.[1]);
  return Number.isInteger(line) && line > 0 ? { line, col: 1 } : undefined;
}

const LINE_PREFIX = /^line (\d+)(?::\d+)?: /;

/** A message without its `line N:` lead: the finding says where, in the YAML file and the code. */
function unplaced(message: string): string {
  return message.replace(LINE_PREFIX, '');
}

/** Where the last line with code ends (an unfinished body is reported there). */
function endOf(body: string): ScriptLocation {
  const lines = body.split(/\r\n|[\n\r\u2028\u2029]/);
  let index = lines.length - 1;
  while (index > 0 && (lines[index] ?? '').trim() === '') index -= 1;
  return { line: index + 1, col: (lines[index] ?? '').length + 1 };
}

function located(location: ScriptLocation | undefined): { location?: ScriptLocation } {
  return location === undefined ? {} : { location };
}
