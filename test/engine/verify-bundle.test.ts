import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ExportBundle } from '../../src/engine/bundle-format.js';
import { BUNDLE_SCHEMA } from '../../src/engine/bundle-schema.js';
import type { VerifyReport } from '../../src/engine/verify-bundle.js';
import { verifyBundle, verifyExtends } from '../../src/engine/verify-bundle.js';
import type { NewAccount } from '../../src/engine/accounts.js';
import type { JsonObject } from '../../src/model/json.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import { keyIdOf } from '../../src/engine/signing-keys.js';
import { encodeBase64 } from '../../src/tlog/base64.js';
import { ed25519PublicKeyBytes, ed25519Signer } from '../../src/tlog/note-key.js';
import { parseNote, signNote } from '../../src/tlog/signed-note.js';
import type { TestApp } from '../http/support/test-app.js';
import { bearer, testApp } from '../http/support/test-app.js';

// Issue 13: an export bundle verifies offline, and any change to it is caught and placed.
type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'paydoc-verify-'));
const db = join(dir, 'verify.db');
const sandbox = new IsolateHost();
const example = readFileSync(
  new URL('../../documents/examples/delivery-guarantee.yaml', import.meta.url),
  'utf8',
);
let t: TestApp;
let merchant: NewAccount;
let courier: NewAccount;
let documentId: string;
let courierTimeline: string;
let bundle: ExportBundle;

async function post(url: string, body: unknown, who: NewAccount, type = 'application/json') {
  return t.app.inject({
    method: 'POST',
    url,
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { ...bearer(who.apiKey), 'content-type': type },
  });
}

async function say(message: Json, app = t): Promise<void> {
  const answer = await app.app.inject({
    method: 'POST',
    url: `/timelines/${courierTimeline}/entries`,
    payload: { message },
    headers: bearer(courier.apiKey),
  });
  expect(answer.statusCode, answer.body).toBe(201);
}

async function exportOf(app = t, query = ''): Promise<ExportBundle> {
  const answer = await app.app.inject({
    method: 'GET',
    url: `/blue/${documentId}/export${query}`,
    headers: bearer(merchant.apiKey),
  });
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.json() as ExportBundle;
}

const verify = (value: unknown): Promise<VerifyReport> => verifyBundle(value, { sandbox });

function copy(): ExportBundle {
  return structuredClone(bundle);
}

/** One character of a base64 or id text changed (still valid base64). */
function flip(text: string, at = 10): string {
  const char = text[at] === 'A' ? 'B' : 'A';
  return `${text.slice(0, at)}${char}${text.slice(at + 1)}`;
}

beforeAll(async () => {
  t = await testApp({ db });
  merchant = await t.account('merchant@example.com');
  const posted = await post('/blue', example, merchant, 'application/yaml');
  expect(posted.statusCode, posted.body).toBe(201);
  const state = posted.json() as Json;
  const contracts = state.contracts as Record<string, Json>;
  documentId = String(contracts.initialized?.documentId);
  courierTimeline = String(contracts.deliveryTimeline?.timelineId);
  courier = await t.account('dhl-tracking@example.com');
  await say({ type: 'Chat Message', message: 'in transit' });
  await say({ type: 'Package Delivered', timestamp: 1692275400000 });
  // The courier co-signs its timeline's checkpoint with a key of its own.
  const { privateKey } = generateKeyPairSync('ed25519');
  const registered = await post(
    '/accounts/me/participant-keys',
    { publicKey: encodeBase64(ed25519PublicKeyBytes(privateKey)) },
    courier,
  );
  expect(registered.statusCode, registered.body).toBe(201);
  const note = await t.app.inject({
    method: 'GET',
    url: `/timelines/${courierTimeline}/checkpoint`,
    headers: bearer(courier.apiKey),
  });
  const parsed = parseNote(note.body);
  if (!parsed.ok) throw new Error(parsed.message);
  const signed = signNote(parsed.note.text, [ed25519Signer(courier.account.id, privateKey)]);
  const line = signed.split('\n').find((text) => text.startsWith(`\u2014 ${courier.account.id} `));
  const size = Number(parsed.note.text.split('\n')[1]);
  const cosigned = await post(
    `/timelines/${courierTimeline}/checkpoints/${size}/cosignatures`,
    {
      keyId: (registered.json() as Json).keyId,
      signature: String(line?.slice(`\u2014 ${courier.account.id} `.length)),
    },
    courier,
  );
  expect(cosigned.statusCode, cosigned.body).toBe(201);
  bundle = await exportOf();
});

