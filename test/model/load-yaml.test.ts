import { describe, expect, it } from 'vitest';
import { DEFAULT_LOAD_LIMITS, loadYaml } from '../../src/model/load-yaml.js';

function problemOf(text: string) {
  const result = loadYaml(text);
  if (result.ok) throw new Error(`expected a problem, loaded ${JSON.stringify(result.value)}`);
  return result.problems[0];
}

describe('loadYaml', () => {
  it('loads YAML into plain JSON with positions of every field', () => {
    const result = loadYaml('name: Test\namount: 100\nitems:\n  - a\n  - b\n');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toEqual({ name: 'Test', amount: 100, items: ['a', 'b'] });
    expect(result.positions.get('/amount')).toEqual({ line: 2, col: 1 });
    expect(result.positions.get('/items/1')).toEqual({ line: 5, col: 5 });
  });

  it('loads JSON', () => {
    const result = loadYaml('{"a": {"b": [1, 2.5, true, null]}}');
    expect(result.ok && result.value).toEqual({ a: { b: [1, 2.5, true, null] } });
  });

  it('rejects duplicate keys naming the key and line', () => {
    const problem = problemOf('a: 1\nb: 2\na: 3\n');
    expect(problem).toMatchObject({ code: 'yaml_duplicate_key', position: { line: 3, col: 1 } });
    expect(problem?.message).toContain("'a'");
  });

  it('rejects unknown tags', () => {
    expect(problemOf('a: !!js/function "function(){}"')).toMatchObject({
      code: 'yaml_unknown_tag',
      position: { line: 1 },
    });
    expect(problemOf('a: !custom x')).toMatchObject({ code: 'yaml_unknown_tag' });
  });

  it('rejects bad indentation with a position', () => {
    expect(problemOf('a:\n  b: 1\n c: 2\n')).toMatchObject({
      code: 'yaml_syntax',
      position: { line: 3 },
    });
  });

  it('rejects unquoted integers beyond 2^53-1 but accepts quoted ones and the boundary', () => {
    expect(problemOf('amount: 9007199254740993')).toMatchObject({
      code: 'yaml_unsafe_integer',
      position: { line: 1, col: 9 },
    });
    expect(loadYaml("amount: '9007199254740993'")).toMatchObject({
      ok: true,
      value: { amount: '9007199254740993' },
    });
    expect(loadYaml('amount: 9007199254740991')).toMatchObject({
      ok: true,
      value: { amount: 9007199254740991 },
    });
    expect(loadYaml('amount: -9007199254740991')).toMatchObject({ ok: true });
  });

  it('stops alias bombs quickly', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i += 1)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const started = performance.now();
    const problem = problemOf(lines.join('\n'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(problem?.code).toMatch(/yaml_alias_limit|yaml_too_large/);
    expect(problem?.position?.line).toBeGreaterThan(1);
  });

  it('refuses a few KB of aliases that stand for over 200k nodes, fast, at the alias', () => {
    // 6.9 KB: 3,400 numbers and 59 aliases of them, 204k nodes expanded.
    const bomb = `base: &b [${Array(3400).fill('1').join(',')}]\nlist: [${Array(59).fill('*b').join(', ')}]\n`;
    // Warm the parser up: the time asked about is the bomb's, not the JIT's. Parsing these
    // 6.9 KB takes about as long as refusing them; expanding them took over 150 ms.
    for (let i = 0; i < 3; i += 1) problemOf(bomb);
    let elapsed = Infinity;
    let problem;
    for (let i = 0; i < 3; i += 1) {
      const started = performance.now();
      problem = problemOf(bomb);
      elapsed = Math.min(elapsed, performance.now() - started);
    }
    console.log(`alias bomb refused in ${elapsed.toFixed(1)} ms`);
    expect(bomb.length).toBeLessThan(8 * 1024);
    expect(elapsed).toBeLessThan(100);
    // Each alias stands for 3,401 nodes: the third passes the 10,000 nodes aliases may stand
    // for in all (line 2, col 8 + 2 × 4).
    expect(problem).toMatchObject({
      code: 'yaml_alias_limit',
      message: 'aliases stand for more than 10000 nodes in all',
      position: { line: 2, col: 8 + 2 * 4 },
    });
    // Without that limit, the expanded size stops it: 3,400 + 1 + 58 × 3,401 + … passes
    // 200,000 at the 58th alias (line 2, col 8 + 57 × 4).
    const expanded = loadYaml(bomb, { ...DEFAULT_LOAD_LIMITS, maxAliasNodes: Infinity });
    expect(expanded).toMatchObject({
      ok: false,
      problems: [
        {
          code: 'yaml_too_large',
          message: 'more than 200000 nodes (after alias expansion)',
          position: { line: 2, col: 8 + 57 * 4 },
        },
      ],
    });
  });

  it('refuses aliases of aliases at the outer alias, before expanding any of them', () => {
    const lines = [`l0: &l0 [${Array(100).fill('x').join(',')}]`];
    for (let i = 1; i <= 40; i += 1) lines.push(`l${i}: &l${i} [*l${i - 1}, *l${i - 1}]`);
    const limits = { ...DEFAULT_LOAD_LIMITS, maxAliases: 1_000_000, maxAliasNodes: Infinity };
    const started = performance.now();
    const result = loadYaml(lines.join('\n'), limits);
    expect(performance.now() - started).toBeLessThan(100);
    // l40 would stand for 2^40 × 100 numbers; l0…l10 together pass 200,000 already, at the
    // second alias of l10 (line 11, col 17).
    expect(result).toMatchObject({
      ok: false,
      problems: [{ code: 'yaml_too_large', position: { line: 11, col: 17 } }],
    });
    // With the default alias limit, the count of expansions stops it first.
    expect(problemOf(lines.join('\n'))).toMatchObject({ code: 'yaml_alias_limit' });
  });

  it('counts the bytes and the depth an alias stands for', () => {
    const text = `s: &s "${'x'.repeat(100_000)}"\nuses: [${Array(45).fill('*s').join(', ')}]\n`;
    expect(problemOf(text)).toMatchObject({
      code: 'yaml_too_large',
      message: `more than ${4 * 1024 * 1024} bytes (after alias expansion)`,
      position: { line: 2, col: 8 + 40 * 4 },
    });
    const deep = `a: &a ${'['.repeat(40)}${']'.repeat(40)}\nb: ${'['.repeat(30)}*a${']'.repeat(30)}\n`;
    expect(problemOf(deep)).toMatchObject({
      code: 'yaml_too_large',
      position: { line: 2, col: 34 },
    });
  });

  it('refuses an alias inside the node it names', () => {
    expect(problemOf('a: &x [1, *x]')).toMatchObject({
      code: 'yaml_alias_limit',
      position: { line: 1, col: 11 },
    });
    expect(problemOf('a: &x {b: *x}')?.code).toBe('yaml_alias_limit');
    expect(problemOf('a: *nowhere')).toMatchObject({ code: 'yaml_syntax', position: { col: 4 } });
  });

  it('counts expanded nodes exactly as the walk does, up to the limit', () => {
    // root 1, a 1+2, b 1+3, c 1+3: 12 nodes.
    const text = 'a: &x [1, 2]\nb: *x\nc: *x\n';
    const limits = (maxNodes: number) => ({ ...DEFAULT_LOAD_LIMITS, maxNodes });
    expect(loadYaml(text, limits(12))).toMatchObject({
      ok: true,
      value: { a: [1, 2], b: [1, 2], c: [1, 2] },
    });
    expect(loadYaml(text, limits(11))).toMatchObject({
      ok: false,
      problems: [{ code: 'yaml_too_large', position: { line: 3, col: 4 } }],
    });
    const anchoredKey = loadYaml('&k a: 1\nb: *k\n');
    expect(anchoredKey).toMatchObject({ ok: true, value: { a: 1, b: 'a' } });
    if (anchoredKey.ok) expect(anchoredKey.positions.get('/b')).toEqual({ line: 2, col: 1 });
  });

  it('accepts a few aliases', () => {
    expect(loadYaml('a: &x {b: 1}\nc: *x')).toMatchObject({
      ok: true,
      value: { a: { b: 1 }, c: { b: 1 } },
    });
  });

  it('rejects input that is too deep or too large', () => {
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect(problemOf(deep)).toMatchObject({ code: 'yaml_too_large' });
    const limits = {
      maxBytes: 100,
      maxDepth: 64,
      maxNodes: 1000,
      maxAliases: 10,
      maxAliasNodes: 100,
    };
    expect(loadYaml('x'.repeat(101), limits)).toMatchObject({
      ok: false,
      problems: [{ code: 'yaml_too_large' }],
    });
  });

  it('rejects several documents, empty input, non-scalar keys, __proto__ and non-finite numbers', () => {
    expect(problemOf('a: 1\n---\nb: 2\n')?.code).toBe('yaml_syntax');
    expect(problemOf('')?.code).toBe('yaml_empty');
    expect(problemOf('? [a, b]\n: c\n')?.code).toBe('yaml_invalid_key');
    expect(problemOf('__proto__: {a: 1}')?.code).toBe('yaml_invalid_key');
    expect(problemOf('a: .inf')?.code).toBe('invalid_node');
  });
});
