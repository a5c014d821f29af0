import { describe, expect, it } from 'vitest';
import { checkAnatomy, locate, simplify, toRawPointer } from '../../src/model/node.js';
import { loadYaml } from '../../src/model/load-yaml.js';
import { getAtPointer, parsePointer, toPointer } from '../../src/model/json-pointer.js';

describe('node anatomy', () => {
  it('accepts a node with one payload', () => {
    expect(checkAnatomy({ name: 'x', value: 1 })).toEqual([]);
    expect(checkAnatomy({ items: [1, 2] })).toEqual([]);
    expect(checkAnatomy({ a: 1, b: { c: 2 } })).toEqual([]);
  });

  it('rejects a node with value and fields, or a non-scalar value', () => {
    expect(checkAnatomy({ value: 1, extra: 2 })).toMatchObject([
      { code: 'invalid_node', pointer: '' },
    ]);
    expect(checkAnatomy({ a: { value: { b: 1 } } })).toMatchObject([{ pointer: '/a/value' }]);
    expect(checkAnatomy({ a: { items: 'nope' } })).toMatchObject([{ pointer: '/a/items' }]);
    expect(checkAnatomy({ name: 5 })).toMatchObject([{ pointer: '/name' }]);
  });
});

describe('simplify and positions', () => {
  it('unwraps value and items wrappers but keeps fields', () => {
    expect(
      simplify({ a: { value: 1, type: 'Integer' }, b: { items: [{ value: 'x' }] }, c: { d: 2 } }),
    ).toEqual({
      a: 1,
      b: ['x'],
      c: { d: 2 },
    });
  });

  it('maps simple pointers back to raw pointers and source positions', () => {
    const loaded = loadYaml('a:\n  value: 1\nlist:\n  items:\n    - x\n    - y\n');
    if (!loaded.ok) throw new Error('load');
    expect(toRawPointer(loaded.value, '/list/1')).toBe('/list/items/1');
    expect(locate(loaded.value, '/list/1', loaded.positions)).toEqual({ line: 6, col: 7 });
    expect(locate(loaded.value, '/missing/deep', loaded.positions)).toEqual({ line: 1, col: 1 });
  });
});

describe('JSON pointer', () => {
  it('round-trips escaped segments and reads values', () => {
    expect(parsePointer(toPointer(['a/b', 'c~d', 0]))).toEqual(['a/b', 'c~d', '0']);
    expect(getAtPointer({ a: [{ b: 1 }] }, '/a/0/b')).toBe(1);
    expect(getAtPointer({ a: 1 }, '/a/b')).toBeUndefined();
    expect(() => parsePointer('a')).toThrow(SyntaxError);
  });
});
