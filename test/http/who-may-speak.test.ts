import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './support/test-app.js';
import { bearer, documentIdOf, JSON_BODY, testApp, timelineOf, YAML } from './support/test-app.js';

/**
 * The attacks of issue 9, each over HTTP: the server decides every binding, only the processor
 * speaks for the processor, a message reaches only the document it was posted for, and what
 * one account may not see reads exactly like what does not exist. Every refusal is checked
 * against the victim's state: document, BlueId and entry counts before and after.
 */

const example = (name: string): string =>
  readFileSync(new URL(`../../documents/examples/${name}`, import.meta.url), 'utf8');

type Json = Record<string, unknown>;
interface Party {
  key: string;
  accountId: string;
  homeTimeline: string;
}

let t: TestApp;
let shop: Party;
let buyer: Party;
let courier: Party;
let alice: Party;
let bob: Party;

async function party(email: string): Promise<Party> {
  const created = await t.account(email);
  return {
    key: created.apiKey,
    accountId: created.account.id,
    homeTimeline: created.account.timelineId,
  };
}

beforeAll(async () => {
  t = await testApp();
  shop = await party('shop@example.com');
  buyer = await party('buyer@example.com');
  courier = await party('dhl-tracking@example.com');
  alice = await party('alice@example.com');
  bob = await party('bob@example.com');
});

afterAll(async () => {
  await t.close();
});

async function postDocument(body: string, who: Party) {
  return t.app.inject({
    method: 'POST',
    url: '/blue',
    payload: body,
    headers: { ...bearer(who.key), ...YAML },
  });
}

async function append(timelineId: string, message: Json, who: Party) {
  return t.app.inject({
    method: 'POST',
    url: `/timelines/${timelineId}/entries`,
    payload: JSON.stringify({ message }),
    headers: { ...bearer(who.key), ...JSON_BODY },
  });
}

async function get(path: string, who: Party) {
  return t.app.inject({ method: 'GET', url: path, headers: bearer(who.key) });
}

/** What a victim can observe of a document and its timelines, to compare before and after. */
async function snapshot(documentId: string, timelines: readonly string[]) {
  const record = await t.store.document(documentId);
  const heads = await Promise.all(
    timelines.map(async (id) => (await t.store.timeline(id))?.headSequence),
  );
  return { state: record?.state, blueId: record?.blueId, version: record?.version, heads };
}

function errorOf(response: { json(): unknown }): Json {
  return (response.json() as { error: Json }).error;
}

const deliveryGuarantee = example('delivery-guarantee.yaml');
/** The delivery guarantee with a distinguishing field, so each test gets its own payment. */
const deliveryFor = (order: string): string =>
  deliveryGuarantee.replace('amount: 1000', `amount: 1000\norderId: ${order}`);

