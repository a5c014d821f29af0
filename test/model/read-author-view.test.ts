import { describe, expect, it } from 'vitest';
import { readAuthorViewWith } from '../../src/model/author-view.js';
import { blueId } from '../../src/model/blue-id.js';
import type { JsonValue } from '../../src/model/json.js';
import { readAuthorView } from '../../src/model/read-author-view.js';

// The one reader behind document(pointer): model/author-view.ts. The host reads through
// readAuthorView (which hashes with model/blue-id.ts); the guest runtime bundles the same module
// (test/sandbox/guest-runtime.test.ts shows both sandboxes answer as the host does).
const read = (root: JsonValue, path: unknown): JsonValue | undefined =>
  readAuthorViewWith(root, path, { blueIdOf: blueId });

describe('readAuthorView (what document(pointer) returns)', () => {
  const doc = {
    amount: { type: 'Integer', value: 1000 },
    refunds: { type: 'List', items: [{ amount: { value: 5 } }] },
    plain: [1, 2],
    'a/b': { '~c': 3 },
  };

  it('unwraps values and lists, deeply, and enters item lists by index', () => {
    expect(readAuthorView(doc, '/amount')).toBe(1000);
    expect(readAuthorView(doc, '/refunds')).toEqual([{ amount: 5 }]);
    expect(readAuthorView(doc, '/refunds/0/amount')).toBe(5);
    expect(readAuthorView(doc, '/plain/1')).toBe(2);
    expect(readAuthorView(doc, '/a~1b/~0c')).toBe(3);
  });

  it('reads missing paths as undefined, a path without its slash as the reference does, and refuses malformed pointers', () => {
    expect(readAuthorView(doc, '/missing/x')).toBeUndefined();
    expect(readAuthorView(doc, '/plain/x')).toBeUndefined();
    expect(readAuthorView(doc, 'amount')).toEqual(readAuthorView(doc, '/amount'));
    expect(readAuthorView(doc, 'amount')).not.toBeUndefined();
    expect(() => readAuthorView(doc, '/a~2')).toThrow(/"~" must be followed by 0 or 1/);
  });
});