afterAll(async () => {
  await t.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the bundle format', () => {
  it('is documented as a JSON Schema (docs/export-bundle.schema.json), which an export meets', () => {
    const documented = JSON.parse(
      readFileSync(new URL('../../docs/export-bundle.schema.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(documented).toEqual(BUNDLE_SCHEMA);
    const validate = new Ajv2020({ strict: false }).compile(documented as object);
    expect(validate(bundle), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...bundle, inputs: [] })).toBe(false);
    expect(bundle).toMatchObject({ format: 'paydoc-export', version: 1, documentId });
  });
});

describe('an untouched bundle', () => {
  it('verifies: every input replayed to the server’s final BlueId, signatures and proofs checked', async () => {
    const head = await t.app.inject({
      method: 'GET',
      url: `/blue/${documentId}`,
      headers: bearer(merchant.apiKey),
    });
    const report = await verify(bundle);
    expect(report.ok, JSON.stringify(report)).toBe(true);
    if (!report.ok) return;
    expect(report.summary.blueId).toBe(String(head.headers.etag).replaceAll('"', ''));
    expect(report.summary).toMatchObject({
      documentId,
      inputs: bundle.inputs.length,
      cosignatures: 1,
      timelines: bundle.timelines.length,
    });
    expect(report.summary.entries).toBe(bundle.inputs.filter((input) => input.entry).length);
    expect(bundle.inputs.some((input) => input.origin === 'processor' && input.entry)).toBe(true);
  });

  it('refuses a malformed or repeated ?previous= with its name, and answers a good one', async () => {
    const url = `/blue/${documentId}/export`;
    const ask = (query: string) =>
      t.app.inject({ method: 'GET', url: `${url}${query}`, headers: bearer(merchant.apiKey) });
    for (const query of [
      '?previous=nosize',
      '?previous=tl_x:0',
      '?previous=:3',
      '?previous=a:1&previous=b:2',
    ]) {
      const refused = await ask(query);
      expect(refused.statusCode, query).toBe(400);
      expect((refused.json() as { error: Json }).error).toMatchObject({
        code: 'invalid_request',
        param: 'previous',
      });
    }
    const known = bundle.timelines[0];
    const answered = await ask(`?previous=${known?.timelineId ?? ''}:1`);
    expect(answered.statusCode).toBe(200);
    const timeline = (answered.json() as ExportBundle).timelines.find(
      (x) => x.timelineId === known?.timelineId,
    );
    expect(timeline?.consistency.map((proof) => proof.from)).toEqual(
      (known?.size ?? 0) > 1 ? [1] : [],
    );
  });

  it('is refused by the other party only when it is not theirs to read', async () => {
    const stranger = await t.account('stranger@example.com');
    const refused = await t.app.inject({
      method: 'GET',
      url: `/blue/${documentId}/export`,
      headers: bearer(stranger.apiKey),
    });
    expect(refused.statusCode).toBe(404);
    const courierCopy = await t.app.inject({
      method: 'GET',
      url: `/blue/${documentId}/export`,
      headers: bearer(courier.apiKey),
    });
    expect(courierCopy.statusCode).toBe(200);
  });
});

/** Where the first entry of the courier, an answer of the processor and a result sit. */
function indexOf(predicate: (input: ExportBundle['inputs'][number]) => boolean): number {
  const index = bundle.inputs.findIndex(predicate);
  expect(index).toBeGreaterThan(0);
  return index;
}

const courierEntry = () => indexOf((input) => input.entry?.timelineId === courierTimeline);
const answerEntry = () =>
  indexOf((input) => input.origin === 'processor' && input.entry !== undefined);

type Tamper = [
  name: string,
  change: (copy: ExportBundle) => void,
  check: string | string[],
  at: RegExp,
];

const tampers: Tamper[] = [
  [
    'one byte of an entry’s message',
    (b) => {
      const entry = b.inputs[courierEntry()]?.event.entry as Json;
      entry.message = { ...(entry.message as Json), message: 'in transiT' };
    },
    'entry',
    /^\/inputs\/\d+\/event\/entry$/,
  ],
  [
    'an entry’s timestamp',
    (b) => {
      const entry = b.inputs[courierEntry()]?.event.entry as Json;
      entry.timestamp = Number(entry.timestamp) + 1;
    },
    'entry',
    /^\/inputs\/\d+\/event\/entry$/,
  ],
  [
    'a result’s status',
    (b) => {
      const input = b.inputs[courierEntry()];
      if (input) input.result.status = { kind: 'rejected', code: 'x', reason: 'y' };
    },
    'result',
    /^\/inputs\/\d+\/result\/status$/,
  ],
  [
    'a result’s patch',
    (b) => {
      const input = b.inputs.find(
        (candidate) => candidate.result.patches.length > 0 && candidate.version > 1,
      );
      const patch = input?.result.patches[0] as Json;
      patch.path = `${String(patch.path)}x`;
    },
    'result',
    /^\/inputs\/\d+\/result\/patches$/,
  ],
  [
    'a result’s BlueId',
    (b) => {
      const input = b.inputs[courierEntry()];
      if (input) input.result.blueId = flip(input.result.blueId);
    },
    'result',
    /^\/inputs\/\d+\/result\/blueId$/,
  ],
  [
    'one byte of a signature',
    (b) => {
      const entry = b.inputs[courierEntry()]?.entry;
      if (entry) entry.signature.value = flip(entry.signature.value);
    },
    'signature',
    /^\/inputs\/\d+\/entry\/signature$/,
  ],
  [
    'one byte of an answer’s signature',
    (b) => {
      const entry = b.inputs[answerEntry()]?.entry;
      if (entry) entry.signature.value = flip(entry.signature.value, 20);
    },
    'signature',
    /^\/inputs\/\d+\/entry\/signature$/,
  ],
  [
    'one byte of a proof',
    (b) => {
      const entry = b.inputs.find((input) => (input.entry?.proof.length ?? 0) > 0)?.entry;
      if (entry) entry.proof[0] = flip(entry.proof[0] as string, 5);
    },
    'inclusion',
    /^\/inputs\/\d+\/entry\/proof$/,
  ],
  [
    'the genesis',
    (b) => {
      b.genesis = { ...b.genesis, amount: 1001 };
    },
    'genesis',
    /^\/genesis$/,
  ],
  [
    'the final document',
    (b) => {
      b.final.document = { ...b.final.document, status: 'refunded' };
    },
    'final',
    /^\/final\/document$/,
  ],
  [
    'a dropped entry (and its result)',
    (b) => {
      b.inputs.splice(courierEntry(), 1);
      b.inputs.forEach((input, index) => (input.version = index + 1));
    },
    // The courier's first entry changed nothing the document keeps: the count of inputs the
    // server signed in the head is what misses it.
    ['final', 'head'],
    /^\/(final|head)$/,
  ],
  [
    'a dropped answer',
    (b) => {
      b.inputs.splice(answerEntry(), 1);
      b.inputs.forEach((input, index) => (input.version = index + 1));
    },
    // The replay gives the answer where the bundle has none.
    'answer',
    /^\/inputs\/\d+\/origin$/,
  ],
  [
    'the last input dropped',
    (b) => {
      b.inputs.pop();
    },
    'chain',
    /^\/timelines\/\d+\/size$/,
  ],
  [
    'a duplicated entry',
    (b) => {
      const index = courierEntry();
      b.inputs.splice(
        index + 1,
        0,
        structuredClone(b.inputs[index] as ExportBundle['inputs'][number]),
      );
      b.inputs.forEach((input, at) => (input.version = at + 1));
    },
    'chain',
    /^\/inputs\/\d+$/,
  ],
  [
    'two inputs swapped',
    (b) => {
      const first = courierEntry();
      const later = b.inputs.findIndex(
        (input, index) => index > first && input.entry?.timelineId === courierTimeline,
      );
      const [a, c] = [b.inputs[first], b.inputs[later]] as ExportBundle['inputs'];
      b.inputs[first] = c as ExportBundle['inputs'][number];
      b.inputs[later] = a as ExportBundle['inputs'][number];
      b.inputs.forEach((input, at) => (input.version = at + 1));
    },
    'chain',
    /^\/inputs\/\d+(\/event\/entry\/prevEntry)?$/,
  ],
  [
    'a version out of order',
    (b) => {
      const input = b.inputs[2];
      if (input) input.version = 7;
    },
    'format',
    /^\/inputs\/2\/version$/,
  ],
  [
    'a swapped key',
    (b) => {
      const { publicKey } = generateKeyPairSync('ed25519');
      const key = b.keys[0];
      if (key) key.publicKey = encodeBase64(ed25519PublicKeyBytes(publicKey));
    },
    'keys',
    /^\/keys\/0\/keyId$/,
  ],
  [
    'a key replaced with one that names itself',
    (b) => {
      const { publicKey } = generateKeyPairSync('ed25519');
      const raw = ed25519PublicKeyBytes(publicKey);
      const key = b.keys[0];
      if (key) {
        key.publicKey = encodeBase64(raw);
        key.keyId = keyIdOf(raw);
      }
    },
    'checkpoint',
    /^\/timelines\/\d+\/checkpoint$/,
  ],
  [
    'one byte of a checkpoint’s signature',
    (b) => {
      const timeline = b.timelines[0];
      if (timeline) {
        const lines = timeline.checkpoint.split('\n');
        const at = lines.findIndex((line) => line.startsWith('\u2014 paydoc '));
        lines[at] = flip(lines[at] as string, 20);
        timeline.checkpoint = lines.join('\n');
      }
    },
    'checkpoint',
    /^\/timelines\/0\/checkpoint$/,
  ],
  [
    'one byte of a co-signature',
    (b) => {
      const timeline = b.timelines.find((candidate) => candidate.timelineId === courierTimeline);
      if (timeline) {
        const lines = timeline.checkpoint.split('\n');
        const at = lines.findIndex((line) => line.startsWith(`\u2014 ${courier.account.id} `));
        // Past the line's 4-byte key hash: the signature proper.
        const line = lines[at] as string;
        lines[at] = flip(line, line.lastIndexOf(' ') + 20);
        timeline.checkpoint = lines.join('\n');
      }
    },
    'checkpoint',
    /^\/timelines\/\d+\/checkpoint$/,
  ],
  [
    'the co-signer’s key dropped',
    (b) => {
      b.cosigners = [];
    },
    'cosignature',
    /^\/timelines\/\d+\/checkpoint$/,
  ],
  [
    'the signed head',
    (b) => {
      b.head = b.head.replace(`\n${b.final.version}\n`, `\n${b.final.version + 1}\n`);
    },
    'head',
    /^\/head$/,
  ],
  [
    'an input’s time',
    (b) => {
      const input = b.inputs[courierEntry()];
      if (input) input.at += 1;
    },
    'head',
    /^\/head$/,
  ],
  [
    'an invented input that claims to have run out of budget',
    (b) => {
      const last = b.inputs.at(-1) as ExportBundle['inputs'][number];
      b.inputs.push({
        version: last.version + 1,
        origin: 'input',
        at: last.at,
        event: {
          kind: 'direct',
          channel: 'paymentProcessor',
          event: { type: 'Conversation/Chat Message', message: 'refund me' },
          by: { actor: { accountId: 'acct_bob', kind: 'principal' }, source: 'apiCall' },
        },
        result: {
          status: { kind: 'rejected', code: 'budget_exceeded', reason: 'out of CPU' },
          patches: [],
          emitted: [],
          blueId: last.result.blueId,
        },
      });
      b.final.version += 1;
    },
    'head',
    /^\/head$/,
  ],
  [
    'a key __proto__ hidden in an entry',
    (b) => {
      const entry = b.inputs[courierEntry()]?.event.entry as Json;
      Object.defineProperty(entry, '__proto__', {
        value: { admin: true },
        enumerable: true,
        configurable: true,
        writable: true,
      });
    },
    'format',
    /\/__proto__$/,
  ],
  [
    'an event nested a thousand levels deep',
    (b) => {
      let deep: JsonObject = {};
      for (let i = 0; i < 1000; i++) deep = { a: deep };
      const input = b.inputs[1];
      if (input) input.event = { ...input.event, deep };
    },
    'format',
    /^\/inputs\/1\/event/,
  ],
  [
    'a co-signer that calls itself the server, over a forged checkpoint',
    (b) => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const raw = ed25519PublicKeyBytes(publicKey);
      b.cosigners.push({ keyId: keyIdOf(raw), accountId: 'paydoc', publicKey: encodeBase64(raw) });
      const timeline = b.timelines[0];
      if (timeline) {
        const body = timeline.checkpoint.slice(0, timeline.checkpoint.indexOf('\n\n') + 1);
        const forged = body.replace(/\n[^\n]+\n$/, `\n${encodeBase64(new Uint8Array(32))}\n`);
        timeline.checkpoint = signNote(forged, [ed25519Signer('paydoc', privateKey)]);
      }
    },
    'cosignature',
    /^\/cosigners\/\d+\/accountId$/,
  ],
  [
    'an unknown format version',
    (b) => {
      (b as unknown as Json).version = 2;
    },
    'format',
    /^\/version$/,
  ],
];

