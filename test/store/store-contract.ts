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
  DocumentRecord,
  EntryRecord,
  IdempotencyRecord,
  OutboxRecord,
  ParticipantKeyRecord,
  ResultRecord,
  TimelineRecord,
  WriteBatch,
} from '../../src/store/store-records.js';

/** What an adapter's test file hands the contract for every test: a fresh, unmigrated store. */
export interface OpenedStore {
  store: Store;
  /**
   * Opens another Store on the same data (the suite closes the first one before). Omit it for a
   * store whose data does not outlive close(), such as SQLite `:memory:`.
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

function outboxRow(documentId: string, kind: string, payload: JsonObject = { documentId, kind }) {
  const row: Omit<OutboxRecord, 'id' | 'deliveredAt'> = {
    documentId,
    kind,
    payload,
    createdAt: T0 + 5,
  };
  return row;
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
  const outbox = [
    outboxRow(invoice.id, 'webhook', { event: 'invoice.paid', data: TRICKY }),
    outboxRow(untyped.id, 'bitpay'),
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
    outbox,
    participantKeys,
    cosignatures,
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
    outbox,
    participantKeys,
    cosignatures,
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

  const outbox = await store.outbox(0, 100);
  expect(outbox.map(({ id: _id, deliveredAt: _d, ...rest }) => rest)).toStrictEqual(rows.outbox);
  expect(outbox.map((row) => row.deliveredAt)).toStrictEqual([null, null]);

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
        expect(await store.outbox(0, 10)).toStrictEqual([]);
        expect(await store.participantKeys('acct_x')).toStrictEqual([]);
        expect(await store.participantKey('ed25519:x')).toBeUndefined();
        expect(await store.cosignatures('tl_x', 1)).toStrictEqual([]);
      });

      it('an empty batch commits and changes nothing', async () => {
        await store.commit(emptyBatch());
        expect(await store.countAccounts()).toBe(0);
        expect(await store.outbox(0, 10)).toStrictEqual([]);
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

    describe('outbox', () => {
      it('assigns increasing positive ids in batch order and pages with after', async () => {
        await store.commit(
          batchOf({
            outbox: [outboxRow('d1', 'one'), outboxRow('d2', 'two'), outboxRow('d1', 'three')],
          }),
        );
        await store.commit(batchOf({ outbox: [outboxRow('d3', 'four'), outboxRow('d3', 'five')] }));
        const all = await store.outbox(0, 100);
        expect(all.map((row) => row.kind)).toStrictEqual(['one', 'two', 'three', 'four', 'five']);
        const ids = all.map((row) => row.id);
        for (const id of ids) expect(Number.isSafeInteger(id) && id > 0).toBe(true);
        for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
        expect(all[2]).toStrictEqual({
          ...outboxRow('d1', 'three'),
          id: ids[2],
          deliveredAt: null,
        });

        expect(await store.outbox(ids[1]!, 2)).toStrictEqual(all.slice(2, 4));
        expect(await store.outbox(ids[3]!, 10)).toStrictEqual(all.slice(4));
        expect(await store.outbox(ids[4]!, 10)).toStrictEqual([]);
        expect(await store.outbox(0, 1)).toStrictEqual(all.slice(0, 1));

        await store.commit(batchOf({ outbox: [outboxRow('d4', 'six')] }));
        const newer = await store.outbox(ids[4]!, 10);
        expect(newer.map((row) => row.kind)).toStrictEqual(['six']);
        expect(newer[0]!.id).toBeGreaterThan(ids[4]!);
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
            outbox: [outboxRow('doc_1', 'created')],
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
          outbox: [outboxRow('doc_2', 'created')],
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
        expect((await store.outbox(0, 100)).map((row) => row.documentId)).toStrictEqual(['doc_1']);
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
        expect((await store.outbox(0, 100)).map((row) => row.documentId)).toStrictEqual([
          'doc_1',
          'doc_2',
        ]);
      });
    });

    if (options.durable)
      describe('durability', () => {
        it('everything committed is there after close and reopen', async ({ skip }) => {
          const rows = everyKind();
          await store.commit(rows.batch);
          const before = await store.outbox(0, 100);
          const next = await reopen(skip);
          await expectEveryKind(next, rows);
          expect(await next.outbox(0, 100)).toStrictEqual(before);
        });

        it('a reopened store accepts further commits, guarded by what was stored', async ({
          skip,
        }) => {
          const rows = everyKind();
          await store.commit(rows.batch);
          const lastId = (await store.outbox(0, 100)).at(-1)?.id ?? 0;
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
              outbox: [outboxRow(v4.id, 'after-reopen')],
            }),
          );
          expect(await next.document(v4.id)).toStrictEqual(v4);
          const newer = await next.outbox(lastId, 10);
          expect(newer.map((row) => row.kind)).toStrictEqual(['after-reopen']);
          expect(newer[0]!.id).toBeGreaterThan(lastId);
        });
      });
  });
}