describe('the shared reader (model/author-view.ts), edge cases', () => {
  it('decodes ~1 before ~0, as RFC 6901 says, and refuses any other escape', () => {
    const doc = { 'a/b': { '~c': 3 }, '~1': 'tilde-one', '/': 'slash', '~': 'tilde' };
    expect(read(doc, '/a~1b/~0c')).toBe(3);
    expect(read(doc, '/~01')).toBe('tilde-one');
    expect(read(doc, '/~1')).toBe('slash');
    expect(read(doc, '/~0')).toBe('tilde');
    for (const bad of ['/~', '/a~', '/~2', '/x~y', '~']) {
      expect(() => read(doc, bad), bad).toThrow(/"~" must be followed by 0 or 1/);
    }
  });

  it('reads a path without its leading slash as if it had one; "" is the whole document', () => {
    const doc = { counter: { value: 1 }, a: { b: 'deep' }, 'x/y': 2 };
    expect(read(doc, 'counter')).toBe(1);
    expect(read(doc, 'a/b')).toBe('deep');
    expect(read(doc, 'x~1y')).toBe(2);
    expect(read(doc, '')).toEqual({ counter: 1, a: { b: 'deep' }, 'x/y': 2 });
    // '/' is the key '' (RFC 6901), not the root.
    expect(read(doc, '/')).toBeUndefined();
    expect(read({ '': 'empty key' }, '/')).toBe('empty key');
  });

  it('enters items lists by canonical index only, and only an own items list', () => {
    const doc: JsonValue = {
      list: { type: 'List', items: [{ value: 'a' }, { items: [1, 2] }] },
      plain: ['x', 'y'],
      notList: { items: 'text' },
      keyed: { '0': 'zero key' },
    };
    expect(read(doc, '/list/0')).toBe('a');
    expect(read(doc, '/list/1/1')).toBe(2);
    expect(read(doc, '/list/01')).toBeUndefined();
    expect(read(doc, '/list/2')).toBeUndefined();
    expect(read(doc, '/list/-1')).toBeUndefined();
    expect(read(doc, '/list/items/0')).toEqual('a');
    expect(read(doc, '/plain/length')).toBeUndefined();
    expect(read(doc, '/notList/0')).toBeUndefined();
    expect(read(doc, '/keyed/0')).toBe('zero key');
    expect(read(JSON.parse('{"x": {"0": 1}}') as JsonValue, '/x/0')).toBe(1);
  });

  it('reads only own keys: constructor, toString and __proto__ are fields like any other', () => {
    const doc = JSON.parse(
      '{"__proto__": {"value": 1}, "o": {"__proto__": {"x": {"value": 2}}}, "p": {"a": 1}}',
    ) as JsonValue;
    expect(read(doc, '/constructor')).toBeUndefined();
    expect(read(doc, '/p/toString')).toBeUndefined();
    expect(read(doc, '/p/hasOwnProperty')).toBeUndefined();
    expect(read(doc, '/__proto__')).toBe(1);
    expect(read(doc, '/o/__proto__/x')).toBe(2);
    const o = read(doc, '/o') as Record<string, unknown>;
    // An own field named __proto__, not a prototype.
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['__proto__']);
    expect(JSON.stringify(o)).toBe('{"__proto__":{"x":2}}');
    const withConstructor = { constructor: { value: 'field' } };
    expect(read(withConstructor, '/constructor')).toBe('field');
  });

  it('refuses a pointer that is not a string', () => {
    for (const bad of [5, null, undefined, {}, ['/a']]) {
      expect(() => read({ a: 1 }, bad)).toThrow(TypeError);
      expect(() => read({ a: 1 }, bad)).toThrow(/expects a JSON pointer/);
    }
  });

  it('returns fresh copies, reserved keys included', () => {
    const doc = { order: { type: { blueId: 'T' }, amount: { value: 5 } } };
    const first = read(doc, '/order') as { type: { blueId: string } };
    first.type.blueId = 'changed';
    expect(doc.order.type.blueId).toBe('T');
    expect(read(doc, '/order')).toEqual({ type: { blueId: 'T' }, amount: 5 });
  });

  describe('/x/blueId is the BlueId of /x (reference: ProcessorEngine.nodeAt)', () => {
    const order = { amount: 5, currency: 'EUR' };
    const doc = {
      order,
      ref: { blueId: 'RefId' },
      refWithFields: { blueId: 'Written', amount: 1 },
      list: { type: 'List', items: [{ value: 7 }, 'b'] },
      scalar: { value: 5 },
    };

    it('hashes the node at the parent pointer with the injected function', () => {
      expect(read(doc, '/order/blueId')).toBe(blueId(order));
      expect(read(doc, 'order/blueId')).toBe(blueId(order));
      expect(read(doc, '/order/amount/blueId')).toBe(blueId(5));
      expect(read(doc, '/scalar/blueId')).toBe(blueId(5));
      expect(read(doc, '/list/blueId')).toBe(blueId(doc.list));
      expect(read(doc, '/list/0/blueId')).toBe(blueId(7));
      expect(read(doc, '/blueId')).toBe(blueId(doc));
      expect(readAuthorView(doc, '/order/blueId')).toBe(blueId(order));
    });

    it('gives a pure reference its own BlueId, and a node with fields its computed one', () => {
      expect(read(doc, '/ref/blueId')).toBe('RefId');
      expect(read(doc, '/refWithFields/blueId')).toBe(blueId(doc.refWithFields));
      expect(read(doc, '/refWithFields/blueId')).not.toBe('Written');
    });

    it('is undefined where the parent is missing, and reads nothing below the BlueId', () => {
      expect(read(doc, '/missing/blueId')).toBeUndefined();
      expect(read(doc, '/order/blueId/0')).toBeUndefined();
      const calls: JsonValue[] = [];
      readAuthorViewWith(doc, '/missing/deeper/blueId', {
        blueIdOf: (node) => {
          calls.push(node);
          return 'x';
        },
      });
      expect(calls).toEqual([]);
    });

    it('hashes what the document holds, not the author view of it', () => {
      const seen: JsonValue[] = [];
      readAuthorViewWith(doc, '/scalar/blueId', {
        blueIdOf: (node) => {
          seen.push(node);
          return 'x';
        },
      });
      expect(seen).toEqual([{ value: 5 }]);
    });
  });
});