describe('a changed bundle', () => {
  it.each(tampers)('%s: fails and names the place', async (_name, change, check, at) => {
    const changed = copy();
    change(changed);
    const report = await verify(changed);
    expect(report.ok).toBe(false);
    if (report.ok) return;
    expect([check].flat(), report.divergence.message).toContain(report.divergence.check);
    expect(report.divergence.at, report.divergence.message).toMatch(at);
  });

  it('a changed patch is placed at the pointer where replay and record differ', async () => {
    const changed = copy();
    const input = changed.inputs.find((candidate) =>
      candidate.result.patches.some((patch) => (patch as Json).path === '/status'),
    );
    const patch = input?.result.patches.find(
      (candidate) => (candidate as Json).path === '/status',
    ) as Json;
    patch.val = 'refunded';
    const report = await verify(changed);
    expect(report.ok).toBe(false);
    if (report.ok) return;
    expect(report.divergence).toMatchObject({ check: 'result', version: input?.version });
    expect(report.divergence.pointer).toMatch(/^\/\d+\/val$/);
  });
});

describe('a timeline the document joined late', () => {
  it('proves each entry by its own path when the bundle does not hold the whole tree', async () => {
    const own = merchant.account.timelineId;
    const speak = (message: string) =>
      t.app.inject({
        method: 'POST',
        url: `/timelines/${own}/entries`,
        payload: { message: { type: 'Chat Message', message } },
        headers: bearer(merchant.apiKey),
      });
    // Entries before the document existed: in the tree, not in the bundle.
    for (const message of ['before one', 'before two'])
      expect((await speak(message)).statusCode).toBe(201);
    const posted = await post(
      '/blue',
      [
        'name: Counts the shop’s messages',
        'count: 0',
        'contracts:',
        '  shop:',
        '    type: Conversation/Timeline Channel',
        `    timelineId: ${own}`,
        '  count:',
        '    type: Conversation/Sequential Workflow',
        '    channel: shop',
        '    steps:',
        '      - name: Count',
        '        type: Conversation/Update Document',
        '        changeset:',
        '          - op: replace',
        '            path: /count',
        `            val: "\${document('/count') + 1}"`,
      ].join('\n'),
      merchant,
      'application/yaml',
    );
    expect(posted.statusCode, posted.body).toBe(201);
    const id = String(
      ((posted.json() as Json).contracts as Record<string, Json>).initialized?.documentId,
    );
    for (const message of ['after one', 'after two'])
      expect((await speak(message)).statusCode).toBe(201);
    const answer = await t.app.inject({
      method: 'GET',
      url: `/blue/${id}/export`,
      headers: bearer(merchant.apiKey),
    });
    const late = answer.json() as ExportBundle;
    const sequences = late.inputs.flatMap((input) => (input.entry ? [input.entry.sequence] : []));
    expect(sequences[0]).toBeGreaterThan(1);
    expect(late.final.document).toMatchObject({ count: 2 });
    const report = await verify(late);
    expect(report.ok, JSON.stringify(report)).toBe(true);
    const changed = structuredClone(late);
    const entry = changed.inputs.find((input) => input.entry !== undefined)?.entry;
    if (entry) entry.proof[0] = flip(entry.proof[0] as string, 5);
    const refused = await verify(changed);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.divergence).toMatchObject({ check: 'inclusion' });
  });
});

