import type { Node as YamlNode } from 'yaml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar } from 'yaml';
import type { SourcePosition } from '../errors/problem.js';
import type { JsonValue } from './json.js';
import { parsePointer } from './json-pointer.js';
import { toRawPointer } from './node.js';

/**
 * Where a line:col of a script (a `code` field) is in the YAML file that holds it, so that a
 * syntax or runtime error names the author's line 62, not line 1 of the code block.
 *
 * A literal block scalar (`code: |`) keeps its lines: line k of the code is k lines below the
 * header, shifted right by the block's indentation. A folded, quoted or plain scalar does not
 * keep lines, so the scalar's own start is the best answer. The text is parsed again here
 * (only when there is an error to place), so the loader's hot path stays as it is.
 */
export type CodeLocator = (
  simplePointer: string,
  line: number,
  col: number,
) => SourcePosition | undefined;

/** A locator for scripts of the document parsed from `text` (`document` is its raw form). */
export function codeLocator(text: string, document: JsonValue): CodeLocator {
  let parsed: { root: YamlNode | null; lines: LineCounter } | undefined;
  return (simplePointer, line, col) => {
    parsed ??= parse(text);
    const node = nodeAt(parsed.root, toRawPointer(document, simplePointer));
    const offset = isScalar(node) ? node.range?.[0] : undefined;
    if (offset === undefined) return undefined;
    const start = parsed.lines.linePos(offset);
    if ((node as Scalar).type !== Scalar.BLOCK_LITERAL) return start;
    return { line: start.line + line, col: blockIndent(text, offset) + col };
  };
}

function parse(text: string): { root: YamlNode | null; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: false });
  return { root: doc.contents as YamlNode | null, lines };
}

function nodeAt(root: YamlNode | null, rawPointer: string): YamlNode | undefined {
  let node: YamlNode | null | undefined = root;
  for (const segment of parsePointer(rawPointer)) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === segment,
      );
      node = pair?.value as YamlNode | null | undefined;
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      node = node.items[Number(segment)] as YamlNode | null | undefined;
    } else {
      return undefined;
    }
    if (node === null || node === undefined) return undefined;
  }
  return node ?? undefined;
}

/**
 * The indentation of a block scalar's content: the header's indentation indicator (`|2`) added
 * to the indentation of the node holding it, else that of the first line with content (spaces
 * only count: a tab there is content).
 */
function blockIndent(text: string, headerOffset: number): number {
  const lineStart = text.lastIndexOf('\n', headerOffset - 1) + 1;
  const headerEnd = text.indexOf('\n', headerOffset);
  const header = text.slice(headerOffset, headerEnd === -1 ? text.length : headerEnd);
  const indicator = /^[|>][+-]?([1-9])|^[|>]([1-9])/.exec(header);
  const explicit = indicator?.[1] ?? indicator?.[2];
  if (explicit !== undefined) {
    // The holding node is the key on the header's line, after any `- ` of sequence items.
    const prefix = text.slice(lineStart, headerOffset);
    const keyColumn = /^[ -]*/.exec(prefix)?.[0].length ?? 0;
    return keyColumn + Number(explicit);
  }
  if (headerEnd === -1) return 0;
  const firstLine = /^( *)[^ \r\n]/m.exec(text.slice(headerEnd + 1));
  return firstLine?.[1]?.length ?? 0;
}
