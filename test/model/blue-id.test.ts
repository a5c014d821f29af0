import { describe, expect, it } from 'vitest';
import { blueId, hashJson } from '../../src/model/blue-id.js';
import { CORE_TYPE_IDS } from '../../src/model/core-type-ids.js';
import type { JsonValue } from '../../src/model/json.js';
import { loadYaml } from '../../src/model/load-yaml.js';

function idOfYaml(text: string): string {
  const loaded = loadYaml(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return blueId(loaded.value);
}

describe('blueId: the vectors of DESIGN.md §3.2', () => {
  it('hashes nested fields with value wrappers', () => {
    expect(
      idOfYaml('abc: {def: {value: 1}, ghi: {jkl: {value: 2}, mno: {value: x}}}\npqr: {value: 1}'),
    ).toBe('GfUpUPT6zc6D7x1VaykHjbG3bLS2Ead8bu4vMqFHFvR3');
  });

  it('hashes a wrapped text value as the text', () => {
    expect(idOfYaml("value: '74f516a81a920fc5b465f2c6fd31ff41'")).toBe(
      'Gv4bRABwrK7MLyt62Kxi6EnxzFiwVHhWFA1y5oEzvy9j',
    );
  });

  it('folds a list of named nodes', () => {
    const yaml = [
      'name: test',
      'items:',
      ...[1, 2, 3].map((n) => `  - {name: child${n}, value: child${n}Value}`),
    ].join('\n');
    expect(idOfYaml(yaml)).toBe('3wFa5KuCRzTVSAFfDEFyFyoG7RwXHPz61R8LhDXAj2ce');
  });

  it('folds a nested list', () => {
    const yaml = [
      'name: test',
      'items:',
      '  - {name: child1, value: child1Value}',
      '  - items: [{name: subChild1, value: subChild1Value}, {name: subChild2, value: subChild2Value}]',
      '  - {name: child3, value: child3Value}',
    ].join('\n');
    expect(idOfYaml(yaml)).toBe('5C4FYBCQgu7vXnepcuQWZq29v4ACKDKCoiq79ceBVLYM');
  });
});

describe('blueId: equivalences and cleaning', () => {
  it('treats x: 1 and x: {value: 1} alike', () => {
    expect(blueId({ x: 1 })).toBe(blueId({ x: { value: 1 } }));
  });

  it('treats a typed basic scalar like the bare scalar', () => {
    for (const typeId of [
      CORE_TYPE_IDS.Text,
      CORE_TYPE_IDS.Integer,
      CORE_TYPE_IDS.Double,
      CORE_TYPE_IDS.Boolean,
    ]) {
      expect(blueId({ type: { blueId: typeId }, value: 'v' })).toBe(blueId('v'));
    }
  });

  it('does not unwrap a value typed by a non-basic type', () => {
    expect(blueId({ type: { blueId: 'SomeOtherType' }, value: 'v' })).not.toBe(blueId('v'));
  });

  it('treats {items: L} and {type: List, items: L} as L', () => {
    const list: JsonValue = [1, 'a', { b: 2 }];
    expect(blueId({ items: list })).toBe(blueId(list));
    expect(blueId({ type: { blueId: CORE_TYPE_IDS.List }, items: list })).toBe(blueId(list));
  });

  it('returns a pure reference as the referenced id', () => {
    expect(blueId({ blueId: 'Abc123' })).toBe('Abc123');
    expect(blueId({ x: { blueId: 'Abc123' } })).toBe(hashJson({ x: { blueId: 'Abc123' } }));
  });

  it('removes nulls and objects that become empty, recursively', () => {
    const clean = blueId({ a: 1 });
    expect(blueId({ a: 1, b: null })).toBe(clean);
    expect(blueId({ a: 1, b: { c: null } })).toBe(clean);
    expect(blueId({ a: 1, b: { c: { d: {} } } })).toBe(clean);
  });

  it('keeps empty lists', () => {
    expect(blueId({ a: 1, b: [] })).not.toBe(blueId({ a: 1 }));
    expect(blueId([])).toBe(hashJson({ $list: 'empty' }));
  });

  it('is independent of key order', () => {
    expect(blueId({ a: 1, b: { c: 2, d: 3 } })).toBe(blueId({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('depends on list order', () => {
    expect(blueId([1, 2])).not.toBe(blueId([2, 1]));
  });

  it('hashes a helper object: name/description/value as written, fields by their ids', () => {
    const node = { name: 'n', description: 'd', x: 5 };
    expect(blueId(node)).toBe(
      hashJson({ name: 'n', description: 'd', x: { blueId: hashJson(5) } }),
    );
  });
});