describe('pinned keys', () => {
  it('verifies with the server’s published keys, and not with others', async () => {
    const published = await t.app.inject({ method: 'GET', url: '/.well-known/paydoc/keys' });
    const ids = new Set(
      (published.json() as { keys: { keyId: string }[] }).keys.map((key) => key.keyId),
    );
    const pinned = await verifyBundle(bundle, { sandbox, trustedKeys: ids });
    expect(pinned.ok && pinned.summary.pinned).toBe(true);
    const unpinned = await verify(bundle);
    expect(unpinned.ok && unpinned.summary.pinned).toBe(false);
    const other = await verifyBundle(bundle, {
      sandbox,
      trustedKeys: new Set(['ed25519:someoneelse']),
    });
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.divergence).toMatchObject({ check: 'keys', at: '/keys/0' });
  });

  it('a newer history under a key the older bundle never showed is refused', async () => {
    const forged = copy();
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = ed25519PublicKeyBytes(publicKey);
    forged.keys.push({
      keyId: keyIdOf(raw),
      publicKey: encodeBase64(raw),
      createdAt: 0,
      retiredAt: null,
    });
    const report = await verifyExtends(forged, bundle, { sandbox });
    expect(report.ok).toBe(false);
    if (!report.ok) expect(report.divergence.check).toBe('previous');
  });
});

