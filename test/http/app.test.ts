import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAccount } from '../../src/engine/document-engine.js';
import { PaydocError } from '../../src/errors/paydoc-error.js';
import type { TestApp } from './support/test-app.js';
import { bearer, contractsOf, documentIdOf, JSON_BODY, testApp, YAML } from './support/test-app.js';

const example = (name: string): string =>
  readFileSync(new URL(`../../documents/examples/${name}`, import.meta.url), 'utf8');

type Json = Record<string, unknown>;

let t: TestApp;
let merchant: NewAccount;
let stranger: NewAccount;

beforeAll(async () => {
  t = await testApp({ bodyLimit: 64 * 1024 });
  merchant = await t.account('merchant@example.com');
  stranger = await t.account('stranger@example.com');
});

afterAll(async () => {
  await t.close();
});

async function post(path: string, body: string, key = merchant.apiKey, headers = YAML) {
  return t.app.inject({
    method: 'POST',
    url: path,
    payload: body,
    headers: { ...bearer(key), ...headers },
  });
}

async function get(path: string, key = merchant.apiKey) {
  return t.app.inject({ method: 'GET', url: path, headers: bearer(key) });
}

describe('POST /blue', () => {
  it('binds participants, fills timelineIds and paymentProcessorId, authorises the card', async () => {
    const response = await post('/blue', example('smart-card-payment-request.yaml'));
    expect(response.statusCode).toBe(201);
    const document = response.json() as Json;
    const contracts = contractsOf(document);
    // Every participant gets a new timeline of its own for this document.
    const merchantTimeline = String(contracts.merchant?.timelineId);
    expect(merchantTimeline).toMatch(/^tl_/);
    expect(merchantTimeline).not.toBe(merchant.account.timelineId);
    expect((await t.store.timeline(merchantTimeline))?.ownerId).toBe(merchant.account.id);
    expect(contracts.merchantTimeline?.timelineId).toBe(merchantTimeline);
    expect(contracts.customer?.timelineId).toMatch(/^tl_/);
    expect(contracts.customer?.timelineId).not.toBe(merchantTimeline);
    expect(contracts.paymentProcessor?.timelineId).toMatch(/^tl_/);
    expect(contracts.paymentProcessorMerchantTimeline?.timelineId).toMatch(/^tl_/);
    expect(document.paymentProcessorId).toMatch(/^ch_/);
    expect(document.status).toBe('authorized');
    expect(document.amountAuthorized).toBe(1000);
    // The processor's answer is on record, on the paymentProcessor timeline.
    const timeline = await get(
      `/timelines/${String(contracts.paymentProcessor?.timelineId)}/entries`,
    );
    expect(timeline.statusCode).toBe(200);
    const entries = (timeline.json() as { entries: Json[] }).entries;
    expect(entries.map((entry) => (entry.message as Json).type)).toEqual([
      'Payments/Payment Authorized',
    ]);
  });

  it('answers in YAML when Accept asks for it, the same document as in JSON', async () => {
    const body = example('classic-card-payment-request.yaml').replace('amount: 100', 'amount: 101');
    const json = await post('/blue', body);
    const yaml = await t.app.inject({
      method: 'GET',
      url: `/blue/${documentIdOf(json.json() as Json)}`,
      headers: { ...bearer(merchant.apiKey), accept: 'application/yaml' },
    });
    expect(yaml.headers['content-type']).toMatch(/yaml/);
    expect(parse(yaml.body)).toEqual(json.json());
  });

  it('gives an account its own copy of the same content once; another account gets 409', async () => {
    const body = example('classic-card-payment-request.yaml').replace('amount: 100', 'amount: 102');
    const first = await post('/blue', body);
    const again = await post('/blue', body);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(documentIdOf(again.json() as Json)).toBe(documentIdOf(first.json() as Json));
    const other = await post('/blue', body, stranger.apiKey);
    expect(other.statusCode).toBe(409);
    expect((other.json() as { error: Json }).error.code).toBe('document_exists');
  });

  it('binds the same processor timelines to the same content: a re-post is the same payment', async () => {
    const body = example('smart-card-payment-request.yaml').replace('amount: 1000', 'amount: 1001');
    const first = await post('/blue', body);
    const again = await post('/blue', body);
    expect([first.statusCode, again.statusCode]).toEqual([201, 200]);
    expect(again.json()).toEqual(first.json());
    const charge = String((first.json() as Json).paymentProcessorId);
    const history = await get(`/blue/${documentIdOf(first.json() as Json)}/history`);
    // One authorisation: initialise, then the processor's Payment Authorized.
    expect((history.json() as { version: number }).version).toBe(2);
    expect(charge).toMatch(/^ch_/);
  });

  it('refuses malformed YAML with 400 and line:col', async () => {
    const response = await post('/blue', 'type: Classic Card Payment\namount: 100\namount: 200\n');
    expect(response.statusCode).toBe(400);
    const error = (response.json() as { error: Json }).error;
    expect(error.type).toBe('invalid_request_error');
    expect(error.code).toBe('yaml_duplicate_key');
    expect(error.message).toMatch(/^line 3:1: /);
    expect((error.problems as Json[])[0]?.line).toBe(3);
  });

  it('refuses a document that breaks its type with 400, the field and its line:col', async () => {
    const response = await post(
      '/blue',
      'type: Classic Card Payment\namount: 12.5\ncurrency: USD\ntoken: tok_1234\n',
    );
    expect(response.statusCode).toBe(400);
    const error = (response.json() as { error: Json }).error;
    expect(error.code).toBe('validation_failed');
    expect(error.param).toBe('/amount');
    expect(error.message).toMatch(/^line 2:\d+: amount must be an integer/);
  });

  it('refuses malformed JSON with 400 and line:col', async () => {
    const response = await post(
      '/blue',
      '{"type": "Card Payment",\n "amount": [1, 2}',
      merchant.apiKey,
      JSON_BODY,
    );
    expect(response.statusCode).toBe(400);
    expect((response.json() as { error: Json }).error.message).toMatch(/^line 2:\d+: /);
  });

  it('refuses an oversized body with 413 and another media type with 415', async () => {
    const big = `type: Classic Card Payment\nnote: "${'x'.repeat(70 * 1024)}"\n`;
    const tooLarge = await post('/blue', big);
    expect(tooLarge.statusCode).toBe(413);
    expect((tooLarge.json() as { error: Json }).error.code).toBe('body_too_large');
    const wrongType = await post('/blue', 'x', merchant.apiKey, { 'content-type': 'text/plain' });
    expect(wrongType.statusCode).toBe(415);
    expect((wrongType.json() as { error: Json }).error.code).toBe('unsupported_media_type');
  });
});