describe('impersonating a participant', () => {
  it("refuses a participant bound to the poster's own timeline (400 binding_forbidden, line:col)", async () => {
    const before = await t.store.timeline(shop.homeTimeline);
    const forged = deliveryFor('forged-1').replace(
      'email: dhl-tracking@example.com',
      `email: dhl-tracking@example.com\n    timelineId: ${shop.homeTimeline}`,
    );
    const response = await postDocument(forged, shop);
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe('binding_forbidden');
    expect(error.param).toBe('/contracts/deliveryTimeline/timelineId');
    // The line of the forged timelineId in the posted YAML (the replacement added it at line 24).
    const line = forged.split('\n').findIndex((text) => text.includes('timelineId:')) + 1;
    expect(error.message).toMatch(new RegExp(`^line ${line}:\\d+: contract deliveryTimeline`));
    expect(await t.store.timeline(shop.homeTimeline)).toEqual(before);
  });

  it("binds the courier to a new timeline of the courier's, so the shop cannot report delivery", async () => {
    const posted = await postDocument(deliveryFor('honest-1'), shop);
    expect(posted.statusCode).toBe(201);
    const document = posted.json() as Json;
    const deliveryTimeline = timelineOf(document, 'deliveryTimeline');
    expect((await t.store.timeline(deliveryTimeline))?.ownerId).toBe(courier.accountId);
    expect(deliveryTimeline).not.toBe(courier.homeTimeline);
    const id = documentIdOf(document);
    const timelines = [deliveryTimeline, timelineOf(document, 'merchant')];
    const before = await snapshot(id, timelines);

    const delivered = { type: 'Package Delivered', timestamp: 1692275400000 };
    // The shop may not write on the courier's timeline: it reads as if it did not exist.
    const intoCourier = await append(deliveryTimeline, delivered, shop);
    expect(intoCourier.statusCode).toBe(404);
    expect(errorOf(intoCourier).code).toBe('not_found');
    // On its own timeline of this payment the shop's "delivery" reaches no delivery workflow.
    const own = await append(timelineOf(document, 'merchant'), delivered, shop);
    expect(own.statusCode).toBe(201);
    const after = await t.store.document(id);
    expect(after?.state.captured).toBe(false);
    expect(after?.state.status).toBe('authorized');
    expect((await snapshot(id, [deliveryTimeline])).heads).toEqual([before.heads[0]]);

    // The courier's own report captures in full.
    const real = await append(deliveryTimeline, delivered, courier);
    expect(real.statusCode).toBe(201);
    expect((await t.store.document(id))?.state.amountCaptured).toBe(1000);
  });
});

describe('forging the processor', () => {
  it('refuses a paymentProcessor redeclared onto a timeline of the poster (400 reserved_channel)', async () => {
    const forged = example('smart-card-payment-request.yaml').replace(
      'contracts:\n',
      `contracts:\n  paymentProcessor:\n    type: Timeline Channel\n    timelineId: ${shop.homeTimeline}\n`,
    );
    const response = await postDocument(forged, shop);
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe('reserved_channel');
    expect(error.param).toBe('/contracts/paymentProcessor/timelineId');
    expect(error.message).toMatch(/^line 14:\d+: /);
  });

  it("refuses a processor channel naming a real account, and Classic's internal channel made a timeline", async () => {
    const named = example('smart-card-payment-request.yaml').replace(
      'contracts:\n',
      `contracts:\n  paymentProcessor:\n    type: MyOS Account\n    email: alice@example.com\n`,
    );
    const response = await postDocument(named, shop);
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).code).toBe('reserved_channel');
    const classic = `${example('classic-card-payment-request.yaml')}contracts:\n  paymentProcessor:\n    type: Timeline Channel\n    timelineId: ${shop.homeTimeline}\n`;
    const refused = await postDocument(classic, shop);
    expect(refused.statusCode).toBe(400);
    expect(errorOf(refused).code).toMatch(/^(reserved_channel|type_conflict|validation_failed)$/);
  });

  it("accepts the seed's response naming (account: stripe-payments) as the processor's", async () => {
    const seed = example('smart-card-payment-request.yaml')
      .replace('amount: 1000', 'amount: 1001')
      .replace(
        'contracts:\n',
        'contracts:\n  paymentProcessor:\n    type: MyOS Account\n    account: stripe-payments\n',
      );
    const response = await postDocument(seed, shop);
    expect(response.statusCode).toBe(201);
    const document = response.json() as Json;
    const timeline = await t.store.timeline(timelineOf(document, 'paymentProcessor'));
    expect(timeline?.ownerId).toBe('acct_processor');
  });

  it("refuses a participant's Payment Captured and Payment Refunded (422 reserved_event_type)", async () => {
    const posted = await postDocument(deliveryFor('forge-answers'), shop);
    const document = posted.json() as Json;
    const id = documentIdOf(document);
    const merchantTimeline = timelineOf(document, 'merchant');
    const before = await snapshot(id, [merchantTimeline, timelineOf(document, 'paymentProcessor')]);
    for (const message of [
      { type: 'Payments/Payment Captured', amountCaptured: 1000, amountReleased: 0 },
      { type: 'Payment Refunded', refund: { type: 'Refund', refundId: 're_1', amount: 1000 } },
      { type: 'Payments/Dispute Opened' },
    ]) {
      const response = await append(merchantTimeline, message, shop);
      expect(response.statusCode, JSON.stringify(message)).toBe(422);
      expect(errorOf(response).code).toBe('reserved_event_type');
    }
    const captured = await append(
      merchantTimeline,
      { type: 'Payments/Payment Captured', amountCaptured: 1000, amountReleased: 0 },
      shop,
    );
    expect(captured.statusCode).toBe(422);
    expect(errorOf(captured).param).toBe('/message/type');
    expect(
      await snapshot(id, [merchantTimeline, timelineOf(document, 'paymentProcessor')]),
    ).toEqual(before);
  });
});