describe('a history that extends an older one', () => {
  it('verifies against the older bundle, and a rewritten history does not', async () => {
    const older = bundle;
    // The operator keeps a copy of the database, as it is now.
    await t.close();
    const backup = join(dir, 'backup.db');
    copyFileSync(db, backup);
    t = await testApp({ db });
    await say({ type: 'Chat Message', message: 'signed for' });
    const newer = await exportOf(
      t,
      `?previous=${encodeURIComponent(`${courierTimeline}:${older.timelines.find((x) => x.timelineId === courierTimeline)?.size ?? 0}`)}`,
    );
    const extended = await verifyExtends(newer, older, { sandbox });
    expect(extended.ok, JSON.stringify(extended)).toBe(true);
    expect(newer.timelines.find((x) => x.timelineId === courierTimeline)?.consistency).toHaveLength(
      1,
    );

    // The newer bundle verified against itself as the older: nothing is dropped either way.
    expect((await verifyExtends(newer, newer, { sandbox })).ok).toBe(true);
    // The older one does not extend the newer.
    const backwards = await verifyExtends(older, newer, { sandbox });
    expect(backwards.ok).toBe(false);

    // Rewritten: the operator goes back to its copy, where the courier's last report never
    // was, and lets another one in. That history verifies alone, with the server's own key...
    await t.close();
    t = await testApp({ db: backup });
    await say({ type: 'Chat Message', message: 'lost' });
    const rewritten = await exportOf(t);
    expect((await verify(rewritten)).ok).toBe(true);
    // ...but it is not the history the older bundle showed extended.
    const caught = await verifyExtends(rewritten, newer, { sandbox });
    expect(caught.ok).toBe(false);
    if (caught.ok) return;
    expect(caught.divergence.check).toBe('previous');
    expect(caught.divergence.at).toMatch(/^\/(inputs|timelines)\/\d+$/);
  });
});
