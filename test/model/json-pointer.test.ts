import { describe, expect, it } from 'vitest';
import { ownValue, protoKeyPath } from '../../src/model/json.js';
import { getAtPointer, parsePointer } from '../../src/model/json-pointer.js';

describe('JSON pointers', () => {
  it('unescape ~0 and ~1 and refuse every other escape', () => {
    expect(parsePointer('/a~0b~1c/~01')).toEqual(['a~b/c', '~1']);
    for (const pointer of ['/a~2b', '/a~', '/~', '/x/~x', '/a~~0']) {
      expect(() => parsePointer(pointer), pointer).toThrow(SyntaxError);
    }
    expect(() => getAtPointer({ 'a~2b': 1 }, '/a~2b')).toThrow(/'~' must be followed by 0 or 1/);
  });
});

describe('own-field helpers', () => {
  it('ownValue and getAtPointer find own keys only, whatever they are called', () => {
    expect(ownValue({}, 'toString')).toBeUndefined();
    expect(ownValue({ toString: 1 }, 'toString')).toBe(1);
    const inheriting = Object.create({ inherited: 1 }) as Record<string, number>;
    expect(inheriting.inherited).toBe(1);
    expect(ownValue(inheriting, 'inherited')).toBeUndefined();
    const value = JSON.parse('{"toString": {"constructor": 1}}') as never;
    expect(getAtPointer(value, '/toString/constructor')).toBe(1);
    expect(getAtPointer({}, '/toString')).toBeUndefined();
    expect(getAtPointer({ a: {} }, '/a/constructor')).toBeUndefined();
  });

  it('protoKeyPath finds a __proto__ key at any depth', () => {
    expect(protoKeyPath({ a: [1, { b: 2 }], constructor: {} })).toBeUndefined();
    expect(protoKeyPath(JSON.parse('{"a": [1, {"__proto__": {}}]}'))).toEqual([
      'a',
      '1',
      '__proto__',
    ]);
    expect(protoKeyPath('__proto__')).toBeUndefined();
  });
});
