/**
 * Guest code must not be able to catch the failures that are not deterministic (DESIGN.md §5):
 * how deep a step can recurse before `RangeError: Maximum call stack size exceeded` depends on
 * how deep the host's stack already is and on which functions V8 has optimised, and when an
 * allocation fails depends on when the collector last ran. A step that caught them could store
 * the depth it reached or the buffers that fitted (11,470 one run, 11,434 the next) and the
 * document would not replay. V8 creates these errors without running any code a script could
 * patch (not `Error.captureStackTrace`, not `prepareStackTrace`, not a constructor), so the
 * guard sits where an error can be stopped instead: this module rewrites every `catch` block to
 * start with `__paydocThrown = error; __paydocGuard.caught(error);` and every `finally` block
 * with `__paydocGuard.leaving(__paydocThrown);` (a `try … finally` gets a `catch` that only does
 * the former and rethrows). Once the guard has seen such an error in a call, every later `catch`
 * and `finally` rethrows it and the call fails, whatever the script does (guest/guard.ts).
 *
 * The other ways JavaScript swallows an exception are closed too: async functions are refused
 * (a step is synchronous; an async body turns a throw into a rejected promise), and the guest's
 * `Promise` constructor guards its executor (a subclass of `Promise`, which would run guest code
 * while a promise is made, is refused here and by the runtime). `import()` is refused here as
 * the script's error (isolated-vm would fail the call as if the sandbox had broken), and so are
 * names starting with `__paydoc`, the guard's own.
 *
 * The code is read with acorn, a JavaScript parser, so no `catch` is missed and none is invented:
 * strings, templates, comments, regular expressions (a `/` after `}` or `++` included) and
 * escaped names are read by the grammar, not guessed at. The rewrite is a list of edits at the
 * source positions of the syntax tree, applied from the end. What acorn cannot parse (most
 * likely a syntax error) is left to the compiler, whose syntax error the author sees; if the
 * compiler accepted it, the script is refused all the same. Code nested more deeply than
 * MAX_NESTING is treated so too: acorn parses recursively on the host's stack, and without a
 * fixed bound whether such code could be read would depend on how deep that stack already is.
 */
import { Parser, tokTypes, type Node, type Options, type Program, type Token } from 'acorn';

import { GUARD_PARAMETER, THROWN_PARAMETER } from './guest/protocol.js';
import type { ScriptLocation, TextEdit } from './script-position.js';
import { locationAt } from './script-position.js';

// The guest runtime (guest/guard.ts) defines what these hidden parameters hold.
export { GUARD_PARAMETER, THROWN_PARAMETER };
/** Names guest code may not use: the hidden parameters of the compiled step. */
export const RESERVED_NAME_PREFIX = '__paydoc';

const CAUGHT = '__paydocCaught';
const caughtCheck = (name: string): string =>
  `${THROWN_PARAMETER} = ${name}; ${GUARD_PARAMETER}.caught(${name});`;
const CAUGHT_CHECK = caughtCheck(CAUGHT);
const LEAVING_CHECK = ` ${GUARD_PARAMETER}.leaving(${THROWN_PARAMETER});`;
// Inserted before the `finally` of a `try … finally`: the exception passes the guard, unchanged.
const SYNTHETIC_CATCH = `catch (${CAUGHT}) { ${CAUGHT_CHECK} throw ${CAUGHT}; } `;

/**
 * The rewritten body; or why the code is refused. `unreadable`: acorn could not parse the code
 * (most likely a syntax error): compile `body` (the code unchanged) only to report the
 * compiler's error, and refuse the script with `message` if it compiles. `edits` turn the code
 * into `body`, so that a position V8 reports in `body` can be put back where the author wrote
 * it (script-position.ts); `location` and `unreadableLocation` are where the refusal points.
 */
export type GuardedBody =
  | {
      ok: true;
      body: string;
      unreadable?: string;
      edits?: readonly TextEdit[];
      unreadableLocation?: ScriptLocation;
    }
  | { ok: false; message: string; location?: ScriptLocation };

// The body is that of a function the runtime compiles (so a top-level `return` is fine).
const OPTIONS: Options = {
  ecmaVersion: 'latest',
  sourceType: 'script',
  allowReturnOutsideFunction: true,
  locations: true,
};

/**
 * How much of the parser's recursion may be open at once. Each cycle of acorn's recursive descent
 * passes through some of NESTING_STEPS; each step costs a bounded amount of stack and counts for
 * its weight. The weights keep MAX_NESTING, whatever the construct, under half of the stack
 * Node gives the host even before V8 has optimised acorn (measured with acorn 8.19: about 140
 * levels of brackets, 160 of parentheses, 250 nested functions, 500 `else if`, a chain of
 * 990 `+`). Deeper code is unreadable the same way at any depth of the host's stack.
 */
