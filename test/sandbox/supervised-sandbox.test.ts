import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type { ScriptOutcome } from '../../src/sandbox/sandbox.js';
import type {
  SupervisedSandboxOptions,
  SupervisorEvent,
} from '../../src/sandbox/supervised-sandbox.js';
import { SupervisedSandbox } from '../../src/sandbox/supervised-sandbox.js';
import { PUBLIC_KEY_1, WIF_KEY_1, btcKeyCall, call, deliveryCall } from './seed-steps.js';

// About 2 s inside one V8 builtin (std::sort over 128 MB) that isolated-vm's timeout cannot
// interrupt: only killing the process stops it early. It needs a larger heap than the default.
const HANG = 'return { n: new Uint8Array(2 ** 27).sort().length };';
const HANG_LIMITS = { memoryMb: 256 };
// With this margin a default step's budget is 100 ms compile + 50 ms CPU + 100 ms = 250 ms.
const MARGIN_MS = 100;
// V8 refuses to build a 2^27-element result and kills the process ("invalid size error").
const CRASH = "return { n: 'xy'.repeat(2 ** 27).split('y').length };";
const NORMAL = (n: number): string => `return { n: ${n} };`;

interface Watched {
  sandbox: SupervisedSandbox;
  events: (SupervisorEvent & { at: number })[];
}

function supervised(options: SupervisedSandboxOptions = {}): Watched {
  const events: Watched['events'] = [];
  const sandbox = new SupervisedSandbox({
    ...options,
    onEvent: (event) => events.push({ ...event, at: performance.now() }),
  });
  return { sandbox, events };
}

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until every worker and the spare are up, so timings measure the supervisor, not boot. */
async function warm({ sandbox }: Watched, workers = 1): Promise<void> {
  await until(() => {
    const stats = sandbox.stats();
    return stats.readyWorkers === workers && stats.spareReady;
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('SupervisedSandbox, one worker and a spare', () => {
  let watched: Watched;
  beforeAll(async () => {
    watched = supervised({ watchdogMarginMs: MARGIN_MS });
    await warm(watched);
  });
  afterAll(async () => {
    await watched.sandbox.close();
  });

  it('runs the seed steps exactly as the in-process host does', async () => {
    const inProcess = new IsolateHost();
    const inputs = [
      btcKeyCall(PUBLIC_KEY_1, WIF_KEY_1),
      btcKeyCall(PUBLIC_KEY_1, 'wrong'),
      deliveryCall(Date.parse('2023-08-18T12:30:00Z')),
      deliveryCall(Date.parse('2023-08-25T12:30:00Z')),
      call("throw new Error('x');"),
      call('return { t: Date.now() };'),
      call('return { f() {} };'),
      call("import fs from 'fs';"),
    ];
    for (const input of inputs) {
      expect(await watched.sandbox.run(input)).toEqual(inProcess.runSync(input));
    }
    await inProcess.close();
    expect(await watched.sandbox.run(btcKeyCall(PUBLIC_KEY_1, WIF_KEY_1))).toMatchObject({
      ok: true,
      value: { keyValid: true },
    });
  });

  it('stops an ordinary infinite loop inside the worker, without a restart', async () => {
    const before = watched.sandbox.stats().watchdogKills;
    expect(await watched.sandbox.run(call('while (true) {}'))).toMatchObject({
      ok: false,
      code: 'script_timeout',
    });
    expect(await watched.sandbox.run(call(NORMAL(1)))).toEqual({ ok: true, value: { n: 1 } });
    expect(watched.sandbox.stats().watchdogKills).toBe(before);
  });

  it('kills a worker stuck where isolated-vm cannot stop it, and serves the next call within 1 s of the kill', async () => {
    await warm(watched);
    const started = performance.now();
    const hung = await watched.sandbox.run(call(HANG, { stepName: 'Hostile' }), HANG_LIMITS);
    expect(hung).toEqual({
      ok: false,
      code: 'script_timeout',
      message: 'step did not finish within 250 ms; its sandbox worker was killed and restarted',
    });
    const kill = watched.events.find((event) => event.type === 'killed' && event.at >= started);
    expect(kill).toMatchObject({ type: 'killed', stepName: 'Hostile' });
    // Killed once its 250 ms budget ran out, well before the builtin would have returned.
    expect((kill?.at ?? Infinity) - started).toBeLessThan(1_000);
    expect(await watched.sandbox.run(call(NORMAL(2)))).toEqual({ ok: true, value: { n: 2 } });
    const servedAfterKillMs = performance.now() - (kill?.at ?? 0);
    console.log(
      `supervised: next call served ${servedAfterKillMs.toFixed(0)} ms after the kill (spare promoted)`,
    );
    expect(servedAfterKillMs).toBeLessThan(1_000);
  });

  it('re-queues the requests that waited behind the killed step: they succeed', async () => {
    await warm(watched);
    const hostile = watched.sandbox.run(call(HANG), HANG_LIMITS);
    const normals = Array.from({ length: 10 }, (_, n) => watched.sandbox.run(call(NORMAL(n))));
    expect(await hostile).toMatchObject({ ok: false, code: 'script_timeout' });
    expect(await Promise.all(normals)).toEqual(
      Array.from({ length: 10 }, (_, n) => ({ ok: true, value: { n } })),
    );
  });

  it('fails the running step with script_memory when V8 kills its worker, and carries on', async () => {
    await warm(watched);
    const pid = watched.sandbox.workerPids()[0];
    // A generous budget, so that the crash (after building a 256 MB string) comes before the watchdog.
    const crashed = watched.sandbox.run(call(CRASH), { cpuMs: 5_000 });
    const behind = watched.sandbox.run(call(NORMAL(3)));
    expect(await crashed).toEqual({
      ok: false,
      code: 'script_memory',
      message: 'step exhausted the sandbox memory; its sandbox worker was restarted',
    });
    expect(await behind).toEqual({ ok: true, value: { n: 3 } });
    const exit = watched.events.find((event) => event.type === 'exited' && event.pid === pid);
    expect(exit?.type === 'exited' && exit.stderr).toMatch(/invalid size error/);
  });

  it('classifies an abort (SIGABRT) of a busy worker as script_memory', async () => {
    await warm(watched);
    const pid = watched.sandbox.workerPids()[0];
    expect(pid).toBeDefined();
    const hostile = watched.sandbox.run(call(HANG), HANG_LIMITS);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // What V8 does when an allocation cannot be satisfied: abort the process.
    process.kill(pid as number, 'SIGABRT');
    expect(await hostile).toEqual({
      ok: false,
      code: 'script_memory',
      message: 'step exhausted the sandbox memory; its sandbox worker was restarted',
    });
    expect(
      watched.events.some(
        (event) => event.type === 'exited' && event.pid === pid && event.signal === 'SIGABRT',
      ),
    ).toBe(true);
    expect(await watched.sandbox.run(call(NORMAL(3)))).toEqual({ ok: true, value: { n: 3 } });
  });

  it('reports an out-of-memory step with script_memory and keeps the worker', async () => {
    const outcome = await watched.sandbox.run(
      call('const keep = []; for (;;) keep.push(new Array(1e6).fill(1.5).map((x, i) => ({ i })));'),
      { cpuMs: 20_000 },
    );
    expect(outcome).toMatchObject({ ok: false, code: 'script_memory' });
    expect(await watched.sandbox.run(call(NORMAL(4)))).toEqual({ ok: true, value: { n: 4 } });
  });

  it('answers many concurrent calls in order of their inputs', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 500 }, (_, n) =>
        watched.sandbox.run(call('return { n: event.n };', { event: { n } })),
      ),
    );
    expect(outcomes).toEqual(Array.from({ length: 500 }, (_, n) => ({ ok: true, value: { n } })));
  });
});

