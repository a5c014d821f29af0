import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/model/json.js';
import { processEvent } from '../../src/processor/process-event.js';
import { isRetryableRejection } from '../../src/processor/rejection.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type { Sandbox, ScriptOutcome } from '../../src/sandbox/sandbox.js';
import { guardScript } from '../../src/sandbox/script-guard.js';
import { SupervisedSandbox } from '../../src/sandbox/supervised-sandbox.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { call } from './seed-steps.js';

// How deep a step can recurse, or how many buffers fit before an allocation fails, differs
// from one run to the next; a step that caught the failure could store the number.
const RECURSION = 'let n = 0; function f() { n++; f(); } try { f() } catch (e) {} return { n };';
const BUFFERS =
  'const keep = []; let n = 0; try { for (;;) { keep.push(new ArrayBuffer(1024 * 1024)); n++; } } catch (e) {} return { n };';
const STACK_OVERFLOW: ScriptOutcome = {
  ok: false,
  code: 'script_error',
  message: 'RangeError: Maximum call stack size exceeded',
};
const OUT_OF_MEMORY: ScriptOutcome = {
  ok: false,
  code: 'script_memory',
  message: 'step exceeded the sandbox memory limit of 64 MB',
};
// Generous: the probes are about what fails, not about time (the machine may be busy).
const LIMITS = { cpuMs: 5_000 };

// Other ways a script could observe the overflow or the failed allocation, and continue.
const EVASIONS: [string, string, ScriptOutcome][] = [
  [
    'try … finally with a return',
    'let n = 0; function f() { n++; f(); } try { f() } finally { return { n }; }',
    STACK_OVERFLOW,
  ],
  [
    'a catch without a binding',
    'let n = 0; function f() { n++; f(); } try { f() } catch { return { n }; }',
    STACK_OVERFLOW,
  ],
  [
    'a destructuring catch',
    'let n = 0; function f() { n++; f(); } try { f() } catch ({ message }) { return { n, message }; }',
    STACK_OVERFLOW,
  ],
  [
    'nested catches, the inner one rethrowing something else',
    `let n = 0; function f() { n++; f(); }
     try { try { f() } catch (e) { throw new Error('other') } } catch (e) { return { n, e: e.message }; }`,
    STACK_OVERFLOW,
  ],
  [
    'a catch in every frame',
    'let n = 0; function f() { n++; try { f(); } catch (e) { return n; } } return { n: f() };',
    STACK_OVERFLOW,
  ],
  [
    'a finally in every frame',
    'let n = 0; function f() { n++; try { f(); } finally { return n; } } return { n: f() };',
    STACK_OVERFLOW,
  ],
  [
    'a finally that breaks out, in every frame',
    'let n = 0; function f() { n++; out: try { f(); } finally { break out; } return n; } return { n: f() };',
    STACK_OVERFLOW,
  ],
  [
    'a generator whose finally returns',
    'let n = 0; function* g() { n++; try { yield* g(); } finally { return n; } } return { n: g().next().value };',
    STACK_OVERFLOW,
  ],
  [
    'host calls and runtime functions in every frame',
    "let n = 0; function f() { n++; document('/a'); new Date(n); try { f(); } catch (e) {} return n; } return { n: f() };",
    STACK_OVERFLOW,
  ],
  [
    'a promise made in every frame',
    'let n = 0; function f() { n++; new Promise(() => f()); return n; } return { n: f() };',
    STACK_OVERFLOW,
  ],
  [
    'a Promise executor (which turns a throw into a rejection)',
    'let n = 0; function f() { n++; f(); } new Promise(() => f()); return { n };',
    STACK_OVERFLOW,
  ],
  [
    'a catch in a getter called by the runtime (a toJSON)',
    'let n = 0; function f() { n++; f(); } return { v: { toJSON() { try { f() } catch (e) {} return n; } } };',
    STACK_OVERFLOW,
  ],
  [
    'typed arrays until one does not fit',
    'const keep = []; let n = 0; try { for (;;) { keep.push(new Float64Array(1 << 17)); n++; } } catch (e) {} return { n };',
    OUT_OF_MEMORY,
  ],
  [
    'a string doubled until it is too long',
    "let s = 'x'; try { for (;;) s += s; } catch (e) {} return { n: s.length };",
    { ok: false, code: 'script_error', message: 'RangeError: Invalid string length' },
  ],
];

