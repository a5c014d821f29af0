import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerProcess } from './support/server-process.js';

// Issue 14: deliveries are rows. A receiver is down while the server is SIGKILLed and started
// again on the same database; once the receiver is back, every event arrives, verified, and
// the failed attempts before the crash are there to see.
type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'paydoc-webhook-crash-'));
const db = join(dir, 'paydoc.db');
const API_KEY = 'pd_test_webhook-crash-merchant';
const env = {
  PAYDOC_WEBHOOK_ALLOW_PRIVATE: '1',
  // Three days in about 26 s: retries 6 ms, 30 ms, 150 ms, 0.75 s, then 3.6 s apart.
  PAYDOC_WEBHOOK_TIME_SCALE: '0.0001',
  PAYDOC_WEBHOOK_TIMEOUT_MS: '1000',
};
const servers: ServerProcess[] = [];
let receiver: Server | undefined;

afterAll(async () => {
  for (const server of servers) if (server.exitStatus === undefined) await server.crash();
  receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  type = 'application/json',
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_KEY}`,
      ...(body === undefined ? {} : { 'content-type': type }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

/** A free local port (listened on, then closed: nothing answers there until we listen again). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('webhooks across a crash', () => {
  it('delivers every event at least once after SIGKILL and restart, none lost', async () => {
    const port = await freePort();
    const hookUrl = `http://127.0.0.1:${port}/hooks`;
    const first = await ServerProcess.start({ db, apiKey: API_KEY, env });
    servers.push(first.server);
    const endpoint = await call(first.url, 'POST', '/webhook_endpoints', { url: hookUrl });
    expect(endpoint.status, JSON.stringify(endpoint.json)).toBe(201);
    const secret = String(endpoint.json.secret);
    const classic = readFileSync(
      new URL('../../documents/examples/classic-card-payment-request.yaml', import.meta.url),
      'utf8',
    );
    const posted = await call(first.url, 'POST', '/blue', classic, 'application/yaml');
    expect(posted.status).toBe(201);
    const charge = String(posted.json.paymentProcessorId);
    expect((await call(first.url, 'POST', `/api/charge/${charge}/capture`, {})).status).toBe(200);
    const events = ((await call(first.url, 'GET', '/events?limit=100')).json.data as Json[]).map(
      (event) => String(event.id),
    );
    expect(events.length).toBeGreaterThanOrEqual(3);
    // The receiver is down: attempts fail (connection refused) until the crash.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = (await call(first.url, 'GET', `/events/${events[0]}/deliveries`)).json
      .deliveries as Json[];
    expect((before[0]?.attempts as Json[]).length).toBeGreaterThan(0);
    expect(before[0]).toMatchObject({ state: 'pending' });
    await first.server.crash();

    // The receiver comes back, on the same address, and the server starts again.
    const received: { headers: Record<string, string>; body: string }[] = [];
    receiver = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        received.push({ headers: request.headers as Record<string, string>, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(port, '127.0.0.1', resolve));
    const second = await ServerProcess.start({ db, apiKey: API_KEY, env });
    servers.push(second.server);

    const deadline = Date.now() + 30_000;
    const verifier = new Webhook(secret);
    let ids = new Set<string>();
    while (Date.now() < deadline) {
      ids = new Set(
        received.map((delivery) =>
          String((verifier.verify(delivery.body, delivery.headers) as Json).id),
        ),
      );
      if (events.every((id) => ids.has(id))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...ids].sort()).toEqual([...events].sort());
    for (const id of events) {
      const deliveries = (await call(second.url, 'GET', `/events/${id}/deliveries`)).json
        .deliveries as Json[];
      expect(deliveries[0]).toMatchObject({ state: 'delivered' });
      const attempts = deliveries[0]?.attempts as Json[];
      expect(attempts.at(-1)).toMatchObject({ statusCode: 204 });
      expect(attempts.slice(0, -1).every((attempt) => attempt.statusCode === null)).toBe(true);
    }
    await second.server.crash();
  }, 60_000);
});
