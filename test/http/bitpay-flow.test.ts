import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/http/start-server.js';
import { startServer } from '../../src/http/start-server.js';

// Seed 004's flow over real sockets, as a merchant's server runs it: an invoice created with
// POST /api/invoice (HTTP Basic, price 10.5 USD, medium speed, full notifications to an https
// notificationURL), paid and confirmed through the chain simulator's test helpers, and the
// merchant's https listener told of every status change (paid, confirmed, complete) once each,
// with the invoice object the API returns and the Standard Webhooks signature.
type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'paydoc-bitpay-'));
const API_KEY = 'pd_test_bitpay-merchant-key';
const ADMIN_KEY = 'pd_test_bitpay-operator-key';
const fixtures = new URL('../outbox/fixtures/', import.meta.url);
// A certificate for example.invalid (a name that never resolves on a real network): the
// server trusts it and resolves the name to the local listener, as if it were the merchant's.
const cert = readFileSync(new URL('example-invalid.cert.pem', fixtures), 'utf8');
const key = readFileSync(new URL('example-invalid.key.pem', fixtures), 'utf8');

interface Received {
  headers: Record<string, string>;
  body: string;
}

const received: Received[] = [];
let listener: Server;
let port = 0;
let server: RunningServer;

const basic = { authorization: `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}` };

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...basic, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

async function until<T>(what: () => T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = what();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function statuses(): string[] {
  return received.map((delivery) => String((JSON.parse(delivery.body) as Json).status));
}

beforeAll(async () => {
  listener = createServer({ cert, key }, (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers as Record<string, string>, body });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
  server = await startServer({
    db: join(dir, 'paydoc.db'),
    port: 0,
    apiKey: API_KEY,
    adminKey: ADMIN_KEY,
    workers: 1,
    // The listener is on loopback; the name and the certificate are checked all the same.
    webhookAllowPrivate: true,
    webhookCa: cert,
    webhookLookup: (hostname) =>
      Promise.resolve(hostname === 'example.invalid' ? [{ address: '127.0.0.1', family: 4 }] : []),
  });
});

afterAll(async () => {
  await server?.close();
  listener?.closeAllConnections();
  await new Promise((resolve) => listener?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('the BitPay v0.3 flow over sockets', () => {
  it('creates, pays and completes an invoice, notifying every status change once', async () => {
    const notificationURL = `https://example.invalid:${port}/bitpay/ipn`;
    const created = await call(
      'POST',
      '/api/invoice',
      // As the seed's sampleInvoice would be written: price a JSON number in dollars.
      `{"price": 10.5, "currency": "USD", "transactionSpeed": "medium", "fullNotifications": true,
        "notificationURL": "${notificationURL}", "posData": "{ \\"ref\\" : 711454 }", "orderID": "1042"}`,
    );
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const invoice = created.json;
    expect(invoice).toMatchObject({
      status: 'new',
      price: 10.5,
      currency: 'USD',
      btcPrice: '0.00016800',
      posData: '{ "ref" : 711454 }',
    });
    expect(invoice.url).toBe(`${server.url}/invoices/${String(invoice.id)}`);
    const fetched = await call('GET', `/api/invoice/${String(invoice.id)}`);
    expect(fetched.json).toEqual({ ...invoice, currentTime: fetched.json.currentTime });

    const paid = await call('POST', '/test/bitcoin/payments', {
      address: invoice.address,
      amount: invoice.btcPrice,
    });
    expect(paid.status).toBe(200);
    await until(() => (statuses().includes('paid') ? true : undefined));

    // The notificationURL's endpoint exists now; its secret comes from a rotation (the old
    // one goes on signing beside it), so this receiver can verify what follows.
    const endpoints = await call('GET', '/webhook_endpoints');
    const endpoint = (endpoints.json.data as Json[]).find((item) => item.url === notificationURL);
    expect(endpoint?.id).toMatch(/^we_notify_/);
    const rotated = await call('POST', `/webhook_endpoints/${String(endpoint?.id)}/rotate_secret`);
    const verifier = new Webhook(String(rotated.json.secret));

    expect((await call('POST', '/test/bitcoin/blocks', { count: 1 })).status).toBe(200);
    await until(() => (statuses().includes('confirmed') ? true : undefined));
    expect((await call('POST', '/test/bitcoin/blocks', { count: 5 })).status).toBe(200);
    await until(() => (statuses().includes('complete') ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(statuses()).toEqual(['paid', 'confirmed', 'complete']);
    expect(new Set(received.map((delivery) => delivery.headers['webhook-id'])).size).toBe(3);
    for (const delivery of received.slice(1)) {
      const body = verifier.verify(delivery.body, delivery.headers) as Json;
      // The notification is the invoice object, as the API returns it.
      expect(Object.keys(body).sort()).toEqual(
        Object.keys(invoice)
          .filter((name) => name !== 'documentId')
          .sort(),
      );
      expect(body).toMatchObject({
        id: invoice.id,
        url: invoice.url,
        posData: invoice.posData,
        price: 10.5,
        currency: 'USD',
        btcPrice: '0.00016800',
        btcPaid: '0.00016800',
        invoiceTime: invoice.invoiceTime,
        expirationTime: invoice.expirationTime,
      });
    }
    const final = await call('GET', `/api/invoice/${String(invoice.id)}`);
    expect(final.json).toMatchObject({ status: 'complete', confirmations: 6 });
    // The invoice is a document with a history, like every other payment.
    const history = await fetch(`${server.url}/blue/${String(invoice.documentId)}/history`, {
      headers: basic,
    });
    expect(history.status).toBe(200);
  });
});
