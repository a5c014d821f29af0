import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type { ScriptOutcome } from '../../src/sandbox/sandbox.js';
import {
  PUBLIC_KEY_1,
  TESTNET_WIF_KEY_1,
  WIF_KEY_1,
  btcKeyCall,
  call,
  deliveryCall,
} from './seed-steps.js';

let host: IsolateHost;
beforeAll(() => {
  host = new IsolateHost();
});
afterAll(async () => {
  await host.close();
});

const run = (
  code: string,
  overrides: Parameters<typeof call>[1] = {},
  limits = {},
): ScriptOutcome => host.runSync(call(code, overrides), limits);

function expectError(outcome: ScriptOutcome, code: string, message?: string | RegExp): void {
  expect(outcome.ok).toBe(false);
  if (outcome.ok) return;
  expect(outcome.code).toBe(code);
  if (typeof message === 'string') expect(outcome.message).toBe(message);
  else if (message !== undefined) expect(outcome.message).toMatch(message);
}

/** A normal call still works: the host was not harmed by whatever came before. */
function expectHealthy(): void {
  expect(
    run('return { sum: [1, 2, 3].reduce((a, b) => a + b, 0), amount: document("/amount") }', {
      document: { amount: 7 },
    }),
  ).toEqual({ ok: true, value: { sum: 6, amount: 7 } });
}

describe('seed 003: BTC key escrow, code as written', () => {
  it('accepts the WIF that derives the document public key', () => {
    expect(host.runSync(btcKeyCall(PUBLIC_KEY_1, WIF_KEY_1))).toEqual({
      ok: true,
      value: {
        events: [
          { type: 'BTC Key Verified', publicKey: PUBLIC_KEY_1 },
          { type: 'Capture Payment', reason: 'Cryptographic verification completed' },
        ],
        keyValid: true,
      },
    });
  });

  it('accepts a testnet WIF of the same key', () => {
    const outcome = host.runSync(btcKeyCall(PUBLIC_KEY_1, TESTNET_WIF_KEY_1));
    expect(outcome.ok && outcome.value).toMatchObject({ keyValid: true });
  });

  const illegal = {
    ok: true,
    value: {
      events: [
        { type: 'Illegal Request', message: 'Private key does not match required public key' },
      ],
    },
  };

  it('rejects a valid WIF of another key', () => {
    const otherKey = new Uint8Array(32);
    otherKey[31] = 2;
    const otherWif = ECPairFactory(ecc).fromPrivateKey(otherKey).toWIF();
    expect(host.runSync(btcKeyCall(PUBLIC_KEY_1, otherWif))).toEqual(illegal);
  });

  it.each([['not a WIF'], [''], [WIF_KEY_1.slice(0, -1) + 'm'], [null], [42]])(
    'rejects %j (fromWIF throws inside the guest, the seed catches it)',
    (privateKey) => {
      expect(host.runSync(btcKeyCall(PUBLIC_KEY_1, privateKey))).toEqual(illegal);
    },
  );

  it("rejects the seed document's own placeholder public key", () => {
    expect(
      host.runSync(
        btcKeyCall('03abcdef1234567890abcdef1234567890abcdef1234567890abcdef1234567890', WIF_KEY_1),
      ),
    ).toEqual(illegal);
  });
});

describe('seed 003: delivery guarantee, code as written', () => {
  const ordered = Date.parse('2023-08-15T12:30:00Z');
  const day = 24 * 60 * 60 * 1000;

  it('captures the full amount when delivered within 4 days', () => {
    expect(host.runSync(deliveryCall(ordered + 3 * day))).toEqual({
      ok: true,
      value: {
        events: [
          { type: 'Capture Payment', reason: 'Package delivered in 3.0 days', amount: 1000 },
        ],
      },
    });
  });

  it('captures 20% when delivered late', () => {
    expect(host.runSync(deliveryCall(ordered + 5 * day + day / 2))).toEqual({
      ok: true,
      value: {
        events: [
          {
            type: 'Capture Payment',
            reason: 'Late delivery discount applied (80% off)',
            amount: 200,
          },
        ],
      },
    });
  });

  it('reads an ISO timestamp as well as epoch milliseconds', () => {
    const outcome = host.runSync(deliveryCall('2023-08-19T12:30:00Z'));
    expect(outcome.ok && outcome.value).toEqual({
      events: [{ type: 'Capture Payment', reason: 'Package delivered in 4.0 days', amount: 1000 }],
    });
  });
});

