import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/http/start-server.js';
import { startServer } from '../../src/http/start-server.js';

// Issue 14, over real sockets: the merchant registers an endpoint, a Classic Card Payment is
// posted, captured and refunded through REST, and a receiver that checks every delivery with
// the standardwebhooks library's own Webhook.verify gets each payment event once.
type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'paydoc-webhooks-'));
const API_KEY = 'pd_test_webhook-merchant-key';
const ADMIN_KEY = 'pd_test_webhook-operator-key';
let server: RunningServer;

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** A local receiver; `answer` decides each response (default 200). */
class Receiver {
  readonly received: Received[] = [];
  answer: (request: Received, index: number) => number | 'hang' = () => 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const got = { headers: request.headers as Record<string, string>, body };
        this.received.push(got);
        const status = this.answer(got, this.received.length - 1);
        if (status === 'hang') return;
        response.writeHead(status).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/hooks`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

async function http(method: string, path: string, body?: unknown, type = 'application/json') {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_KEY}`,
      ...(body === undefined ? {} : { 'content-type': type }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

async function until<T>(what: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const receivers: Receiver[] = [];
async function receiver(): Promise<Receiver> {
  const made = new Receiver();
  await made.start();
  receivers.push(made);
  return made;
}

beforeAll(async () => {
  server = await startServer({
    db: join(dir, 'paydoc.db'),
    port: 0,
    apiKey: API_KEY,
    adminKey: ADMIN_KEY,
    workers: 1,
    webhookAllowPrivate: true,
    // Three days of retries in about 2.6 s.
    webhookTimeScale: 0.00001,
    webhookTimeoutMs: 1000,
  });
});

afterAll(async () => {
  await server?.close();
  for (const made of receivers) await made.close();
  rmSync(dir, { recursive: true, force: true });
});

const classic = readFileSync(
  new URL('../../documents/examples/classic-card-payment-request.yaml', import.meta.url),
  'utf8',
);

describe('webhooks, end to end', () => {
  it('a Classic Card Payment authorised, captured and refunded: each event once, verified', async () => {
    const hooks = await receiver();
    const registered = await http('POST', '/webhook_endpoints', {
      url: hooks.url,
      events: ['payment.authorized', 'payment.captured', 'payment.refunded'],
      description: 'the shop',
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    const secret = String(registered.json.secret);
    expect(secret).toMatch(/^whsec_/);
    // The secret is shown once.
    const listed = await http('GET', '/webhook_endpoints');
    expect(JSON.stringify(listed.json)).not.toContain(secret);

    const posted = await http(
      'POST',
      '/blue',
      classic.replace('amount: 100', 'amount: 4200'),
      'application/yaml',
    );
    expect(posted.status).toBe(201);
    const charge = String(posted.json.paymentProcessorId);
    expect((await http('POST', `/api/charge/${charge}/capture`, {})).status).toBe(200);
    expect((await http('POST', `/api/charge/${charge}/refund`, { amount: 1200 })).status).toBe(200);

    const got = await until(async () => (hooks.received.length >= 3 ? hooks.received : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hooks.received).toHaveLength(3);
    const verifier = new Webhook(secret);
    const events = got.map((delivery) => verifier.verify(delivery.body, delivery.headers) as Json);
    expect(events.map((event) => event.type)).toEqual([
      'payment.authorized',
      'payment.captured',
      'payment.refunded',
    ]);
    expect(new Set(got.map((delivery) => delivery.headers['webhook-id'])).size).toBe(3);
    expect((events[2]?.data as Json).event).toMatchObject({ refund: { amount: 1200 } });
    // A changed body does not verify.
    expect(() => verifier.verify(`${got[0]?.body} `, got[0]?.headers ?? {})).toThrow();

    // The events, newest first, and their deliveries.
    const list = await http('GET', '/events?limit=2');
    expect((list.json.data as Json[]).map((event) => event.type)).toEqual([
      'payment.refunded',
      'payment.captured',
    ]);
    expect(list.json.hasMore).toBe(true);
    const id = String((list.json.data as Json[])[0]?.id);
    const deliveries = await http('GET', `/events/${id}/deliveries`);
    expect(deliveries.json.deliveries).toMatchObject([
      { state: 'delivered', attempts: [{ attempt: 1, statusCode: 200 }] },
    ]);
    // Sent again on request: a new delivery beside the first, which stays as it was.
    const again = await http('POST', `/events/${id}/redeliver`, {});
    expect(again.status).toBe(202);
    expect(again.json).toMatchObject({ deliveries: 1 });
    await until(async () => (hooks.received.length >= 4 ? true : undefined));
    expect(hooks.received[3]?.headers['webhook-id']).toBe(id);
    const both = await until(async () => {
      const listed = (await http('GET', `/events/${id}/deliveries`)).json.deliveries as Json[];
      return listed.length === 2 && listed.every((delivery) => delivery.state === 'delivered')
        ? listed
        : undefined;
    });
    expect(both.map((delivery) => (delivery.attempts as Json[]).length)).toEqual([1, 1]);
  });

  it('retries a receiver that fails three times, and one that hangs, until they answer', async () => {
    const flaky = await receiver();
    flaky.answer = (_request, index) => (index < 3 ? 500 : 200);
    const slow = await receiver();
    slow.answer = (_request, index) => (index < 1 ? 'hang' : 200);
    for (const url of [flaky.url, slow.url])
      expect(
        (await http('POST', '/webhook_endpoints', { url, events: ['document.created'] })).status,
      ).toBe(201);
    const posted = await http(
      'POST',
      '/blue',
      classic.replace('amount: 100', 'amount: 4300'),
      'application/yaml',
    );
    expect(posted.status).toBe(201);
    await until(async () =>
      flaky.received.length >= 4 && slow.received.length >= 2 ? true : undefined,
    );
    const [event] = (await http('GET', '/events?type=document.created&limit=1')).json
      .data as Json[];
    const deliveries = (await http('GET', `/events/${String(event?.id)}/deliveries`)).json
      .deliveries as Json[];
    const flakyDelivery = deliveries.find((delivery) =>
      (delivery.attempts as Json[]).some((attempt) => attempt.statusCode === 500),
    );
    expect(flakyDelivery).toMatchObject({ state: 'delivered' });
    expect((flakyDelivery?.attempts as Json[]).map((attempt) => attempt.statusCode)).toEqual([
      500, 500, 500, 200,
    ]);
    const slowDelivery = deliveries.find((delivery) => delivery !== flakyDelivery);
    expect((slowDelivery?.attempts as Json[])[0]).toMatchObject({
      statusCode: null,
      error: 'timeout',
    });
    expect(slowDelivery).toMatchObject({ state: 'delivered' });
  });

  it('disables an endpoint that fails for its whole retry window, and tells the account', async () => {
    const dead = await receiver();
    dead.answer = () => 503;
    const watcher = await receiver();
    const failing = await http('POST', '/webhook_endpoints', {
      url: dead.url,
      events: ['document.created'],
    });
    expect(failing.status).toBe(201);
    const told = await http('POST', '/webhook_endpoints', {
      url: watcher.url,
      events: ['webhook_endpoint.disabled'],
    });
    expect(told.status).toBe(201);
    const posted = await http(
      'POST',
      '/blue',
      classic.replace('amount: 100', 'amount: 4400'),
      'application/yaml',
    );
    expect(posted.status).toBe(201);
    const notice = await until(async () => watcher.received[0], 20_000);
    const event = new Webhook(String(told.json.secret)).verify(notice.body, notice.headers) as Json;
    expect(event).toMatchObject({
      type: 'webhook_endpoint.disabled',
      data: { endpoint: { id: failing.json.id, status: 'enabled' } },
    });
    const endpoint = await http('GET', `/webhook_endpoints/${String(failing.json.id)}`);
    expect(endpoint.json).toMatchObject({ status: 'disabled' });
    expect(dead.received.length).toBeGreaterThan(3);
    const [created] = (await http('GET', '/events?type=document.created&limit=1')).json
      .data as Json[];
    const deliveries = (await http('GET', `/events/${String(created?.id)}/deliveries`)).json
      .deliveries as Json[];
    const gaveUp = deliveries.find((delivery) => delivery.endpointId === failing.json.id);
    expect(gaveUp).toMatchObject({ state: 'failed', nextAttemptAt: null });
    expect((gaveUp?.attempts as Json[]).every((attempt) => attempt.statusCode === 503)).toBe(true);
  });

  it('keeps every account’s endpoints and events its own', async () => {
    const created = await fetch(`${server.url}/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'other-shop@example.com' }),
    });
    const otherKey = String(((await created.json()) as Json).apiKey);
    const mine = (await http('GET', '/events?limit=1')).json.data as Json[];
    const theirs = await fetch(`${server.url}/events/${String(mine[0]?.id)}`, {
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect(theirs.status).toBe(404);
    const list = await fetch(`${server.url}/events`, {
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect(((await list.json()) as Json).data).toEqual([]);
    const endpoints = (await http('GET', '/webhook_endpoints')).json.data as Json[];
    const foreign = await fetch(`${server.url}/webhook_endpoints/${String(endpoints[0]?.id)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect(foreign.status).toBe(404);
  });
});
