import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestApp } from './support/test-app.js';
import { bearer, testApp, YAML } from './support/test-app.js';

// Issue 15 over app.inject(): the BitPay v0.3 invoice API as the seed describes it, each
// invoice a Bitcoin Invoice document, paid, confirmed, expired and invalidated through the
// test helpers (the chain simulator and the account's test clock).
type Json = Record<string, unknown>;

const MINUTE = 60_000;
let t: TestApp;
let key: string;
let now: number;

function basic(apiKey: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}` };
}

async function post(url: string, body: unknown, apiKey = key) {
  const response = await t.app.inject({
    method: 'POST',
    url,
    headers: { ...basic(apiKey), 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.json() as Json, headers: response.headers };
}

async function get(url: string, apiKey = key) {
  const response = await t.app.inject({ method: 'GET', url, headers: basic(apiKey) });
  return { status: response.statusCode, body: response.json() as Json };
}

async function invoice(fields: Json = {}): Promise<Json> {
  const created = await post('/api/invoice', { price: 10, currency: 'USD', ...fields });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return created.body;
}

async function pay(address: unknown, amount: unknown) {
  const paid = await post('/test/bitcoin/payments', { address, amount });
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);
  return paid.body;
}

async function blocks(count: number) {
  const mined = await post('/test/bitcoin/blocks', { count });
  expect(mined.status, JSON.stringify(mined.body)).toBe(200);
  return mined.body;
}

async function status(id: unknown): Promise<unknown> {
  return (await get(`/api/invoice/${String(id)}`)).body.status;
}

async function documentCount(apiKey = key): Promise<number> {
  const account = await t.engine.store.accountByKeyHash(
    (await import('../../src/engine/accounts.js')).hashApiKey(apiKey),
  );
  return (await t.engine.store.documentsOf(account?.id ?? '', { limit: 1000 })).length;
}

beforeEach(async () => {
  now = 1_800_000_000_000;
  t = await testApp({ clock: () => now });
  key = (await t.account('merchant@example.com')).apiKey;
});

afterEach(async () => {
  await t.close();
});

describe('POST /api/invoice', () => {
  it('takes the seed fields, converts the price exactly, and answers the invoice object', async () => {
    const created = await invoice({
      price: 10.5,
      posData: '{ "ref" : 711454, "affiliate" : "spring112" }',
      notificationURL: 'https://merchant.example/ipn',
      transactionSpeed: 'high',
      fullNotifications: true,
      notificationEmail: 'ops@merchant.example',
      redirectURL: 'https://merchant.example/thanks',
      orderID: 'A-1042',
      itemDesc: 'Socks',
      itemCode: 'SKU-7',
      physical: true,
      buyerName: 'Ada',
      buyerCountry: 'GB',
    });
    expect(created).toMatchObject({
      status: 'new',
      price: 10.5,
      currency: 'USD',
      // ceil(1050 × 10^8 / 6,250,000) = 16,800 satoshis.
      btcPrice: '0.00016800',
      btcDue: '0.00016800',
      btcPaid: '0.00000000',
      posData: '{ "ref" : 711454, "affiliate" : "spring112" }',
      transactionSpeed: 'high',
      fullNotifications: true,
      redirectURL: 'https://merchant.example/thanks',
      orderID: 'A-1042',
      itemDesc: 'Socks',
      physical: true,
      buyerName: 'Ada',
      invoiceTime: now,
      expirationTime: now + 15 * MINUTE,
      currentTime: now,
    });
    expect(created.id).toMatch(/^inv_[A-Za-z0-9_-]{24}$/);
    expect(created.url).toBe(`http://localhost:80/invoices/${String(created.id)}`);
    expect(created.bitcoinUri).toBe(`bitcoin:${String(created.address)}?amount=0.00016800`);
    // The same invoice is a Bitcoin Invoice document, under the same id.
    const document = await t.app.inject({
      method: 'GET',
      url: `/blue/${String(created.documentId)}`,
      headers: bearer(key),
    });
    expect(document.json()).toMatchObject({ id: created.id, price: 1050, status: 'new' });
  });

  it('converts decimal strings and numbers exactly, and refuses more decimals than the currency has', async () => {
    expect((await invoice({ price: '19.99' })).price).toBe(19.99);
    expect((await invoice({ price: 0.1 })).btcPrice).toBe('0.00000160');
    expect((await invoice({ price: 1000, currency: 'JPY' })).price).toBe(1000);
    expect((await invoice({ price: '0.00012345', currency: 'BTC' })).btcPrice).toBe('0.00012345');
    const before = await documentCount();
    for (const [body, code] of [
      ['{"price": 10.505, "currency": "USD"}', 'money_invalid_decimal'],
      ['{"price": 10.50000000000000001, "currency": "USD"}', 'money_invalid_decimal'],
      ['{"price": "1e3", "currency": "USD"}', 'money_invalid_decimal'],
      ['{"price": 1.5, "currency": "JPY"}', 'money_invalid_decimal'],
      ['{"price": 0, "currency": "USD"}', 'invalid_price'],
      ['{"price": -5, "currency": "USD"}', 'money_negative'],
      ['{"price": true, "currency": "USD"}', 'invalid_request'],
      ['{"currency": "USD"}', 'invalid_request'],
      ['{"price": 10}', 'invalid_request'],
      [
        '{"price": 10, "currency": "USD", "notificationUrl": "https://x.example"}',
        'invalid_request',
      ],
      ['{"price": 10, "currency": "USD", "physical": "yes"}', 'invalid_request'],
      ['{"price": 10, "currency": "USD", "posData": {"ref": 1}}', 'invalid_request'],
      ['{"price": 10, "currency": "USD", "constructor": "x"}', 'invalid_request'],
      ['{"price": 10, "currency": "USD", "price": 11}', 'yaml_duplicate_key'],
    ] as const) {
      const refused = await post('/api/invoice', body);
      expect(refused.status, body).toBe(400);
      expect(refused.body.error, body).toMatchObject({ type: 'invalid_request_error', code });
      expect(typeof (refused.body.error as Json).message).toBe('string');
    }
    expect(await documentCount()).toBe(before);
  });

  it('refuses what the processor will not open, storing nothing (unsupported currency, http notificationURL)', async () => {
    const cases: [Json, string][] = [
      [{ currency: 'AUD' }, 'invalid_currency'],
      [{ currency: 'XAU' }, 'money_unknown_currency'],
      [{ notificationURL: 'http://merchant.example/ipn' }, 'invalid_notification_url'],
      [{ transactionSpeed: 'ludicrous' }, 'invalid_speed'],
    ];
    for (const [fields, code] of cases) {
      const refused = await post('/api/invoice', { price: 10, currency: 'USD', ...fields });
      expect(refused.status, JSON.stringify(fields)).toBe(400);
      expect((refused.body.error as Json).code).toBe(code);
    }
    expect(await documentCount()).toBe(0);
    // The same refusals on POST /blue: 400 with the field's line:col, nothing stored.
    const posted = await t.app.inject({
      method: 'POST',
      url: '/blue',
      headers: { ...bearer(key), ...YAML },
      payload:
        'type: Bitcoin Invoice\nprice: 1000\ncurrency: USD\nnotificationURL: http://merchant.example/ipn\n',
    });
    expect(posted.statusCode).toBe(400);
    expect(posted.json().error).toMatchObject({
      code: 'invalid_notification_url',
      param: '/notificationURL',
    });
    expect(posted.json().error.message).toMatch(/^line 4:1: /);
    const aud = await t.app.inject({
      method: 'POST',
      url: '/blue',
      headers: { ...bearer(key), ...YAML },
      payload: 'type: Bitcoin Invoice\nprice: 1000\ncurrency: AUD\n',
    });
    expect(aud.statusCode).toBe(400);
    expect(aud.json().error).toMatchObject({ code: 'invalid_currency', param: '/currency' });
    expect(await documentCount()).toBe(0);
  });

  it('needs the API key as Basic user (or Bearer), and shows a merchant only its own invoices', async () => {
    const created = await invoice();
    const other = (await t.account('other@example.com')).apiKey;
    expect((await get(`/api/invoice/${String(created.id)}`, other)).status).toBe(404);
    expect((await get('/api/invoice/inv_unknown0000000000000', key)).status).toBe(404);
    const anonymous = await t.app.inject({
      method: 'GET',
      url: `/api/invoice/${String(created.id)}`,
    });
    expect(anonymous.statusCode).toBe(401);
    const withPassword = await t.app.inject({
      method: 'GET',
      url: `/api/invoice/${String(created.id)}`,
      headers: { authorization: `Basic ${Buffer.from(`${key}:secret`).toString('base64')}` },
    });
    expect(withPassword.statusCode).toBe(401);
    const viaBearer = await t.app.inject({
      method: 'GET',
      url: `/api/invoice/${String(created.id)}`,
      headers: bearer(key),
    });
    expect(viaBearer.statusCode).toBe(200);
    // Another merchant can neither pay nor see the invoice through the test helpers.
    const stranger = await post(
      '/test/bitcoin/payments',
      { address: created.address, amount: created.btcPrice },
      other,
    );
    expect(stranger.status).toBe(404);
    expect(await status(created.id)).toBe('new');
  });

  it('answers currentTime as now on a GET', async () => {
    const created = await invoice();
    now += 90_000;
    const got = await get(`/api/invoice/${String(created.id)}`);
    expect(got.body.currentTime).toBe(now);
    expect(got.body.invoiceTime).toBe(created.invoiceTime);
  });
});