describe('deterministic profile', () => {
  it('Date.now() throws a clear error', () => {
    expectError(
      run('return { t: Date.now() };', { event: { timestamp: 1 } }),
      'script_error',
      'line 1:18: Date.now() is not available in paydoc scripts: use event.timestamp',
    );
  });

  it('new Date() and Date() without a value throw', () => {
    expectError(
      run('return { t: new Date().getTime() };'),
      'script_error',
      /new Date\(\) without a value is not available/,
    );
    expectError(run('return { t: Date() };'), 'script_error', /Date\(\) is not available/);
  });

  it('new Date(value), Date methods and date arithmetic work', () => {
    const outcome = run(`
      const a = new Date('2023-08-15T12:30:00Z');
      const b = new Date(a.getTime() + 36e5);
      return {
        diff: b - a, iso: b.toISOString(), year: a.getFullYear(), parsed: Date.parse('2023-08-15'),
        utc: Date.UTC(2023, 7, 15), copy: new Date(a).getTime(), isDate: a instanceof Date,
        fields: new Date(2023, 7, 15, 12, 30).toISOString(), json: { when: a },
      };`);
    expect(outcome).toEqual({
      ok: true,
      value: {
        diff: 3_600_000,
        iso: '2023-08-15T13:30:00.000Z',
        year: 2023,
        parsed: Date.UTC(2023, 7, 15),
        utc: Date.UTC(2023, 7, 15),
        copy: Date.UTC(2023, 7, 15, 12, 30),
        isDate: true,
        fields: '2023-08-15T12:30:00.000Z',
        json: { when: '2023-08-15T12:30:00.000Z' },
      },
    });
  });

  it('Math.random() throws', () => {
    expectError(
      run('return { r: Math.random() };'),
      'script_error',
      /Math.random\(\) is not available/,
    );
  });

  it('has no timers, process, require, fetch, console, WebAssembly, Intl or Proxy', () => {
    const names = [
      'setTimeout',
      'setInterval',
      'setImmediate',
      'queueMicrotask',
      'process',
      'require',
      'module',
      'fetch',
      'console',
      'WebAssembly',
      'Intl',
      'Proxy',
      'SharedArrayBuffer',
      'Atomics',
      'WeakRef',
      'FinalizationRegistry',
      'Buffer',
      'global',
    ];
    const outcome = run(
      `return { types: ${JSON.stringify(names)}.map((name) => typeof globalThis[name]) };`,
    );
    expect(outcome).toEqual({ ok: true, value: { types: names.map(() => 'undefined') } });
  });

  it.each([
    ['eval', "return { v: eval('1 + 1') };"],
    ['indirect eval', "const e = eval; return { v: e('1 + 1') };"],
    ['Function', "return { v: Function('return 1')() };"],
    ['new Function', "return { v: new Function('return 1')() };"],
    ["a function's constructor", "return { v: (function () {}).constructor('return 1')() };"],
    [
      'this.constructor.constructor',
      "return { v: this.constructor.constructor('return process')() };",
    ],
    ['AsyncFunction', "return { v: (async function () {}).constructor('return 1') };"],
    ['GeneratorFunction', "return { v: (function* () {}).constructor('yield 1') };"],
    ['AsyncGeneratorFunction', "return { v: (async function* () {}).constructor('yield 1') };"],
    [
      'Object.getPrototypeOf(fn).constructor',
      "return { v: Object.getPrototypeOf(() => 0).constructor('return 1')() };",
    ],
    ['Reflect.construct(Function)', "return { v: Reflect.construct(Function, ['return 1'])() };"],
    ['WebAssembly', 'return { v: WebAssembly.Module };'],
    ['process', 'return { v: process.env };'],
    ['require', "return { v: require('fs') };"],
    ['globalThis.fetch', "return { v: globalThis.fetch('https://example.com') };"],
    ['setTimeout', 'setTimeout(() => 0, 1); return {};'],
    ['an async step', 'return (async () => ({ a: 1 }))();'],
    ['a returned Promise', 'return Promise.resolve({ a: 1 });'],
  ])('%s fails inside the guest, and the host is unaffected', (_name, code) => {
    const outcome = run(code);
    expectError(outcome, 'script_error');
    // The guest itself can catch the failure: it happens inside the isolate, not in the host.
    if (!/async|Promise/i.test(_name)) {
      const caught = run(
        `try { ${code} } catch (error) { return { caught: error instanceof Error }; }`,
      );
      expect(caught).toEqual({ ok: true, value: { caught: true } });
    }
    expectHealthy();
  });

  it('freezes intrinsics, so one script cannot poison the next', () => {
    const poison = run(`
      const attempts = [
        () => { Array.prototype.map = () => 'poisoned'; },
        () => { Object.prototype.polluted = true; },
        () => { JSON.parse = () => 'poisoned'; },
        () => { Math.max = () => 0; },
        () => { globalThis.leak = 'secret'; },
        () => { String.prototype.trim = () => 'poisoned'; },
        () => { Object.defineProperty(Array.prototype, 'x', { value: 1 }); },
        () => { Date.prototype.getTime = () => 0; },
        () => { Error.prepareStackTrace = () => 'poisoned'; },
      ];
      return { failed: attempts.map((attempt) => { try { attempt(); return false; } catch { return true; } }) };`);
    expect(poison).toEqual({ ok: true, value: { failed: new Array(9).fill(true) } });
    expect(
      run(`return {
        map: [1].map((x) => x + 1)[0], polluted: ({}).polluted === undefined, json: JSON.parse('1'),
        max: Math.max(1, 2), leak: typeof globalThis.leak, trim: ' a '.trim(),
        frozen: [Object, Array, Object.prototype, Array.prototype, Function.prototype, JSON, Math, globalThis,
          Date.prototype, String.prototype, Promise.prototype, Error.prototype].every(Object.isFrozen),
      };`),
    ).toEqual({
      ok: true,
      value: {
        map: 2,
        polluted: true,
        json: 1,
        max: 2,
        leak: 'undefined',
        trim: 'a',
        frozen: true,
      },
    });
  });

  it('still lets ordinary objects override inherited properties', () => {
    const outcome = run(`
      class PaymentError extends Error { constructor(message) { super(message); this.name = 'PaymentError'; } }
      const money = { amount: 5 };
      money.toString = () => '5 USD';
      return { name: new PaymentError('x').name, text: String(money) };`);
    expect(outcome).toEqual({ ok: true, value: { name: 'PaymentError', text: '5 USD' } });
  });

  it('uses UTC and en-US whatever the host time zone and locale are', () => {
    const previous = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const fresh = new IsolateHost();
      // The first locale call of a fresh isolate loads V8's ICU data, which can take more than
      // a step's 50 ms on a loaded machine: this test is about what it answers, not how fast.
      const outcome = fresh.runSync(
        call(`const d = new Date('2023-08-15T12:30:00');
          return { hours: d.getHours(), offset: d.getTimezoneOffset(), text: String(d),
            local: d.toLocaleString(), number: (1234.5).toLocaleString() };`),
        { cpuMs: 2_000 },
      );
      void fresh.close();
      expect(outcome).toEqual({
        ok: true,
        value: {
          hours: 12,
          offset: 0,
          text: 'Tue Aug 15 2023 12:30:00 GMT+0000 (Coordinated Universal Time)',
          local: '8/15/2023, 12:30:00 PM',
          number: '1,234.5',
        },
      });
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });

  it('gives the same output for the same input', () => {
    const input = deliveryCall(Date.parse('2023-08-18T09:00:00Z'));
    const first = host.runSync(input);
    const second = host.runSync(input);
    const fresh = new IsolateHost();
    const third = fresh.runSync(input);
    void fresh.close();
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(JSON.stringify(third)).toBe(JSON.stringify(first));
  });
});

