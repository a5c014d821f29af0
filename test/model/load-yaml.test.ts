import { describe, expect, it } from 'vitest';
import { loadYaml } from '../../src/model/load-yaml.js';

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

  it('accepts a few aliases', () => {
    expect(loadYaml('a: &x {b: 1}\nc: *x')).toMatchObject({
      ok: true,
      value: { a: { b: 1 }, c: { b: 1 } },
    });
  });

  it('rejects input that is too deep or too large', () => {
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect(problemOf(deep)).toMatchObject({ code: 'yaml_too_large' });
    const limits = { maxBytes: 100, maxDepth: 64, maxNodes: 1000, maxAliases: 10 };
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