async function runs(sandbox: Sandbox, code: string, times = 3): Promise<ScriptOutcome[]> {
  const outcomes: ScriptOutcome[] = [];
  for (let run = 0; run < times; run += 1) outcomes.push(await sandbox.run(call(code), LIMITS));
  return outcomes;
}

describe('what is not deterministic cannot be caught, in process', () => {
  const host = new IsolateHost();
  afterAll(() => host.close());

  it('rejects the recursion probe the same way on every run', async () => {
    expect(await runs(host, RECURSION)).toEqual([STACK_OVERFLOW, STACK_OVERFLOW, STACK_OVERFLOW]);
  });

  it('rejects the buffer-counting probe the same way on every run', async () => {
    expect(await runs(host, BUFFERS)).toEqual([OUT_OF_MEMORY, OUT_OF_MEMORY, OUT_OF_MEMORY]);
  });

  // A call made from deeper in the host's stack has less of it left to recurse into.
  const at = (depth: number, code: string): ScriptOutcome =>
    depth === 0 ? host.runSync(call(code), LIMITS) : at(depth - 1, code);

  it('is the same whatever the depth of the host stack the call starts from', () => {
    expect([0, 500, 3_000].map((depth) => at(depth, RECURSION))).toEqual([
      STACK_OVERFLOW,
      STACK_OVERFLOW,
      STACK_OVERFLOW,
    ]);
  });

  it.each(EVASIONS)('cannot be evaded with %s', (_name, code, expected) => {
    expect([0, 1_000, 3_000].map((depth) => at(depth, code))).toEqual([
      expected,
      expected,
      expected,
    ]);
  });

  it('leaves ordinary exceptions, catch and finally as they were', () => {
    expect(
      host.runSync(
        call(`const log = [];
          try { throw new TypeError('a'); } catch (e) { log.push(e.message); } finally { log.push('f'); }
          try { try { log.push('t'); } finally { log.push('g'); } } catch (e) { log.push('never'); }
          try { null.x; } catch ({ name }) { log.push(name); }
          try { JSON.parse('{'); } catch { log.push('bad json'); }
          try { new Array(-1); } catch (e) { log.push(e.message); }
          const rejected = Promise.reject(new Error('nobody waits for this'));
          function deep(n) { return n === 0 ? 0 : 1 + deep(n - 1); }
          return { log, depth: deep(500), promise: rejected instanceof Promise };`),
      ),
    ).toEqual({
      ok: true,
      value: {
        log: ['a', 'f', 't', 'g', 'TypeError', 'bad json', 'Invalid array length'],
        depth: 500,
        promise: true,
      },
    });
  });

  it('refuses import() as the script’s error, not the sandbox’s', () => {
    for (const code of [
      "return { m: import('fs') };",
      'const load = () => import ( "x" ); return {};',
    ]) {
      const outcome = host.runSync(call(code));
      expect(outcome).toMatchObject({ ok: false, code: 'script_error' });
      expect(outcome.ok === false && outcome.message).toMatch(/import\(\) is not available/);
    }
  });

  it('refuses what the guard cannot be put into', () => {
    const refused = (code: string, message: RegExp): void => {
      const outcome = host.runSync(call(code));
      expect(outcome).toMatchObject({ ok: false, code: 'script_error' });
      expect(outcome.ok === false && outcome.message).toMatch(message);
    };
    refused(
      'const f = async () => 1; return {};',
      /^line 1:\d+: async functions are not available/,
    );
    refused('const o = {\n  async m() {} }; return {};', /^line 2:\d+: async functions are not/);
    refused('const __paydocGuard = null; return {};', /^line 1:\d+: names starting with __paydoc/);
    // The name as JavaScript reads it: \u005f is "_".
    refused(
      'const \\u005f_paydocGuard = null; return {};',
      /^line 1:\d+: names starting with __paydoc/,
    );
    refused('class P extends Promise {}\nreturn {};', /^line 1:\d+: Promise cannot be subclassed/);
    // Unreadable code is the compiler's to report.
    refused("return { a: 'open };", /^line 1:\d+: SyntaxError: Invalid or unexpected token$/);
  });

  it('reads what only the grammar tells apart, and escaped names', () => {
    const code = String.raw`
      let a = 8, b = 4, c = 2, x = 3, s = 'axb';
      if (a) { a = b } a = b / c;
      const q = { valueOf() { return b } } / c;
      const d = x++ / 2;
      const found = [];
      for (const v of /x/.exec(s)) found.push(v);
      const \u0065scaped = 'e', async = 'a name';
      const y = 1 <!-- an HTML-like comment
      --> so is this
      let z = 0; { z = 2 } /z/g.test('z');
      const t = new.target === undefined;
      return { a, q, d, x, found, e: escaped, async, y, z, t };`;
    expect(host.runSync(call(code))).toEqual({
      ok: true,
      value: {
        a: 2,
        q: 2,
        d: 1.5,
        x: 4,
        found: ['x'],
        e: 'e',
        async: 'a name',
        y: 1,
        z: 2,
        t: true,
      },
    });
  });

  it('still guards a catch without a binding and a destructuring catch', () => {
    for (const code of [
      'try { f(); } catch { g(); }',
      'try { f(); } catch ({ message }) { g(message); }',
    ]) {
      const guarded = guardScript(code);
      expect(guarded.ok && guarded.body).toMatch(
        /^try \{ f\(\); \} catch \(__paydocCaught\) \{ __paydocThrown = __paydocCaught; __paydocGuard\.caught\(__paydocCaught\);/,
      );
    }
    const destructured = guardScript('try {} catch ({ message }) {}');
    expect(destructured.ok && destructured.body).toContain('let { message } = __paydocCaught;');
    // And the stack-overflow probe written so is refused (EVASIONS runs it at several depths).
    for (const name of ['a catch without a binding', 'a destructuring catch']) {
      const code = EVASIONS.find(([evasion]) => evasion === name)?.[1] ?? '';
      expect(host.runSync(call(code), LIMITS)).toEqual(STACK_OVERFLOW);
    }
  });

  it('refuses code nested too deeply to read the same way at any depth of the host stack', () => {
    const nested = (levels: number): string =>
      `return { v: ${'['.repeat(levels)}1${']'.repeat(levels)}.flat(Infinity) };`;
    expect([0, 1_000, 3_000].map((depth) => at(depth, nested(100)))).toEqual(
      Array.from({ length: 3 }, () => ({ ok: true, value: { v: [1] } })),
    );
    const outcomes = [0, 1_000, 3_000].map((depth) => at(depth, nested(400)));
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: false, code: 'script_error' });
      expect(outcome.ok === false && outcome.message).toMatch(
        /^line 1:\d+: code nested too deeply/,
      );
    }
  });

  it('reads strings, templates, regular expressions and comments as JavaScript does', () => {
    const code = String.raw`
      // try { } catch (e) { } in a comment
      /* finally { } */
      const s = 'catch (e) { }', t = ${'`'}try { ${'${'} { a: '}' }.a } ${'`'};
      const r = /[/}]catch\/ { /g, q = 4 / 2 / 1;
      if (s) /x/.test(s);
      let x = 0; try { x = 1; } catch (e) { x = 2; } finally { x += 10; }
      const o = { catch: 1, finally: 2, try: 3 }; o.catch += o.try;
      return { s, t, r: r.source, q, x, o };`;
    expect(host.runSync(call(code))).toEqual({
      ok: true,
      value: {
        s: 'catch (e) { }',
        t: 'try { } ',
        r: '[/}]catch\\/ { ',
        q: 2,
        x: 11,
        o: { catch: 4, finally: 2, try: 3 },
      },
    });
    // Only real catch and finally clauses are rewritten, and line numbers stay.
    const guarded = guardScript(code);
    expect(guarded.ok && guarded.body.split('\n').length).toBe(code.split('\n').length);
    expect(guarded.ok && guarded.body.match(/__paydocGuard\.\w+/g)).toEqual([
      '__paydocGuard.caught',
      '__paydocGuard.leaving',
    ]);
  });
});