describe('limits and hostile scripts', () => {
  it('stops an infinite loop with script_timeout, then serves the next call', () => {
    const before = host.stats().isolatesCreated;
    const started = performance.now();
    expectError(run('while (true) {}'), 'script_timeout', 'step exceeded its time limit of 50 ms');
    expect(performance.now() - started).toBeLessThan(1000);
    expectHealthy();
    expect(host.stats().isolatesCreated).toBe(before + 1);
  });

  it('honours a per-call CPU limit', () => {
    expectError(
      run('for (;;) {}', {}, { cpuMs: 5 }),
      'script_timeout',
      'step exceeded its time limit of 5 ms',
    );
    expectHealthy();
  });

  it('stops an endless chain of promise jobs', () => {
    expectError(
      run('const again = () => Promise.resolve().then(again); again(); return {};'),
      'script_timeout',
    );
    expectHealthy();
  });

  it.each([
    ['a 1 GB array', 'return { n: new Array(1.25e8).fill(0).length };'],
    [
      'a 1 GB array from Array.from',
      'return { n: Array.from({ length: 1.25e8 }, () => 0).length };',
    ],
    [
      'a sorted 1 GB sparse array',
      'const a = []; a.length = 1.25e8; return { n: a.sort().length };',
    ],
    [
      'a copied 1 GB sparse array',
      'const a = []; a.length = 1.25e8; return { n: a.toReversed().length };',
    ],
    [
      'a 1 GB argument list',
      'const a = []; a.length = 1.25e8; return { n: Math.max.apply(null, a) };',
    ],
    ['a 1 GB typed array', 'return { n: new Float64Array(1.25e8).length };'],
  ])('refuses %s with script_memory (V8 would crash or hang)', (_name, code) => {
    expectError(run(code), 'script_memory');
    expectHealthy();
  });

  it('still runs Array methods on ordinary lists, strings, typed arrays and arguments', () => {
    expect(
      run(`function args() { return Array.prototype.slice.call(arguments, 1); }
        return {
          sorted: [3, 1, 2].sort(), chars: Array.prototype.map.call('ab', (c) => c + c),
          typed: Array.prototype.slice.call(new Uint8Array([1, 2])), rest: args(1, 2, 3),
          max: Math.max.apply(null, [1, 5, 2]), filled: new Array(3).fill(0), from: Array.from({ length: 2 }, (_, i) => i),
        };`),
    ).toEqual({
      ok: true,
      value: {
        sorted: [1, 2, 3],
        chars: ['aa', 'bb'],
        typed: [1, 2],
        rest: [2, 3],
        max: 5,
        filled: [0, 0, 0],
        from: [0, 1],
      },
    });
    expectError(
      run('return { n: Array.prototype.sort.call({ get length() { return 1e9; } }) };'),
      'script_error',
      'line 1:34: TypeError: Array.prototype.sort does not accept an array-like whose length is a getter in paydoc scripts',
    );
  });

  it('stops a heap that keeps growing with script_memory and rebuilds the isolate', () => {
    const before = host.stats().isolatesCreated;
    const outcome = run(
      'const keep = []; for (;;) keep.push(new Array(1e6).fill(1.5).map((x, i) => ({ i, s: "payment " + i })));',
      {},
      { cpuMs: 20_000 },
    );
    expectError(outcome, 'script_memory', 'step exceeded the sandbox memory limit of 64 MB');
    expectHealthy();
    expect(host.stats().isolatesCreated).toBeGreaterThan(before);
  });

  it('stops building a million-key object', () => {
    expectError(
      run(
        'const o = {}; for (let i = 0; i < 1e6; i++) o["key" + i] = i; return o;',
        {},
        { cpuMs: 20 },
      ),
      'script_timeout',
    );
    expectHealthy();
  });

  it('reports deep recursion as a script error', () => {
    expectError(
      run('function down(n) { return down(n + 1) + 1; } return { n: down(0) };'),
      'script_error',
      'RangeError: Maximum call stack size exceeded',
    );
    expectHealthy();
  });

  it('refuses an oversized result', () => {
    expectError(run('return { big: "x".repeat(5 * 1024 * 1024) };'), 'script_error', /larger than/);
    expectError(
      run(
        'let deep = {}; const root = deep; for (let i = 0; i < 1000; i++) { deep.next = {}; deep = deep.next; } return root;',
      ),
      'script_error',
      /nesting deeper than 256 levels/,
    );
  });
});

