import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAccount } from '../../src/engine/accounts.js';
import { parseEvents, runOffline } from '../../src/engine/offline-run.js';
import type { JsonObject, JsonValue } from '../../src/model/json.js';
import { loadYaml } from '../../src/model/load-yaml.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import { loadOwnTypes } from '../../src/types/load-library.js';
import { DocumentValidator } from '../../src/validation/document-validator.js';
import type { TestApp } from './support/test-app.js';
import { bearer, documentIdOf, testApp, timelineOf, YAML } from './support/test-app.js';

// The marketplace escrow of docs/writing-a-contract.md: its own type Item Shipped, posted to the
// seller's account, and the same document and messages run offline with `--types`.
const folder = join(import.meta.dirname, '../../docs/marketplace-escrow');
const typeText = readFileSync(join(folder, 'types/item-shipped.yaml'), 'utf8');
const escrowText = readFileSync(join(folder, 'escrow.yaml'), 'utf8');

let t: TestApp;
let seller: NewAccount;
let buyer: NewAccount;
let other: NewAccount;

beforeAll(async () => {
  t = await testApp({ clock: () => 1_767_225_600_000 });
  seller = await t.account('seller@example.com');
  buyer = await t.account('buyer@example.com');
  other = await t.account('other@example.com');
});
afterAll(() => t.close());

function post(path: string, body: string, key: string) {
  return t.app.inject({
    method: 'POST',
    url: path,
    payload: body,
    headers: { ...bearer(key), ...YAML },
  });
}
function get(path: string, key: string) {
  return t.app.inject({ method: 'GET', url: path, headers: bearer(key) });
}
function append(timelineId: string, message: JsonObject, key: string) {
  return t.app.inject({
    method: 'POST',
    url: `/timelines/${timelineId}/entries`,
    payload: { message },
    headers: bearer(key),
  });
}

const shipped = { type: 'Item Shipped', carrier: 'DHL', trackingNumber: 'JD014600006281' };
const confirm = { type: 'Operation Request', operation: 'confirmReceipt', request: {} };