describe('what is not deterministic cannot be caught, supervised', () => {
  let sandbox: SupervisedSandbox;
  beforeAll(() => {
    sandbox = new SupervisedSandbox();
  });
  afterAll(() => sandbox.close());

  it('rejects both probes the same way on every run, as in process', async () => {
    expect(await runs(sandbox, RECURSION)).toEqual([
      STACK_OVERFLOW,
      STACK_OVERFLOW,
      STACK_OVERFLOW,
    ]);
    expect(await runs(sandbox, BUFFERS)).toEqual([OUT_OF_MEMORY, OUT_OF_MEMORY, OUT_OF_MEMORY]);
    const promise = EVASIONS.find(([name]) => name.startsWith('a Promise'))?.[1] ?? '';
    expect(await runs(sandbox, promise, 1)).toEqual([STACK_OVERFLOW]);
  });

  it('refuses import() as a script error', async () => {
    expect(await sandbox.run(call("return { m: import('fs') };"))).toMatchObject({
      ok: false,
      code: 'script_error',
    });
  });

  it('reports the CPU time a step ran', async () => {
    const usage: { cpuMs?: number } = {};
    expect(await sandbox.run(call('while (true) {}'), { cpuMs: 20 }, usage)).toMatchObject({
      ok: false,
      code: 'script_timeout',
    });
    expect(usage.cpuMs).toBeGreaterThanOrEqual(18);
  });
});