const MAX_NESTING = 1_000;
const NESTING_STEPS: Readonly<Record<string, number>> = {
  parseStatement: 2,
  parseBlock: 1,
  parseFunctionBody: 1,
  parseClass: 1,
  parseMaybeAssign: 1,
  parseMaybeConditional: 1,
  parseExprOps: 1,
  parseExprOp: 1,
  parseMaybeUnary: 1,
  parseExprSubscripts: 1,
  parseSubscripts: 1,
  parseExprAtom: 1,
  parseNew: 1,
  parseExprList: 1,
  parseObj: 1,
  parseBindingAtom: 1,
  parseMaybeDefault: 1,
};

interface NestingParser {
  nesting?: number;
  start: number;
  raise(at: number, message: string): never;
}
type Step = (this: NestingParser, ...args: unknown[]) => unknown;

function guestParser(Base: typeof Parser): typeof Parser {
  class Limited extends Base {}
  const prototype = Limited.prototype as unknown as Record<string, Step | undefined>;
  // The body is a function's, so `new.target` is allowed anywhere in it (acorn has no option).
  Object.defineProperty(prototype, 'allowNewDotTarget', { get: () => true });
  for (const [name, weight] of Object.entries(NESTING_STEPS)) {
    const step = prototype[name];
    if (typeof step !== 'function') throw new Error(`acorn has no ${name} to bound`);
    prototype[name] = function (this: NestingParser, ...args: unknown[]): unknown {
      const outer = this.nesting ?? 0;
      if (outer + weight > MAX_NESTING) this.raise(this.start, 'code nested too deeply to read');
      this.nesting = outer + weight;
      try {
        return step.apply(this, args);
      } finally {
        this.nesting = outer;
      }
    };
  }
  return Limited;
}

const GuestParser = Parser.extend(guestParser);

/** A syntax error as acorn reports it: the message ends with ` (line:column)`. */
interface AcornError extends SyntaxError {
  pos: number;
  loc: { line: number; column: number };
}

function isAcornError(error: unknown): error is AcornError {
  return error instanceof SyntaxError && 'pos' in error && 'loc' in error;
}

type Edit = TextEdit;

interface Refusal {
  at: number;
  line: number;
  message: string;
}

/** A node of acorn's tree, looked at generically (its fields by name). */
type AnyFields = Node & Record<string, unknown>;

function isNode(value: unknown): value is AnyFields {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

/** Every node under `root` with its parent, parents first, in the order of the source. */
function* walk(root: Node): Generator<{ node: AnyFields; parent: AnyFields | undefined }> {
  // A stack of its own: the walk uses no more of the host's stack however deep the tree.
  const pending: { node: AnyFields; parent: AnyFields | undefined }[] = [
    { node: root as AnyFields, parent: undefined },
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    yield next;
    const { node } = next;
    const children: AnyFields[] = [];
    for (const key of Object.keys(node)) {
      if (key === 'loc') continue;
      const value = node[key];
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) children.push(item);
      } else if (isNode(value)) {
        children.push(value);
      }
    }
    children.sort((a, b) => a.start - b.start);
    for (let index = children.length - 1; index >= 0; index -= 1)
      pending.push({ node: children[index] as AnyFields, parent: node });
  }
}

/** Rewrites `body` (a step's function body) as described above. */
export function guardScript(body: string): GuardedBody {
  // The `finally` keywords, where a `try … finally` gets its catch (a comment may sit between
  // the try block and the keyword).
  const finallyAt: number[] = [];
  let program: Program;
  try {
    program = GuestParser.parse(body, {
      ...OPTIONS,
      onToken: (token: Token) => {
        if (token.type === tokTypes._finally) finallyAt.push(token.start);
      },
    });
  } catch (error) {
    if (!isAcornError(error)) throw error;
    const message = error.message.replace(/ \(\d+:\d+\)$/, '');
    return {
      ok: true,
      body,
      unreadable: `line ${error.loc.line}: ${message}`,
      edits: [],
      unreadableLocation: locationAt(body, error.pos),
    };
  }
  return rewrite(body, program, finallyAt);
}