describe('errors and results', () => {
  it("turns a thrown Error into script_error with the guest's message only", () => {
    expect(run("throw new Error('x');")).toEqual({
      ok: false,
      code: 'script_error',
      message: 'line 1:7: x',
      location: { line: 1, col: 7 },
    });
  });

  it('names other error types and shows non-Error throws', () => {
    expectError(
      run('null.x;'),
      'script_error',
      /^line 1:6: TypeError: Cannot read properties of null/,
    );
    expectError(run("throw 'plain text';"), 'script_error', 'plain text');
    expectError(run('throw { message: "an object" };'), 'script_error', 'an object');
    expectError(run('throw 42;'), 'script_error', '42');
  });

  it('never leaks host paths or stacks', () => {
    const outcome = run('function f() { throw new Error("deep"); } f();');
    expect(outcome).toEqual({
      ok: false,
      code: 'script_error',
      message: 'line 1:22: deep',
      location: { line: 1, col: 22 },
    });
  });

  it.each([
    ['undefined', 'return undefined;', 'step must return a value'],
    ['nothing', 'const x = 1;', 'step must return a value'],
    ['a function', 'return { f() {} };', 'step result is not JSON: a function at "/f"'],
    ['a BigInt', 'return { n: 10n };', 'step result is not JSON: a BigInt at "/n"'],
    [
      'a cycle',
      'const a = { list: [] }; a.list.push(a); return a;',
      'step result is not JSON: a circular reference at "/list/0"',
    ],
    ['NaN', 'return { amount: 0 / 0 };', 'step result is not JSON: NaN at "/amount"'],
    ['a Map', 'return { m: new Map() };', 'step result is not JSON: a Map at "/m"'],
    ['a Symbol', 'return { s: Symbol("s") };', 'step result is not JSON: a Symbol at "/s"'],
    [
      'undefined in a list',
      'return { l: [1, undefined] };',
      'step result is not JSON: undefined at "/l/1"',
    ],
  ])('refuses a step that returns %s', (_name, code, message) => {
    expect(run(code)).toEqual({ ok: false, code: 'script_error', message });
  });

  it.each([
    ['a number', 'return 42;', 42],
    ['null', 'return null;', null],
    ['a list', 'return [1, "a"];', [1, 'a']],
    ['text', 'return "x";', 'x'],
  ])('takes %s as the step result, as the reference processor does', (_name, code, value) => {
    expect(run(code)).toEqual({ ok: true, value });
  });

  it('leaves out undefined fields and serialises dates and toJSON, as JSON.stringify does', () => {
    expect(
      run('return { a: 1, b: undefined, at: new Date(0), custom: { toJSON() { return "c"; } } };'),
    ).toEqual({
      ok: true,
      value: { a: 1, at: '1970-01-01T00:00:00.000Z', custom: 'c' },
    });
  });

  it('keeps a field named __proto__ as data', () => {
    expect(run('return JSON.parse(\'{"__proto__": {"x": 1}}\');')).toEqual({
      ok: true,
      value: JSON.parse('{"__proto__": {"x": 1}}') as object,
    });
  });
});

