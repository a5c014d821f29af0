import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PaydocError } from '../../src/errors/paydoc-error.js';
import type { JsonObject } from '../../src/model/json.js';
import type { Store } from '../../src/store/store.js';
import { emptyBatch } from '../../src/store/store-records.js';
import type {
  AccountRecord,
  ApiKeyInfo,
  ApiKeyRecord,
  CosignatureRecord,
  DeliveryAttemptRecord,
  DeliveryRecord,
  DocumentRecord,
  EntryRecord,
  EventRecord,
  IdempotencyRecord,
  ParticipantKeyRecord,
  ResultRecord,
  StoredEvent,
  TimelineRecord,
  WebhookEndpointRecord,
  WriteBatch,
} from '../../src/store/store-records.js';

/** What an adapter's test file hands the contract for every test: a fresh, unmigrated store. */
export interface OpenedStore {
  store: Store;
  /**
   * Opens another Store on the same data. The suite closes the first one before, except to
   * have two stores on one database at once (two servers), which it does with a durable store
   * only. Omit it for a store whose data does not outlive close(), such as SQLite `:memory:`.
   */
  reopen?: () => Promise<Store>;
  /** Runs after every store of the test is closed (e.g. removes a temporary file). */
  cleanup?: () => Promise<void>;
}

const T0 = 1_700_000_000_000;

// ---------------------------------------------------------------------------------------------
// Record factories
// ---------------------------------------------------------------------------------------------

function batchOf(parts: Partial<WriteBatch>): WriteBatch {
  return { ...emptyBatch(), ...parts };
}

function account(name: string, overrides: Partial<AccountRecord> = {}): AccountRecord {
  return {
    id: `acct_${name}`,
    email: `${name}@example.com`,
    timelineId: `tl_${name}`,
    createdAt: T0,
    ...overrides,
  };
}

function apiKey(
  hash: string,
  accountId: string,
  overrides: Partial<ApiKeyRecord> = {},
): ApiKeyRecord & ApiKeyInfo {
  return {
    id: `key_${hash}`,
    keyHash: hash,
    accountId,
    hint: hash.slice(-4),
    createdAt: T0 + 1,
    revokedAt: null,
    ...overrides,
  } as ApiKeyRecord & ApiKeyInfo;
}

/** What the store reads back of a key: everything but its hash. */
function keyInfo(key: ApiKeyRecord & ApiKeyInfo, revokedAt: number | null = null): ApiKeyInfo {
  return {
    id: key.id,
    accountId: key.accountId,
    hint: key.hint,
    createdAt: key.createdAt,
    revokedAt,
  };
}

function timeline(id: string, ownerId: string, overrides: Partial<TimelineRecord> = {}) {
  const record: TimelineRecord = {
    id,
    ownerId,
    headSequence: 0,
    headBlueId: null,
    createdAt: T0 + 2,
    ...overrides,
  };
  return record;
}

function entry(timelineId: string, sequence: number, overrides: Partial<EntryRecord> = {}) {
  const record: EntryRecord = {
    timelineId,
    sequence,
    blueId: `${timelineId}_e${sequence}`,
    entry: {
      type: 'Timeline Entry',
      timeline: { timelineId },
      message: { type: 'Operation Request', operation: 'pay', request: { amount: sequence } },
      timestamp: T0 + sequence,
    },
    ...overrides,
  };
  return record;
}

function doc(id: string, ownerId: string, overrides: Partial<DocumentRecord> = {}) {
  const record: DocumentRecord = {
    id,
    ownerId,
    typeName: 'Payment',
    genesis: { name: `genesis of ${id}`, contracts: { owner: { type: 'Timeline Channel' } } },
    state: { name: `state of ${id}`, amount: { value: 100, currency: 'USD' }, tags: ['a', 'b'] },
    blueId: `${id}_blue_v1`,
    version: 1,
    book: { payments: [], balance: 0 },
    nextTimerAt: null,
    createdAt: T0 + 3,
    updatedAt: T0 + 3,
    ...overrides,
  };
  return record;
}

function result(documentId: string, version: number, overrides: Partial<ResultRecord> = {}) {
  const record: ResultRecord = {
    documentId,
    version,
    event: { type: 'Operation Request', operation: 'step', request: { n: version } },
    origin: 'input',
    entryBlueId: null,
    status: { outcome: 'ok', gasUsed: 10 * version },
    patches: [{ op: 'replace', path: '/counter', val: version }],
    emitted: [{ type: 'Event', n: version }],
    blueId: `${documentId}_blue_v${version}`,
    at: T0 + 100 + version,
    ...overrides,
  };
  return record;
}

function idempotencyKey(
  accountId: string,
  key: string,
  overrides: Partial<IdempotencyRecord> = {},
) {
  const record: IdempotencyRecord = {
    accountId,
    key,
    requestHash: `hash of ${accountId} ${key}`,
    statusCode: 201,
    response: { id: 'ch_1', object: 'charge', amount: 500, metadata: {} },
    createdAt: T0 + 4,
    ...overrides,
  };
  return record;
}

function participantKey(
  name: string,
  accountId: string,
  overrides: Partial<ParticipantKeyRecord> = {},
): ParticipantKeyRecord {
  return {
    keyId: `ed25519:${name}`,
    accountId,
    publicKey: `pub_${name}=`,
    createdAt: T0 + 6,
    ...overrides,
  };
}

function cosignature(
  timelineId: string,
  size: number,
  key: ParticipantKeyRecord,
  overrides: Partial<CosignatureRecord> = {},
): CosignatureRecord {
  return {
    timelineId,
    size,
    keyId: key.keyId,
    accountId: key.accountId,
    rootHash: `root_${timelineId}_${size}=`,
    signature: `sig_${key.keyId}_${size}=`,
    createdAt: T0 + 7,
    ...overrides,
  };
}

function webhookEvent(
  name: string,
  accountId: string,
  overrides: Partial<EventRecord> = {},
): EventRecord {
  return {
    id: `evt_${name}`,
    accountId,
    type: 'payment.captured',
    documentId: null,
    createdAt: T0 + 10,
    data: { object: 'charge', id: `ch_${name}`, amount: 500 },
    ...overrides,
  };
}

function endpoint(
  name: string,
  accountId: string,
  overrides: Partial<WebhookEndpointRecord> = {},
): WebhookEndpointRecord {
  return {
    id: `we_${name}`,
    accountId,
    url: `https://hooks.example.com/${name}?a=1&b=2`,
    events: null,
    description: null,
    secret: `whsec_${name}`,
    previousSecret: null,
    previousSecretUntil: null,
    status: 'enabled',
    createdAt: T0 + 11,
    failingSince: null,
    disabledAt: null,
    ...overrides,
  };
}

function delivery(
  name: string,
  event: EventRecord,
  to: WebhookEndpointRecord,
  overrides: Partial<DeliveryRecord> = {},
): DeliveryRecord {
  return {
    id: `dlv_${name}`,
    eventId: event.id,
    endpointId: to.id,
    accountId: event.accountId,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: T0 + 20,
    leaseUntil: null,
    createdAt: T0 + 12,
    deliveredAt: null,
    ...overrides,
  };
}

function deliveryAttempt(
  deliveryId: string,
  attempt: number,
  overrides: Partial<DeliveryAttemptRecord> = {},
): DeliveryAttemptRecord {
  return {
    deliveryId,
    attempt,
    at: T0 + 20 + attempt,
    statusCode: 500,
    latencyMs: 120,
    error: null,
    nextAttemptAt: T0 + 1000 * attempt,
    ...overrides,
  };
}

/** The update that makes `record` what it is (its state, attempts, times and lease). */
function deliveryUpdate(record: DeliveryRecord): WriteBatch['deliveryUpdates'][number] {
  const { id, state, attempts, nextAttemptAt, leaseUntil, deliveredAt } = record;
  return { id, state, attempts, nextAttemptAt, leaseUntil, deliveredAt };
}

/** Events as written, without the seq the store gave them. */
function withoutSeq(events: StoredEvent[]): EventRecord[] {
  return events.map(({ seq: _seq, ...rest }) => rest);
}

/** An account with its own timeline: what `accounts create` commits. */
function accountRows(name: string): WriteBatch {
  const acct = account(name);
  return batchOf({ accounts: [acct], timelines: [timeline(acct.timelineId, acct.id)] });
}

function merge(...parts: Partial<WriteBatch>[]): WriteBatch {
  const batch = emptyBatch();
  for (const part of parts)
    for (const [name, rows] of Object.entries(part) as [keyof WriteBatch, unknown[]][])
      (batch[name] as unknown[]).push(...rows);
  return batch;
}

/** JSON that is easy to get wrong: nesting, unicode, escapes, nulls, empties, edge numbers. */
const TRICKY: JsonObject = {
  nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]]] } },
  unicode: 'zażółć gęślą jaźń — 日本語 — 🚀',
  escapes: 'quote " backslash \\ newline \n tab \t',
  nothing: null,
  yes: true,
  no: false,
  emptyObject: {},
  emptyArray: [],
  negative: -42,
  fraction: 0.125,
  maxSafe: Number.MAX_SAFE_INTEGER,
  zero: 0,
  emptyString: '',
  numericString: '007',
};

/** One of every kind of row, with nulls and numbers on both sides of every nullable field. */
function everyKind() {
  const alice = account('alice');
  const bob = account('bob');
  const aliceTimeline = timeline(alice.timelineId, alice.id, {
    headSequence: 2,
    headBlueId: 'tl_alice_e2',
  });
  const bobTimeline = timeline(bob.timelineId, bob.id);
  const entries = [
    entry(alice.timelineId, 1, { entry: { ...entry(alice.timelineId, 1).entry, extra: TRICKY } }),
    entry(alice.timelineId, 2),
  ];
  const invoice = doc('doc_invoice', alice.id, {
    typeName: 'Invoice',
    genesis: { invoice: TRICKY },
    state: {
      invoice: TRICKY,
      lines: [
        { sku: 'x', qty: 2 },
        { sku: 'y', qty: 1 },
      ],
    },
    book: { charges: [{ id: 'ch_1', amount: 500, captured: false, refunds: [] }] },
    nextTimerAt: T0 + 60_000,
    version: 3,
  });
  const untyped = doc('doc_untyped', bob.id, { typeName: null, nextTimerAt: null });
  const results = [
    result(invoice.id, 1, { entryBlueId: 'tl_alice_e1', event: { payload: TRICKY } }),
    result(invoice.id, 2, { origin: 'processor', entryBlueId: null, patches: [], emitted: [] }),
    result(invoice.id, 3, { patches: [null, 'text', 7, [TRICKY]], status: { nested: TRICKY } }),
    result(untyped.id, 1),
  ];
  const keys = [
    idempotencyKey(alice.id, 'key-object'),
    idempotencyKey(bob.id, 'key-array', { response: [1, 'two', null, { three: 3 }] }),
    idempotencyKey(bob.id, 'key-string', { response: 'plain string', statusCode: 409 }),
  ];
  const participantKeys = [
    participantKey('alice_1', alice.id),
    participantKey('bob_1', bob.id),
    participantKey('alice_0', alice.id, { createdAt: T0 }),
  ];
  const cosignatures = [
    cosignature(aliceTimeline.id, 2, participantKeys[1]!),
    cosignature(aliceTimeline.id, 2, participantKeys[0]!, { createdAt: T0 + 8 }),
    cosignature(aliceTimeline.id, 1, participantKeys[2]!),
  ];
  const events = [
    webhookEvent('1', alice.id, {
      type: 'document.created',
      documentId: invoice.id,
      data: { object: 'document', extra: TRICKY },
    }),
    webhookEvent('2', bob.id, { documentId: untyped.id }),
    webhookEvent('3', alice.id, { type: 'invoice.paid', createdAt: T0 + 13 }),
  ];
  const endpoints = [
    endpoint('alice_all', alice.id),
    endpoint('alice_some', alice.id, {
      events: ['invoice.paid', 'payment.captured'],
      description: 'Zażółć — "orders" \\ 🚀',
      previousSecret: 'whsec_old',
      previousSecretUntil: T0 + 86_400_000,
      createdAt: T0 + 10,
      failingSince: T0 + 30,
    }),
    endpoint('bob_off', bob.id, {
      events: [],
      status: 'disabled',
      failingSince: T0 + 20,
      disabledAt: T0 + 40,
    }),
    endpoint('alice_gone', alice.id, { status: 'deleted' }),
  ];
  const [event1, event2] = events as [EventRecord, EventRecord];
  const [allOfAlice, someOfAlice, bobOff] = endpoints as [
    WebhookEndpointRecord,
    WebhookEndpointRecord,
    WebhookEndpointRecord,
  ];
  // The third delivery is written pending and leased, then updated in the same batch.
  const failed = delivery('3', event2, bobOff, {
    state: 'failed',
    attempts: 2,
    nextAttemptAt: null,
  });
  const deliveries = [
    delivery('1', event1, allOfAlice),
    delivery('2', event1, someOfAlice, {
      state: 'delivered',
      attempts: 1,
      nextAttemptAt: null,
      deliveredAt: T0 + 21,
    }),
    failed,
  ];
  const attempts = [
    deliveryAttempt('dlv_2', 1, { statusCode: 200, latencyMs: 12.5, nextAttemptAt: null }),
    deliveryAttempt('dlv_3', 2, {
      statusCode: null,
      error: 'connect ECONNREFUSED',
      nextAttemptAt: null,
    }),
    deliveryAttempt('dlv_3', 1, { statusCode: 503, latencyMs: 0 }),
  ];
  const batch = batchOf({
    accounts: [alice, bob],
    apiKeys: [
      apiKey('sha_alice_1', alice.id),
      apiKey('sha_alice_2', alice.id, { createdAt: T0 + 2 }),
      apiKey('sha_alice_old', alice.id, { createdAt: T0 }),
      apiKey('sha_bob', bob.id, { hint: null }),
    ],
    keyRevocations: [{ id: 'key_sha_alice_old', accountId: alice.id, revokedAt: T0 + 9 }],
    timelines: [aliceTimeline, bobTimeline],
    entries,
    documents: [
      { record: invoice, expectedVersion: 0 },
      { record: untyped, expectedVersion: 0 },
    ],
    participants: [
      { documentId: invoice.id, accountId: alice.id },
      { documentId: invoice.id, accountId: bob.id },
      { documentId: untyped.id, accountId: bob.id },
    ],
    subscriptions: [
      { documentId: invoice.id, timelineId: alice.timelineId },
      { documentId: untyped.id, timelineId: alice.timelineId },
      { documentId: untyped.id, timelineId: bob.timelineId },
    ],
    refs: [
      { ref: 'ch_1', documentId: invoice.id },
      { ref: 'inv_1', documentId: invoice.id },
      { ref: 'ch_2', documentId: untyped.id },
    ],
    results,
    idempotency: keys,
    participantKeys,
    cosignatures,
    events,
    webhookEndpoints: endpoints,
    deliveries: [
      ...deliveries.slice(0, 2),
      { ...failed, state: 'pending', attempts: 1, nextAttemptAt: T0 + 22, leaseUntil: T0 + 25 },
    ],
    deliveryUpdates: [deliveryUpdate(failed)],
    deliveryAttempts: attempts,
  });
  return {
    alice,
    bob,
    aliceTimeline,
    bobTimeline,
    entries,
    invoice,
    untyped,
    results,
    keys,
    participantKeys,
    cosignatures,
    events,
    endpoints,
    deliveries,
    attempts,
    batch,
  };
}