describe('rate limits (BitPay: 100 invoices an hour per merchant, with per-second and per-minute limits)', () => {
  it('the 101st invoice in an hour is 429 with Retry-After, for that merchant only', async () => {
    await t.close();
    t = await testApp({
      clock: () => now,
      invoiceLimits: [
        { points: 1000, seconds: 1 },
        { points: 1000, seconds: 60 },
        { points: 100, seconds: 3600 },
      ],
    });
    key = (await t.account('merchant@example.com')).apiKey;
    const other = (await t.account('other@example.com')).apiKey;
    for (let index = 0; index < 100; index++)
      expect((await post('/api/invoice', { price: 1 + index, currency: 'USD' })).status).toBe(200);
    const limited = await post('/api/invoice', { price: 5, currency: 'USD' });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    expect(String((limited.body.error as Json).message)).toContain('100 per 3600 s');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(3000);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect((await post('/api/invoice', { price: 5, currency: 'USD' }, other)).status).toBe(200);
  });

  it('an Idempotency-Key replay and a refused invoice use up nothing', async () => {
    await t.close();
    t = await testApp({
      clock: () => now,
      invoiceLimits: [{ points: 2, seconds: 3600 }],
    });
    key = (await t.account('merchant@example.com')).apiKey;
    const send = (body: unknown, idempotencyKey?: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/invoice',
        headers: {
          ...basic(key),
          'content-type': 'application/json',
          ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
        },
        payload: JSON.stringify(body),
      });
    const first = await send({ price: 10, currency: 'USD' }, 'order-1');
    expect(first.statusCode).toBe(200);
    for (let index = 0; index < 3; index++) {
      const replay = await send({ price: 10, currency: 'USD' }, 'order-1');
      expect(replay.statusCode).toBe(200);
      expect(replay.json().id).toBe(first.json().id);
    }
    expect((await send({ price: 10, currency: 'USD', transactionSpeed: 'fast' })).statusCode).toBe(
      400,
    );
    expect((await send({ price: 11, currency: 'USD' })).statusCode).toBe(200);
    expect((await send({ price: 12, currency: 'USD' })).statusCode).toBe(429);
  });

  it('a burst beyond the per-second limit is 429 and does not use up the hour', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 12; index++)
      statuses.push((await post('/api/invoice', { price: 1 + index, currency: 'USD' })).status);
    expect(statuses.filter((code) => code === 200)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
    const limited = await post('/api/invoice', { price: 50, currency: 'USD' });
    expect(limited.headers['retry-after']).toBe('1');
  });
});

