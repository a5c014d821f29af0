import { BLUE_MODULE_EXPORTS } from './guest-api.js';
import { BLUE_MODULE_PARAMETER } from './guest-runtime.js';
import { guardScript } from './script-guard.js';
import type { ScriptLocation, ScriptLocator } from './script-position.js';
import { locationAt, scriptLocator } from './script-position.js';

/**
 * A step body ready to compile: `import … from 'blue:…'` lines blanked out (so line numbers
 * stay the same) and turned into a one-line `prologue` of bindings to the built-in module, and
 * the body rewritten so that it cannot catch what is not deterministic (script-guard.ts).
 * `unreadable`: the body could not be read to be rewritten; it is the code as written, to be
 * compiled only for the compiler's syntax error, and refused with this message if it compiles.
 * `locate` puts a line:col of `body` back where the author wrote it (V8 reports positions in
 * `body`); `location` and `unreadableLocation` are where a refusal points in the author's code.
 */
export type PreparedScript =
  | {
      ok: true;
      prologue: string;
      body: string;
      unreadable?: string;
      locate?: ScriptLocator;
      unreadableLocation?: ScriptLocation;
    }
  | { ok: false; message: string; location?: ScriptLocation };

// `import { a, b as c } from 'blue:…'` or `import * as ns from 'blue:…'`, either quote, the
// binding list possibly over several lines, an optional semicolon and trailing line comment.
const BLUE_IMPORT =
  /^[ \t]*import[ \t]*(\{[^}]*\}|\*[ \t]*as[ \t]+[^\s]+)[ \t]*from[ \t]*(['"])blue:[^'"\r\n]*\2[ \t]*;?[ \t]*(?:\/\/[^\r\n]*)?$/gm;
// Any other static import. `import(` and `import.meta` are expressions, left to the compiler.
const OTHER_IMPORT = /^[ \t]*import(?![ \t]*[.(])\b/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const EXPORTS: ReadonlySet<string> = new Set(BLUE_MODULE_EXPORTS);
const USAGE = `import { ${BLUE_MODULE_EXPORTS.join(', ')} } from 'blue:…'`;

/** Rewrites the step's `blue:` imports; any other import is an error naming its line. */
export function prepareScript(code: string): PreparedScript {
  const bindings: string[] = [];
  let problem: { message: string; location: ScriptLocation } | undefined;
  const body = code.replace(
    BLUE_IMPORT,
    (match: string, clause: string, _quote, offset: number) => {
      const line = lineAt(code, offset);
      const binding = bindingFor(clause);
      if (typeof binding === 'string') bindings.push(binding);
      else {
        problem ??= {
          message: `line ${line}: ${binding.error}`,
          location: locationAt(code, offset + leadingBlanks(match)),
        };
      }
      return match.replace(/[^\r\n]/g, '');
    },
  );
  if (problem !== undefined) return { ok: false, ...problem };

  const lines = body.split('\n');
  let lineStart = 0;
  for (let index = 0; index < lines.length; index += 1) {
    const text = lines[index] ?? '';
    if (OTHER_IMPORT.test(text)) {
      return {
        ok: false,
        message: `line ${index + 1}: only the built-in blue: module can be imported (${USAGE}): ${text.trim()}`,
        location: locationAt(body, lineStart + leadingBlanks(text)),
      };
    }
    lineStart += text.length + 1;
  }
  const prologue = bindings.length === 0 ? '' : `const ${bindings.join(', ')};`;
  const guarded = guardScript(body);
  if (!guarded.ok) return guarded;
  return {
    ok: true,
    prologue,
    body: guarded.body,
    ...(guarded.unreadable === undefined ? {} : { unreadable: guarded.unreadable }),
    // The blanked import lines keep every line and every other line's columns: a position in
    // `body` is the author's once the guard's edits are undone.
    locate: scriptLocator(body, guarded.body, guarded.edits ?? []),
    ...(guarded.unreadableLocation === undefined
      ? {}
      : { unreadableLocation: guarded.unreadableLocation }),
  };
}

function leadingBlanks(text: string): number {
  return /^[ \t]*/.exec(text)?.[0].length ?? 0;
}

function bindingFor(clause: string): string | { error: string } {
  if (clause.startsWith('*')) {
    const local = clause.replace(/^\*\s*as\s+/, '');
    if (!IDENTIFIER.test(local)) return { error: `invalid import binding "${local}"` };
    return `${local} = ${BLUE_MODULE_PARAMETER}`;
  }
  const names: string[] = [];
  for (const specifier of clause.slice(1, -1).split(',')) {
    const parts = specifier.trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === '') continue;
    const [imported = '', as, local = imported] = parts;
    const wellFormed =
      (parts.length === 1 || (parts.length === 3 && as === 'as')) &&
      IDENTIFIER.test(imported) &&
      IDENTIFIER.test(local);
    if (!wellFormed) return { error: `invalid import binding "${specifier.trim()}"` };
    if (!EXPORTS.has(imported)) {
      return {
        error: `the blue: module has no export "${imported}" (it exports: ${BLUE_MODULE_EXPORTS.join(', ')})`,
      };
    }
    names.push(local === imported ? imported : `${imported}: ${local}`);
  }
  if (names.length === 0) return { error: `import binds nothing (${USAGE})` };
  return `{ ${names.join(', ')} } = ${BLUE_MODULE_PARAMETER}`;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (
    let index = text.indexOf('\n');
    index !== -1 && index < offset;
    index = text.indexOf('\n', index + 1)
  ) {
    line += 1;
  }
  return line;
}