describe('authentication and access', () => {
  it('401 without a key, with an unknown key; HTTP Basic with the key as user name works', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/blue/x' });
    expect(none.statusCode).toBe(401);
    expect((none.json() as { error: Json }).error).toMatchObject({
      type: 'authentication_error',
      code: 'unauthorized',
    });
    const wrong = await get('/blue/x', 'pd_test_not-a-key');
    expect(wrong.statusCode).toBe(401);
    const basic = await t.app.inject({
      method: 'GET',
      url: '/blue/x',
      headers: { authorization: `Basic ${Buffer.from(`${merchant.apiKey}:`).toString('base64')}` },
    });
    expect(basic.statusCode).toBe(404);
  });

  it("404 on another account's timeline (as for a missing one), and nothing is appended", async () => {
    const before = (await t.store.timeline(merchant.account.timelineId))?.headSequence;
    const response = await post(
      `/timelines/${merchant.account.timelineId}/entries`,
      JSON.stringify({ message: { type: 'Package Delivered', timestamp: 1 } }),
      stranger.apiKey,
      JSON_BODY,
    );
    expect(response.statusCode).toBe(404);
    expect((response.json() as { error: Json }).error.code).toBe('not_found');
    expect((await t.store.timeline(merchant.account.timelineId))?.headSequence).toBe(before);
    const read = await get(`/timelines/${merchant.account.timelineId}/entries`, stranger.apiKey);
    expect(read.statusCode).toBe(404);
  });

  it("404 for an unknown document, and for another account's document", async () => {
    const unknown = await get('/blue/NoSuchDocument');
    expect(unknown.statusCode).toBe(404);
    expect((unknown.json() as { error: Json }).error.code).toBe('not_found');
    const mine = await post(
      '/blue',
      example('classic-card-payment-request.yaml').replace('amount: 100', 'amount: 103'),
    );
    const id = documentIdOf(mine.json() as Json);
    expect((await get(`/blue/${id}`)).statusCode).toBe(200);
    expect((await get(`/blue/${id}`, stranger.apiKey)).statusCode).toBe(404);
    expect((await get(`/blue/${id}/history`, stranger.apiKey)).statusCode).toBe(404);
    const route = await get('/no/such/route');
    expect(route.statusCode).toBe(404);
    expect((route.json() as { error: Json }).error.code).toBe('route_not_found');
  });
});

