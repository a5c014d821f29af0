import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_CATALOGUE } from '../../src/engine/event-catalogue.js';
import { Webhook } from 'standardwebhooks';
import type { NewAccount } from '../../src/engine/accounts.js';
import { notificationEndpointId } from '../../src/engine/webhook-events.js';
import { WebhookWorker } from '../../src/engine/webhook-worker.js';
import { signWebhook } from '../../src/outbox/webhook-signing.js';
import type { TestApp } from './support/test-app.js';
import { bearer, testApp } from './support/test-app.js';

// Issue 14: endpoints as an account registers them (where they may point, what they want),
// secret rotation, and BitPay notifications becoming events of their own, in process.
type Json = Record<string, unknown>;

let now = 1_700_000_000_000;
let t: TestApp;
let shop: NewAccount;

beforeAll(async () => {
  t = await testApp({ clock: () => now });
  shop = await t.account('hooks-shop@example.com');
});
afterAll(async () => {
  await t.close();
});

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, who = shop) {
  return t.app.inject({
    method,
    url,
    headers: {
      ...bearer(who.apiKey),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

function errorOf(response: { json(): unknown }): Json {
  return (response.json() as { error: Json }).error;
}

describe('registering an endpoint', () => {
  it.each([
    ['http (not https)', 'http://merchant.example/hooks'],
    ['loopback', 'https://127.0.0.1/hooks'],
    ['localhost', 'https://localhost/hooks'],
    ['IPv6 loopback', 'https://[::1]/hooks'],
    ['a private address', 'https://10.1.2.3/hooks'],
    ['another private range', 'https://192.168.1.10/hooks'],
    ['the metadata address', 'https://169.254.169.254/latest/meta-data'],
    ['an IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/hooks'],
    ['credentials in the URL', 'https://user:pw@merchant.example/hooks'],
  ])('refuses %s', async (_name, url) => {
    const response = await call('POST', '/webhook_endpoints', { url });
    expect(response.statusCode, response.body).toBe(400);
    expect(errorOf(response).param).toBe('/url');
    expect(((await call('GET', '/webhook_endpoints')).json() as { data: Json[] }).data).toEqual([]);
  });

  it('refuses an unknown event type, or BitPay notifications, by their place', async () => {
    const unknown = await call('POST', '/webhook_endpoints', {
      url: 'https://93.184.216.34/hooks',
      events: ['payment.captured', 'payment.capturd'],
    });
    expect(unknown.statusCode).toBe(400);
    expect(errorOf(unknown)).toMatchObject({ code: 'unknown_event_type', param: '/events/1' });
    const bitpay = await call('POST', '/webhook_endpoints', {
      url: 'https://93.184.216.34/hooks',
      events: ['invoice.notification'],
    });
    expect(errorOf(bitpay)).toMatchObject({ code: 'unknown_event_type', param: '/events/0' });
    const extra = await call('POST', '/webhook_endpoints', {
      url: 'https://93.184.216.34/h',
      secret: 'x',
    });
    expect(errorOf(extra)).toMatchObject({ code: 'invalid_request', param: '/secret' });
  });

  it('takes a public https URL; the secret once; rotation signs with both for a day; delete', async () => {
    const created = await call('POST', '/webhook_endpoints', {
      url: 'https://93.184.216.34/hooks',
      events: ['payment.captured'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const endpoint = created.json() as Json;
    expect(endpoint).toMatchObject({ status: 'enabled', events: ['payment.captured'] });
    const first = String(endpoint.secret);
    const shown = await call('GET', `/webhook_endpoints/${String(endpoint.id)}`);
    expect(shown.body).not.toContain(first);

    const rotated = await call(
      'POST',
      `/webhook_endpoints/${String(endpoint.id)}/rotate_secret`,
      {},
    );
    expect(rotated.statusCode).toBe(200);
    const second = String((rotated.json() as Json).secret);
    expect(second).not.toBe(first);
    expect((rotated.json() as Json).previousSecretExpires).toBe(now + 24 * 60 * 60 * 1000);
    // What the worker signs with during the overlap: a receiver holding either secret verifies.
    const headers = signWebhook('evt_x', Date.now(), '{"a":1}', [second, first]);
    expect(new Webhook(first).verify('{"a":1}', headers)).toEqual({ a: 1 });
    expect(new Webhook(second).verify('{"a":1}', headers)).toEqual({ a: 1 });

    const stranger = await t.account('hooks-stranger@example.com');
    expect(
      (await call('DELETE', `/webhook_endpoints/${String(endpoint.id)}`, undefined, stranger))
        .statusCode,
    ).toBe(404);
    expect((await call('DELETE', `/webhook_endpoints/${String(endpoint.id)}`)).statusCode).toBe(
      200,
    );
    expect((await call('GET', `/webhook_endpoints/${String(endpoint.id)}`)).statusCode).toBe(404);
  });
});

describe('a document’s own events', () => {
  it('tells of its creation and its termination, once', async () => {
    const text = readFileSync(
      new URL('../../documents/scenarios/terminate-graceful/document.yaml', import.meta.url),
      'utf8',
    ).replace('timelineId: t-1', `timelineId: ${shop.account.timelineId}`);
    const posted = await t.app.inject({
      method: 'POST',
      url: '/blue',
      payload: text,
      headers: { ...bearer(shop.apiKey), 'content-type': 'application/yaml' },
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const contracts = (posted.json() as Json).contracts as Record<string, Json>;
    const documentId = String(contracts.initialized?.documentId);
    for (const message of ['stop', 'anyone there?'])
      await call('POST', `/timelines/${shop.account.timelineId}/entries`, {
        message: { type: 'Chat Message', message },
      });
    const events = (await call('GET', `/events?document=${documentId}`)).json() as { data: Json[] };
    expect(events.data.map((event) => event.type)).toEqual([
      'document.terminated',
      'document.created',
    ]);
    expect(events.data[0]?.data).toMatchObject({
      status: { kind: 'terminated', cause: 'graceful', reason: 'asked to stop' },
      document: { state: 'finished' },
    });
  });
});

describe('listing events', () => {
  it('refuses a bad limit, an unknown type, a repeated filter and a cursor that is not the account’s', async () => {
    const stranger = await t.account('hooks-cursor@example.com');
    const mine = ((await call('GET', '/events?limit=1')).json() as { data: Json[] }).data;
    expect(mine).toHaveLength(1);
    const cases: [string, number, string, string][] = [
      ['/events?limit=0', 400, 'invalid_request', 'limit'],
      ['/events?limit=101', 400, 'invalid_request', 'limit'],
      ['/events?type=payment.capturd', 400, 'unknown_event_type', 'type'],
      ['/events?type=a&type=b', 400, 'invalid_request', 'type'],
      ['/events?after=evt_nope', 404, 'not_found', 'after'],
    ];
    for (const [url, status, code, param] of cases) {
      const response = await call('GET', url);
      expect(response.statusCode, url).toBe(status);
      expect(errorOf(response), url).toMatchObject({ code, param });
    }
    const foreign = await call('GET', `/events?after=${String(mine[0]?.id)}`, undefined, stranger);
    expect(foreign.statusCode).toBe(404);
  });
});

describe('the catalogue', () => {
  it('is documented whole in docs/webhooks.md, each type with its meaning', () => {
    const doc = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
    for (const [type, meaning] of Object.entries(EVENT_CATALOGUE))
      expect(doc, type).toContain(`| \`${type}\` | ${meaning} |`);
  });
});

describe('BitPay notifications', () => {
  const invoice = (full: boolean, order: string) =>
    [
      'type: Bitcoin Invoice',
      'price: 10000',
      'currency: USD',
      'transactionSpeed: medium',
      `fullNotifications: ${String(full)}`,
      'notificationURL: https://merchant.example/bitpay/ipn',
      `orderID: ${order}`,
    ].join('\n');

  async function expireOne(full: boolean, order: string, notify?: string): Promise<Json[]> {
    const text = invoice(full, order);
    const posted = await t.app.inject({
      method: 'POST',
      url: '/blue',
      payload:
        notify === undefined ? text : text.replace('https://merchant.example/bitpay/ipn', notify),
      headers: { ...bearer(shop.apiKey), 'content-type': 'application/yaml' },
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const contracts = (posted.json() as Json).contracts as Record<string, Json>;
    const documentId = String(contracts.initialized?.documentId);
    // Fifteen minutes on, unpaid: the invoice expires.
    now += 16 * 60 * 1000;
    await t.engine.fireDueTimers();
    const events = (
      await call('GET', `/events?document=${documentId}&type=invoice.notification`)
    ).json() as {
      data: Json[];
    };
    return events.data;
  }

  it('notifies the notificationURL on a status change when fullNotifications, through a delivery', async () => {
    const [notification] = await expireOne(true, 'order-full');
    expect(notification).toMatchObject({ type: 'invoice.notification' });
    const data = notification?.data as Json;
    expect(data.url).toBe('https://merchant.example/bitpay/ipn');
    expect(data.body).toMatchObject({ status: 'expired', orderID: 'order-full' });
    const deliveries = (
      await call('GET', `/events/${String(notification?.id)}/deliveries`)
    ).json() as {
      deliveries: Json[];
    };
    expect(deliveries.deliveries).toMatchObject([
      {
        endpointId: notificationEndpointId(shop.account.id, 'https://merchant.example/bitpay/ipn'),
        state: 'pending',
      },
    ]);
    // Sent again, it goes to its own notificationURL only, not to another invoice's.
    const second = await expireOne(true, 'order-other', 'https://other.example/ipn');
    expect(second).toHaveLength(1);
    const resent = await call('POST', `/events/${String(notification?.id)}/redeliver`, {});
    expect(resent.json()).toMatchObject({ deliveries: 1 });
    // The endpoint standing for the URL is the account's to see, and not one of its 16.
    const endpoints = (await call('GET', '/webhook_endpoints')).json() as { data: Json[] };
    expect(endpoints.data.map((endpoint) => endpoint.url)).toContain(
      'https://merchant.example/bitpay/ipn',
    );
  });

  it('does not notify an expiry when fullNotifications is false (only the confirmation)', async () => {
    expect(await expireOne(false, 'order-quiet')).toEqual([]);
  });

  it('POSTs the invoice JSON to the https notificationURL, with the Standard Webhooks headers', async () => {
    const fixtures = new URL('../outbox/fixtures/', import.meta.url);
    const cert = readFileSync(new URL('example-invalid.cert.pem', fixtures), 'utf8');
    const key = readFileSync(new URL('example-invalid.key.pem', fixtures), 'utf8');
    const got: { headers: Record<string, string>; body: string; host: string }[] = [];
    const receiver = createHttpsServer({ cert, key }, (request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        got.push({
          headers: request.headers as Record<string, string>,
          body,
          host: String(request.headers.host),
        });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    const url = `https://example.invalid:${port}/bitpay/ipn`;
    // The invoice posted now names the receiver; the worker resolves example.invalid to it.
    const worker = new WebhookWorker({
      store: t.store,
      writer: t.engine,
      allowPrivate: true,
      lookup: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
      ca: cert,
    });
    try {
      const posted = await t.app.inject({
        method: 'POST',
        url: '/blue',
        payload: invoice(true, 'order-https').replace('https://merchant.example/bitpay/ipn', url),
        headers: { ...bearer(shop.apiKey), 'content-type': 'application/yaml' },
      });
      expect(posted.statusCode, posted.body).toBe(201);
      now += 16 * 60 * 1000;
      await t.engine.fireDueTimers();
      worker.start();
      const deadline = Date.now() + 10_000;
      while (
        !got.some((delivery) => delivery.body.includes('order-https')) &&
        Date.now() < deadline
      )
        await new Promise((resolve) => setTimeout(resolve, 20));
      const delivery = got.find((candidate) => candidate.body.includes('order-https'));
      // The BitPay v0.3 notification: the invoice as the invoice API returns it.
      expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({
        orderID: 'order-https',
        status: 'expired',
      });
      expect(delivery?.host).toBe(`example.invalid:${port}`);
      expect(delivery?.headers['webhook-id']).toMatch(/^evt_/);
      expect(delivery?.headers['webhook-signature']).toMatch(/^v1,/);
      const endpoint = await t.store.webhookEndpoint(notificationEndpointId(shop.account.id, url));
      expect(
        new Webhook(String(endpoint?.secret)).verify(delivery?.body ?? '', delivery?.headers ?? {}),
      ).toMatchObject({
        status: 'expired',
      });
    } finally {
      await worker.close();
      receiver.close();
    }
  });
});