describe('what a step sees', () => {
  it('receives event, entry, steps and currentContract as plain JSON, and this is undefined', () => {
    const outcome = run(
      'return { event, entry, steps, currentContract, self: this === undefined };',
      {
        event: { privateKey: 'k' },
        entry: { timestamp: 5, message: { privateKey: 'k' } },
        steps: { First: { ok: true } },
        currentContract: { channel: 'merchantTimeline' },
      },
    );
    expect(outcome).toEqual({
      ok: true,
      value: {
        event: { privateKey: 'k' },
        entry: { timestamp: 5, message: { privateKey: 'k' } },
        steps: { First: { ok: true } },
        currentContract: { channel: 'merchantTimeline' },
        self: true,
      },
    });
  });

  const doc = {
    amount: { type: 'Double', value: 1000 },
    currency: 'USD',
    btcKey: { publicKey: 'abc', keyProvided: false },
    refunds: { type: 'List', items: [{ amount: { value: 5 } }, 7] },
    plain: [10, 20],
    'a/b': { 'c~d': 'escaped' },
    empty: { value: null },
  };
  const read = (pointer: string): ScriptOutcome =>
    run(
      `return { v: document(${JSON.stringify(pointer)}) === undefined ? 'missing' : document(${JSON.stringify(pointer)}) };`,
      { document: doc },
    );

  it.each([
    ['/amount', 1000],
    ['/amount/value', 1000],
    ['/currency', 'USD'],
    ['/btcKey/publicKey', 'abc'],
    ['/btcKey', { publicKey: 'abc', keyProvided: false }],
    ['/refunds', [{ amount: 5 }, 7]],
    ['/refunds/0', { amount: 5 }],
    ['/refunds/0/amount', 5],
    ['/refunds/1', 7],
    ['/refunds/2', 'missing'],
    ['/plain/1', 20],
    ['/plain/01', 'missing'],
    ['/a~1b/c~0d', 'escaped'],
    ['/empty', null],
    ['/nothing/here', 'missing'],
    ['/currency/0', 'missing'],
  ])('document(%j) reads %j', (pointer, expected) => {
    expect(read(pointer)).toEqual({ ok: true, value: { v: expected } });
  });

  it('document("") is the whole document in the author\'s form', () => {
    const outcome = run('return document("");', { document: doc });
    expect(outcome.ok && outcome.value).toMatchObject({
      amount: 1000,
      refunds: [{ amount: 5 }, 7],
    });
  });

  it('reads a path without its leading slash as the reference does, and refuses malformed pointers', () => {
    const both = run('return { a: document("amount"), b: document("/amount") };', {
      document: doc,
    });
    expect(both.ok && both.value).toMatchObject({ a: expect.anything() });
    expect(both.ok && (both.value as { a: unknown; b: unknown }).a).toEqual(
      both.ok && (both.value as { a: unknown; b: unknown }).b,
    );
    expectError(
      run('return { v: document("/a~2") };', { document: doc }),
      'script_error',
      /"~" must be followed by 0 or 1/,
    );
    expectError(
      run('return { v: document(5) };', { document: doc }),
      'script_error',
      /expects a JSON pointer/,
    );
  });

  it('returns copies: changing what document() returned changes nothing', () => {
    const outcome = run(
      'const key = document("/btcKey"); key.publicKey = "changed"; return { again: document("/btcKey/publicKey") };',
      {
        document: doc,
      },
    );
    expect(outcome).toEqual({ ok: true, value: { again: 'abc' } });
  });
});

