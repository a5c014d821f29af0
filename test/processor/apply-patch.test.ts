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

  it('reports the value before the change', () => {
    expect(apply({ a: 1 }, { op: 'replace', path: '/a', val: 2 })).toMatchObject({ before: 1 });
    expect(apply({}, { op: 'add', path: '/a', val: 2 })).toMatchObject({ before: undefined });
  });

  it('forbids the root, processor markers and prototype paths', () => {
    for (const path of [
      '',
      '/contracts/initialized',
      '/contracts/checkpoint/lastEvents',
      '/contracts/terminated',
      '/contracts/embedded/paths',
      '/a/__proto__/x',
      '/constructor',
      '/a/prototype',
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