describe('POST /timelines/{id}/entries', () => {
  it('rejects an unknown message type, a bad body and a stale sequence, appending nothing', async () => {
    const path = `/timelines/${merchant.account.timelineId}/entries`;
    const before = (await t.store.timeline(merchant.account.timelineId))?.headSequence ?? 0;
    const unknown = await post(
      path,
      JSON.stringify({ message: { type: 'No Such Type' } }),
      merchant.apiKey,
      JSON_BODY,
    );
    expect(unknown.statusCode).toBe(400);
    expect((unknown.json() as { error: Json }).error).toMatchObject({
      code: 'unknown_type',
      param: '/message/type',
    });
    const notMap = await post(path, 'message: 5\n');
    expect(notMap.statusCode).toBe(400);
    expect((notMap.json() as { error: Json }).error.param).toBe('/message');
    const wrongField = await post(
      path,
      JSON.stringify({ message: { type: 'Package Delivered', timestamp: 'soon' } }),
      merchant.apiKey,
      JSON_BODY,
    );
    expect(wrongField.statusCode).toBe(400);
    expect((wrongField.json() as { error: Json }).error.param).toBe('/message/timestamp');
    const stale = await post(
      path,
      JSON.stringify({ message: { note: 'x' }, sequence: before + 5 }),
      merchant.apiKey,
      JSON_BODY,
    );
    expect(stale.statusCode).toBe(409);
    expect((stale.json() as { error: Json }).error.code).toBe('sequence_conflict');
    expect((await t.store.timeline(merchant.account.timelineId))?.headSequence).toBe(before);
  });

  it('stamps and chains entries: sequence, prevEntry, timestamp, actor; readable with ?after=', async () => {
    const path = `/timelines/${merchant.account.timelineId}/entries`;
    const first = await post(
      path,
      JSON.stringify({ message: { note: 'one' } }),
      merchant.apiKey,
      JSON_BODY,
    );
    const second = await post(
      path,
      JSON.stringify({ message: { note: 'two' } }),
      merchant.apiKey,
      JSON_BODY,
    );
    expect(first.statusCode).toBe(201);
    const a = (first.json() as { entry: Json }).entry;
    const b = (second.json() as { entry: Json }).entry;
    expect(b.sequence).toBe(Number(a.sequence) + 1);
    expect(b.prevEntry).toEqual({ blueId: a.blueId });
    expect(typeof b.timestamp).toBe('number');
    expect(b.actor).toEqual({ accountId: merchant.account.id, kind: 'principal' });
    expect(b.source).toBe('apiCall');
    const read = await get(`${path}?after=${String(a.sequence)}`);
    const entries = (read.json() as { entries: Json[] }).entries;
    expect(entries.map((entry) => entry.blueId)).toEqual([b.blueId]);
    const bad = await get(`${path}?after=-1`);
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { error: Json }).error.param).toBe('after');
  });
});