describe('imports', () => {
  const derive = "return { pk: %.ECPair.fromWIF('" + WIF_KEY_1 + "').publicKey.toString('hex') };";
  it.each([
    ["import { bitcoinjs } from 'blue:FaTx83nVvz7K5uA9RwQhP2bY1LdJtE6mX4G';", 'bitcoinjs'],
    ['import {bitcoinjs} from "blue:anything"', 'bitcoinjs'],
    ["  import { bitcoinjs as btc, } from 'blue:x'; // trailing comment", 'btc'],
    ["import {\n  bitcoinjs,\n} from 'blue:x';", 'bitcoinjs'],
    ["import * as blue from 'blue:x';", 'blue.bitcoinjs'],
  ])('binds %j', (line, binding) => {
    expect(run(`${line}\n${derive.replace('%', binding)}`)).toEqual({
      ok: true,
      value: { pk: PUBLIC_KEY_1 },
    });
  });

  it('keeps line numbers after an import', () => {
    expectError(
      run("import { bitcoinjs } from 'blue:x';\n\nlet broken = ;"),
      'script_error',
      "line 3:14: SyntaxError: Unexpected token ';'",
    );
  });

  it('refuses any other import, naming the line', () => {
    expectError(
      run("// comment\nimport fs from 'fs';\nreturn {};"),
      'script_error',
      /^line 2:1: only the built-in blue: module can be imported .*: import fs from 'fs';$/,
    );
    expectError(
      run("import { readFileSync } from 'node:fs';\nreturn {};"),
      'script_error',
      /^line 1:1: /,
    );
    expectError(run("import bitcoinjs from 'blue:x';\nreturn {};"), 'script_error', /^line 1:1: /);
    expectError(
      run("\nimport { ECPair } from 'blue:x';\nreturn {};"),
      'script_error',
      'line 2:1: the blue: module has no export "ECPair" (it exports: bitcoinjs)',
    );
  });

  it('fromWIF throws inside the guest on a bad key, and publicKey only speaks hex', () => {
    expectError(
      run("import { bitcoinjs } from 'blue:x';\nbitcoinjs.ECPair.fromWIF('nope'); return {};"),
      'script_error',
      /^line 2:18: invalid WIF private key/,
    );
    expectError(
      run("import { bitcoinjs } from 'blue:x';\nbitcoinjs.ECPair.fromWIF(5); return {};"),
      'script_error',
      /expects a WIF string/,
    );
    expectError(
      run(
        `import { bitcoinjs } from 'blue:x';\nreturn { s: bitcoinjs.ECPair.fromWIF('${WIF_KEY_1}').publicKey.toString('base64') };`,
      ),
      'script_error',
      /only 'hex'/,
    );
  });

  it('refuses code that tries to close the function it is compiled into', () => {
    expectError(run('}); globalThis.escaped = true; (function () {'), 'script_error');
    expect(run('return { escaped: typeof globalThis.escaped };')).toEqual({
      ok: true,
      value: { escaped: 'undefined' },
    });
  });
});

