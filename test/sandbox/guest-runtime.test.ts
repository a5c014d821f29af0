import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/model/json.js';
import { readAuthorView } from '../../src/model/read-author-view.js';
import { guestRuntimeSource } from '../../src/sandbox/guest-runtime.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type { Sandbox, ScriptInput, ScriptOutcome } from '../../src/sandbox/sandbox.js';
import { prepareCall, toScriptOutcome } from '../../src/sandbox/script-call.js';
import { SupervisedSandbox } from '../../src/sandbox/supervised-sandbox.js';
import { call } from './seed-steps.js';

describe('the guest runtime bundle', () => {
  it('is built once per process and imports nothing', () => {
    const source = guestRuntimeSource();
    expect(guestRuntimeSource()).toBe(source);
    expect(source.startsWith('"use strict";')).toBe(true);
    expect(source).not.toMatch(/\brequire\s*\(|\bimport\s*\(|^\s*import\s/m);
    expect(source).not.toMatch(/node:/);
    // The one reader is in it, and the boot call hands over the closure parameters.
    expect(source).toContain('src/model/author-view.ts');
    expect(source).toMatch(/bootGuestRuntime\(\{ publicKeyFromWif: \$0, .*blueId: \$4 \}\);\n$/);
  });
});

// The same pointers, read three ways: by the host (in process, the guest asks readAuthorView),
// by the guest's bundled reader (a supervised worker, or any call that passes the document as
// JSON text) and by readAuthorView directly.
describe('document(pointer): guest and host give identical answers', () => {
  const doc = JSON.parse(
    JSON.stringify({
      amount: { type: 'Double', value: 1000 },
      order: { amount: 5, currency: 'EUR' },
      ref: { blueId: 'RefId' },
      refunds: { type: 'List', items: [{ amount: { value: 5 } }, 7] },
      plain: [10, 20],
      'a/b': { 'c~d': 'escaped', '~1': 'tilde-one' },
      empty: { value: null },
      constructor: { value: 'a field' },
      nested: { toString: 1 },
    }).replace('"nested"', '"__proto__":{"x":{"value":1}},"nested"'),
  ) as JsonValue;
  const pointers = [
    '',
    '/amount',
    'amount',
    '/amount/value',
    '/order',
    '/order/blueId',
    'order/blueId',
    '/order/amount/blueId',
    '/ref/blueId',
    '/refunds',
    '/refunds/0/amount',
    '/refunds/1',
    '/refunds/01',
    '/refunds/blueId',
    '/refunds/0/blueId',
    '/blueId',
    '/plain/1',
    '/a~1b/c~0d',
    '/a~1b/~01',
    '/empty',
    '/constructor',
    '/nested/toString',
    '/nested/hasOwnProperty',
    '/__proto__',
    '/__proto__/x',
    '/missing/blueId',
    '/',
  ];
  const code = `return ${JSON.stringify(pointers)}.map((p) => { const v = document(p); return v === undefined ? '(missing)' : v; });`;
  const expected = pointers.map((pointer) => {
    const read = readAuthorView(doc, pointer);
    return read === undefined ? '(missing)' : read;
  });

  let inProcess: IsolateHost;
  let supervised: SupervisedSandbox;
  beforeAll(() => {
    inProcess = new IsolateHost();
    supervised = new SupervisedSandbox({ spare: false });
  });
  afterAll(() => Promise.all([inProcess.close(), supervised.close()]));

  const input: ScriptInput = call(code, { document: doc });
  const cases: [string, () => Promise<ScriptOutcome> | ScriptOutcome][] = [
    ['in process (the host reads)', () => inProcess.runSync(input)],
    [
      'in process, document as JSON text (the guest reads)',
      () => toScriptOutcome(inProcess.runPrepared(prepareCall(input))),
    ],
    ['supervised worker (the guest reads)', () => (supervised as Sandbox).run(input)],
  ];
  it.each(cases)('%s', async (_name, runIt) => {
    expect(await runIt()).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['document(5)', /TypeError: document\(\) expects a JSON pointer/],
    ["document('/a~2')", /"~" must be followed by 0 or 1/],
  ])('%s fails the same way everywhere', async (expression, message) => {
    const bad = call(`return ${expression};`, { document: doc });
    const outcomes = [
      inProcess.runSync(bad),
      toScriptOutcome(inProcess.runPrepared(prepareCall(bad))),
      await supervised.run(bad),
    ];
    for (const outcome of outcomes) {
      expect(outcome).toEqual(outcomes[0]);
      expect(outcome.ok === false && outcome.message).toMatch(message);
    }
  });
});

describe('JSON.stringify in the guest (the reference key order, see guest/json-stringify.ts)', () => {
  let host: IsolateHost;
  beforeAll(() => {
    host = new IsolateHost();
  });
  afterAll(() => host.close());
  const value = (code: string): unknown => {
    const outcome = host.runSync(call(code));
    if (!outcome.ok) throw new Error(outcome.message);
    return outcome.value;
  };

  it('writes keys by UTF-8 length, then bytewise, with no integer-like keys first', () => {
    expect(value(`return JSON.stringify(JSON.parse('{"aa":1,"b":2}'));`)).toBe('{"b":2,"aa":1}');
    expect(value('return JSON.stringify({ b: 1, 10: 2, a: 3, 2: 4 });')).toBe(
      '{"2":4,"a":3,"b":1,"10":2}',
    );
    // é is 2 bytes of UTF-8, z 1: "zz" and "é" tie on length and compare bytewise (z < 0xC3).
    expect(value('return JSON.stringify({ "é": 1, zz: 2, y: 3 });')).toBe('{"y":3,"zz":2,"é":1}');
    // U+FFFF (3 bytes) sorts before U+10000 (4 bytes), though its UTF-16 code unit is higher.
    expect(value('return JSON.stringify({ "\\u{10000}": 1, "\\uffff": 2 });')).toBe(
      '{"\\uffff":2,"\\u{10000}":1}'
        .replace('\\uffff', '\uffff')
        .replace('\\u{10000}', '\u{10000}'),
    );
    expect(value('return JSON.stringify({ z: { y: [{ b: 1, a: 2 }] }, a: [] });')).toBe(
      '{"a":[],"z":{"y":[{"a":2,"b":1}]}}',
    );
  });

  it("keeps V8's meaning for what the reference refuses: toJSON, replacers, space, undefined", () => {
    expect(value('return JSON.stringify({ b: undefined, a: () => 1, c: [undefined] });')).toBe(
      '{"c":[null]}',
    );
    expect(value('return JSON.stringify({ t: new Date(0), n: NaN });')).toBe(
      '{"n":null,"t":"1970-01-01T00:00:00.000Z"}',
    );
    expect(value('return JSON.stringify({ b: 1, a: 2, c: 3 }, ["c", "a"]);')).toBe('{"a":2,"c":3}');
    expect(
      value(
        'return JSON.stringify({ b: 1, a: 2 }, (k, v) => (typeof v === "number" ? v * 10 : v));',
      ),
    ).toBe('{"a":20,"b":10}');
    const pretty = { a: [1, { c: 2, b: {} }], d: [] };
    expect(value('return JSON.stringify({ d: [], a: [1, { c: 2, b: {} }] }, null, 2);')).toBe(
      JSON.stringify({ a: [1, { b: {}, c: 2 }], d: pretty.d }, null, 2),
    );
    expect(value('return JSON.stringify({ b: 1, a: 2 }, null, "--");')).toBe(
      JSON.stringify({ a: 2, b: 1 }, null, '--'),
    );
    expect(value('return JSON.stringify({ b: 1, a: 2 }, null, new Number(3));')).toBe(
      JSON.stringify({ a: 2, b: 1 }, null, 3),
    );
    expect(
      value(
        'return String(JSON.stringify(undefined)) + JSON.stringify("x") + JSON.stringify(1.5);',
      ),
    ).toBe('undefined"x"1.5');
    expect(
      value(
        'try { const o = {}; o.o = o; JSON.stringify(o); } catch (e) { return e instanceof TypeError; }',
      ),
    ).toBe(true);
    expect(
      value('try { JSON.stringify({ n: 1n }); } catch (e) { return e instanceof TypeError; }'),
    ).toBe(true);
  });

  it('cannot be replaced by a step', () => {
    expect(
      value(
        'try { JSON.stringify = () => "x"; } catch (e) { return [e instanceof TypeError, JSON.stringify({ b: 1, a: 2 })]; }',
      ),
    ).toEqual([true, '{"a":2,"b":1}']);
  });
});