/** Asserts that every read method returns what {@link everyKind} wrote. */
async function expectEveryKind(store: Store, rows: ReturnType<typeof everyKind>): Promise<void> {
  const { alice, bob, aliceTimeline, bobTimeline, invoice, untyped } = rows;
  expect(await store.countAccounts()).toBe(2);
  expect(await store.accountById(alice.id)).toStrictEqual(alice);
  expect(await store.accountById(bob.id)).toStrictEqual(bob);
  expect(await store.accountByEmail(bob.email)).toStrictEqual(bob);
  expect(await store.accountByKeyHash('sha_alice_1')).toStrictEqual(alice);
  expect(await store.accountByKeyHash('sha_alice_2')).toStrictEqual(alice);
  expect(await store.accountByKeyHash('sha_bob')).toStrictEqual(bob);
  expect(await store.accountByKeyHash('sha_alice_old')).toBeUndefined();
  expect(await store.accounts(undefined, 10)).toStrictEqual([alice, bob]);
  expect(await store.apiKeys(alice.id)).toStrictEqual([
    keyInfo(apiKey('sha_alice_old', alice.id, { createdAt: T0 }), T0 + 9),
    keyInfo(apiKey('sha_alice_1', alice.id)),
    keyInfo(apiKey('sha_alice_2', alice.id, { createdAt: T0 + 2 })),
  ]);
  expect(await store.apiKeys(bob.id)).toStrictEqual([
    keyInfo(apiKey('sha_bob', bob.id, { hint: null })),
  ]);
  expect(await store.timelinesOf(alice.id)).toStrictEqual([
    { ...aliceTimeline, documentIds: [invoice.id, untyped.id] },
  ]);
  expect(await store.timelinesOf(bob.id)).toStrictEqual([
    { ...bobTimeline, documentIds: [untyped.id] },
  ]);

  expect(await store.timeline(aliceTimeline.id)).toStrictEqual(aliceTimeline);
  expect(await store.timeline(bobTimeline.id)).toStrictEqual(bobTimeline);
  expect(await store.entries(aliceTimeline.id, 0, 100)).toStrictEqual(rows.entries);
  expect(await store.entries(bobTimeline.id, 0, 100)).toStrictEqual([]);

  expect(await store.document(invoice.id)).toStrictEqual(invoice);
  expect(await store.document(untyped.id)).toStrictEqual(untyped);
  expect(await store.documentIdByRef('ch_1')).toBe(invoice.id);
  expect(await store.documentIdByRef('inv_1')).toBe(invoice.id);
  expect(await store.documentIdByRef('ch_2')).toBe(untyped.id);
  expect(await store.documentsOnTimeline(aliceTimeline.id)).toStrictEqual([invoice.id, untyped.id]);
  expect(await store.documentsOnTimeline(bobTimeline.id)).toStrictEqual([untyped.id]);
  expect(await store.isParticipant(invoice.id, alice.id)).toBe(true);
  expect(await store.isParticipant(invoice.id, bob.id)).toBe(true);
  expect(await store.isParticipant(untyped.id, bob.id)).toBe(true);
  expect(await store.isParticipant(untyped.id, alice.id)).toBe(false);
  expect(await store.results(invoice.id)).toStrictEqual(rows.results.slice(0, 3));
  expect(await store.results(untyped.id)).toStrictEqual(rows.results.slice(3));

  expect(await store.dueTimers(invoice.nextTimerAt ?? 0, 10)).toStrictEqual([
    { documentId: invoice.id, dueAt: invoice.nextTimerAt },
  ]);
  expect(await store.nextTimerAt()).toBe(invoice.nextTimerAt);

  for (const key of rows.keys)
    expect(await store.idempotency(key.accountId, key.key)).toStrictEqual(key);

  const [alice1, bob1, alice0] = rows.participantKeys as [
    ParticipantKeyRecord,
    ParticipantKeyRecord,
    ParticipantKeyRecord,
  ];
  expect(await store.participantKeys(alice.id)).toStrictEqual([alice0, alice1]);
  expect(await store.participantKeys(bob.id)).toStrictEqual([bob1]);
  for (const key of rows.participantKeys)
    expect(await store.participantKey(key.keyId)).toStrictEqual(key);
  const [bobOn2, aliceOn2, aliceOn1] = rows.cosignatures;
  expect(await store.cosignatures(aliceTimeline.id, 2)).toStrictEqual([bobOn2, aliceOn2]);
  expect(await store.cosignatures(aliceTimeline.id, 1)).toStrictEqual([aliceOn1]);
  expect(await store.cosignatures(aliceTimeline.id, 3)).toStrictEqual([]);
  expect(await store.cosignatures(bobTimeline.id, 2)).toStrictEqual([]);

  const stored = await store.eventsAfter(0, 100);
  expect(withoutSeq(stored)).toStrictEqual(rows.events);
  const seqs = stored.map((event) => event.seq);
  for (const seq of seqs) expect(Number.isSafeInteger(seq) && seq > 0).toBe(true);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
  const [stored1, stored2, stored3] = stored as [StoredEvent, StoredEvent, StoredEvent];
  expect(await store.events(alice.id, { limit: 10 })).toStrictEqual([stored3, stored1]);
  expect(await store.events(bob.id, { limit: 10 })).toStrictEqual([stored2]);
  expect(await store.event(stored1.id)).toStrictEqual(stored1);
  const [allOfAlice, someOfAlice, bobOff, gone] = rows.endpoints as [
    WebhookEndpointRecord,
    WebhookEndpointRecord,
    WebhookEndpointRecord,
    WebhookEndpointRecord,
  ];
  expect(await store.webhookEndpoints(alice.id)).toStrictEqual([someOfAlice, allOfAlice]);
  expect(await store.webhookEndpoints(bob.id)).toStrictEqual([bobOff]);
  for (const each of rows.endpoints)
    expect(await store.webhookEndpoint(each.id)).toStrictEqual(each);
  expect(gone.status).toBe('deleted');
  const [pending, delivered, failed] = rows.deliveries as [
    DeliveryRecord,
    DeliveryRecord,
    DeliveryRecord,
  ];
  expect(await store.deliveriesOfEvent(stored1.id)).toStrictEqual([pending, delivered]);
  expect(await store.deliveriesOfEvent(stored2.id)).toStrictEqual([failed]);
  expect(await store.deliveriesOfEvent(stored3.id)).toStrictEqual([]);
  for (const each of rows.deliveries) expect(await store.delivery(each.id)).toStrictEqual(each);
  const [toDelivered, secondOfFailed, firstOfFailed] = rows.attempts;
  expect(await store.deliveryAttempts(delivered.id)).toStrictEqual([toDelivered]);
  expect(await store.deliveryAttempts(failed.id)).toStrictEqual([firstOfFailed, secondOfFailed]);
  expect(await store.deliveryAttempts(pending.id)).toStrictEqual([]);
  expect(await store.nextDeliveryAt()).toBe(pending.nextAttemptAt);
}

async function expectConflict(commit: Promise<void>): Promise<void> {
  const error: unknown = await commit.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'the commit should have been refused').toBeInstanceOf(PaydocError);
  expect((error as PaydocError).code).toBe('store_conflict');
}

