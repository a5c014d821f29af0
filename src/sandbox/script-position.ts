/**
 * Where an error is in a step's code as its author wrote it. V8 reports positions in the code it
 * compiled, which is not the author's: the runtime puts a prologue line before the body, and
 * script-guard.ts inserts text into every `catch` and `finally`. The rewrite is a list of edits,
 * so a compiled position is turned back into the author's by undoing them; the `blue:` import
 * lines are blanked character by character (script-source.ts), which keeps every line where it
 * was and every column of the other lines.
 */

/** A place in a step's code: 1-based line and column (UTF-16 code units, as V8 counts). */
export interface ScriptLocation {
  line: number;
  col: number;
}

/** Replaces `[at, end)` of a text with `text`. */
export interface TextEdit {
  at: number;
  end: number;
  text: string;
}

/** Turns a line:col of the compiled body into the author's; undefined outside the body. */
export type ScriptLocator = (line: number, col: number) => ScriptLocation | undefined;

/** How a location reads at the start of a message: `line 3:7: `. */
export function locationPrefix(location: ScriptLocation): string {
  return `line ${location.line}:${location.col}: `;
}

/** `message` without the {@link locationPrefix} of `location` it starts with, if it does. */
export function withoutLocation(message: string, location: ScriptLocation | undefined): string {
  if (location === undefined) return message;
  const prefix = locationPrefix(location);
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

/**
 * Offsets where lines start. `v8`: the line terminators V8 counts in a script (LF, CR, CRLF,
 * U+2028, U+2029), which is how its positions must be read; otherwise LF, CR and CRLF, as the
 * YAML file and an editor count the author's lines.
 */
function lineStarts(text: string, v8: boolean): number[] {
  const starts = [0];
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x0d && text.charCodeAt(index + 1) === 0x0a) continue;
    if (code === 0x0a || code === 0x0d || (v8 && (code === 0x2028 || code === 0x2029)))
      starts.push(index + 1);
  }
  return starts;
}

/** The 1-based line:col of `offset`, given the line starts of its text. */
function positionOf(starts: readonly number[], offset: number): ScriptLocation {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((starts[middle] as number) <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, col: offset - (starts[low] as number) + 1 };
}

/** The offset of a 1-based line:col, or undefined when the line does not exist. */
function offsetOf(starts: readonly number[], textLength: number, line: number, col: number) {
  const start = starts[line - 1];
  if (start === undefined || !Number.isInteger(col) || col < 1) return undefined;
  const next = starts[line];
  return Math.min(start + col - 1, next === undefined ? textLength : next - 1);
}

/**
 * A locator for `compiled`, which is `original` with `edits` applied (they do not overlap). A
 * position inside inserted text is that of the place it was inserted at. Line terminators are
 * V8's in `compiled` and the author's in `original` (they differ only for U+2028 and U+2029,
 * which YAML does not count as line breaks).
 */
export function scriptLocator(
  original: string,
  compiled: string,
  edits: readonly TextEdit[],
): ScriptLocator {
  const sorted = [...edits].sort((a, b) => a.at - b.at);
  let compiledStarts: number[] | undefined;
  let originalStarts: number[] | undefined;
  return (line, col) => {
    compiledStarts ??= lineStarts(compiled, true);
    const offset = offsetOf(compiledStarts, compiled.length, line, col);
    if (offset === undefined) return undefined;
    originalStarts ??= lineStarts(original, false);
    return positionOf(originalStarts, originalOffset(sorted, offset));
  };
}

/** Where `offset` of the edited text was in the text before the (sorted) edits. */
function originalOffset(sorted: readonly TextEdit[], offset: number): number {
  // `shift`: how much longer the edited text is than the original, up to the edit at hand.
  let shift = 0;
  for (const edit of sorted) {
    const start = edit.at + shift;
    if (offset < start) break;
    if (offset < start + edit.text.length) return edit.at;
    shift += edit.text.length - (edit.end - edit.at);
  }
  return offset - shift;
}

/** The location of `offset` in `text`, counting lines as the author does. */
export function locationAt(text: string, offset: number): ScriptLocation {
  return positionOf(lineStarts(text, false), Math.max(0, Math.min(offset, text.length)));
}

/** The location just past the end of `text` (where an unfinished body ends). */
export function endOf(text: string): ScriptLocation {
  return locationAt(text, text.length);
}