describe('SupervisedSandbox, two workers', () => {
  it('keeps answering normal calls while a hostile call hangs a worker', async () => {
    const watched = supervised({ workers: 2, watchdogMarginMs: MARGIN_MS });
    try {
      await warm(watched, 2);
      const started = performance.now();
      let hostileDone = 0;
      const hostile = watched.sandbox.run(call(HANG), HANG_LIMITS).then((outcome) => {
        hostileDone = performance.now();
        return outcome;
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const latencies: number[] = [];
      const answeredBeforeHostile: boolean[] = [];
      // The hostile call holds its worker for 250 ms, until the watchdog kills it.
      while (performance.now() - started < 200) {
        const sent = performance.now();
        const outcome = await watched.sandbox.run(call(NORMAL(latencies.length)));
        expect(outcome).toEqual({ ok: true, value: { n: latencies.length } });
        latencies.push(performance.now() - sent);
        answeredBeforeHostile.push(hostileDone === 0);
      }
      expect(await hostile).toMatchObject({ ok: false, code: 'script_timeout' });
      console.log(
        `supervised, 2 workers: ${latencies.length} normal calls answered while the hostile one hung; ` +
          `slowest ${Math.max(...latencies).toFixed(1)} ms`,
      );
      expect(latencies.length).toBeGreaterThan(5);
      expect(answeredBeforeHostile.every(Boolean)).toBe(true);
      expect(Math.max(...latencies)).toBeLessThan(100);
    } finally {
      await watched.sandbox.close();
    }
  });
});

describe('SupervisedSandbox life cycle', () => {
  it('restarts a killed worker from scratch when there is no spare', async () => {
    const watched = supervised({ spare: false, watchdogMarginMs: MARGIN_MS });
    try {
      await until(() => watched.sandbox.stats().readyWorkers === 1);
      expect(await watched.sandbox.run(call(HANG), HANG_LIMITS)).toMatchObject({
        ok: false,
        code: 'script_timeout',
      });
      const kill = watched.events.find((event) => event.type === 'killed');
      expect(await watched.sandbox.run(call(NORMAL(1)))).toEqual({ ok: true, value: { n: 1 } });
      const coldRestartMs = performance.now() - (kill?.at ?? 0);
      console.log(
        `supervised: cold restart (no spare) served the next call ${coldRestartMs.toFixed(0)} ms after the kill`,
      );
      expect(coldRestartMs).toBeLessThan(5_000);
    } finally {
      await watched.sandbox.close();
    }
  });

  it('close() fails what is pending and stops every process', async () => {
    const watched = supervised();
    await warm(watched);
    const pids = [...watched.sandbox.workerPids(), watched.sandbox.sparePid()].filter(
      (pid) => pid !== undefined,
    );
    expect(pids).toHaveLength(2);
    const pending: Promise<ScriptOutcome>[] = [
      watched.sandbox.run(call(HANG), HANG_LIMITS),
      watched.sandbox.run(call(NORMAL(1))),
    ];
    await new Promise((resolve) => setTimeout(resolve, 50));
    await watched.sandbox.close();
    for (const outcome of await Promise.all(pending)) {
      expect(outcome).toEqual({
        ok: false,
        code: 'sandbox_unavailable',
        message: 'the sandbox is closed',
      });
    }
    await until(() => pids.every((pid) => !isAlive(pid)), 5_000);
    expect(await watched.sandbox.run(call(NORMAL(2)))).toMatchObject({
      ok: false,
      code: 'sandbox_unavailable',
    });
  });
});