describe("spying on and writing into another account's timelines", () => {
  let aliceDocument: Json;
  let aliceTimeline: string;

  beforeAll(async () => {
    const posted = await postDocument(
      deliveryFor('alice-order').replace('email: buyer@example.com', 'email: alice@example.com'),
      shop,
    );
    aliceDocument = posted.json() as Json;
    aliceTimeline = timelineOf(aliceDocument, 'customer');
    expect((await t.store.timeline(aliceTimeline))?.ownerId).toBe(alice.accountId);
    expect(
      (await append(aliceTimeline, { type: 'Chat Message', message: 'hi' }, alice)).statusCode,
    ).toBe(201);
  });

  const counter = (channel: string): string => `name: Bob's listener
seen: 0
contracts:
  listen:
${channel}
  count:
    type: Sequential Workflow
    channel: listen
    steps:
      - type: Update Document
        changeset:
          - op: replace
            path: /seen
            val: "\${document('/seen') + 1}"
`;

  for (const [what, channel] of [
    ['her email', '    type: MyOS Account\n    email: alice@example.com'],
    ['her account id', () => `    type: MyOS Account\n    account: ${alice.accountId}`],
  ] as const)
    it(`a contract naming ${what} gets a new timeline of hers, bound to Bob's document only`, async () => {
      const aliceBefore = await snapshot(documentIdOf(aliceDocument), [aliceTimeline]);
      const spec = typeof channel === 'function' ? channel() : channel;
      const posted = await postDocument(counter(spec), bob);
      expect(posted.statusCode).toBe(201);
      const spy = posted.json() as Json;
      const bound = timelineOf(spy, 'listen');
      expect(bound).not.toBe(aliceTimeline);
      expect(bound).not.toBe(alice.homeTimeline);
      expect((await t.store.timeline(bound))?.ownerId).toBe(alice.accountId);
      // Alice speaks for her payment: Bob's document hears nothing, Bob cannot read her timeline.
      const said = await append(aliceTimeline, { type: 'Chat Message', message: 'private' }, alice);
      expect(said.statusCode).toBe(201);
      const results = (said.json() as { results: Json[] }).results;
      expect(results.map((result) => result.documentId)).toEqual([documentIdOf(aliceDocument)]);
      expect((await t.store.document(documentIdOf(spy)))?.state.seen).toBe(0);
      const read = await get(`/timelines/${aliceTimeline}/entries`, bob);
      expect(read.statusCode).toBe(404);
      const missing = await get('/timelines/tl_00000000000000000000/entries', bob);
      expect(JSON.stringify(read.json()).replace(aliceTimeline, 'X')).toBe(
        JSON.stringify(missing.json()).replace('tl_00000000000000000000', 'X'),
      );
      const aliceAfter = await snapshot(documentIdOf(aliceDocument), [aliceTimeline]);
      expect(aliceAfter.heads).toEqual([(aliceBefore.heads[0] ?? 0) + 1]);
    });

  it('refuses her raw timelineId (400 binding_forbidden, like a timeline that does not exist)', async () => {
    const before = await snapshot(documentIdOf(aliceDocument), [aliceTimeline]);
    const hers = await postDocument(
      counter(`    type: Timeline Channel\n    timelineId: ${aliceTimeline}`),
      bob,
    );
    const missing = await postDocument(
      counter('    type: Timeline Channel\n    timelineId: tl_00000000000000000000'),
      bob,
    );
    for (const response of [hers, missing]) {
      expect(response.statusCode).toBe(400);
      expect(errorOf(response).code).toBe('binding_forbidden');
      expect(errorOf(response).param).toBe('/contracts/listen/timelineId');
    }
    expect(String(errorOf(hers).message).replace(aliceTimeline, 'X')).toBe(
      String(errorOf(missing).message).replace('tl_00000000000000000000', 'X'),
    );
    expect(await snapshot(documentIdOf(aliceDocument), [aliceTimeline])).toEqual(before);
  });

  it('refuses a paymentProcessor naming her timeline: the processor never writes there', async () => {
    const before = await snapshot(documentIdOf(aliceDocument), [aliceTimeline]);
    const response = await postDocument(
      example('smart-card-payment-request.yaml').replace(
        'contracts:\n',
        `contracts:\n  paymentProcessor:\n    type: Timeline Channel\n    timelineId: ${aliceTimeline}\n`,
      ),
      bob,
    );
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).code).toBe('reserved_channel');
    expect(await snapshot(documentIdOf(aliceDocument), [aliceTimeline])).toEqual(before);
  });

  it('a poster may share a timeline it owns across its own documents, on purpose', async () => {
    const first = await postDocument(counter('    type: Timeline Channel'), bob);
    const shared = timelineOf(first.json() as Json, 'listen');
    expect((await t.store.timeline(shared))?.ownerId).toBe(bob.accountId);
    const second = await postDocument(
      counter(`    type: Timeline Channel\n    timelineId: ${shared}`).replace(
        'seen: 0',
        'seen: 10',
      ),
      bob,
    );
    expect(second.statusCode).toBe(201);
    const said = await append(shared, { type: 'Chat Message', message: 'to both' }, bob);
    const reached = (said.json() as { results: Json[] }).results.map((result) => result.documentId);
    expect(reached.sort()).toEqual(
      [documentIdOf(first.json() as Json), documentIdOf(second.json() as Json)].sort(),
    );
  });
});