describe('paid, confirmed and complete over HTTP, per transactionSpeed', () => {
  it('medium: paid at payment, confirmed at 1 block, complete at 6', async () => {
    const created = await invoice({ transactionSpeed: 'medium' });
    const paid = await pay(created.address, created.btcPrice);
    expect(paid.txid).toMatch(/^[0-9a-f]{64}$/);
    expect((paid.invoice as Json).status).toBe('paid');
    await blocks(1);
    expect(await status(created.id)).toBe('confirmed');
    await blocks(4);
    expect(await status(created.id)).toBe('confirmed');
    const mined = await blocks(1);
    expect(mined.confirmations).toEqual([
      expect.objectContaining({ txid: paid.txid, confirmations: 6, status: 'complete' }),
    ]);
    expect(await status(created.id)).toBe('complete');
  });

  it('high: confirmed at payment (no paid), complete at 6 blocks', async () => {
    const created = await invoice({ transactionSpeed: 'high' });
    expect(((await pay(created.address, created.btcPrice)).invoice as Json).status).toBe(
      'confirmed',
    );
    await blocks(6);
    expect(await status(created.id)).toBe('complete');
  });

  it('low: paid, still paid at 5 blocks, complete at 6 (never confirmed)', async () => {
    const created = await invoice({ transactionSpeed: 'low' });
    await pay(created.address, created.btcPrice);
    await blocks(5);
    expect(await status(created.id)).toBe('paid');
    await blocks(1);
    expect(await status(created.id)).toBe('complete');
    const history = await t.app.inject({
      method: 'GET',
      url: `/blue/${String(created.documentId)}/history`,
      headers: bearer(key),
    });
    expect(history.body).not.toContain('"status":"confirmed"');
  });

  it('a partial payment leaves it new (paidPartial); the rest pays it', async () => {
    const created = await invoice();
    const partial = await pay(created.address, '0.00010000');
    expect(partial.invoice).toMatchObject({
      status: 'new',
      exceptionStatus: 'paidPartial',
      btcPaid: '0.00010000',
      btcDue: '0.00006000',
      bitcoinUri: `bitcoin:${String(created.address)}?amount=0.00006000`,
    });
    const rest = await pay(created.address, 0.00006);
    expect(rest.invoice).toMatchObject({
      status: 'paid',
      exceptionStatus: false,
      btcDue: '0.00000000',
    });
  });

  it('an over payment is paid and flagged paidOver', async () => {
    const created = await invoice();
    const over = await pay(created.address, '0.001');
    expect(over.invoice).toMatchObject({
      status: 'paid',
      exceptionStatus: 'paidOver',
      btcPaid: '0.00100000',
    });
  });

  it('refuses a payment to an address that is no invoice, and a malformed amount', async () => {
    const created = await invoice();
    expect(
      (await post('/test/bitcoin/payments', { address: 'bc1qnothing', amount: '0.1' })).status,
    ).toBe(404);
    for (const amount of ['0.000000001', -1, 'lots', 0])
      expect(
        (await post('/test/bitcoin/payments', { address: created.address, amount })).status,
        String(amount),
      ).toBe(400);
    for (const count of [0, 101, 1.5, 'two'])
      expect((await post('/test/bitcoin/blocks', { count })).status, String(count)).toBe(400);
    expect(await status(created.id)).toBe('new');
  });
});