describe('own types over HTTP', () => {
  let typeId: string;

  it('POST /types adds a type once; the same type again is the same; its name is then taken', async () => {
    const created = await post('/types', typeText, seller.apiKey);
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ name: 'Item Shipped', qualifiedName: 'Own/Item Shipped' });
    typeId = body.blueId;
    // The BlueId is the one `paydoc … --types` computes for the same file.
    const offline = loadOwnTypes(join(folder, 'types'));
    expect(offline.lookup('Item Shipped')?.id).toBe(typeId);

    const again = await post('/types', typeText, seller.apiKey);
    expect(again.statusCode).toBe(200);
    expect(again.json().blueId).toBe(typeId);

    const changed = await post('/types', `${typeText}weight:\n  type: Integer\n`, seller.apiKey);
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error.code).toBe('type_exists');
    expect(changed.json().error.message).toContain(typeId);
  });

  it('refuses a type that takes a library name, has an unknown parent or is not YAML, with line:col', async () => {
    const library = await post('/types', 'name: Card Payment\nx: 1\n', seller.apiKey);
    expect(library.statusCode).toBe(400);
    expect(library.json().error).toMatchObject({ code: 'type_conflict', param: '/name' });
    expect(library.json().error.message).toMatch(/^line 1:1: /);

    const parent = await post('/types', 'name: Parcel Lost\ntype: Parcel Event\n', seller.apiKey);
    expect(parent.statusCode).toBe(400);
    expect(parent.json().error.code).toBe('unknown_type');

    const broken = await post('/types', 'name: X\n  bad: [\n', seller.apiKey);
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('yaml_syntax');
    expect((await get('/types', seller.apiKey)).json().types).toHaveLength(1);
  });

  it('refuses constraints JSON Schema cannot hold, so no stored type can break the account', async () => {
    for (const schema of ['enum: []', 'maxLength: a', 'enum: [1, 1]', 'required: yes please']) {
      const bad = await post(
        '/types',
        `name: Broken\nx:\n  type: Text\n  schema:\n    ${schema}\n`,
        buyer.apiKey,
      );
      expect(bad.statusCode, schema).toBe(400);
      expect(bad.json().error.code, schema).toBe('invalid_node');
      expect(bad.json().error.message, schema).toMatch(/^line 5:5: /);
    }
    expect((await get('/types', buyer.apiKey)).json().types).toEqual([]);
  });

  it('rebuilds types in the order added: a type may name an earlier one by BlueId', async () => {
    // Same millisecond (the test clock is fixed), names in the other order: position decides.
    const zed = await post('/types', 'name: Zed\namount:\n  type: Integer\n', buyer.apiKey);
    expect(zed.statusCode).toBe(201);
    const abc = await post(
      '/types',
      `name: Abc\ntype:\n  blueId: ${zed.json().blueId}\n`,
      buyer.apiKey,
    );
    expect(abc.statusCode, abc.body).toBe(201);
    // The account's space is built again from the store (as another server would) and works.
    t.engine.spaces.remember(buyer.account.id, t.engine.spaces.library);
    const space = await t.engine.spaces.of(buyer.account.id);
    expect(space.registry.lookup('Abc')?.id).toBe(abc.json().blueId);
    const posted = await post('/blue', 'type: Abc\namount: 5\n', buyer.apiKey);
    expect(posted.statusCode, posted.body).toBe(201);
    // A problem of the new type is placed in its text; one named in another type is not.
    const wrong = await post('/types', 'name: Late\nx:\n  type: Nope\n', buyer.apiKey);
    expect(wrong.json().error.message).toMatch(/^line 3:3: /);
  });

  it("lists an account's types to it alone", async () => {
    const mine = await get('/types', seller.apiKey);
    expect(mine.json().types).toEqual([
      expect.objectContaining({ name: 'Item Shipped', blueId: typeId }),
    ]);
    expect((await get('/types', other.apiKey)).json()).toEqual({ types: [] });
    const byName = await get('/types/Item%20Shipped', seller.apiKey);
    expect(byName.statusCode).toBe(200);
    expect(byName.json().definition.trackingNumber.type).toBe('Text');
    expect((await get(`/types/${typeId}`, seller.apiKey)).json().name).toBe('Item Shipped');
    expect((await get('/types/Item%20Shipped', other.apiKey)).statusCode).toBe(404);
  });

  it('drives the escrow with its own type, exactly as paydoc run --types does', async () => {
    const posted = await post('/blue', escrowText, seller.apiKey);
    expect(posted.statusCode).toBe(201);
    const document = posted.json();
    expect(document.status).toBe('authorized');
    const id = documentIdOf(document);

    // Another account's name means nothing here: only the seller has Item Shipped.
    const foreign = await append(timelineOf(document, 'buyer'), shipped, buyer.apiKey);
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error.code).toBe('unknown_type');

    const ship = await append(timelineOf(document, 'seller'), shipped, seller.apiKey);
    expect(ship.statusCode).toBe(201);
    // Recorded by BlueId: the name is the seller's, the documents reading it may be anyone's.
    expect(ship.json().entry.message.type).toEqual({ blueId: typeId });
    expect(ship.json().results[0].status).toEqual({ kind: 'ok' });

    const receipt = await append(timelineOf(document, 'buyer'), confirm, buyer.apiKey);
    expect(receipt.statusCode).toBe(201);
    const state = (await get(`/blue/${id}`, seller.apiKey)).json();
    expect(state).toMatchObject({
      status: 'captured',
      shipped: true,
      trackingNumber: 'JD014600006281',
      amountCaptured: 4999,
    });

    // Offline, with the same types folder and the same messages.
    const registry = loadOwnTypes(join(folder, 'types'));
    const loaded = loadYaml(escrowText);
    if (!loaded.ok) throw new Error('escrow.yaml does not load');
    const events = parseEvents(
      [
        { created: 1_767_225_600_000 },
        entry('seller@example.com', 1_767_312_000_000, shipped),
        entry('buyer@example.com', 1_767_571_200_000, confirm),
      ],
      registry,
    );
    if (!events.ok) throw new Error(JSON.stringify(events.problems));
    const sandbox = new IsolateHost();
    try {
      const run = await runOffline(loaded.value as JsonObject, events.events, {
        registry,
        sandbox,
        validator: new DocumentValidator(registry),
      });
      const inputs = run.steps.filter((step) => step.origin === 'input');
      expect(inputs.map((step) => step.result.status)).toEqual([{ kind: 'ok' }, { kind: 'ok' }]);
      const timeline = run.steps.find((step) => step.label.startsWith('timeline seller'));
      expect(timeline?.result.status).toEqual({ kind: 'ok' });
      for (const key of ['status', 'shipped', 'trackingNumber', 'amountCaptured'])
        expect(run.document[key], key).toEqual(state[key]);
    } finally {
      await sandbox.close();
    }
  });

  it('refuses an own type that extends a processor answer, as the answer itself is refused', async () => {
    const fake = await post(
      '/types',
      'name: Fake Capture\ntype: Payments/Payment Captured\n',
      other.apiKey,
    );
    expect(fake.statusCode, fake.body).toBe(201);
    const said = await append(
      other.account.timelineId,
      { type: 'Fake Capture', amountCaptured: 1, amountReleased: 0 },
      other.apiKey,
    );
    expect(said.statusCode, said.body).toBe(422);
    expect(said.json().error.code).toBe('reserved_event_type');
  });

  it("lets a participant name the owner's type by BlueId on a timeline of the owner's document", async () => {
    const posted = await post('/blue', escrowText.replace('1042', '1043'), seller.apiKey);
    const document = posted.json();
    // The buyer has no type of that name, but the document listening to its timeline does.
    const byId = await append(
      timelineOf(document, 'buyer'),
      { ...shipped, type: { blueId: typeId } },
      buyer.apiKey,
    );
    expect(byId.statusCode).toBe(201);
    // ... and it is checked as that type: a missing required field is refused.
    const incomplete = await append(
      timelineOf(document, 'buyer'),
      { type: { blueId: typeId }, carrier: 'DHL' },
      buyer.apiKey,
    );
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().error).toMatchObject({ code: 'validation_failed', param: '/message' });
    expect(incomplete.json().error.message).toContain('trackingNumber');
    // A timeline no document of the seller listens to knows nothing of it.
    const own = await append(
      buyer.account.timelineId,
      { ...shipped, type: { blueId: typeId } },
      buyer.apiKey,
    );
    expect(own.statusCode).toBe(400);
    expect(own.json().error.code).toBe('unknown_type');
  });
});

function entry(timelineId: string, timestamp: number, message: JsonObject): JsonValue {
  return { type: 'Timeline Entry', timeline: { timelineId }, timestamp, message };
}