describe('cross-talk', () => {
  it('two payments between the same buyer and shop never see each other’s messages', async () => {
    const escrow = (order: string): string => `type: Smart Card Payment no API Access
amount: 2500
currency: USD
token: tok_visa
orderId: ${order}
contracts:
  merchant:
    type: MyOS Account
    email: shop@example.com
  customer:
    type: MyOS Account
    email: buyer@example.com
  release:
    type: Sequential Workflow
    channel: customerTimeline
    event:
      type: Chat Message
      message: Receipt Confirmed
    steps:
      - type: Trigger Event
        event:
          type: Capture Payment
`;
    const one = (await postDocument(escrow('A-1'), shop)).json() as Json;
    const two = (await postDocument(escrow('A-2'), shop)).json() as Json;
    expect(timelineOf(one, 'customer')).not.toBe(timelineOf(two, 'customer'));
    const before = await snapshot(documentIdOf(two), [timelineOf(two, 'customer')]);
    const confirmed = await append(
      timelineOf(one, 'customer'),
      { type: 'Chat Message', message: 'Receipt Confirmed' },
      buyer,
    );
    expect(confirmed.statusCode).toBe(201);
    const results = (confirmed.json() as { results: Json[] }).results;
    expect(results.map((result) => result.documentId)).toEqual([documentIdOf(one)]);
    expect((await t.store.document(documentIdOf(one)))?.state.status).toBe('captured');
    expect(await snapshot(documentIdOf(two), [timelineOf(two, 'customer')])).toEqual(before);
  });
});