/** The ids of `rows` sorted the way JavaScript sorts strings (UTF-16 code units). */
function jsSorted(ids: string[]): string[] {
  return [...ids].sort();
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

/**
 * The contract every Store adapter must pass. `open` is called before every test and must give
 * a fresh, empty store that has not been migrated yet.
 */
/**
 * The contract every Store adapter passes. `durable: false` (an in-memory store) leaves out
 * the tests that close and reopen the store, rather than skipping them.
 */
export function storeContract(
  name: string,
  open: () => Promise<OpenedStore>,
  options: { durable: boolean } = { durable: true },
): void {
  describe(`Store contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    let live: Store[];

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      live = [store];
      await store.migrate();
    });

    afterEach(async () => {
      for (const each of live) await each.close();
      live = [];
      await opened.cleanup?.();
    });

    /** Closes the store and opens a new one on the same data (the test is skipped without). */
    async function reopen(skip: (note?: string) => never): Promise<Store> {
      const reopenStore = opened.reopen;
      if (reopenStore === undefined) {
        skip('this store does not outlive close()');
        throw new Error('unreachable');
      }
      await store.close();
      live = live.filter((each) => each !== store);
      const next = await reopenStore();
      live.push(next);
      await next.migrate();
      return next;
    }

    describe('schema', () => {
      it('migrate() can run again, twice, and the store still works', async () => {
        await store.migrate();
        await store.migrate();
        const rows = everyKind();
        await store.commit(rows.batch);
        await expectEveryKind(store, rows);
      });

      it('migrate() on a store holding data keeps the data', async () => {
        const rows = everyKind();
        await store.commit(rows.batch);
        await store.migrate();
        await expectEveryKind(store, rows);
      });

      it('an empty store answers every read with nothing', async () => {
        expect(await store.countAccounts()).toBe(0);
        expect(await store.accountById('acct_x')).toBeUndefined();
        expect(await store.accountByEmail('x@example.com')).toBeUndefined();
        expect(await store.accountByKeyHash('sha_x')).toBeUndefined();
        expect(await store.accounts(undefined, 10)).toStrictEqual([]);
        expect(await store.accounts('acct_a', 10)).toStrictEqual([]);
        expect(await store.apiKeys('acct_x')).toStrictEqual([]);
        expect(await store.timelinesOf('acct_x')).toStrictEqual([]);
        expect(await store.timeline('tl_x')).toBeUndefined();
        expect(await store.entries('tl_x', 0, 10)).toStrictEqual([]);
        expect(await store.document('doc_x')).toBeUndefined();
        expect(await store.documentIdByRef('ch_x')).toBeUndefined();
        expect(await store.documentsOnTimeline('tl_x')).toStrictEqual([]);
        expect(await store.isParticipant('doc_x', 'acct_x')).toBe(false);
        expect(await store.results('doc_x')).toStrictEqual([]);
        expect(await store.dueTimers(Number.MAX_SAFE_INTEGER, 10)).toStrictEqual([]);
        expect(await store.nextTimerAt()).toBeUndefined();
        expect(await store.idempotency('acct_x', 'k')).toBeUndefined();
        expect(await store.participantKeys('acct_x')).toStrictEqual([]);
        expect(await store.participantKey('ed25519:x')).toBeUndefined();
        expect(await store.cosignatures('tl_x', 1)).toStrictEqual([]);
        expect(await store.events('acct_x', { limit: 10 })).toStrictEqual([]);
        expect(await store.event('evt_x')).toBeUndefined();
        expect(await store.eventsAfter(0, 10)).toStrictEqual([]);
        expect(await store.webhookEndpoints('acct_x')).toStrictEqual([]);
        expect(await store.webhookEndpoint('we_x')).toBeUndefined();
        expect(await store.deliveriesOfEvent('evt_x')).toStrictEqual([]);
        expect(await store.delivery('dlv_x')).toBeUndefined();
        expect(await store.deliveryAttempts('dlv_x')).toStrictEqual([]);
        expect(await store.nextDeliveryAt()).toBeUndefined();
        expect(await store.claimDueDeliveries(Number.MAX_SAFE_INTEGER, 10, T0)).toStrictEqual([]);
      });

      it('an empty batch commits and changes nothing', async () => {
        await store.commit(emptyBatch());
        expect(await store.countAccounts()).toBe(0);
      });
    });

    describe('one commit, every kind of row', () => {
      it('writes all of it and every read returns it faithfully', async () => {
        const rows = everyKind();
        await store.commit(rows.batch);
        await expectEveryKind(store, rows);
      });

      it('does not keep references to the batch objects', async () => {
        const rows = everyKind();
        const expected = everyKind();
        await store.commit(rows.batch);
        rows.invoice.state.invoice = 'mutated after commit';
        rows.entries[0]!.entry.type = 'mutated after commit';
        await expectEveryKind(store, expected);
      });

      it('returns records the caller may mutate without changing the store', async () => {
        const rows = everyKind();
        await store.commit(rows.batch);
        const read = await store.document(rows.invoice.id);
        if (read === undefined) throw new Error('document missing');
        read.state.invoice = 'mutated after read';
        expect(await store.document(rows.invoice.id)).toStrictEqual(rows.invoice);
      });
    });

    describe('accounts', () => {
      it('finds an account by id, email and any of its key hashes, and nothing else', async () => {
        const carol = account('carol');
        await store.commit(
          merge(accountRows('carol'), {
            apiKeys: [apiKey('sha_c1', carol.id), apiKey('sha_c2', carol.id)],
          }),
        );
        expect(await store.accountById(carol.id)).toStrictEqual(carol);
        expect(await store.accountByEmail(carol.email)).toStrictEqual(carol);
        expect(await store.accountByKeyHash('sha_c1')).toStrictEqual(carol);
        expect(await store.accountByKeyHash('sha_c2')).toStrictEqual(carol);
        expect(await store.accountById('acct_dave')).toBeUndefined();
        expect(await store.accountByEmail('dave@example.com')).toBeUndefined();
        expect(await store.accountByKeyHash('sha_c3')).toBeUndefined();
        // An account id is not a key hash, nor an email an id.
        expect(await store.accountByKeyHash(carol.id)).toBeUndefined();
        expect(await store.accountById(carol.email)).toBeUndefined();
      });

      it('counts accounts across commits', async () => {
        await store.commit(accountRows('a'));
        expect(await store.countAccounts()).toBe(1);
        await store.commit(merge(accountRows('b'), accountRows('c')));
        expect(await store.countAccounts()).toBe(3);
      });

      it('refuses a second account with the same email', async () => {
        await store.commit(accountRows('a'));
        await expectConflict(
          store.commit(
            batchOf({
              accounts: [account('other', { email: 'a@example.com', timelineId: 'tl_a' })],
            }),
          ),
        );
        expect(await store.countAccounts()).toBe(1);
        expect(await store.accountById('acct_other')).toBeUndefined();
      });

      it('lists accounts by id, as JavaScript sorts strings, a page at a time', async () => {
        const names = ['m', 'B', 'z', 'a', '9', 'Zed', 'a1'];
        await store.commit(merge(...names.map((name) => accountRows(name))));
        const ids = jsSorted(names.map((name) => `acct_${name}`));
        const listed = async (after: string | undefined, limit: number) =>
          (await store.accounts(after, limit)).map((record) => record.id);
        expect(await listed(undefined, 100)).toStrictEqual(ids);
        expect(await store.accounts(undefined, 1)).toStrictEqual([account('9')]);
        expect(await listed(undefined, 3)).toStrictEqual(ids.slice(0, 3));
        expect(await listed(ids[2], 3)).toStrictEqual(ids.slice(3, 6));
        expect(await listed(ids[5], 3)).toStrictEqual(ids.slice(6));
        expect(await listed(ids.at(-1), 3)).toStrictEqual([]);
        // `after` need not be an id that exists.
        expect(await listed('acct_b', 100)).toStrictEqual(ids.filter((id) => id > 'acct_b'));
        const walked: string[] = [];
        for (let after: string | undefined; ;) {
          const page = await listed(after, 2);
          if (page.length === 0) break;
          walked.push(...page);
          after = page.at(-1);
        }
        expect(walked).toStrictEqual(ids);
      });
    });

    describe('signing keys', () => {
      const key = (id: string, at: number) => ({
        keyId: id,
        publicKey: `pub_${id}`,
        privateKey: `priv_${id}`,
        createdAt: at,
        retiredAt: null,
      });

      it('keeps every key oldest first; a retired key keeps its first retirement', async () => {
        expect(await store.signingKeys()).toStrictEqual([]);
        await store.commit(batchOf({ signingKeys: [key('b', T0 + 1), key('a', T0)] }));
        await store.commit(batchOf({ keyRetirements: [{ keyId: 'a', retiredAt: T0 + 5 }] }));
        await store.commit(batchOf({ keyRetirements: [{ keyId: 'a', retiredAt: T0 + 9 }] }));
        expect(await store.signingKeys()).toStrictEqual([
          { ...key('a', T0), retiredAt: T0 + 5 },
          key('b', T0 + 1),
        ]);
        await expectConflict(store.commit(batchOf({ signingKeys: [key('b', T0 + 2)] })));
      });
    });

    describe('participant keys', () => {
      const alice = account('alice');
      const bob = account('bob');

      beforeEach(async () => {
        await store.commit(merge(accountRows('alice'), accountRows('bob')));
      });

      it("keeps each account's keys apart, oldest first, and finds any key by id", async () => {
        const later = participantKey('a2', alice.id, { createdAt: T0 + 9 });
        // Registered in one millisecond: the key id orders them.
        const [b, a] = [participantKey('b', alice.id), participantKey('a', alice.id)];
        await store.commit(batchOf({ participantKeys: [later, b] }));
        await store.commit(batchOf({ participantKeys: [a, participantKey('bob', bob.id)] }));
        expect(await store.participantKeys(alice.id)).toStrictEqual([a, b, later]);
        expect(await store.participantKeys(bob.id)).toStrictEqual([participantKey('bob', bob.id)]);
        expect(await store.participantKey(b.keyId)).toStrictEqual(b);
        expect(await store.participantKey('ed25519:unknown')).toBeUndefined();
      });

      it('refuses a key id or public key registered already, and a key of no account, writing nothing', async () => {
        await store.commit(batchOf({ participantKeys: [participantKey('k', alice.id)] }));
        await expectConflict(
          store.commit(merge(accountRows('z'), { participantKeys: [participantKey('k', bob.id)] })),
        );
        await expectConflict(
          store.commit(
            batchOf({
              participantKeys: [participantKey('other', bob.id, { publicKey: 'pub_k=' })],
            }),
          ),
        );
        await expectConflict(
          store.commit(batchOf({ participantKeys: [participantKey('x', 'acct_none')] })),
        );
        expect(await store.participantKeys(bob.id)).toStrictEqual([]);
        expect(await store.participantKey('ed25519:x')).toBeUndefined();
        expect(await store.accountById('acct_z')).toBeUndefined();
      });

      it('refuses an account its 21st key (two servers registering at once), not another account', async () => {
        const keys = Array.from({ length: 20 }, (_, i) => participantKey(`a${i}`, alice.id));
        await store.commit(batchOf({ participantKeys: keys.slice(0, 19) }));
        await store.commit(batchOf({ participantKeys: keys.slice(19) }));
        await expectConflict(
          store.commit(batchOf({ participantKeys: [participantKey('a20', alice.id)] })),
        );
        expect(await store.participantKeys(alice.id)).toHaveLength(20);
        await store.commit(batchOf({ participantKeys: [participantKey('b0', bob.id)] }));
        expect(await store.participantKeys(bob.id)).toHaveLength(1);
      });
    });

    describe('co-signatures', () => {
      const alice = account('alice');
      const bob = account('bob');
      const aliceKey = participantKey('alice', alice.id);
      const bobKey = participantKey('bob', bob.id);

      beforeEach(async () => {
        await store.commit(
          merge(accountRows('alice'), accountRows('bob'), {
            participantKeys: [aliceKey, bobKey],
          }),
        );
      });

      it('keeps the co-signatures of each timeline and size apart, oldest first', async () => {
        const tl = alice.timelineId;
        const first = cosignature(tl, 3, bobKey, { createdAt: T0 + 1 });
        const second = cosignature(tl, 3, aliceKey, { createdAt: T0 + 2 });
        await store.commit(
          batchOf({
            cosignatures: [
              second,
              cosignature(tl, 2, aliceKey),
              cosignature(bob.timelineId, 3, bobKey),
            ],
          }),
        );
        await store.commit(batchOf({ cosignatures: [first] }));
        expect(await store.cosignatures(tl, 3)).toStrictEqual([first, second]);
        expect(await store.cosignatures(tl, 2)).toStrictEqual([cosignature(tl, 2, aliceKey)]);
        expect(await store.cosignatures(bob.timelineId, 3)).toStrictEqual([
          cosignature(bob.timelineId, 3, bobKey),
        ]);
        expect(await store.cosignatures(tl, 1)).toStrictEqual([]);
      });

      it('a key registered and used in one batch is written before its co-signature', async () => {
        const key = participantKey('new', bob.id);
        const row = cosignature(alice.timelineId, 1, key);
        await store.commit(batchOf({ participantKeys: [key], cosignatures: [row] }));
        expect(await store.cosignatures(alice.timelineId, 1)).toStrictEqual([row]);
      });

      it("refuses a second by one key on one size, another account's key, no key, no timeline, size 0", async () => {
        const tl = alice.timelineId;
        await store.commit(batchOf({ cosignatures: [cosignature(tl, 1, aliceKey)] }));
        const refused = [
          cosignature(tl, 1, aliceKey, { signature: 'other=' }),
          cosignature(tl, 2, bobKey, { accountId: alice.id }),
          cosignature(tl, 2, participantKey('none', alice.id)),
          cosignature('tl_none', 1, aliceKey),
          cosignature(tl, 0, aliceKey),
        ];
        for (const row of refused)
          await expectConflict(
            store.commit(
              merge(accountRows('z'), { cosignatures: [cosignature(tl, 5, bobKey), row] }),
            ),
          );
        expect(await store.cosignatures(tl, 1)).toStrictEqual([cosignature(tl, 1, aliceKey)]);
        expect(await store.cosignatures(tl, 2)).toStrictEqual([]);
        expect(await store.cosignatures(tl, 5)).toStrictEqual([]);
        expect(await store.accountById('acct_z')).toBeUndefined();
      });

      it('refuses the 100th co-signature of one checkpoint, not of another size', async () => {
        const tl = alice.timelineId;
        // One key each of 100 accounts (an account registers at most 20).
        const keys = Array.from({ length: 100 }, (_, i) => participantKey(`m${i}`, `acct_m${i}`));
        await store.commit(
          merge(...keys.map((key) => accountRows(key.accountId.slice(5))), {
            participantKeys: keys,
          }),
        );
        await store.commit(
          batchOf({ cosignatures: keys.slice(0, 99).map((key) => cosignature(tl, 4, key)) }),
        );
        await expectConflict(
          store.commit(batchOf({ cosignatures: [cosignature(tl, 4, keys[99]!)] })),
        );
        expect(await store.cosignatures(tl, 4)).toHaveLength(99);
        await store.commit(batchOf({ cosignatures: [cosignature(tl, 5, keys[99]!)] }));
        expect(await store.cosignatures(tl, 5)).toHaveLength(1);
      });
    });

    describe('own types', () => {
      const type = (accountId: string, name: string, at = T0, position = 0) => ({
        accountId,
        blueId: `id_${name}_${accountId}`,
        name,
        position,
        definition: { name, shippedAt: { type: 'Integer' }, note: { constructor: 'x' } },
        createdAt: at,
      });

      it("keeps each account's types apart, in the order added, definitions intact", async () => {
        await store.commit(merge(accountRows('a'), accountRows('b')));
        // Added in one millisecond: the position, not the time or the name, is the order.
        await store.commit(
          batchOf({ types: [type('acct_a', 'Zed', T0), type('acct_b', 'Item Shipped')] }),
        );
        await store.commit(batchOf({ types: [type('acct_a', 'Abc', T0, 1)] }));
        expect(await store.typesOf('acct_a')).toStrictEqual([
          type('acct_a', 'Zed', T0),
          type('acct_a', 'Abc', T0, 1),
        ]);
        expect(await store.typesOf('acct_b')).toStrictEqual([type('acct_b', 'Item Shipped')]);
        expect(await store.typesOf('acct_c')).toStrictEqual([]);
      });

      it('refuses a second type of the same name or BlueId in one account, writing nothing', async () => {
        await store.commit(accountRows('a'));
        await store.commit(batchOf({ types: [type('acct_a', 'Item Shipped')] }));
        await expectConflict(
          store.commit(
            merge(accountRows('z'), {
              types: [{ ...type('acct_a', 'Item Shipped'), blueId: 'id_other' }],
            }),
          ),
        );
        await expectConflict(
          store.commit(
            batchOf({ types: [{ ...type('acct_a', 'Item Shipped'), name: 'Renamed' }] }),
          ),
        );
        // A second type at a place already taken (two servers adding at once), or past the
        // 200 an account may hold, is refused too.
        await expectConflict(store.commit(batchOf({ types: [type('acct_a', 'Other')] })));
        await expectConflict(store.commit(batchOf({ types: [type('acct_a', 'Far', T0, 200)] })));
        expect(await store.typesOf('acct_a')).toStrictEqual([type('acct_a', 'Item Shipped')]);
        expect(await store.accountById('acct_z')).toBeUndefined();
      });
    });

    describe('api keys', () => {
      const alice = account('alice');
      const bob = account('bob');

      beforeEach(async () => {
        await store.commit(merge(accountRows('alice'), accountRows('bob')));
      });

      it("lists an account's keys oldest first, with id and hint and never the hash", async () => {
        const later = apiKey('sha_a_later', alice.id, { createdAt: T0 + 50 });
        const first = apiKey('sha_a_first', alice.id, { createdAt: T0 + 10 });
        // Same time: by id.
        const twinB = apiKey('sha_a_twin', alice.id, { id: 'key_b', createdAt: T0 + 20 });
        const twinA = apiKey('sha_a_twin2', alice.id, { id: 'key_a', createdAt: T0 + 20 });
        await store.commit(
          batchOf({ apiKeys: [later, twinB, first, twinA, apiKey('sha_b', bob.id)] }),
        );
        const keys = await store.apiKeys(alice.id);
        expect(keys).toStrictEqual([first, twinA, twinB, later].map((key) => keyInfo(key)));
        for (const key of keys) expect(Object.keys(key)).not.toContain('keyHash');
        for (const hash of ['sha_a_later', 'sha_a_first', 'sha_a_twin', 'sha_a_twin2'])
          expect(JSON.stringify(keys)).not.toContain(`"${hash}"`);
        expect(await store.apiKeys(bob.id)).toStrictEqual([keyInfo(apiKey('sha_b', bob.id))]);
        expect(await store.apiKeys('acct_nobody')).toStrictEqual([]);
      });

      it('a revoked key finds no account; the other keys still do', async () => {
        const one = apiKey('sha_1', alice.id);
        const two = apiKey('sha_2', alice.id, { createdAt: T0 + 2 });
        await store.commit(batchOf({ apiKeys: [one, two] }));
        await store.commit(
          batchOf({ keyRevocations: [{ id: one.id, accountId: alice.id, revokedAt: T0 + 30 }] }),
        );
        expect(await store.accountByKeyHash('sha_1')).toBeUndefined();
        expect(await store.accountByKeyHash('sha_2')).toStrictEqual(alice);
        expect(await store.apiKeys(alice.id)).toStrictEqual([keyInfo(one, T0 + 30), keyInfo(two)]);
      });

      it('revoking again keeps the first revocation time', async () => {
        const one = apiKey('sha_1', alice.id);
        await store.commit(batchOf({ apiKeys: [one] }));
        await store.commit(
          batchOf({ keyRevocations: [{ id: one.id, accountId: alice.id, revokedAt: T0 + 30 }] }),
        );
        await store.commit(
          batchOf({ keyRevocations: [{ id: one.id, accountId: alice.id, revokedAt: T0 + 99 }] }),
        );
        expect(await store.apiKeys(alice.id)).toStrictEqual([keyInfo(one, T0 + 30)]);
      });

      it("leaves another account's key and an unknown key alone, and commits the rest", async () => {
        const bobs = apiKey('sha_bob', bob.id);
        await store.commit(batchOf({ apiKeys: [bobs] }));
        await store.commit(
          merge(accountRows('carol'), {
            keyRevocations: [
              { id: bobs.id, accountId: alice.id, revokedAt: T0 + 30 },
              { id: 'key_unknown', accountId: alice.id, revokedAt: T0 + 30 },
              { id: 'key_unknown', accountId: bob.id, revokedAt: T0 + 30 },
            ],
          }),
        );
        expect(await store.accountByKeyHash('sha_bob')).toStrictEqual(bob);
        expect(await store.apiKeys(bob.id)).toStrictEqual([keyInfo(bobs)]);
        expect(await store.apiKeys(alice.id)).toStrictEqual([]);
        expect(await store.accountById('acct_carol')).toStrictEqual(account('carol'));
      });

      it('a key created and revoked in one batch ends revoked', async () => {
        const one = apiKey('sha_1', alice.id);
        await store.commit(
          batchOf({
            apiKeys: [one],
            keyRevocations: [{ id: one.id, accountId: alice.id, revokedAt: T0 + 5 }],
          }),
        );
        expect(await store.accountByKeyHash('sha_1')).toBeUndefined();
        expect(await store.apiKeys(alice.id)).toStrictEqual([keyInfo(one, T0 + 5)]);
      });

      it('refuses a key hash or a key id that exists, with the rest of the batch', async () => {
        await store.commit(batchOf({ apiKeys: [apiKey('sha_1', alice.id)] }));
        // The same hash again, even revoked first: a revoked key never comes back.
        await store.commit(
          batchOf({
            keyRevocations: [{ id: 'key_sha_1', accountId: alice.id, revokedAt: T0 + 3 }],
          }),
        );
        await expectConflict(
          store.commit(
            merge(accountRows('carol'), {
              apiKeys: [apiKey('sha_1', bob.id, { id: 'key_fresh' })],
            }),
          ),
        );
        await expectConflict(
          store.commit(
            merge(accountRows('carol'), {
              apiKeys: [apiKey('sha_other', bob.id, { id: 'key_sha_1' })],
            }),
          ),
        );
        expect(await store.accountById('acct_carol')).toBeUndefined();
        expect(await store.accountByKeyHash('sha_1')).toBeUndefined();
        expect(await store.accountByKeyHash('sha_other')).toBeUndefined();
        expect(await store.apiKeys(bob.id)).toStrictEqual([]);
      });
    });

    describe('timelines of an account', () => {
      const owner = account('owner');
      const other = account('other');

      beforeEach(async () => {
        await store.commit(merge(accountRows('owner'), accountRows('other')));
      });

      it('lists the timelines an account owns by id, each with its documents by id', async () => {
        await store.commit(
          batchOf({
            timelines: [
              timeline('tl_z_doc', owner.id),
              timeline('tl_A_doc', owner.id, { headSequence: 0 }),
              timeline('tl_empty', owner.id),
              timeline('tl_theirs', other.id),
            ],
            documents: ['doc_b', 'doc_a', 'doc_C'].map((id) => ({
              record: doc(id, owner.id),
              expectedVersion: 0,
            })),
            subscriptions: [
              { documentId: 'doc_b', timelineId: 'tl_z_doc' },
              { documentId: 'doc_a', timelineId: 'tl_z_doc' },
              { documentId: 'doc_C', timelineId: 'tl_A_doc' },
              { documentId: 'doc_b', timelineId: owner.timelineId },
              { documentId: 'doc_a', timelineId: 'tl_theirs' },
            ],
          }),
        );
        expect(await store.timelinesOf(owner.id)).toStrictEqual(
          [
            { ...timeline('tl_A_doc', owner.id), documentIds: ['doc_C'] },
            { ...timeline('tl_empty', owner.id), documentIds: [] },
            { ...timeline(owner.timelineId, owner.id), documentIds: ['doc_b'] },
            { ...timeline('tl_z_doc', owner.id), documentIds: ['doc_a', 'doc_b'] },
          ].sort((a, b) => (a.id < b.id ? -1 : 1)),
        );
        expect(await store.timelinesOf(other.id)).toStrictEqual([
          { ...timeline(other.timelineId, other.id), documentIds: [] },
          { ...timeline('tl_theirs', other.id), documentIds: ['doc_a'] },
        ]);
        expect(await store.timelinesOf('acct_nobody')).toStrictEqual([]);
      });

      it('follows head moves and later subscriptions', async () => {
        const tl = owner.timelineId;
        await store.commit(
          batchOf({
            documents: [{ record: doc('doc_1', owner.id), expectedVersion: 0 }],
            entries: [entry(tl, 1)],
            timelineHeads: [
              { id: tl, headSequence: 1, headBlueId: `${tl}_e1`, expectedSequence: 0 },
            ],
          }),
        );
        await store.commit(batchOf({ subscriptions: [{ documentId: 'doc_1', timelineId: tl }] }));
        expect(await store.timelinesOf(owner.id)).toStrictEqual([
          {
            ...timeline(tl, owner.id, { headSequence: 1, headBlueId: `${tl}_e1` }),
            documentIds: ['doc_1'],
          },
        ]);
      });
    });

    describe('timelines and entries', () => {
      const owner = account('owner');

      beforeEach(async () => {
        await store.commit(
          merge(accountRows('owner'), { timelines: [timeline('tl_other', owner.id)] }),
        );
      });

      it("keeps an entry's signature, and an entry without one has none", async () => {
        const tl = owner.timelineId;
        const signed = entry(tl, 1, { signature: { keyId: 'ed25519:k1', value: 'c2ln' } });
        await store.commit(
          batchOf({
            entries: [signed, entry(tl, 2)],
            timelineHeads: [
              { id: tl, headSequence: 2, headBlueId: `${tl}_e2`, expectedSequence: 0 },
            ],
          }),
        );
        expect(await store.entries(tl, 0, 100)).toStrictEqual([signed, entry(tl, 2)]);
      });

      it('returns entries in sequence order, whatever order the batch had', async () => {
        const tl = owner.timelineId;
        await store.commit(
          batchOf({
            entries: [entry(tl, 3), entry(tl, 1), entry(tl, 5), entry(tl, 2), entry(tl, 4)],
            timelineHeads: [
              { id: tl, headSequence: 5, headBlueId: `${tl}_e5`, expectedSequence: 0 },
            ],
          }),
        );
        expect((await store.entries(tl, 0, 100)).map((e) => e.sequence)).toStrictEqual([
          1, 2, 3, 4, 5,
        ]);
        expect(await store.entries(tl, 0, 100)).toStrictEqual(
          [1, 2, 3, 4, 5].map((n) => entry(tl, n)),
        );
      });

      it('pages with after and limit', async () => {
        const tl = owner.timelineId;
        for (let n = 1; n <= 7; n++) await store.commit(batchOf({ entries: [entry(tl, n)] }));
        await store.commit(batchOf({ entries: [entry('tl_other', 1), entry('tl_other', 2)] }));
        const seqs = async (after: number, limit: number) =>
          (await store.entries(tl, after, limit)).map((e) => e.sequence);
        expect(await seqs(0, 3)).toStrictEqual([1, 2, 3]);
        expect(await seqs(3, 3)).toStrictEqual([4, 5, 6]);
        expect(await seqs(6, 3)).toStrictEqual([7]);
        expect(await seqs(7, 3)).toStrictEqual([]);
        expect(await seqs(2, 1)).toStrictEqual([3]);
        expect(await seqs(100, 10)).toStrictEqual([]);
        // Walking the pages yields each entry once, in order, and only this timeline's.
        const walked: EntryRecord[] = [];
        for (let after = 0; ;) {
          const page = await store.entries(tl, after, 2);
          if (page.length === 0) break;
          walked.push(...page);
          after = page[page.length - 1]!.sequence;
        }
        expect(walked).toStrictEqual([1, 2, 3, 4, 5, 6, 7].map((n) => entry(tl, n)));
        expect((await store.entries('tl_other', 0, 10)).map((e) => e.blueId)).toStrictEqual([
          'tl_other_e1',
          'tl_other_e2',
        ]);
      });

      it('moves a head whose expected sequence matches', async () => {
        const tl = owner.timelineId;
        await store.commit(
          batchOf({
            entries: [entry(tl, 1)],
            timelineHeads: [
              { id: tl, headSequence: 1, headBlueId: `${tl}_e1`, expectedSequence: 0 },
            ],
          }),
        );
        await store.commit(
          batchOf({
            entries: [entry(tl, 2), entry(tl, 3)],
            timelineHeads: [
              { id: tl, headSequence: 3, headBlueId: `${tl}_e3`, expectedSequence: 1 },
            ],
          }),
        );
        expect(await store.timeline(tl)).toStrictEqual(
          timeline(tl, owner.id, { headSequence: 3, headBlueId: `${tl}_e3` }),
        );
        expect(await store.timeline('tl_other')).toStrictEqual(timeline('tl_other', owner.id));
      });
    });

    describe('documents', () => {
      const owner = account('owner');

      beforeEach(async () => {
        await store.commit(accountRows('owner'));
      });

      it('updates a document whose expected version matches, keeping what does not change', async () => {
        const created = doc('doc_1', owner.id, { nextTimerAt: T0 + 10 });
        await store.commit(batchOf({ documents: [{ record: created, expectedVersion: 0 }] }));
        const updated: DocumentRecord = {
          ...created,
          state: { name: 'updated', amount: { value: 50, currency: 'EUR' }, nested: TRICKY },
          blueId: 'doc_1_blue_v2',
          version: 2,
          book: { payments: [{ id: 'p1', amount: 50 }], balance: 50 },
          nextTimerAt: null,
          updatedAt: T0 + 99,
        };
        await store.commit(batchOf({ documents: [{ record: updated, expectedVersion: 1 }] }));
        expect(await store.document('doc_1')).toStrictEqual(updated);
        expect(await store.nextTimerAt()).toBeUndefined();
        const again: DocumentRecord = { ...updated, version: 3, nextTimerAt: T0 + 5, blueId: 'v3' };
        await store.commit(batchOf({ documents: [{ record: again, expectedVersion: 2 }] }));
        expect(await store.document('doc_1')).toStrictEqual(again);
        expect(await store.nextTimerAt()).toBe(T0 + 5);
      });

      it("lists an account's own documents newest first, by type, a page at a time", async () => {
        await store.commit(accountRows('other'));
        const made = [
          doc('doc_old', owner.id, { createdAt: T0 + 1, typeName: 'Payments/Bitcoin Invoice' }),
          doc('doc_mid_b', owner.id, { createdAt: T0 + 2 }),
          doc('doc_mid_a', owner.id, { createdAt: T0 + 2, typeName: 'Payments/Bitcoin Invoice' }),
          doc('doc_new', owner.id, { createdAt: T0 + 3, typeName: 'Payments/Bitcoin Invoice' }),
          doc('doc_theirs', 'acct_other', {
            createdAt: T0 + 9,
            typeName: 'Payments/Bitcoin Invoice',
          }),
        ];
        await store.commit(
          batchOf({ documents: made.map((record) => ({ record, expectedVersion: 0 })) }),
        );
        const ids = async (query: Parameters<Store['documentsOf']>[1]) =>
          (await store.documentsOf(owner.id, query)).map((record) => record.id);
        expect(await ids({ limit: 10 })).toStrictEqual([
          'doc_new',
          'doc_mid_b',
          'doc_mid_a',
          'doc_old',
        ]);
        expect(await ids({ limit: 2 })).toStrictEqual(['doc_new', 'doc_mid_b']);
        expect(await ids({ limit: 2, after: 'doc_mid_b' })).toStrictEqual(['doc_mid_a', 'doc_old']);
        expect(await ids({ limit: 10, typeName: 'Payments/Bitcoin Invoice' })).toStrictEqual([
          'doc_new',
          'doc_mid_a',
          'doc_old',
        ]);
        expect(
          await ids({ limit: 10, typeName: 'Payments/Bitcoin Invoice', after: 'doc_new' }),
        ).toStrictEqual(['doc_mid_a', 'doc_old']);
        // Another account's document is no cursor here.
        expect(await ids({ limit: 10, after: 'doc_theirs' })).toStrictEqual([]);
        expect((await store.documentsOf(owner.id, { limit: 1 }))[0]).toStrictEqual(made[3]);
      });

      it('keeps test clocks, each only ever moving forward', async () => {
        await store.commit(accountRows('other'));
        expect(await store.testClocks()).toStrictEqual([]);
        await store.commit(batchOf({ testClocks: [{ accountId: owner.id, offsetMs: 900_000 }] }));
        await store.commit(
          batchOf({
            testClocks: [
              { accountId: 'acct_other', offsetMs: 5 },
              { accountId: owner.id, offsetMs: 60_000 },
            ],
          }),
        );
        expect(await store.testClocks()).toStrictEqual([
          { accountId: 'acct_other', offsetMs: 5 },
          { accountId: owner.id, offsetMs: 900_000 },
        ]);
        await expect(
          store.commit(batchOf({ testClocks: [{ accountId: 'acct_nobody', offsetMs: 1 }] })),
        ).rejects.toThrow();
      });

      it('lists the documents on a timeline sorted by id, as JavaScript sorts strings', async () => {
        const tl = owner.timelineId;
        // BlueIds are base58: mixed case and digits, so collation matters.
        const ids = ['zeta', 'Alpha', 'beta', '9Kx', 'Zulu', 'alpha', 'B2', 'a1'];
        await store.commit(
          batchOf({
            timelines: [timeline('tl_elsewhere', owner.id)],
            documents: ids.map((id) => ({ record: doc(id, owner.id), expectedVersion: 0 })),
            subscriptions: [
              ...ids.map((documentId) => ({ documentId, timelineId: tl })),
              { documentId: 'beta', timelineId: 'tl_elsewhere' },
            ],
          }),
        );
        expect(await store.documentsOnTimeline(tl)).toStrictEqual(jsSorted(ids));
        expect(await store.documentsOnTimeline(tl)).toStrictEqual([
          '9Kx',
          'Alpha',
          'B2',
          'Zulu',
          'a1',
          'alpha',
          'beta',
          'zeta',
        ]);
        expect(await store.documentsOnTimeline('tl_elsewhere')).toStrictEqual(['beta']);
        expect(await store.documentsOnTimeline('tl_nobody')).toStrictEqual([]);
      });

      it('tells participants from others', async () => {
        const guest = account('guest');
        await store.commit(
          merge(accountRows('guest'), {
            documents: [
              { record: doc('doc_1', owner.id), expectedVersion: 0 },
              { record: doc('doc_2', owner.id), expectedVersion: 0 },
            ],
            participants: [
              { documentId: 'doc_1', accountId: owner.id },
              { documentId: 'doc_1', accountId: guest.id },
              { documentId: 'doc_2', accountId: owner.id },
            ],
          }),
        );
        expect(await store.isParticipant('doc_1', owner.id)).toBe(true);
        expect(await store.isParticipant('doc_1', guest.id)).toBe(true);
        expect(await store.isParticipant('doc_2', owner.id)).toBe(true);
        expect(await store.isParticipant('doc_2', guest.id)).toBe(false);
        expect(await store.isParticipant('doc_3', owner.id)).toBe(false);
        expect(await store.isParticipant('doc_1', 'acct_nobody')).toBe(false);
      });

      it('accepts a participant, subscription or both again in a later commit', async () => {
        const tl = owner.timelineId;
        const rows: Partial<WriteBatch> = {
          participants: [{ documentId: 'doc_1', accountId: owner.id }],
          subscriptions: [{ documentId: 'doc_1', timelineId: tl }],
        };
        await store.commit(
          merge({ documents: [{ record: doc('doc_1', owner.id), expectedVersion: 0 }] }, rows),
        );
        const v2 = doc('doc_1', owner.id, { version: 2, blueId: 'v2' });
        await store.commit(merge({ documents: [{ record: v2, expectedVersion: 1 }] }, rows));
        expect(await store.document('doc_1')).toStrictEqual(v2);
        expect(await store.isParticipant('doc_1', owner.id)).toBe(true);
        expect(await store.documentsOnTimeline(tl)).toStrictEqual(['doc_1']);
      });

      it('resolves refs to their document', async () => {
        await store.commit(
          batchOf({
            documents: [
              { record: doc('doc_1', owner.id), expectedVersion: 0 },
              { record: doc('doc_2', owner.id), expectedVersion: 0 },
            ],
            refs: [
              { ref: 'ch_1', documentId: 'doc_1' },
              { ref: 'ch_2', documentId: 'doc_2' },
            ],
          }),
        );
        await store.commit(batchOf({ refs: [{ ref: 're_1', documentId: 'doc_1' }] }));
        expect(await store.documentIdByRef('ch_1')).toBe('doc_1');
        expect(await store.documentIdByRef('re_1')).toBe('doc_1');
        expect(await store.documentIdByRef('ch_2')).toBe('doc_2');
        expect(await store.documentIdByRef('doc_1')).toBeUndefined();
        expect(await store.documentIdByRef('ch_3')).toBeUndefined();
      });

      it('returns results in version order, per document, across commits', async () => {
        await store.commit(
          batchOf({
            documents: [
              { record: doc('doc_1', owner.id, { version: 3 }), expectedVersion: 0 },
              { record: doc('doc_2', owner.id), expectedVersion: 0 },
            ],
            results: [
              result('doc_1', 3),
              result('doc_2', 1),
              result('doc_1', 1),
              result('doc_1', 2),
            ],
          }),
        );
        expect(await store.results('doc_1')).toStrictEqual(
          [1, 2, 3].map((v) => result('doc_1', v)),
        );
        expect(await store.results('doc_2')).toStrictEqual([result('doc_2', 1)]);
        // Ten and more: the order is numeric, not textual.
        const more = [4, 5, 6, 7, 8, 9, 10, 11].map((v) => result('doc_1', v));
        await store.commit(batchOf({ results: [...more].reverse() }));
        expect((await store.results('doc_1')).map((r) => r.version)).toStrictEqual([
          1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
        ]);
      });

      it('refuses a second result for the same document version', async () => {
        await store.commit(
          batchOf({
            documents: [{ record: doc('doc_1', owner.id), expectedVersion: 0 }],
            results: [result('doc_1', 1)],
          }),
        );
        await expectConflict(
          store.commit(batchOf({ results: [result('doc_1', 1, { blueId: 'another' })] })),
        );
        expect(await store.results('doc_1')).toStrictEqual([result('doc_1', 1)]);
      });
    });

    describe('timers', () => {
      const owner = account('owner');
      const timers: [string, number | null][] = [
        ['doc_c', T0 + 300],
        ['doc_a', T0 + 100],
        ['doc_none', null],
        ['doc_b', T0 + 200],
        ['doc_e', T0 + 500],
      ];

      beforeEach(async () => {
        await store.commit(
          merge(accountRows('owner'), {
            documents: timers.map(([id, nextTimerAt]) => ({
              record: doc(id, owner.id, { nextTimerAt }),
              expectedVersion: 0,
            })),
          }),
        );
      });

      it('lists only due timers, earliest first, at most limit', async () => {
        expect(await store.dueTimers(T0 + 50, 10)).toStrictEqual([]);
        expect(await store.dueTimers(T0 + 250, 10)).toStrictEqual([
          { documentId: 'doc_a', dueAt: T0 + 100 },
          { documentId: 'doc_b', dueAt: T0 + 200 },
        ]);
        // Due at exactly now is due.
        expect(await store.dueTimers(T0 + 300, 10)).toStrictEqual([
          { documentId: 'doc_a', dueAt: T0 + 100 },
          { documentId: 'doc_b', dueAt: T0 + 200 },
          { documentId: 'doc_c', dueAt: T0 + 300 },
        ]);
        expect(await store.dueTimers(T0 + 10_000, 2)).toStrictEqual([
          { documentId: 'doc_a', dueAt: T0 + 100 },
          { documentId: 'doc_b', dueAt: T0 + 200 },
        ]);
        expect((await store.dueTimers(T0 + 10_000, 100)).map((t) => t.documentId)).toStrictEqual([
          'doc_a',
          'doc_b',
          'doc_c',
          'doc_e',
        ]);
      });

      it("lists one owner's due timers only, when asked for an owner", async () => {
        await store.commit(
          merge(accountRows('other'), {
            documents: [
              {
                record: doc('doc_theirs', 'acct_other', { nextTimerAt: T0 + 50 }),
                expectedVersion: 0,
              },
            ],
          }),
        );
        expect((await store.dueTimers(T0 + 250, 10)).map((t) => t.documentId)).toStrictEqual([
          'doc_theirs',
          'doc_a',
          'doc_b',
        ]);
        expect(
          (await store.dueTimers(T0 + 250, 10, owner.id)).map((t) => t.documentId),
        ).toStrictEqual(['doc_a', 'doc_b']);
        expect(await store.dueTimers(T0 + 250, 10, 'acct_other')).toStrictEqual([
          { documentId: 'doc_theirs', dueAt: T0 + 50 },
        ]);
        expect(await store.dueTimers(T0 + 250, 10, 'acct_nobody')).toStrictEqual([]);
      });

      it('reports the earliest pending timer and follows updates', async () => {
        expect(await store.nextTimerAt()).toBe(T0 + 100);
        await store.commit(
          batchOf({
            documents: [
              {
                record: doc('doc_a', owner.id, { version: 2, nextTimerAt: null }),
                expectedVersion: 1,
              },
            ],
          }),
        );
        expect(await store.nextTimerAt()).toBe(T0 + 200);
        expect((await store.dueTimers(T0 + 250, 10)).map((t) => t.documentId)).toStrictEqual([
          'doc_b',
        ]);
        await store.commit(
          batchOf({
            documents: [
              {
                record: doc('doc_e', owner.id, { version: 2, nextTimerAt: T0 + 1 }),
                expectedVersion: 1,
              },
            ],
          }),
        );
        expect(await store.nextTimerAt()).toBe(T0 + 1);
        expect(await store.dueTimers(T0 + 150, 10)).toStrictEqual([
          { documentId: 'doc_e', dueAt: T0 + 1 },
        ]);
      });
    });

    describe('idempotency keys', () => {
      it('finds a key by account and key only', async () => {
        const a = account('a');
        const b = account('b');
        const forA = idempotencyKey(a.id, 'same-key', { response: { for: 'a' } });
        const forB = idempotencyKey(b.id, 'same-key', { response: null, statusCode: 500 });
        await store.commit(
          merge(accountRows('a'), accountRows('b'), { idempotency: [forA, forB] }),
        );
        expect(await store.idempotency(a.id, 'same-key')).toStrictEqual(forA);
        expect(await store.idempotency(b.id, 'same-key')).toStrictEqual(forB);
        expect(await store.idempotency(a.id, 'other-key')).toBeUndefined();
        expect(await store.idempotency('acct_c', 'same-key')).toBeUndefined();
      });

      it('refuses the same key twice for one account', async () => {
        const a = account('a');
        await store.commit(merge(accountRows('a'), { idempotency: [idempotencyKey(a.id, 'k')] }));
        await expectConflict(
          store.commit(
            batchOf({ idempotency: [idempotencyKey(a.id, 'k', { requestHash: 'different' })] }),
          ),
        );
        expect(await store.idempotency(a.id, 'k')).toStrictEqual(idempotencyKey(a.id, 'k'));
      });
    });

    describe('webhook events', () => {
      const alice = account('alice');
      const bob = account('bob');

      beforeEach(async () => {
        await store.commit(merge(accountRows('alice'), accountRows('bob')));
      });

      /** Alice's events are a0…a8 (types and documents mixed), bob's b0 and b1 among them. */
      async function commitEvents(): Promise<StoredEvent[]> {
        const types = ['payment.captured', 'invoice.paid', 'document.created'];
        const aliceEvent = (i: number) =>
          webhookEvent(`a${i}`, alice.id, {
            type: types[i % 3]!,
            documentId: i % 2 === 0 ? 'doc_even' : i === 5 ? null : 'doc_odd',
            createdAt: T0 + i,
            data: { n: i, nested: { list: [i, null, 'x'] } },
          });
        await store.commit(
          batchOf({
            events: [
              aliceEvent(0),
              aliceEvent(1),
              webhookEvent('b0', bob.id, { documentId: 'doc_even' }),
              aliceEvent(2),
              aliceEvent(3),
              aliceEvent(4),
            ],
          }),
        );
        await store.commit(
          batchOf({
            events: [aliceEvent(5), webhookEvent('b1', bob.id), aliceEvent(6), aliceEvent(7)],
          }),
        );
        await store.commit(batchOf({ events: [aliceEvent(8)] }));
        return store.eventsAfter(0, 100);
      }

      it('gives events increasing seqs in batch order; eventsAfter pages all accounts, oldest first', async () => {
        const all = await commitEvents();
        expect(all.map((event) => event.id)).toStrictEqual(
          ['a0', 'a1', 'b0', 'a2', 'a3', 'a4', 'a5', 'b1', 'a6', 'a7', 'a8'].map((n) => `evt_${n}`),
        );
        const seqs = all.map((event) => event.seq);
        for (const seq of seqs) expect(Number.isSafeInteger(seq) && seq > 0).toBe(true);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
        expect(all[4]).toStrictEqual({
          ...webhookEvent('a3', alice.id, {
            type: 'payment.captured',
            documentId: 'doc_odd',
            createdAt: T0 + 3,
            data: { n: 3, nested: { list: [3, null, 'x'] } },
          }),
          seq: seqs[4],
        });
        expect(await store.eventsAfter(seqs[2]!, 3)).toStrictEqual(all.slice(3, 6));
        expect(await store.eventsAfter(seqs.at(-1)!, 10)).toStrictEqual([]);
        expect(await store.eventsAfter(0, 1)).toStrictEqual(all.slice(0, 1));
        const walked: StoredEvent[] = [];
        for (let after = 0; ;) {
          const page = await store.eventsAfter(after, 4);
          if (page.length === 0) break;
          walked.push(...page);
          after = page.at(-1)!.seq;
        }
        expect(walked).toStrictEqual(all);
        for (const event of all) expect(await store.event(event.id)).toStrictEqual(event);
        expect(await store.event('evt_none')).toBeUndefined();

        await store.commit(batchOf({ events: [webhookEvent('later', bob.id)] }));
        const newer = await store.eventsAfter(seqs.at(-1)!, 10);
        expect(newer.map((event) => event.id)).toStrictEqual(['evt_later']);
      });

      it("lists one account's events newest first, by type and document, paged by beforeSeq", async () => {
        const all = await commitEvents();
        const alices = all.filter((event) => event.accountId === alice.id).reverse();
        const listed = async (filter: Parameters<Store['events']>[1]) =>
          (await store.events(alice.id, filter)).map((event) => event.id);
        const ids = (events: StoredEvent[]) => events.map((event) => event.id);
        expect(await store.events(alice.id, { limit: 100 })).toStrictEqual(alices);
        expect(await listed({ limit: 3 })).toStrictEqual(ids(alices.slice(0, 3)));
        expect(await listed({ limit: 100, type: 'invoice.paid' })).toStrictEqual(
          ids(alices.filter((event) => event.type === 'invoice.paid')),
        );
        expect(await listed({ limit: 100, documentId: 'doc_even' })).toStrictEqual(
          ids(alices.filter((event) => event.documentId === 'doc_even')),
        );
        expect(
          await listed({ limit: 100, documentId: 'doc_even', type: 'payment.captured' }),
        ).toStrictEqual(['evt_a6', 'evt_a0']);
        expect(await listed({ limit: 100, type: 'nothing.happened' })).toStrictEqual([]);
        expect(await listed({ limit: 100, documentId: 'doc_none' })).toStrictEqual([]);
        // Bob's event on doc_even is his alone.
        expect(
          (await store.events(bob.id, { limit: 100, documentId: 'doc_even' })).map((e) => e.id),
        ).toStrictEqual(['evt_b0']);
        expect(await store.events('acct_nobody', { limit: 100 })).toStrictEqual([]);

        // beforeSeq pages: alone, and with filters.
        const a4 = alices.find((event) => event.id === 'evt_a4')!;
        expect(await listed({ limit: 100, beforeSeq: a4.seq })).toStrictEqual(
          ['a3', 'a2', 'a1', 'a0'].map((n) => `evt_${n}`),
        );
        expect(await listed({ limit: 2, beforeSeq: a4.seq, documentId: 'doc_odd' })).toStrictEqual([
          'evt_a3',
          'evt_a1',
        ]);
        expect(await listed({ limit: 100, beforeSeq: alices.at(-1)!.seq })).toStrictEqual([]);
        for (const filter of [{}, { type: 'payment.captured' }, { documentId: 'doc_odd' }]) {
          const expected = await listed({ limit: 100, ...filter });
          const walked: string[] = [];
          for (let beforeSeq: number | undefined; ;) {
            const page = await store.events(alice.id, { limit: 2, ...filter, beforeSeq });
            if (page.length === 0) break;
            expect(page.length).toBeLessThanOrEqual(2);
            walked.push(...page.map((event) => event.id));
            beforeSeq = page.at(-1)!.seq;
          }
          expect(walked).toStrictEqual(expected);
        }
      });

      it('refuses an event id taken (in the store or twice in a batch) or of no account, writing nothing', async () => {
        const first = webhookEvent('1', alice.id);
        await store.commit(batchOf({ events: [first] }));
        const before = await store.eventsAfter(0, 10);
        const refused: Partial<WriteBatch>[] = [
          { events: [webhookEvent('fresh', bob.id), webhookEvent('1', bob.id, { type: 'x' })] },
          { events: [webhookEvent('fresh', bob.id), webhookEvent('fresh', bob.id)] },
          { events: [webhookEvent('fresh', bob.id), webhookEvent('orphan', 'acct_none')] },
        ];
        for (const part of refused)
          await expectConflict(store.commit(merge(accountRows('z'), part)));
        expect(await store.eventsAfter(0, 10)).toStrictEqual(before);
        expect(await store.event('evt_fresh')).toBeUndefined();
        expect(await store.accountById('acct_z')).toBeUndefined();
        // A refused event used no seq a later one could be confused with: seqs still increase.
        await store.commit(batchOf({ events: [webhookEvent('2', bob.id)] }));
        const after = await store.eventsAfter(0, 10);
        expect(after.map((event) => event.id)).toStrictEqual(['evt_1', 'evt_2']);
        expect(after[1]!.seq).toBeGreaterThan(after[0]!.seq);
      });
    });

    describe('webhook endpoints', () => {
      const alice = account('alice');
      const bob = account('bob');

      beforeEach(async () => {
        await store.commit(merge(accountRows('alice'), accountRows('bob')));
      });

      it("lists an account's endpoints oldest first (then by id), without deleted ones", async () => {
        const z = endpoint('z', alice.id, { createdAt: T0 + 1 });
        const b = endpoint('b', alice.id, { createdAt: T0 + 2 });
        const a = endpoint('a', alice.id, { createdAt: T0 + 2, events: ['invoice.paid'] });
        const off = endpoint('off', alice.id, {
          createdAt: T0 + 3,
          status: 'disabled',
          disabledAt: T0 + 9,
        });
        const gone = endpoint('gone', alice.id, { createdAt: T0, status: 'deleted' });
        await store.commit(batchOf({ webhookEndpoints: [b, gone, z] }));
        await store.commit(batchOf({ webhookEndpoints: [off, a, endpoint('bob', bob.id)] }));
        expect(await store.webhookEndpoints(alice.id)).toStrictEqual([z, a, b, off]);
        expect(await store.webhookEndpoints(bob.id)).toStrictEqual([endpoint('bob', bob.id)]);
        expect(await store.webhookEndpoints('acct_nobody')).toStrictEqual([]);
        expect(await store.webhookEndpoint(gone.id)).toStrictEqual(gone);
        expect(await store.webhookEndpoint(a.id)).toStrictEqual(a);
        expect(await store.webhookEndpoint('we_none')).toBeUndefined();
      });

      it('replaces a stored endpoint: a rotation, a change of events, disabling, deleting', async () => {
        const created = endpoint('1', alice.id, { events: ['payment.captured'] });
        const other = endpoint('2', alice.id, { createdAt: T0 + 50 });
        await store.commit(batchOf({ webhookEndpoints: [created, other] }));

        const rotated: WebhookEndpointRecord = {
          ...created,
          secret: 'whsec_new',
          previousSecret: created.secret,
          previousSecretUntil: T0 + 86_400_000,
        };
        await store.commit(batchOf({ webhookEndpoints: [rotated] }));
        expect(await store.webhookEndpoint(created.id)).toStrictEqual(rotated);
        expect(await store.webhookEndpoints(alice.id)).toStrictEqual([rotated, other]);

        // Every field is replaced, nulls too; the last of one id in a batch is what stays.
        const changed: WebhookEndpointRecord = {
          ...rotated,
          url: 'https://elsewhere.example.com/hook',
          events: null,
          description: 'all events',
          previousSecret: null,
          previousSecretUntil: null,
          status: 'disabled',
          failingSince: T0 + 60,
          disabledAt: T0 + 70,
        };
        await store.commit(
          batchOf({ webhookEndpoints: [{ ...rotated, description: 'not this' }, changed] }),
        );
        expect(await store.webhookEndpoint(created.id)).toStrictEqual(changed);
        const healthy = {
          ...changed,
          status: 'enabled' as const,
          failingSince: null,
          disabledAt: null,
        };
        await store.commit(batchOf({ webhookEndpoints: [healthy] }));
        expect(await store.webhookEndpoint(created.id)).toStrictEqual(healthy);

        const deleted = { ...healthy, status: 'deleted' as const };
        await store.commit(batchOf({ webhookEndpoints: [deleted] }));
        expect(await store.webhookEndpoints(alice.id)).toStrictEqual([other]);
        expect(await store.webhookEndpoint(created.id)).toStrictEqual(deleted);
      });

      it('an endpoint replaced keeps its deliveries', async () => {
        const hook = endpoint('1', alice.id);
        const event = webhookEvent('1', alice.id);
        const row = delivery('1', event, hook);
        await store.commit(
          batchOf({ events: [event], webhookEndpoints: [hook], deliveries: [row] }),
        );
        await store.commit(batchOf({ webhookEndpoints: [{ ...hook, status: 'deleted' }] }));
        expect(await store.delivery(row.id)).toStrictEqual(row);
        expect(await store.deliveriesOfEvent(event.id)).toStrictEqual([row]);
      });

      it("refuses another account's endpoint id, an endpoint of no account, an unknown status, writing nothing", async () => {
        const hook = endpoint('1', alice.id);
        await store.commit(batchOf({ webhookEndpoints: [hook] }));
        const refused: WebhookEndpointRecord[] = [
          { ...hook, accountId: bob.id, secret: 'whsec_stolen' },
          endpoint('orphan', 'acct_none'),
          { ...endpoint('odd', bob.id), status: 'paused' as WebhookEndpointRecord['status'] },
        ];
        for (const row of refused)
          await expectConflict(
            store.commit(
              merge(accountRows('z'), { webhookEndpoints: [endpoint('fresh', bob.id), row] }),
            ),
          );
        expect(await store.webhookEndpoint(hook.id)).toStrictEqual(hook);
        expect(await store.webhookEndpoints(bob.id)).toStrictEqual([]);
        expect(await store.accountById('acct_z')).toBeUndefined();
      });
    });

    describe('webhook deliveries', () => {
      const alice = account('alice');
      const bob = account('bob');
      const hook = endpoint('1', alice.id);
      const hook2 = endpoint('2', alice.id);
      const bobHook = endpoint('bob', bob.id);
      const event1 = webhookEvent('1', alice.id);
      const event2 = webhookEvent('2', alice.id);
      const bobEvent = webhookEvent('bob', bob.id);

      beforeEach(async () => {
        await store.commit(
          merge(accountRows('alice'), accountRows('bob'), {
            events: [event1, event2, bobEvent],
            webhookEndpoints: [hook, hook2, bobHook],
          }),
        );
      });

      it("lists an event's deliveries oldest first (then by id) and finds each by id", async () => {
        const late = delivery('a', event1, hook, { createdAt: T0 + 30 });
        const twinB = delivery('twin_b', event1, hook2, { createdAt: T0 + 20 });
        const twinA = delivery('twin_a', event1, hook, { createdAt: T0 + 20 });
        const elsewhere = delivery('other', event2, hook);
        await store.commit(batchOf({ deliveries: [late, twinB] }));
        await store.commit(batchOf({ deliveries: [elsewhere, twinA] }));
        expect(await store.deliveriesOfEvent(event1.id)).toStrictEqual([twinA, twinB, late]);
        expect(await store.deliveriesOfEvent(event2.id)).toStrictEqual([elsewhere]);
        expect(await store.deliveriesOfEvent(bobEvent.id)).toStrictEqual([]);
        expect(await store.delivery(twinB.id)).toStrictEqual(twinB);
        expect(await store.delivery('dlv_none')).toBeUndefined();
      });

      it('follows updates, and keeps attempts in attempt order', async () => {
        const created = delivery('1', event1, hook, { nextAttemptAt: T0 + 20 });
        await store.commit(batchOf({ deliveries: [created] }));
        const [claimed] = await store.claimDueDeliveries(T0 + 20, 10, T0 + 50);
        expect(claimed).toStrictEqual({ ...created, leaseUntil: T0 + 50 });

        const retry = { ...created, attempts: 1, nextAttemptAt: T0 + 80, leaseUntil: null };
        const first = deliveryAttempt(created.id, 1, {
          at: T0 + 21,
          statusCode: null,
          latencyMs: 10_000,
          error: 'timeout',
          nextAttemptAt: T0 + 80,
        });
        await store.commit(
          batchOf({ deliveryUpdates: [deliveryUpdate(retry)], deliveryAttempts: [first] }),
        );
        expect(await store.delivery(created.id)).toStrictEqual(retry);
        expect(await store.deliveryAttempts(created.id)).toStrictEqual([first]);

        const done: DeliveryRecord = {
          ...retry,
          state: 'delivered',
          attempts: 2,
          nextAttemptAt: null,
          deliveredAt: T0 + 81,
        };
        const second = deliveryAttempt(created.id, 2, {
          at: T0 + 81,
          statusCode: 204,
          latencyMs: 3.25,
          nextAttemptAt: null,
        });
        await store.commit(
          batchOf({ deliveryUpdates: [deliveryUpdate(done)], deliveryAttempts: [second] }),
        );
        expect(await store.delivery(created.id)).toStrictEqual(done);
        expect(await store.deliveriesOfEvent(event1.id)).toStrictEqual([done]);
        expect(await store.deliveryAttempts(created.id)).toStrictEqual([first, second]);
        expect(await store.deliveryAttempts('dlv_none')).toStrictEqual([]);
        expect(await store.nextDeliveryAt()).toBeUndefined();

        // A delivery given up on.
        const other = delivery('2', event2, hook2, { attempts: 7 });
        await store.commit(batchOf({ deliveries: [other] }));
        const gaveUp = { ...other, state: 'failed' as const, attempts: 8, nextAttemptAt: null };
        await store.commit(batchOf({ deliveryUpdates: [deliveryUpdate(gaveUp)] }));
        expect(await store.delivery(other.id)).toStrictEqual(gaveUp);
      });

      it('writes events, endpoints, deliveries, updates and attempts of one batch in that order', async () => {
        const event = webhookEvent('new', alice.id);
        const to = endpoint('new', alice.id);
        const row = delivery('new', event, to);
        const done = { ...row, state: 'delivered' as const, attempts: 1, deliveredAt: T0 + 30 };
        const attempt = deliveryAttempt(row.id, 1, { statusCode: 200, nextAttemptAt: null });
        await store.commit(
          batchOf({
            deliveryAttempts: [attempt],
            deliveryUpdates: [deliveryUpdate(done)],
            deliveries: [row],
            webhookEndpoints: [to],
            events: [event],
          }),
        );
        expect(await store.delivery(row.id)).toStrictEqual(done);
        expect(await store.deliveryAttempts(row.id)).toStrictEqual([attempt]);
        expect(await store.webhookEndpoint(to.id)).toStrictEqual(to);
        expect(withoutSeq([(await store.event(event.id))!])).toStrictEqual([event]);
      });

      it('refuses a delivery id taken or naming no event or endpoint, an update of no delivery, an attempt taken, writing nothing', async () => {
        const stored = delivery('1', event1, hook);
        await store.commit(
          batchOf({ deliveries: [stored], deliveryAttempts: [deliveryAttempt(stored.id, 1)] }),
        );
        const fresh = delivery('fresh', event2, hook2);
        const refused: Partial<WriteBatch>[] = [
          { deliveries: [delivery('1', event2, hook2)] },
          { deliveries: [delivery('twice', event2, hook), delivery('twice', event2, hook2)] },
          { deliveries: [delivery('x', webhookEvent('none', alice.id), hook)] },
          { deliveries: [delivery('x', event2, endpoint('none', alice.id))] },
          { deliveries: [delivery('x', event2, hook, { accountId: 'acct_none' })] },
          {
            deliveries: [delivery('x', event2, hook, { state: 'lost' as DeliveryRecord['state'] })],
          },
          { deliveryUpdates: [deliveryUpdate(delivery('none', event2, hook))] },
          { deliveryAttempts: [deliveryAttempt(stored.id, 1, { statusCode: 200 })] },
          { deliveryAttempts: [deliveryAttempt('dlv_none', 1)] },
          { deliveryAttempts: [deliveryAttempt(stored.id, 0)] },
        ];
        for (const part of refused)
          await expectConflict(
            store.commit(
              merge(
                accountRows('z'),
                {
                  events: [webhookEvent('fresh', bob.id)],
                  deliveries: [fresh],
                  deliveryUpdates: [deliveryUpdate({ ...stored, attempts: 5, nextAttemptAt: T0 })],
                  deliveryAttempts: [deliveryAttempt(stored.id, 2)],
                },
                part,
              ),
            ),
          );
        expect(await store.delivery(stored.id)).toStrictEqual(stored);
        expect(await store.deliveryAttempts(stored.id)).toStrictEqual([
          deliveryAttempt(stored.id, 1),
        ]);
        expect(await store.delivery(fresh.id)).toBeUndefined();
        expect(await store.deliveriesOfEvent(event2.id)).toStrictEqual([]);
        expect(await store.event('evt_fresh')).toBeUndefined();
        expect(await store.accountById('acct_z')).toBeUndefined();
      });
    });

    describe('claiming deliveries', () => {
      const alice = account('alice');
      const hook = endpoint('1', alice.id);
      const event = webhookEvent('1', alice.id);
      const pending = (
        name: string,
        nextAttemptAt: number | null,
        more: Partial<DeliveryRecord> = {},
      ) => delivery(name, event, hook, { nextAttemptAt, ...more });

      beforeEach(async () => {
        await store.commit(
          merge(accountRows('alice'), { events: [event], webhookEndpoints: [hook] }),
        );
      });

      const ids = (rows: DeliveryRecord[]) => rows.map((row) => row.id);

      it('claims no more of one endpoint than its share, counting what the claimer holds', async () => {
        const other = endpoint('2', alice.id);
        await store.commit(batchOf({ webhookEndpoints: [other] }));
        await store.commit(
          batchOf({
            deliveries: [
              pending('a1', T0 + 1),
              pending('a2', T0 + 2),
              pending('a3', T0 + 3),
              delivery('b1', event, other, { nextAttemptAt: T0 + 4 }),
            ],
          }),
        );
        const share = { perEndpoint: 2, busy: new Map([[hook.id, 1]]) };
        // One of the first endpoint's (it holds one already), and the other's.
        expect(ids(await store.claimDueDeliveries(T0 + 10, 10, T0 + 50, share))).toStrictEqual([
          'dlv_a1',
          'dlv_b1',
        ]);
        // The rest is left unleased for the next claim.
        expect((await store.delivery('dlv_a2'))?.leaseUntil).toBeNull();
        const free = { perEndpoint: 2, busy: new Map<string, number>() };
        expect(ids(await store.claimDueDeliveries(T0 + 10, 10, T0 + 50, free))).toStrictEqual([
          'dlv_a2',
          'dlv_a3',
        ]);
      });

      it('claims due, unleased, pending deliveries, earliest first, at most limit, and leases them', async () => {
        const rows = [
          pending('p1', T0 + 10),
          pending('p3', T0 + 5),
          pending('p2', T0 + 5),
          pending('later', T0 + 50),
          pending('held', T0 + 1, { leaseUntil: T0 + 30 }),
          pending('expired', T0 + 8, { leaseUntil: T0 + 19 }),
          pending('no_time', null),
          pending('delivered', T0 + 1, { state: 'delivered', deliveredAt: T0 + 2 }),
          pending('failed', T0 + 1, { state: 'failed' }),
        ];
        await store.commit(batchOf({ deliveries: rows }));
        const byName = (name: string) => rows.find((row) => row.id === `dlv_${name}`)!;
        const now = T0 + 20;

        const first = await store.claimDueDeliveries(now, 3, T0 + 80);
        expect(first).toStrictEqual(
          ['p2', 'p3', 'expired'].map((name) => ({ ...byName(name), leaseUntil: T0 + 80 })),
        );
        for (const row of first) expect(await store.delivery(row.id)).toStrictEqual(row);
        expect(ids(await store.claimDueDeliveries(now, 10, T0 + 80))).toStrictEqual(['dlv_p1']);
        expect(await store.claimDueDeliveries(now, 10, T0 + 80)).toStrictEqual([]);
        // Due now: 'later'; the lease of 'held' (through T0 + 30) has run out.
        expect(ids(await store.claimDueDeliveries(T0 + 50, 10, T0 + 90))).toStrictEqual([
          'dlv_held',
          'dlv_later',
        ]);
        // At T0 + 80 the first leases still hold; just after, they are claimable again.
        expect(await store.claimDueDeliveries(T0 + 80, 10, T0 + 200)).toStrictEqual([]);
        expect(ids(await store.claimDueDeliveries(T0 + 81, 10, T0 + 200))).toStrictEqual([
          'dlv_p2',
          'dlv_p3',
          'dlv_expired',
          'dlv_p1',
        ]);
        expect(await store.claimDueDeliveries(Number.MAX_SAFE_INTEGER - 1, 0, T0)).toStrictEqual(
          [],
        );
        // Never the undue, finished or timeless ones; their rows are untouched.
        for (const name of ['no_time', 'delivered', 'failed'])
          expect(await store.delivery(`dlv_${name}`)).toStrictEqual(byName(name));
      });

      it('a delivery updated after its attempt is claimed again at its next attempt', async () => {
        const row = pending('1', T0 + 10);
        await store.commit(batchOf({ deliveries: [row] }));
        expect(await store.claimDueDeliveries(T0 + 10, 1, T0 + 1_000)).toHaveLength(1);
        // The worker is done with it before its lease ends: the update drops the lease.
        const retry = { ...row, attempts: 1, nextAttemptAt: T0 + 100, leaseUntil: null };
        await store.commit(batchOf({ deliveryUpdates: [deliveryUpdate(retry)] }));
        expect(await store.claimDueDeliveries(T0 + 99, 1, T0 + 1_000)).toStrictEqual([]);
        expect(await store.claimDueDeliveries(T0 + 100, 1, T0 + 1_000)).toStrictEqual([
          { ...retry, leaseUntil: T0 + 1_000 },
        ]);
      });

      it('reports when a claim could next succeed', async () => {
        expect(await store.nextDeliveryAt()).toBeUndefined();
        await store.commit(
          batchOf({
            deliveries: [
              pending('no_time', null),
              pending('done', T0 + 1, { state: 'delivered', deliveredAt: T0 + 2 }),
              pending('failed', T0 + 1, { state: 'failed' }),
            ],
          }),
        );
        expect(await store.nextDeliveryAt()).toBeUndefined();
        await store.commit(batchOf({ deliveries: [pending('later', T0 + 50)] }));
        expect(await store.nextDeliveryAt()).toBe(T0 + 50);
        // Due earlier but leased past T0 + 50: the lease does not bring the time forward.
        await store.commit(
          batchOf({ deliveries: [pending('held', T0 + 10, { leaseUntil: T0 + 60 })] }),
        );
        expect(await store.nextDeliveryAt()).toBe(T0 + 50);
        // Leased through T0 + 30: claimable from T0 + 31.
        await store.commit(
          batchOf({ deliveries: [pending('short', T0 + 10, { leaseUntil: T0 + 30 })] }),
        );
        expect(await store.nextDeliveryAt()).toBe(T0 + 31);
        expect(await store.claimDueDeliveries(T0 + 30, 10, T0 + 500)).toStrictEqual([]);
        expect(ids(await store.claimDueDeliveries(T0 + 31, 10, T0 + 500))).toStrictEqual([
          'dlv_short',
        ]);
        // A lease that ran out long ago: due at its nextAttemptAt.
        await store.commit(
          batchOf({ deliveries: [pending('stale', T0 + 40, { leaseUntil: T0 + 2 })] }),
        );
        expect(await store.nextDeliveryAt()).toBe(T0 + 40);
        const claimed = await store.claimDueDeliveries(T0 + 100, 10, T0 + 700);
        expect(ids(claimed)).toStrictEqual(['dlv_held', 'dlv_stale', 'dlv_later']);
        expect(await store.nextDeliveryAt()).toBe(T0 + 501);
      });

      if (options.durable)
        it('two stores on one database never claim one delivery while its lease holds', async ({
          skip,
        }) => {
          const rows = Array.from({ length: 9 }, (_, i) => pending(`d${i}`, T0 + i));
          await store.commit(batchOf({ deliveries: rows }));
          if (opened.reopen === undefined) skip('this store does not outlive close()');
          const second = await opened.reopen!();
          live.push(second);
          await second.migrate();
          const now = T0 + 100;
          const byFirst: string[] = [];
          const bySecond: string[] = [];
          for (let round = 0; round < 4; round++) {
            byFirst.push(...ids(await store.claimDueDeliveries(now, 2, T0 + 500)));
            bySecond.push(...ids(await second.claimDueDeliveries(now, 1, T0 + 500)));
          }
          // Claimed alternately, in due order, each delivery by one store only.
          expect(byFirst).toStrictEqual([
            'dlv_d0',
            'dlv_d1',
            'dlv_d3',
            'dlv_d4',
            'dlv_d6',
            'dlv_d7',
          ]);
          expect(bySecond).toStrictEqual(['dlv_d2', 'dlv_d5', 'dlv_d8']);
          // Both claiming at once (as far as the adapter overlaps them): still nothing shared.
          const more = Array.from({ length: 20 }, (_, i) => pending(`m${i}`, T0 + i));
          await second.commit(batchOf({ deliveries: more }));
          const [a, b] = await Promise.all([
            store.claimDueDeliveries(now, 15, T0 + 500),
            second.claimDueDeliveries(now, 15, T0 + 500),
          ]);
          expect(ids(a).filter((id) => ids(b).includes(id))).toStrictEqual([]);
          expect(jsSorted([...ids(a), ...ids(b)])).toStrictEqual(jsSorted(ids(more)));
          expect(await second.claimDueDeliveries(T0 + 500, 100, T0 + 900)).toStrictEqual([]);
          expect(await store.claimDueDeliveries(T0 + 500, 100, T0 + 900)).toStrictEqual([]);
          // Once the leases run out, either store may claim what the other held.
          const again = await second.claimDueDeliveries(T0 + 501, 100, T0 + 900);
          expect(jsSorted(ids(again))).toStrictEqual(jsSorted([...ids(rows), ...ids(more)]));
          expect(await store.nextDeliveryAt()).toBe(T0 + 901);
        });
    });

    describe('conflicts and atomicity', () => {
      const alice = account('alice');
      const bob = account('bob');
      const carol = account('carol');
      const aliceTl = alice.timelineId;
      const bobTl = bob.timelineId;
      const base1 = doc('doc_1', alice.id);
      const base3 = doc('doc_3', alice.id, { version: 2, blueId: 'doc_3_v2', nextTimerAt: T0 + 7 });
      const baseEvent = webhookEvent('base', alice.id, { documentId: 'doc_1' });
      const baseEndpoint = endpoint('base', alice.id);
      const byEvent = webhookEvent('by', bob.id, { documentId: 'doc_2' });
      const byEndpoint = endpoint('by', bob.id);
      const byDelivery = delivery('by', byEvent, byEndpoint);

      beforeEach(async () => {
        await store.commit(
          merge(accountRows('alice'), accountRows('bob'), {
            apiKeys: [apiKey('sha_alice', alice.id)],
            entries: [entry(aliceTl, 1), entry(aliceTl, 2)],
            documents: [
              { record: base1, expectedVersion: 0 },
              { record: base3, expectedVersion: 0 },
            ],
            subscriptions: [{ documentId: 'doc_1', timelineId: aliceTl }],
            participants: [{ documentId: 'doc_1', accountId: alice.id }],
            results: [result('doc_1', 1)],
            events: [baseEvent],
            webhookEndpoints: [baseEndpoint],
          }),
        );
        await store.commit(
          batchOf({
            timelineHeads: [
              { id: aliceTl, headSequence: 2, headBlueId: `${aliceTl}_e2`, expectedSequence: 0 },
            ],
          }),
        );
      });

      /** Rows that would be fine on their own; a refused batch must not write any of them. */
      function bystanders(): WriteBatch {
        return merge(accountRows('carol'), {
          apiKeys: [apiKey('sha_carol', carol.id)],
          keyRevocations: [{ id: 'key_sha_alice', accountId: alice.id, revokedAt: T0 + 50 }],
          timelineHeads: [
            { id: bobTl, headSequence: 1, headBlueId: `${bobTl}_e1`, expectedSequence: 0 },
          ],
          entries: [entry(bobTl, 1)],
          documents: [{ record: doc('doc_2', bob.id), expectedVersion: 0 }],
          participants: [
            { documentId: 'doc_2', accountId: bob.id },
            { documentId: 'doc_1', accountId: carol.id },
          ],
          subscriptions: [{ documentId: 'doc_2', timelineId: bobTl }],
          refs: [{ ref: 'ch_2', documentId: 'doc_2' }],
          results: [result('doc_2', 1)],
          idempotency: [idempotencyKey(bob.id, 'k2')],
          events: [byEvent],
          webhookEndpoints: [byEndpoint, { ...baseEndpoint, secret: 'whsec_rotated' }],
          deliveries: [byDelivery, delivery('base', baseEvent, baseEndpoint)],
          deliveryUpdates: [deliveryUpdate({ ...byDelivery, attempts: 1, nextAttemptAt: T0 + 90 })],
          deliveryAttempts: [deliveryAttempt(byDelivery.id, 1)],
        });
      }

      async function expectNoBystanders(): Promise<void> {
        expect(await store.countAccounts()).toBe(2);
        expect(await store.accountById(carol.id)).toBeUndefined();
        expect(await store.accountByEmail(carol.email)).toBeUndefined();
        expect(await store.accountByKeyHash('sha_carol')).toBeUndefined();
        expect(await store.accountByKeyHash('sha_alice')).toStrictEqual(alice);
        expect(await store.apiKeys(alice.id)).toStrictEqual([
          keyInfo(apiKey('sha_alice', alice.id)),
        ]);
        expect(await store.timeline(carol.timelineId)).toBeUndefined();
        expect(await store.timeline(bobTl)).toStrictEqual(timeline(bobTl, bob.id));
        expect(await store.entries(bobTl, 0, 10)).toStrictEqual([]);
        expect(await store.document('doc_2')).toBeUndefined();
        expect(await store.isParticipant('doc_2', bob.id)).toBe(false);
        expect(await store.isParticipant('doc_1', carol.id)).toBe(false);
        expect(await store.documentsOnTimeline(bobTl)).toStrictEqual([]);
        expect(await store.documentIdByRef('ch_2')).toBeUndefined();
        expect(await store.results('doc_2')).toStrictEqual([]);
        expect(await store.idempotency(bob.id, 'k2')).toBeUndefined();
        expect(withoutSeq(await store.eventsAfter(0, 100))).toStrictEqual([baseEvent]);
        expect(await store.webhookEndpoint(byEndpoint.id)).toBeUndefined();
        expect(await store.webhookEndpoint(baseEndpoint.id)).toStrictEqual(baseEndpoint);
        expect(await store.deliveriesOfEvent(baseEvent.id)).toStrictEqual([]);
        expect(await store.delivery(byDelivery.id)).toBeUndefined();
        expect(await store.deliveryAttempts(byDelivery.id)).toStrictEqual([]);
        expect(await store.nextDeliveryAt()).toBeUndefined();
      }

      async function expectBaseUntouched(): Promise<void> {
        expect(await store.timeline(aliceTl)).toStrictEqual(
          timeline(aliceTl, alice.id, { headSequence: 2, headBlueId: `${aliceTl}_e2` }),
        );
        expect(await store.entries(aliceTl, 0, 10)).toStrictEqual([
          entry(aliceTl, 1),
          entry(aliceTl, 2),
        ]);
        expect(await store.document('doc_1')).toStrictEqual(base1);
        expect(await store.document('doc_3')).toStrictEqual(base3);
        expect(await store.results('doc_1')).toStrictEqual([result('doc_1', 1)]);
        expect(await store.nextTimerAt()).toBe(T0 + 7);
      }

      it('the bystanders commit fine on their own (the fixture is valid)', async () => {
        await store.commit(merge(bystanders()));
        expect(await store.countAccounts()).toBe(3);
        expect(await store.document('doc_2')).toStrictEqual(doc('doc_2', bob.id));
        expect(await store.entries(bobTl, 0, 10)).toStrictEqual([entry(bobTl, 1)]);
        expect(await store.isParticipant('doc_1', carol.id)).toBe(true);
        expect(await store.accountByKeyHash('sha_alice')).toBeUndefined();
        expect(withoutSeq(await store.events(bob.id, { limit: 10 }))).toStrictEqual([byEvent]);
        expect((await store.webhookEndpoint(baseEndpoint.id))?.secret).toBe('whsec_rotated');
        expect(await store.delivery(byDelivery.id)).toStrictEqual({
          ...byDelivery,
          attempts: 1,
          nextAttemptAt: T0 + 90,
        });
        expect(await store.deliveryAttempts(byDelivery.id)).toStrictEqual([
          deliveryAttempt(byDelivery.id, 1),
        ]);
      });

      it('a stale document version refuses the whole batch', async () => {
        const v2 = doc('doc_1', alice.id, {
          version: 2,
          blueId: 'doc_1_v2',
          state: { won: 'first' },
        });
        await store.commit(batchOf({ documents: [{ record: v2, expectedVersion: 1 }] }));
        // A second writer that also read version 1.
        const stale = doc('doc_1', alice.id, {
          version: 2,
          blueId: 'doc_1_v2b',
          state: { won: 'second' },
        });
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              documents: [{ record: stale, expectedVersion: 1 }],
              results: [result('doc_1', 2, { blueId: 'doc_1_v2b' })],
            }),
          ),
        );
        expect(await store.document('doc_1')).toStrictEqual(v2);
        expect(await store.results('doc_1')).toStrictEqual([result('doc_1', 1)]);
        await expectNoBystanders();
      });

      it('an expected version ahead of the stored one is refused too', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              documents: [{ record: doc('doc_1', alice.id, { version: 6 }), expectedVersion: 5 }],
            }),
          ),
        );
        await expectBaseUntouched();
        await expectNoBystanders();
      });

      it('updating a document that does not exist is refused', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              documents: [
                { record: doc('doc_ghost', alice.id, { version: 2 }), expectedVersion: 1 },
              ],
            }),
          ),
        );
        expect(await store.document('doc_ghost')).toBeUndefined();
        await expectNoBystanders();
      });

      it('creating a document that exists (expectedVersion 0) is refused', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              documents: [
                {
                  record: doc('doc_1', alice.id, { state: { overwritten: true }, version: 1 }),
                  expectedVersion: 0,
                },
              ],
            }),
          ),
        );
        await expectBaseUntouched();
        await expectNoBystanders();
      });

      it('one stale document among good ones refuses them all', async () => {
        const good = doc('doc_1', alice.id, { version: 2, blueId: 'doc_1_v2' });
        const stale = doc('doc_3', alice.id, { version: 2, blueId: 'doc_3_v2b' });
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              documents: [
                { record: good, expectedVersion: 1 },
                { record: stale, expectedVersion: 1 },
              ],
            }),
          ),
        );
        await expectBaseUntouched();
        await expectNoBystanders();
      });

      it('a stale timeline head refuses the whole batch', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              timelineHeads: [
                { id: aliceTl, headSequence: 3, headBlueId: `${aliceTl}_e3`, expectedSequence: 1 },
              ],
              entries: [entry(aliceTl, 3)],
            }),
          ),
        );
        await expectBaseUntouched();
        await expectNoBystanders();
      });

      it('moving the head of a timeline that does not exist is refused', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              timelineHeads: [
                { id: 'tl_ghost', headSequence: 1, headBlueId: 'x', expectedSequence: 0 },
              ],
            }),
          ),
        );
        expect(await store.timeline('tl_ghost')).toBeUndefined();
        await expectNoBystanders();
      });

      it('an entry at a taken (timeline, sequence) is refused with everything else', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), { entries: [entry(aliceTl, 2, { blueId: 'fresh_blue_id' })] }),
          ),
        );
        await expectBaseUntouched();
        await expectNoBystanders();
      });

      it('an entry whose blueId exists (on any timeline) is refused with everything else', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              timelineHeads: [
                { id: aliceTl, headSequence: 3, headBlueId: `${aliceTl}_e1`, expectedSequence: 2 },
              ],
              entries: [entry(aliceTl, 3, { blueId: `${aliceTl}_e1` })],
            }),
          ),
        );
        await expectBaseUntouched();
        await expectNoBystanders();

        await expectConflict(
          store.commit(merge({ entries: [entry(bobTl, 1, { blueId: `${aliceTl}_e2` })] })),
        );
        expect(await store.entries(bobTl, 0, 10)).toStrictEqual([]);
      });

      it('two entries with one blueId in one batch are refused', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              entries: [
                entry(aliceTl, 3, { blueId: 'twin' }),
                entry(aliceTl, 4, { blueId: 'twin' }),
              ],
            }),
          ),
        );
        await expectBaseUntouched();
        await expectNoBystanders();
      });

      it('a taken event id refuses the whole batch', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              events: [webhookEvent('base', bob.id, { type: 'invoice.paid', data: {} })],
            }),
          ),
        );
        await expectBaseUntouched();
        await expectNoBystanders();
      });

      it('two events with one id in one batch are refused', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              events: [webhookEvent('twin', alice.id), webhookEvent('twin', bob.id)],
            }),
          ),
        );
        expect(await store.event('evt_twin')).toBeUndefined();
        await expectBaseUntouched();
        await expectNoBystanders();
      });

      it('an update of a delivery that does not exist refuses the whole batch', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              deliveryUpdates: [deliveryUpdate(delivery('ghost', baseEvent, baseEndpoint))],
            }),
          ),
        );
        expect(await store.delivery('dlv_ghost')).toBeUndefined();
        await expectBaseUntouched();
        await expectNoBystanders();
      });

      it('the store keeps working after a refused commit', async () => {
        await expectConflict(
          store.commit(
            merge(bystanders(), {
              documents: [{ record: doc('doc_1', alice.id, { version: 9 }), expectedVersion: 8 }],
            }),
          ),
        );
        await store.commit(bystanders());
        expect(await store.countAccounts()).toBe(3);
        expect(await store.timeline(bobTl)).toStrictEqual(
          timeline(bobTl, bob.id, { headSequence: 1, headBlueId: `${bobTl}_e1` }),
        );
        expect(await store.document('doc_2')).toStrictEqual(doc('doc_2', bob.id));
        expect(await store.idempotency(bob.id, 'k2')).toStrictEqual(idempotencyKey(bob.id, 'k2'));
        expect(withoutSeq(await store.eventsAfter(0, 100))).toStrictEqual([baseEvent, byEvent]);
      });
    });

    if (options.durable)
      describe('durability', () => {
        it('everything committed is there after close and reopen', async ({ skip }) => {
          const rows = everyKind();
          await store.commit(rows.batch);
          // Events keep their store-assigned seq across a reopen.
          const before = await store.eventsAfter(0, 100);
          const next = await reopen(skip);
          await expectEveryKind(next, rows);
          expect(await next.eventsAfter(0, 100)).toStrictEqual(before);
        });

        it('a lease outlives close and reopen', async ({ skip }) => {
          const rows = everyKind();
          await store.commit(rows.batch);
          const pending = rows.deliveries[0]!;
          const now = pending.nextAttemptAt!;
          expect(await store.claimDueDeliveries(now, 10, now + 30_000)).toStrictEqual([
            { ...pending, leaseUntil: now + 30_000 },
          ]);
          const next = await reopen(skip);
          expect(await next.claimDueDeliveries(now + 30_000, 10, now + 60_000)).toStrictEqual([]);
          expect(await next.nextDeliveryAt()).toBe(now + 30_001);
          expect(await next.claimDueDeliveries(now + 30_001, 10, now + 60_000)).toStrictEqual([
            { ...pending, leaseUntil: now + 60_000 },
          ]);
        });

        it('a reopened store accepts further commits, guarded by what was stored', async ({
          skip,
        }) => {
          const rows = everyKind();
          await store.commit(rows.batch);
          const lastSeq = (await store.eventsAfter(0, 100)).at(-1)?.seq ?? 0;
          const next = await reopen(skip);
          await expectConflict(
            next.commit(
              batchOf({
                documents: [{ record: { ...rows.invoice, version: 3 }, expectedVersion: 2 }],
              }),
            ),
          );
          const v4 = { ...rows.invoice, version: 4, blueId: 'v4', state: { after: 'reopen' } };
          await next.commit(
            batchOf({
              documents: [{ record: v4, expectedVersion: 3 }],
              events: [webhookEvent('after_reopen', rows.alice.id, { documentId: v4.id })],
            }),
          );
          expect(await next.document(v4.id)).toStrictEqual(v4);
          // A seq is never given twice, across a reopen too.
          const newer = await next.eventsAfter(lastSeq, 10);
          expect(newer.map((row) => row.id)).toStrictEqual(['evt_after_reopen']);
          expect(newer[0]!.seq).toBeGreaterThan(lastSeq);
        });
      });
  });
}
