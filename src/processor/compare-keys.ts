/**
 * Orders strings by Unicode code point (not UTF-16 code unit), as DESIGN.md §4.2 asks. The two
 * orders differ only where a surrogate meets a code unit at or above U+E000, so code units are
 * compared directly and code points only at such a difference.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (isSurrogate(x) || isSurrogate(y))
      return (a.codePointAt(i) as number) - (b.codePointAt(i) as number);
    return x - y;
  }
  return a.length - b.length;
}

function isSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdfff;
}

/** `(order, key)` ordering of contracts. */
export function byOrderThenKey(
  a: { order: number; key: string },
  b: { order: number; key: string },
): number {
  return a.order - b.order || compareCodePoints(a.key, b.key);
}
