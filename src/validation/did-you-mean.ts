import type { TypeRegistry } from '../types/type-registry.js';

/**
 * The candidate `input` most likely stands for: the same text in another case, else the
 * closest by edit distance (insertions, deletions, substitutions and swaps of neighbours, case
 * ignored) within a bound that grows with the length, so `merchnt` finds `merchant` and
 * `Capture Paymnet` finds `Capture Payment` while `ab` finds nothing much. The first of equally
 * close candidates wins, so the answer follows the candidates' order.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const wanted = input.toLowerCase();
  const bound = input.length <= 4 ? 1 : input.length <= 12 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = bound + 1;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const lower = candidate.toLowerCase();
    if (lower === wanted) return candidate;
    if (Math.abs(lower.length - wanted.length) >= bestDistance) continue;
    const distance = editDistance(wanted, lower, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `; did you mean 'x'?` for a message, or nothing when no candidate is close. */
export function suggestion(input: string, candidates: Iterable<string>): string {
  const found = didYouMean(input, candidates);
  return found === undefined ? '' : `; did you mean '${found}'?`;
}

const typeNames = new WeakMap<TypeRegistry, { short: string[]; qualified: string[] }>();

/**
 * The known type a mistyped type name most likely means. A qualified name (`Payments/…`) is
 * compared with qualified names, a short one with short names, so the answer is written the
 * way the author writes.
 */
export function suggestTypeName(registry: TypeRegistry, name: string): string | undefined {
  let names = typeNames.get(registry);
  if (names === undefined) {
    const definitions = registry.list();
    names = {
      short: [...new Set(definitions.map((definition) => definition.name))],
      qualified: definitions.map((definition) => definition.qualifiedName),
    };
    typeNames.set(registry, names);
  }
  return didYouMean(name, name.includes('/') ? names.qualified : names.short);
}

/**
 * Optimal string alignment distance, giving up (returning `limit`) once every alignment costs
 * at least `limit`: most candidates are far off and are dropped after a row or two.
 */
function editDistance(a: string, b: string, limit: number): number {
  let before: number[] = [];
  let previous: number[] = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current: number[] = [i];
    let rowBest = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, (before[j - 2] as number) + 1);
      current.push(value);
      if (value < rowBest) rowBest = value;
    }
    if (rowBest >= limit) return limit;
    before = previous;
    previous = current;
  }
  return Math.min(previous[b.length] as number, limit);
}