function rewrite(code: string, program: Program, finallyAt: number[]): GuardedBody {
  const edits: Edit[] = [];
  // Catch clauses whose parameter is a pattern, in the order of the walk (outer ones first).
  const destructuring: { param: Node; body: Node }[] = [];
  let refusal: Refusal | undefined;
  const refuse = (node: Node, message: string): void => {
    if (refusal === undefined || node.start < refusal.at)
      refusal = { at: node.start, line: node.loc?.start.line ?? 1, message };
  };

  for (const { node, parent } of walk(program)) {
    switch (node.type) {
      case 'Identifier':
      case 'PrivateIdentifier': {
        // acorn gives the name unescaped: `\u005f_paydocGuard` is caught too.
        const name = node.name as string;
        if (name.startsWith(RESERVED_NAME_PREFIX)) {
          const written = node.type === 'PrivateIdentifier' ? `#${name}` : name;
          refuse(node, `names starting with ${RESERVED_NAME_PREFIX} are reserved (${written})`);
        }
        break;
      }
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (node.async === true) {
          // A method's function starts at its parameters; the method at `async`.
          const method =
            parent !== undefined &&
            (parent.type === 'Property' || parent.type === 'MethodDefinition') &&
            parent.value === node;
          refuse(
            method ? parent : node,
            'async functions are not available in paydoc scripts (steps are synchronous)',
          );
        }
        break;
      case 'ImportExpression':
        refuse(
          node,
          'import() is not available in paydoc scripts (only the blue: module can be imported)',
        );
        break;
      case 'ClassDeclaration':
      case 'ClassExpression': {
        const superClass = node.superClass;
        if (isNode(superClass) && superClass.type === 'Identifier' && superClass.name === 'Promise')
          refuse(superClass, 'Promise cannot be subclassed in paydoc scripts');
        break;
      }
      case 'TryStatement': {
        const block = node.block as Node;
        const finalizer = node.finalizer as Node | null;
        if (finalizer === null) break;
        if (node.handler === null) {
          const at = finallyAt.find((start) => start >= block.end);
          if (at === undefined) throw new Error('acorn reported no finally keyword');
          edits.push({ at, end: at, text: SYNTHETIC_CATCH });
        }
        edits.push({ at: finalizer.start + 1, end: finalizer.start + 1, text: LEAVING_CHECK });
        break;
      }
      case 'CatchClause': {
        const param = node.param as AnyFields | null;
        const block = node.body as Node;
        const inside = block.start + 1;
        if (param === null) {
          // `catch {`: the guard needs the exception, so the clause gets a parameter.
          edits.push({ at: block.start, end: block.start, text: `(${CAUGHT}) ` });
          edits.push({ at: inside, end: inside, text: ` ${CAUGHT_CHECK}` });
        } else if (param.type === 'Identifier') {
          edits.push({ at: inside, end: inside, text: ` ${caughtCheck(param.name as string)}` });
        } else {
          destructuring.push({ param, body: block });
        }
        break;
      }
      default:
        break;
    }
  }
  if (refusal !== undefined) {
    return {
      ok: false,
      message: `line ${refusal.line}: ${refusal.message}`,
      location: locationAt(code, refusal.at),
    };
  }

  // A destructuring parameter takes the exception apart before the block: the clause catches it
  // whole, and the block destructures it once it passed the guard. The pattern may hold code of
  // its own (a default value): its rewrite goes with the text, so inner clauses come first.
  for (let index = destructuring.length - 1; index >= 0; index -= 1) {
    const { param, body } = destructuring[index] as { param: Node; body: Node };
    const inner: Edit[] = [];
    for (let at = edits.length - 1; at >= 0; at -= 1) {
      const edit = edits[at] as Edit;
      if (edit.at >= param.start && edit.end <= param.end) {
        inner.push({ at: edit.at - param.start, end: edit.end - param.start, text: edit.text });
        edits.splice(at, 1);
      }
    }
    const pattern = applyEdits(code.slice(param.start, param.end), inner);
    edits.push({ at: param.start, end: param.end, text: CAUGHT });
    edits.push({
      at: body.start + 1,
      end: body.start + 1,
      text: ` ${CAUGHT_CHECK} let ${pattern} = ${CAUGHT};`,
    });
  }
  return { ok: true, body: applyEdits(code, edits), edits };
}

/** Applies edits that do not overlap, from the end of `code` back, so positions stay valid. */
function applyEdits(code: string, edits: Edit[]): string {
  if (edits.length === 0) return code;
  const sorted = [...edits].sort((a, b) => b.at - a.at);
  const pieces: string[] = [];
  let rest = code.length;
  for (const edit of sorted) {
    pieces.push(code.slice(edit.end, rest), edit.text);
    rest = edit.at;
  }
  pieces.push(code.slice(0, rest));
  return pieces.reverse().join('');
}