describe('an operation through the wrong channel', () => {
  it("a customer's Operation Request does not reach an operation bound to the merchant's API", async () => {
    const document = `type: Smart Card Payment
amount: 700
currency: USD
token: tok_visa
contracts:
  merchant:
    type: MyOS Account
    email: shop@example.com
  customer:
    type: MyOS Account
    email: buyer@example.com
  captureByCustomer:
    type: Sequential Workflow Operation
    operation: capture
    channel: customerTimeline
    steps:
      - type: Trigger Event
        event:
          type: Capture Payment
`;
    const posted = await postDocument(document, shop);
    expect(posted.statusCode).toBe(201);
    const payment = posted.json() as Json;
    const customer = timelineOf(payment, 'customer');
    const response = await append(
      customer,
      { type: 'Conversation/Operation Request', operation: 'capture', request: {} },
      buyer,
    );
    expect(response.statusCode).toBe(201);
    const state = (await t.store.document(documentIdOf(payment)))?.state;
    expect(state?.status).toBe('authorized');
    expect(state?.captured).not.toBe(true);
    // Through its own channel (the merchant's REST API) the operation still works.
    const capture = await t.app.inject({
      method: 'POST',
      url: `/api/charge/${String(state?.paymentProcessorId)}/capture`,
      payload: '{}',
      headers: { ...bearer(shop.key), ...JSON_BODY },
    });
    expect(capture.statusCode).toBe(200);
  });
});

describe('what may not be seen reads like what does not exist', () => {
  it('answers 404 with the same body for a foreign timeline, on GET and POST', async () => {
    const foreignGet = await get(`/timelines/${alice.homeTimeline}/entries`, bob);
    const missingGet = await get('/timelines/tl_nope/entries', bob);
    expect(foreignGet.statusCode).toBe(404);
    expect(missingGet.statusCode).toBe(404);
    const shape = (response: { json(): unknown }, id: string) =>
      JSON.stringify(response.json()).replace(id, 'X');
    expect(shape(foreignGet, alice.homeTimeline)).toBe(shape(missingGet, 'tl_nope'));
    const foreignPost = await append(
      alice.homeTimeline,
      { type: 'Chat Message', message: 'x' },
      bob,
    );
    const missingPost = await append('tl_nope', { type: 'Chat Message', message: 'x' }, bob);
    expect(foreignPost.statusCode).toBe(404);
    expect(shape(foreignPost, alice.homeTimeline)).toBe(shape(missingPost, 'tl_nope'));
    expect((await t.store.timeline(alice.homeTimeline))?.headSequence).toBe(0);
  });
});

describe('the BTC key escrow, with the new bindings', () => {
  const escrow = readFileSync(
    new URL('../../documents/scenarios/btc-key-valid/document.yaml', import.meta.url),
    'utf8',
  );
  const provide = {
    type: 'Provide BTC Key',
    privateKey: 'KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn',
  };

  it("only the merchant's own timeline for the payment releases it; the customer's key does nothing", async () => {
    const merchant = await party('merchant@example.com');
    const customer = await party('customer@example.com');
    const posted = await postDocument(escrow, merchant);
    expect(posted.statusCode).toBe(201);
    const document = posted.json() as Json;
    const id = documentIdOf(document);
    expect(timelineOf(document, 'merchantTimeline')).toBe(timelineOf(document, 'merchant'));
    const fromCustomer = await append(timelineOf(document, 'customer'), provide, customer);
    expect(fromCustomer.statusCode).toBe(201);
    expect((await t.store.document(id))?.state.captured).toBe(false);
    const fromMerchant = await append(timelineOf(document, 'merchantTimeline'), provide, merchant);
    expect(fromMerchant.statusCode).toBe(201);
    const state = (await t.store.document(id))?.state;
    expect(state).toMatchObject({ captured: true, status: 'captured', amountCaptured: 5000 });
  });
});