describe('a document that stores such a number', () => {
  const registry = defaultTypeRegistry();
  const document = (code: string): JsonObject => ({
    contracts: {
      timeline: { type: 'Conversation/Timeline Channel', timelineId: 't' },
      run: {
        type: 'Conversation/Sequential Workflow',
        channel: 'timeline',
        steps: [
          { name: 'Probe', type: 'Conversation/JavaScript Code', code },
          {
            name: 'Save',
            type: 'Conversation/Update Document',
            changeset: [{ op: 'replace', path: '/n', val: '${steps.Probe.n}' }],
          },
        ],
      },
    },
  });
  const event = {
    kind: 'timeline' as const,
    entry: { timeline: { timelineId: 't' }, timestamp: 1, message: { type: 'Conversation/Event' } },
  };

  it.each([
    ['in process', () => new IsolateHost()],
    ['supervised', () => new SupervisedSandbox()],
  ])(
    'is rejected the same way on every run (%s), and the recursion is not retried',
    async (_mode, make) => {
      const sandbox = make();
      try {
        const statuses: JsonObject[] = [];
        for (let run = 0; run < 3; run += 1) {
          const result = await processEvent(document(RECURSION), event, {
            registry,
            sandbox,
            limits: { scriptCpuMs: 5_000, eventCpuMs: 5_000 },
          });
          statuses.push(result.status as unknown as JsonObject);
        }
        expect(statuses).toEqual(
          Array.from({ length: 3 }, () => ({
            kind: 'rejected',
            code: 'script_error',
            reason: 'step Probe: RangeError: Maximum call stack size exceeded',
            step: 'Probe',
          })),
        );
        expect(isRetryableRejection(statuses[0] as JsonObject)).toBe(false);
        const buffers = await processEvent(document(BUFFERS), event, {
          registry,
          sandbox,
          limits: { scriptCpuMs: 5_000, eventCpuMs: 5_000 },
        });
        expect(buffers.status).toEqual({
          kind: 'rejected',
          code: 'script_memory',
          reason: 'step Probe: step exceeded the sandbox memory limit of 64 MB',
          step: 'Probe',
        });
      } finally {
        await sandbox.close();
      }
    },
  );
});
