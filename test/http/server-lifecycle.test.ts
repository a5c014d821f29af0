import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ProcessExit } from './support/server-process.js';
import { ServerProcess, waitForGroupGone } from './support/server-process.js';

// Requirement: a server that cannot listen (the port is busy) exits 1 at once, saying which
// port, and leaves no sandbox worker behind; SIGTERM and SIGINT stop a server within 10 s,
// with exit 0, even while requests are in flight, and every acknowledged write is on disk.

const API_KEY = 'pd_test_lifecycle_key';
const dir = mkdtempSync(join(tmpdir(), 'paydoc-lifecycle-'));
const started: ServerProcess[] = [];

afterEach(async () => {
  for (const server of started.splice(0)) if (server.exitStatus === undefined) await server.crash();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function start(db: string): Promise<{ server: ServerProcess; url: string }> {
  const running = await ServerProcess.start({ db: join(dir, db), apiKey: API_KEY });
  started.push(running.server);
  return running;
}

/** How the process ended, and how long after `since` it had. */
async function exitWithin(
  server: ServerProcess,
  ms: number,
  since = Date.now(),
): Promise<ProcessExit & { tookMs: number }> {
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([
    server.exited,
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
  ]);
  clearTimeout(timer);
  if (exit === undefined) throw new Error(`the server still runs after ${ms} ms:\n${server.log}`);
  return { ...exit, tookMs: Date.now() - since };
}

describe('paydoc serve', () => {
  it('on a busy port exits 1 within a few seconds, naming the port, with no worker left', async () => {
    const { server: first, url } = await start('first.db');
    const port = new URL(url).port;
    const second = ServerProcess.spawn(['serve', '--port', port, '--db', join(dir, 'second.db')], {
      PAYDOC_API_KEY: API_KEY,
    });
    started.push(second);
    const exit = await exitWithin(second, 10_000);
    expect(exit, second.log).toMatchObject({ code: 1, signal: null });
    expect(exit.tookMs).toBeLessThan(8_000);
    expect(second.log).toContain(`port ${port}`);
    expect(second.log).toMatch(/in use/);
    await waitForGroupGone(second.pid, 5_000);
    // The first one is untouched, and SIGINT stops it as SIGTERM does.
    const health = await fetch(`${url}/accounts/me`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(health.status).toBe(200);
    const since = Date.now();
    first.signal('SIGINT');
    expect(await exitWithin(first, 10_000, since)).toMatchObject({ code: 0, signal: null });
    await waitForGroupGone(first.pid, 5_000);
  });

  it('SIGTERM with requests in flight: exits 0 within 10 s; every acknowledged write is durable', async () => {
    const db = 'busy.db';
    const { server, url } = await start(db);
    const me = (await (
      await fetch(`${url}/accounts/me`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).json()) as { timelineId: string };
    const acknowledged: number[] = [];
    const statuses: number[] = [];
    /** Requests that got no answer (the connection closed as the server stopped). */
    const unanswered: string[] = [];
    let stopping = false;
    /** A client appending entries one after another until the server stops answering. */
    const client = async (id: number): Promise<void> => {
      for (let n = 0; n < 10_000; n += 1) {
        try {
          const response = await fetch(`${url}/timelines/${me.timelineId}/entries`, {
            method: 'POST',
            headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ message: { client: id, n } }),
          });
          statuses.push(response.status);
          const body = (await response.json()) as { entry?: { sequence: number } };
          if (response.status === 201 && body.entry !== undefined)
            acknowledged.push(body.entry.sequence);
          else if (stopping) return;
        } catch {
          // Refused (no longer listening) or sent on a keep-alive connection as the server
          // closed it: never processed.
          unanswered.push(`${id}/${n}`);
          return;
        }
      }
    };
    const clients = Array.from({ length: 16 }, (_, id) => client(id));
    while (acknowledged.length < 50) await new Promise((resolve) => setTimeout(resolve, 10));
    const since = Date.now();
    stopping = true;
    server.signal('SIGTERM');
    const exit = await exitWithin(server, 10_000, since);
    await Promise.all(clients);
    expect(exit, server.log).toMatchObject({ code: 0, signal: null });
    expect(exit.tookMs).toBeLessThan(10_000);
    await waitForGroupGone(server.pid, 5_000);
    // Answered: written (201), or refused while closing (503 overloaded / closing).
    expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
    const store = new SqliteStore(join(dir, db));
    try {
      const entries = await store.entries(me.timelineId, 0, 100_000);
      const durable = new Set(entries.map((entry) => entry.sequence));
      expect(acknowledged.filter((sequence) => !durable.has(sequence))).toEqual([]);
      expect(entries).toHaveLength(acknowledged.length);
      // A request the server took was answered: none of the unanswered ones was written.
      const written = new Set(
        entries.map((entry) => {
          const message = entry.entry.message as { client: number; n: number };
          return `${message.client}/${message.n}`;
        }),
      );
      expect(unanswered.filter((request) => written.has(request))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
