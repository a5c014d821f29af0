/** A piece of a string with `${…}` inside: literal text or an expression source. */
export type TemplatePart = { text: string } | { expr: string };

/**
 * Splits a string into text and `${…}` expressions, matching braces and skipping quoted
 * strings, so `${ {a: 1}.a }` or `${"}"}` split correctly. Returns undefined when there is none.
 */
export function splitTemplate(source: string): TemplatePart[] | undefined {
  if (!source.includes('${')) return undefined;
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('${', i)) {
      const end = closingBrace(source, i + 2);
      if (end === -1) break;
      if (text) parts.push({ text });
      text = '';
      parts.push({ expr: source.slice(i + 2, end).trim() });
      i = end + 1;
    } else {
      text += source[i];
      i += 1;
    }
  }
  if (i < source.length) text += source.slice(i);
  if (text) parts.push({ text });
  return parts.some((part) => 'expr' in part) ? parts : undefined;
}

function closingBrace(source: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < source.length; i += 1) {
    const c = source[i];
    if (quote) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === '{') {
      depth += 1;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth -= 1;
    }
  }
  return -1;
}