describe('compile cache and isolate', () => {
  it('compiles a script once and reuses it', () => {
    const code = 'return { n: event.n * 2 };';
    const before = host.stats().compiles;
    expect(run(code, { event: { n: 1 } })).toEqual({ ok: true, value: { n: 2 } });
    expect(run(code, { event: { n: 2 } })).toEqual({ ok: true, value: { n: 4 } });
    expect(run(code, { event: { n: 3 } })).toEqual({ ok: true, value: { n: 6 } });
    expect(host.stats().compiles).toBe(before + 1);
    run(code + ' ');
    expect(host.stats().compiles).toBe(before + 2);
  });

  it('caches syntax errors too', () => {
    const before = host.stats().compiles;
    const endOfInput = 'line 1:9: SyntaxError: Unexpected end of input';
    expectError(run('return {'), 'script_error', endOfInput);
    expectError(run('return {'), 'script_error', endOfInput);
    expect(host.stats().compiles).toBe(before + 1);
  });

  it('drops the least recently used scripts beyond its capacity', () => {
    const small = new IsolateHost({ maxCachedScripts: 2 });
    for (const n of [1, 2, 3, 1])
      expect(small.runSync(call(`return { n: ${n} };`))).toEqual({ ok: true, value: { n } });
    expect(small.stats()).toMatchObject({ compiles: 4, cachedScripts: 2 });
    void small.close();
  });

  it('builds a new isolate for another memory limit', () => {
    const other = new IsolateHost();
    other.runSync(call('return {};'));
    other.runSync(call('return {};'), { memoryMb: 32 });
    expect(other.stats().isolatesCreated).toBe(2);
    void other.close();
  });

  it('rejects invalid limits', async () => {
    await expect(host.run(call('return {};'), { cpuMs: 0 })).rejects.toThrow(RangeError);
    await expect(host.run(call('return {};'), { memoryMb: 2 })).rejects.toThrow(RangeError);
  });

  it('answers sandbox_unavailable once closed', async () => {
    const closing = new IsolateHost();
    await closing.close();
    expect(await closing.run(call('return {};'))).toEqual({
      ok: false,
      code: 'sandbox_unavailable',
      message: 'the sandbox is closed',
    });
  });
});
