/** Orders strings by Unicode code point (not UTF-16 code unit), as DESIGN.md §4.2 asks. */
export function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i += 1) {
    const diff = (left[i] as string).codePointAt(0)! - (right[i] as string).codePointAt(0)!;
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
}

/** `(order, key)` ordering of contracts. */
export function byOrderThenKey(
  a: { order: number; key: string },
  b: { order: number; key: string },
): number {
  return a.order - b.order || compareCodePoints(a.key, b.key);
}
