import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { applyPatch } from '../../src/processor/apply-patch.js';

function apply(document: JsonObject, change: JsonObject) {
  const before = JSON.stringify(document);
  const outcome = applyPatch(document, change);
  expect(JSON.stringify(document)).toBe(before);
  return outcome;
}

describe('applyPatch (Blue semantics over fast-json-patch)', () => {
  it('replaces, adds and removes without mutating the input', () => {
    const doc = { a: 1, b: { c: 2 } };
    expect(apply(doc, { op: 'replace', path: '/a', val: 5 })).toMatchObject({
      ok: true,
      document: { a: 5, b: { c: 2 } },
    });
    expect(apply(doc, { op: 'add', path: '/b/d', val: 'x' })).toMatchObject({
      ok: true,
      document: { b: { c: 2, d: 'x' } },
    });
    expect(apply(doc, { op: 'remove', path: '/b/c' })).toMatchObject({
      ok: true,
      document: { a: 1, b: {} },
    });
  });

  it('shares untouched subtrees with the input', () => {
    const doc = { a: { big: [1, 2, 3] }, b: { c: 1 } };
    const outcome = applyPatch(doc, { op: 'replace', path: '/b/c', val: 2 });
    expect(outcome.ok && outcome.document.a).toBe(doc.a);
  });

  it('upserts: replace of a missing path adds it, creating parent maps', () => {
    const outcome = apply({}, { op: 'replace', path: '/x/y/z', val: true });
    expect(outcome).toMatchObject({
      ok: true,
      document: { x: { y: { z: true } } },
      applied: { op: 'add', path: '/x/y/z' },
    });
  });

  it('appends with - and enters {items: [...]} lists', () => {
    expect(apply({ list: [1] }, { op: 'add', path: '/list/-', val: 2 })).toMatchObject({
      document: { list: [1, 2] },
    });
    const wrapped = apply(
      { refunds: { type: 'List', items: [{ id: 1 }] } },
      { op: 'add', path: '/refunds/-', val: { id: 2 } },
    );
    expect(wrapped).toMatchObject({
      ok: true,
      document: { refunds: { type: 'List', items: [{ id: 1 }, { id: 2 }] } },
      applied: { path: '/refunds/items/-' },
    });
    expect(
      apply({ refunds: { items: [{ id: 1 }] } }, { op: 'replace', path: '/refunds/0/id', val: 9 }),
    ).toMatchObject({ document: { refunds: { items: [{ id: 9 }] } } });
  });

  it('fails an append to a list that is not there, as the reference (no list is made up)', () => {
    expect(apply({}, { op: 'add', path: '/foo/-', val: 1 })).toEqual({
      ok: false,
      code: 'patch_invalid',
      reason: "add /foo/-: the append token '-' needs a list at /foo",
    });
    expect(apply({ foo: { a: 1 } }, { op: 'add', path: '/foo/-', val: 1 })).toMatchObject({
      ok: false,
      code: 'patch_invalid',
    });
    // A missing parent is always a map: a numeric token names a field of it.
    expect(apply({}, { op: 'add', path: '/foo/0', val: 1 })).toMatchObject({
      ok: true,
      document: { foo: { '0': 1 } },
    });
    // RFC 6901 escapes are decoded (the reference keeps them literally).
    expect(apply({}, { op: 'add', path: '/a~1b/c~0d', val: 1 })).toMatchObject({
      ok: true,
      document: { 'a/b': { 'c~d': 1 } },
    });
  });

  it('reads the op in any case, and a change without an op is a replace (as the reference)', () => {
    const doc = { a: 1, b: 2 };
    expect(apply(doc, { op: 'ADD', path: '/c', val: 3 })).toMatchObject({
      ok: true,
      applied: { op: 'add', path: '/c' },
    });
    expect(apply(doc, { op: 'Replace', path: '/a', val: 5 })).toMatchObject({
      ok: true,
      document: { a: 5 },
      applied: { op: 'replace' },
    });
    expect(apply(doc, { op: 'REMOVE', path: '/b' })).toMatchObject({
      ok: true,
      document: { a: 1 },
      applied: { op: 'remove' },
    });
    expect(apply(doc, { path: '/a', val: 7 })).toMatchObject({
      ok: true,
      document: { a: 7 },
      applied: { op: 'replace' },
    });
    expect(apply(doc, { path: '/z', val: 7 })).toMatchObject({ ok: true, applied: { op: 'add' } });
    expect(apply(doc, { op: 'move', path: '/a', val: 1 })).toMatchObject({
      ok: false,
      code: 'patch_invalid',
    });
  });

  it('reports the value before the change', () => {
    expect(apply({ a: 1 }, { op: 'replace', path: '/a', val: 2 })).toMatchObject({ before: 1 });
    expect(apply({}, { op: 'add', path: '/a', val: 2 })).toMatchObject({ before: undefined });
  });

  it('forbids the root, the contracts map as a whole, processor markers and __proto__', () => {
    for (const path of [
      '',
      '/contracts',
      '/contracts/initialized',
      '/contracts/initialized/documentId',
      '/contracts/checkpoint/lastEvents',
      '/contracts/terminated',
      '/contracts/embedded/paths',
      '/a/__proto__/x',
      '/__proto__',
    ]) {
      expect(apply({ a: {} }, { op: 'replace', path, val: 1 }), path).toMatchObject({
        ok: false,
        code: 'patch_forbidden',
      });
    }
    expect(
      apply({}, { op: 'add', path: '/contracts/myChannel', val: { type: 'Core/Channel' } }),
    ).toMatchObject({ ok: true });
  });

  it('refuses every op on /contracts itself, so markers can be neither forged nor dropped', () => {
    const document: JsonObject = {
      contracts: {
        initialized: { type: 'Core/Processing Initialized Marker', documentId: 'real' },
        checkpoint: { type: 'Core/Channel Event Checkpoint', lastEvents: {} },
      },
    };
    const forged = { initialized: { documentId: 'forged' }, terminated: { cause: 'fatal' } };
    for (const change of [
      { op: 'replace', path: '/contracts', val: forged },
      { op: 'add', path: '/contracts', val: {} },
      { op: 'remove', path: '/contracts' },
    ] as JsonObject[]) {
      expect(apply(document, change), String(change.op)).toMatchObject({
        ok: false,
        code: 'patch_forbidden',
        reason: 'the contracts map cannot be patched as a whole: /contracts',
      });
    }
    expect(apply(document, { op: 'add', path: '/contracts/mine', val: {} })).toMatchObject({
      ok: true,
    });
  });

  it('refuses a path with an escape other than ~0 and ~1 (patch_invalid)', () => {
    for (const path of ['/a~2b', '/a~', '/~', '/a/~x/b']) {
      expect(apply({ a: {} }, { op: 'replace', path, val: 1 }), path).toMatchObject({
        ok: false,
        code: 'patch_invalid',
      });
    }
    expect(apply({}, { op: 'add', path: '/a~0b~1c', val: 1 })).toMatchObject({
      ok: true,
      document: { 'a~b/c': 1 },
    });
  });

  it("treats Object.prototype's names as ordinary fields", () => {
    for (const name of [
      'constructor',
      'toString',
      'valueOf',
      'hasOwnProperty',
      '__defineGetter__',
    ]) {
      const added = apply({}, { op: 'replace', path: `/${name}`, val: 1 });
      expect(added, name).toMatchObject({ ok: true, applied: { op: 'add' }, before: undefined });
      const document = (added as { document: JsonObject }).document;
      expect(Object.hasOwn(document, name)).toBe(true);
      expect(apply(document, { op: 'replace', path: `/${name}`, val: 2 })).toMatchObject({
        ok: true,
        applied: { op: 'replace' },
        before: 1,
      });
      expect(apply({}, { op: 'add', path: `/a/${name}/b`, val: 1 })).toMatchObject({
        ok: true,
        document: { a: { [name]: { b: 1 } } },
      });
      // Absent fields cannot be removed, whatever Object.prototype has.
      expect(apply({}, { op: 'remove', path: `/${name}` }), name).toMatchObject({
        ok: false,
        code: 'patch_invalid',
      });
      expect(apply(document, { op: 'remove', path: `/${name}` })).toMatchObject({
        ok: true,
        document: {},
      });
    }
    expect(apply({}, { op: 'add', path: '/constructor/prototype', val: 1 })).toMatchObject({
      ok: true,
      document: { constructor: { prototype: 1 } },
    });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('refuses a value with a __proto__ key anywhere (patch_forbidden)', () => {
    const val = JSON.parse('{"a": [{"__proto__": {"polluted": true}}]}') as JsonObject;
    expect(apply({}, { op: 'add', path: '/x', val })).toMatchObject({
      ok: false,
      code: 'patch_forbidden',
      reason: "the key '__proto__' is not allowed (at /a/0/__proto__ of the value for /x)",
    });
  });

  it('rejects malformed changes and impossible paths', () => {
    expect(apply({}, { op: 'move', path: '/a', val: 1 })).toMatchObject({
      ok: false,
      code: 'patch_invalid',
    });
    expect(apply({}, { op: 'add', path: 'a', val: 1 })).toMatchObject({
      ok: false,
      code: 'patch_invalid',
    });
    expect(apply({}, { op: 'add', path: '/a' })).toMatchObject({
      ok: false,
      code: 'patch_invalid',
    });
    expect(apply({ a: 1 }, { op: 'remove', path: '/b' })).toMatchObject({
      ok: false,
      code: 'patch_invalid',
    });
    expect(apply({ a: 1 }, { op: 'add', path: '/a/b', val: 1 })).toMatchObject({
      ok: false,
      code: 'patch_invalid',
    });
    expect(apply({ l: [1] }, { op: 'add', path: '/l/5', val: 1 })).toMatchObject({
      ok: false,
      code: 'patch_invalid',
    });
  });
});