describe('failures of the server itself', () => {
  it('a commit that fails answers in the envelope (500, or 409 for a conflict) and writes nothing', async () => {
    const path = `/timelines/${merchant.account.timelineId}/entries`;
    const before = (await t.store.timeline(merchant.account.timelineId))?.headSequence ?? 0;
    const commit = t.store.commit.bind(t.store);
    const failures = [
      new Error('disk I/O error'),
      new PaydocError('store_conflict', 'timeline moved under this commit'),
    ];
    t.store.commit = () => Promise.reject(failures.shift() ?? new Error('unexpected'));
    try {
      const body = JSON.stringify({ message: { note: 'lost' } });
      const crashed = await post(path, body, merchant.apiKey, JSON_BODY);
      expect(crashed.statusCode).toBe(500);
      expect((crashed.json() as { error: Json }).error).toMatchObject({
        type: 'api_error',
        code: 'internal',
      });
      const conflict = await post(path, body, merchant.apiKey, JSON_BODY);
      expect(conflict.statusCode).toBe(409);
      expect((conflict.json() as { error: Json }).error.code).toBe('store_conflict');
    } finally {
      t.store.commit = commit;
    }
    expect((await t.store.timeline(merchant.account.timelineId))?.headSequence).toBe(before);
    // The next request sees the store as it is, not what failed to commit.
    const next = await post(
      path,
      JSON.stringify({ message: { note: 'kept' } }),
      merchant.apiKey,
      JSON_BODY,
    );
    expect((next.json() as { entry: Json }).entry.sequence).toBe(before + 1);
  });
});

describe('Idempotency-Key', () => {
  const path = () => `/timelines/${merchant.account.timelineId}/entries`;
  const send = (body: string, key: string) =>
    t.app.inject({
      method: 'POST',
      url: path(),
      payload: body,
      headers: { ...bearer(merchant.apiKey), ...JSON_BODY, 'idempotency-key': key },
    });

  it('same key and body: the same response and exactly one effect', async () => {
    const before = (await t.store.timeline(merchant.account.timelineId))?.headSequence ?? 0;
    const body = JSON.stringify({ message: { note: 'once' } });
    const first = await send(body, 'key-once');
    const replay = await send(body, 'key-once');
    expect(first.statusCode).toBe(201);
    expect(replay.statusCode).toBe(201);
    expect(replay.body).toBe(first.body);
    expect((await t.store.timeline(merchant.account.timelineId))?.headSequence).toBe(before + 1);
  });

  it('same key, other body: 400', async () => {
    await send(JSON.stringify({ message: { note: 'a' } }), 'key-other');
    const other = await send(JSON.stringify({ message: { note: 'b' } }), 'key-other');
    expect(other.statusCode).toBe(400);
    expect((other.json() as { error: Json }).error.code).toBe('idempotency_key_reused');
    // Concurrent use (409) needs a request still in flight: see test/http/server.test.ts, over a
    // socket with the supervised sandbox, and test/engine/commit-queue.test.ts.
  });

  it('keys are per account', async () => {
    const body = JSON.stringify({ message: { note: 'mine' } });
    expect((await send(body, 'shared-key')).statusCode).toBe(201);
    const theirs = await t.app.inject({
      method: 'POST',
      url: `/timelines/${stranger.account.timelineId}/entries`,
      payload: body,
      headers: { ...bearer(stranger.apiKey), ...JSON_BODY, 'idempotency-key': 'shared-key' },
    });
    expect(theirs.statusCode).toBe(201);
  });
});