describe('the test clock', () => {
  it('expires an unpaid invoice at 15 minutes, without waiting', async () => {
    const created = await invoice();
    const early = await post('/test/clock', { advanceBy: 14 * MINUTE });
    expect(early.body).toMatchObject({ offsetMs: 14 * MINUTE, fired: [] });
    expect(await status(created.id)).toBe('new');
    const advanced = await post('/test/clock', { advanceBy: MINUTE });
    expect(advanced.status).toBe(200);
    expect(advanced.body.fired).toEqual([created.documentId]);
    expect(await status(created.id)).toBe('expired');
    // A payment seen after expiry is recorded, not credited.
    const late = await pay(created.address, created.btcPrice);
    expect(late.invoice).toMatchObject({ status: 'expired', btcPaid: '0.00000000' });
    // The account's time runs ahead from now on: a new invoice starts at the moved clock.
    expect((await invoice()).invoiceTime).toBe(now + 15 * MINUTE);
  });

  it('makes a paid invoice that is not confirmed within an hour invalid', async () => {
    const created = await invoice({ transactionSpeed: 'medium' });
    await pay(created.address, created.btcPrice);
    await post('/test/clock', { advanceBy: 61 * MINUTE });
    expect(await status(created.id)).toBe('invalid');
    // A block after that confirms the transaction, and the invoice stays invalid.
    await blocks(1);
    expect(await status(created.id)).toBe('invalid');
  });

  it('adds up advances made at once, and delivers what they cause on the server clock', async () => {
    const created = await invoice({
      fullNotifications: true,
      notificationURL: 'https://merchant.example/ipn',
    });
    const both = await Promise.all([
      post('/test/clock', { advanceBy: 10 * MINUTE }),
      post('/test/clock', { advanceBy: 10 * MINUTE }),
    ]);
    expect(both.map((answer) => Number(answer.body.offsetMs)).sort((a, b) => a - b)).toEqual([
      10 * MINUTE,
      20 * MINUTE,
    ]);
    expect(await status(created.id)).toBe('expired');
    const account = await t.engine.store.accountByKeyHash(
      (await import('../../src/engine/accounts.js')).hashApiKey(key),
    );
    const events = await t.engine.store.events(account?.id ?? '', {
      type: 'invoice.notification',
      limit: 10,
    });
    const expired = events.find(
      (event) => (event.data as { body?: Json }).body?.status === 'expired',
    );
    expect(expired).toBeDefined();
    // The event happened at the account's time; its delivery is due at the server's.
    expect(expired?.createdAt).toBe(now + 20 * MINUTE);
    const deliveries = await t.engine.store.deliveriesOfEvent(String(expired?.id));
    expect(deliveries.map((delivery) => delivery.nextAttemptAt)).toEqual([now]);
  });

  it("is the account's own: another merchant's invoices keep the server's time", async () => {
    const mine = await invoice();
    const other = (await t.account('other@example.com')).apiKey;
    const theirs = await post('/api/invoice', { price: 10, currency: 'USD' }, other);
    await post('/test/clock', { advanceBy: 20 * MINUTE });
    expect(await status(mine.id)).toBe('expired');
    expect((await get(`/api/invoice/${String(theirs.body.id)}`, other)).body.status).toBe('new');
  });

  it("fires a card authorisation's expiry after 7 days", async () => {
    const posted = await t.app.inject({
      method: 'POST',
      url: '/blue',
      headers: { ...bearer(key), ...YAML },
      payload:
        'type: Classic Card Payment\namount: 4200\ncurrency: USD\ncaptured: false\ntoken: tok_visa\n',
    });
    expect(posted.statusCode).toBe(201);
    expect(posted.json().status).toBe('authorized');
    await post('/test/clock', { advanceBy: 7 * 24 * 60 * MINUTE });
    const after = await t.app.inject({
      method: 'GET',
      url: `/blue/${String(posted.json().paymentProcessorId === undefined ? '' : ((await t.engine.store.documentIdByRef(String(posted.json().paymentProcessorId))) ?? ''))}`,
      headers: bearer(key),
    });
    expect(after.json().status).toBe('expired');
    for (const advanceBy of [0, -1, 1.5, '1h'])
      expect((await post('/test/clock', { advanceBy })).status, String(advanceBy)).toBe(400);
  });
});

describe('a card declined at creation', () => {
  it('answers 402 with the stored payment, which authorises with a new token', async () => {
    const posted = await t.app.inject({
      method: 'POST',
      url: '/blue',
      headers: { ...bearer(key), ...YAML },
      payload:
        'type: Classic Card Payment\namount: 1000\ncurrency: USD\ncaptured: false\ntoken: tok_chargeDeclinedInsufficientFunds\n',
    });
    expect(posted.statusCode).toBe(402);
    const error = posted.json().error as Json;
    expect(error).toMatchObject({
      type: 'payment_error',
      code: 'card_declined',
      declineCode: 'insufficient_funds',
    });
    const document = error.document as Json;
    expect(document.status).toBe('declined');
    const stored = await t.app.inject({
      method: 'GET',
      url: `/blue/${String(error.documentId)}`,
      headers: bearer(key),
    });
    expect(stored.statusCode).toBe(200);
    const charge = String(document.paymentProcessorId);
    const retried = await t.app.inject({
      method: 'POST',
      url: `/api/charge/${charge}/authorize`,
      headers: { ...bearer(key), 'content-type': 'application/json' },
      payload: JSON.stringify({ token: 'tok_visa' }),
    });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().document.status).toBe('authorized');
  });
});
