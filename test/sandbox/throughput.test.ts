import { describe, expect, it } from 'vitest';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type { Sandbox, ScriptInput } from '../../src/sandbox/sandbox.js';
import { SupervisedSandbox } from '../../src/sandbox/supervised-sandbox.js';
import { PUBLIC_KEY_1, WIF_KEY_1, btcKeyCall, call, deliveryCall } from './seed-steps.js';

const TRIVIAL = call('return { ok: true };');

/** Calls per second over about `ms` milliseconds, `concurrency` calls in flight at a time. */
async function callsPerSecond(
  sandbox: Sandbox,
  input: ScriptInput,
  ms: number,
  concurrency: number,
): Promise<number> {
  for (let i = 0; i < 200; i += 1) await sandbox.run(input);
  let calls = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    const batch = Array.from({ length: concurrency }, () => sandbox.run(input));
    for (const outcome of await Promise.all(batch)) expect(outcome.ok).toBe(true);
    calls += concurrency;
  }
  return calls / ((performance.now() - started) / 1000);
}

// Absolute rates depend on the machine (npm run bench measures them against its targets);
// what must hold on any machine is measured here against the same run: the in-process host,
// which serves the server and paydoc run, is several times faster than a supervised worker
// called one step at a time, and pipelining calls to a worker pays.
describe('throughput (measured, reported on stdout)', () => {
  it('in-process is several times faster than a supervised worker; pipelining helps', async () => {
    const host = new IsolateHost();
    const trivial = await callsPerSecond(host, TRIVIAL, 1_000, 1);
    const delivery = await callsPerSecond(
      host,
      deliveryCall(Date.parse('2023-08-18T12:30:00Z')),
      500,
      1,
    );
    const btc = await callsPerSecond(host, btcKeyCall(PUBLIC_KEY_1, WIF_KEY_1), 500, 1);
    await host.close();
    console.log(
      `in-process: trivial ${Math.round(trivial)}/s, delivery seed ${Math.round(delivery)}/s, ` +
        `BTC key seed ${Math.round(btc)}/s`,
    );
    const sandbox = new SupervisedSandbox({ spare: false });
    try {
      const pipelined = await callsPerSecond(sandbox, TRIVIAL, 1_000, 64);
      const sequential = await callsPerSecond(sandbox, TRIVIAL, 500, 1);
      console.log(
        `supervised (1 worker): trivial ${Math.round(pipelined)}/s with 64 in flight, ` +
          `${Math.round(sequential)}/s one at a time`,
      );
      expect(trivial).toBeGreaterThan(2 * sequential);
      expect(pipelined).toBeGreaterThan(sequential);
    } finally {
      await sandbox.close();
    }
  });
});