describe('REST API channels', () => {
  async function classic(amount: number): Promise<Json> {
    const response = await post(
      '/blue',
      example('classic-card-payment-request.yaml').replace('amount: 100', `amount: ${amount}`),
    );
    expect(response.statusCode).toBe(201);
    return response.json() as Json;
  }

  it('captures a Classic Card Payment through POST /api/charge/{id}/capture, once', async () => {
    const document = await classic(5000);
    const charge = String(document.paymentProcessorId);
    const capture = await post(
      `/api/charge/${charge}/capture`,
      JSON.stringify({ amount: 3000 }),
      merchant.apiKey,
      JSON_BODY,
    );
    expect(capture.statusCode).toBe(200);
    const body = capture.json() as { document: Json; results: Json[] };
    expect(body.document).toMatchObject({
      status: 'captured',
      captured: true,
      amountCaptured: 3000,
    });
    const again = await post(`/api/charge/${charge}/capture`, '');
    expect(again.statusCode).toBe(422);
    expect((again.json() as { error: Json }).error.code).toBe('capture_not_allowed');
    const tooMuch = await post(`/api/charge/${charge}/refund`, 'amount: 3001\n');
    expect(tooMuch.statusCode).toBe(422);
    expect((tooMuch.json() as { error: Json }).error.code).toBe('amount_too_large');
    const refund = await post(`/api/charge/${charge}/refund`, 'amount: 1000\n');
    expect(refund.statusCode).toBe(200);
    expect((refund.json() as { document: Json }).document.amountRefunded).toBe(1000);
    const state = await get(`/blue/${documentIdOf(document)}`);
    expect(state.json()).toMatchObject({ amountCaptured: 3000, amountRefunded: 1000 });
  });

  it('records a Smart Card Payment call on its proxy timeline before it reaches the document', async () => {
    const response = await post(
      '/blue',
      example('smart-card-payment-request.yaml').replace('amount: 1000', 'amount: 1500'),
    );
    const document = response.json() as Json;
    const capture = await post(`/api/charge/${String(document.paymentProcessorId)}/capture`, '');
    expect(capture.statusCode).toBe(200);
    const body = capture.json() as { entry: Json; document: Json };
    expect(body.document.amountCaptured).toBe(1500);
    const proxy = String(contractsOf(document).paymentProcessorMerchantTimeline?.timelineId);
    expect((body.entry.timeline as Json).timelineId).toBe(proxy);
    const entries = ((await get(`/timelines/${proxy}/entries`)).json() as { entries: Json[] })
      .entries;
    expect(entries.map((entry) => entry.message)).toEqual([
      {
        type: 'Conversation/Operation Request',
        operation: 'capture',
        request: {},
        // The path parameters the route bound.
        params: { chargeId: String(document.paymentProcessorId) },
      },
    ]);
  });

  it('403 for a document without a merchant API channel, 404 for an unknown or foreign charge', async () => {
    const response = await post('/blue', example('btc-key-escrow.yaml'));
    expect(response.statusCode).toBe(201);
    const charge = String((response.json() as Json).paymentProcessorId);
    const noApi = await post(`/api/charge/${charge}/capture`, '');
    expect(noApi.statusCode).toBe(403);
    expect((noApi.json() as { error: Json }).error.code).toBe('no_api_access');
    expect((await post('/api/charge/ch_nope/capture', '')).statusCode).toBe(404);
    const mine = await classic(777);
    const foreign = await post(
      `/api/charge/${String(mine.paymentProcessorId)}/capture`,
      '',
      stranger.apiKey,
    );
    expect(foreign.statusCode).toBe(404);
    expect((await get(`/blue/${documentIdOf(mine)}`)).json()).toMatchObject({
      status: 'authorized',
    });
  });
});

describe('GET /blue/{id}/history', () => {
  it('lists every event with its version, status, patches and emitted events', async () => {
    const document = (
      await post(
        '/blue',
        example('classic-card-payment-request.yaml').replace('amount: 100', 'amount: 250'),
      )
    ).json() as Json;
    await post(`/api/charge/${String(document.paymentProcessorId)}/capture`, '');
    const history = (await get(`/blue/${documentIdOf(document)}/history`)).json() as {
      version: number;
      events: Json[];
    };
    expect(history.events.map((event) => event.version)).toEqual(
      Array.from({ length: history.version }, (_, index) => index + 1),
    );
    expect(history.events.map((event) => event.origin)).toEqual([
      'input',
      'processor',
      'input',
      'processor',
    ]);
    expect((history.events[0]?.event as Json).kind).toBe('initialize');
    expect((history.events[2]?.emitted as Json[])[0]).toMatchObject({
      type: 'Payments/Capture Payment',
    });
    expect((history.events[3]?.patches as Json[]).length).toBeGreaterThan(0);
  });
});

describe('OpenAPI and docs', () => {
  it('serves /openapi.json with the routes and the type library as components', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const spec = response.json() as { paths: Json; components: { schemas: Json } };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/blue',
        '/blue/{id}',
        '/blue/{id}/history',
        '/timelines/{id}/entries',
        '/api/charge/{chargeId}/capture',
      ]),
    );
    expect(spec.components.schemas['Payments.Card_Payment']).toMatchObject({
      title: 'Payments/Card Payment',
    });
  });

  it('serves a docs page rendered from it', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toContain('/timelines/{id}/entries');
    expect(response.body).toContain('Payments.Smart_Card_Payment');
  });
});
