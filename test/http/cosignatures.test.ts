import { createHash, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointNote,
  cosignerKeys,
  MAX_PARTICIPANT_KEYS,
} from '../../src/engine/timeline-log.js';
import { decodeBase64, encodeBase64 } from '../../src/tlog/base64.js';
import { verifyInclusion } from '../../src/tlog/merkle.js';
import { formatCheckpoint, parseCheckpoint } from '../../src/tlog/checkpoint.js';
import type { NoteVerifier } from '../../src/tlog/note-key.js';
import { ed25519PublicKeyBytes, ed25519Signer, parseVerifierKey } from '../../src/tlog/note-key.js';
import { openNote, parseNote, signNote } from '../../src/tlog/signed-note.js';
import type { TestApp } from './support/test-app.js';
import { bearer, JSON_BODY, testApp, timelineOf, YAML } from './support/test-app.js';

/**
 * Issue 13 item 3: participants register Ed25519 keys and co-sign timeline checkpoints; a
 * checkpoint then carries the server's line and every co-signer's, each opening with its vkey.
 * Every refusal is checked against the store: nothing of it was kept.
 */

type Json = Record<string, unknown>;
interface Party {
  key: string;
  accountId: string;
}
interface RegisteredKey {
  keyId: string;
  publicKey: string;
  vkey: string;
  createdAt: number;
}
interface Signer {
  privateKey: KeyObject;
  publicKey: string;
}

let t: TestApp;
let shop: Party;
let buyer: Party;
let courier: Party;
let stranger: Party;
/** The courier's timeline of the payment: shop and buyer take part in a document on it. */
let delivery: string;

async function party(email: string): Promise<Party> {
  const created = await t.account(email);
  return { key: created.apiKey, accountId: created.account.id };
}

async function call(method: 'GET' | 'POST', url: string, who: Party, body?: Json) {
  return t.app.inject({
    method,
    url,
    headers: { ...bearer(who.key), ...(body === undefined ? {} : JSON_BODY) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

function errorOf(response: { json(): unknown }): Json {
  return (response.json() as { error: Json }).error;
}

function newSigner(): Signer {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey: encodeBase64(ed25519PublicKeyBytes(privateKey)) };
}

async function register(who: Party, signer: Signer): Promise<RegisteredKey> {
  const answer = await call('POST', '/accounts/me/participant-keys', who, {
    publicKey: signer.publicKey,
  });
  expect(answer.statusCode, answer.body).toBe(201);
  return answer.json() as RegisteredKey;
}

/** The value of the signature line a signed note by `signer` under the account id carries. */
function cosign(body: string, who: Party, signer: Signer): string {
  const note = signNote(body, [ed25519Signer(who.accountId, signer.privateKey)]);
  const line = note.split('\n').find((text) => text.startsWith(`\u2014 ${who.accountId} `));
  return String(line?.slice(`\u2014 ${who.accountId} `.length));
}

async function checkpoint(who: Party, size?: number): Promise<string> {
  const query = size === undefined ? '' : `?size=${size}`;
  const answer = await call('GET', `/timelines/${delivery}/checkpoint${query}`, who);
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.body;
}

/** The signed text of a note: what a co-signer signs. */
function bodyOf(note: string): string {
  const parsed = parseNote(note);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.note.text;
}

function verifierOf(vkey: string): NoteVerifier {
  const parsed = parseVerifierKey(vkey);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.verifier;
}

async function serverVerifier(): Promise<NoteVerifier> {
  const answer = await t.app.inject({ method: 'GET', url: '/.well-known/paydoc/keys' });
  const keys = (answer.json() as { keys: { vkey: string; current: boolean }[] }).keys;
  return verifierOf(keys.find((key) => key.current)?.vkey ?? '');
}

function postCosignature(who: Party, size: number | string, body: Json, timelineId = delivery) {
  return call('POST', `/timelines/${timelineId}/checkpoints/${size}/cosignatures`, who, body);
}

beforeAll(async () => {
  t = await testApp();
  shop = await party('shop@example.com');
  buyer = await party('buyer@example.com');
  courier = await party('dhl-tracking@example.com');
  stranger = await party('stranger@example.com');
  const posted = await t.app.inject({
    method: 'POST',
    url: '/blue',
    payload: readFileSync(
      new URL('../../documents/examples/delivery-guarantee.yaml', import.meta.url),
      'utf8',
    ),
    headers: { ...bearer(shop.key), ...YAML },
  });
  expect(posted.statusCode, posted.body).toBe(201);
  delivery = timelineOf(posted.json() as Json, 'deliveryTimeline');
  for (const message of [
    { type: 'Package Delivered', timestamp: 1692275400000 },
    { type: 'Chat Message', message: 'left at the door' },
    { type: 'Chat Message', message: 'photo attached' },
  ]) {
    const appended = await call('POST', `/timelines/${delivery}/entries`, courier, { message });
    expect(appended.statusCode, appended.body).toBe(201);
  }
});

afterAll(async () => {
  await t.close();
});

describe('participant keys', () => {
  it('registers a key: its id from the key, its vkey under the account id; again is the same key', async () => {
    const signer = newSigner();
    const key = await register(shop, signer);
    const raw = Buffer.from(signer.publicKey, 'base64');
    expect(key.keyId).toBe(
      `ed25519:${createHash('sha256').update(raw).digest('base64url').slice(0, 22)}`,
    );
    expect(key.publicKey).toBe(signer.publicKey);
    const vkey = parseVerifierKey(key.vkey);
    expect(vkey.ok && vkey.name).toBe(shop.accountId);
    expect(vkey.ok && encodeBase64(vkey.publicKey)).toBe(signer.publicKey);
    expect(key.createdAt).toEqual(expect.any(Number));

    const again = await call('POST', '/accounts/me/participant-keys', shop, {
      publicKey: signer.publicKey,
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toStrictEqual(key);
    const listed = await call('GET', '/accounts/me/participant-keys', shop);
    expect(listed.statusCode).toBe(200);
    expect((listed.json() as { keys: RegisteredKey[] }).keys).toStrictEqual([key]);
    // API keys are another list.
    const apiKeys = (await call('GET', '/accounts/me/keys', shop)).json() as { keys: Json[] };
    expect(apiKeys.keys.every((each) => String(each.id).startsWith('key_'))).toBe(true);
  });

  it('refuses a malformed key (400) and a key another account registered (409), storing nothing', async () => {
    const before = await t.store.participantKeys(stranger.accountId);
    const raw = ed25519PublicKeyBytes(newSigner().privateKey);
    for (const publicKey of [
      'not base64!',
      encodeBase64(raw.slice(0, 31)),
      encodeBase64(new Uint8Array([...raw, 0])),
      Buffer.from(raw).toString('base64url'),
      `${encodeBase64(raw)}\n`,
      42,
    ]) {
      const refused = await call('POST', '/accounts/me/participant-keys', stranger, { publicKey });
      expect(refused.statusCode, String(publicKey)).toBe(400);
      expect(errorOf(refused)).toMatchObject({ code: 'invalid_request', param: '/publicKey' });
    }
    const extra = await call('POST', '/accounts/me/participant-keys', stranger, {
      publicKey: encodeBase64(raw),
      name: 'x',
    });
    expect(errorOf(extra)).toMatchObject({ code: 'invalid_request', param: '/name' });

    const shops = (
      (await call('GET', '/accounts/me/participant-keys', shop)).json() as {
        keys: RegisteredKey[];
      }
    ).keys;
    const taken = await call('POST', '/accounts/me/participant-keys', stranger, {
      publicKey: shops[0]?.publicKey,
    });
    expect(taken.statusCode).toBe(409);
    expect(errorOf(taken).code).toBe('participant_key_taken');
    expect(await t.store.participantKeys(stranger.accountId)).toStrictEqual(before);
    expect((await t.store.participantKey(String(shops[0]?.keyId)))?.accountId).toBe(shop.accountId);
  });

  it(`registers at most ${MAX_PARTICIPANT_KEYS} keys per account (409 too_many_participant_keys)`, async () => {
    const many = await party('many-keys@example.com');
    for (let i = 0; i < MAX_PARTICIPANT_KEYS; i += 1) await register(many, newSigner());
    const refused = await call('POST', '/accounts/me/participant-keys', many, {
      publicKey: newSigner().publicKey,
    });
    expect(refused.statusCode).toBe(409);
    expect(errorOf(refused).code).toBe('too_many_participant_keys');
    expect(await t.store.participantKeys(many.accountId)).toHaveLength(MAX_PARTICIPANT_KEYS);
  });

  it('two accounts registering one key at once: one gets it, the other 409', async () => {
    const signer = newSigner();
    const [first, second] = await Promise.all(
      [courier, stranger].map((who) =>
        call('POST', '/accounts/me/participant-keys', who, { publicKey: signer.publicKey }),
      ),
    );
    expect([first?.statusCode, second?.statusCode].sort()).toStrictEqual([201, 409]);
    const loser = first?.statusCode === 409 ? first : second;
    expect(errorOf(loser as { json(): unknown }).code).toBe('participant_key_taken');
    const winner = first?.statusCode === 201 ? courier : stranger;
    const keyId = String((first?.statusCode === 201 ? first : second)?.json<Json>().keyId);
    expect((await t.store.participantKey(keyId))?.accountId).toBe(winner.accountId);
  });

  it('needs an API key', async () => {
    const answer = await t.app.inject({ method: 'GET', url: '/accounts/me/participant-keys' });
    expect(answer.statusCode).toBe(401);
  });
});

describe('co-signed checkpoints', () => {
  let buyerSigner: Signer;
  let buyerKey: RegisteredKey;

  beforeAll(async () => {
    buyerSigner = newSigner();
    buyerKey = await register(buyer, buyerSigner);
  });

  it('a participant co-signs the current checkpoint; the checkpoint then carries both lines', async () => {
    const before = await checkpoint(buyer);
    const body = bodyOf(before);
    const parsed = parseCheckpoint(body);
    expect(parsed.ok && parsed.checkpoint.size).toBe(3);
    expect(parsed.ok && parsed.checkpoint.origin).toBe(`paydoc/timelines/${delivery}`);

    const signature = cosign(body, buyer, buyerSigner);
    const stored = await postCosignature(buyer, 3, { keyId: buyerKey.keyId, signature });
    expect(stored.statusCode, stored.body).toBe(201);
    const record = stored.json() as Json;
    expect(record).toMatchObject({
      timelineId: delivery,
      size: 3,
      keyId: buyerKey.keyId,
      accountId: buyer.accountId,
      rootHash: parsed.ok ? encodeBase64(parsed.checkpoint.rootHash) : '',
      signature,
    });

    // Anyone who may read it sees both lines, the server's first; each opens with its vkey.
    const note = await checkpoint(shop);
    expect(bodyOf(note)).toBe(body);
    const lines = note
      .slice(body.length + 1)
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\u2014 paydoc /);
    expect(lines[1]).toBe(`\u2014 ${buyer.accountId} ${signature}`);
    const server = await serverVerifier();
    const cosigner = verifierOf(buyerKey.vkey);
    const both = openNote(note, [server, cosigner]);
    expect(both.ok && both.verified.map((key) => key.name)).toStrictEqual([
      'paydoc',
      buyer.accountId,
    ]);
    for (const [verifier, name] of [
      [server, 'paydoc'],
      [cosigner, buyer.accountId],
    ] as const) {
      const alone = openNote(note, [verifier]);
      expect(alone.ok && alone.verified.map((key) => key.name)).toStrictEqual([name]);
    }

    // The same co-signature again is the one stored; the note carries it once.
    const again = await postCosignature(buyer, 3, { keyId: buyerKey.keyId, signature });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toStrictEqual(record);
    expect(await checkpoint(buyer)).toBe(note);
    expect(await t.store.cosignatures(delivery, 3)).toHaveLength(1);
  });

  it('co-signs an earlier size, and ?size= gives that checkpoint with its own co-signatures', async () => {
    const bare = await checkpoint(buyer, 2);
    const body = bodyOf(bare);
    expect(
      bare
        .slice(body.length + 1)
        .trimEnd()
        .split('\n'),
    ).toHaveLength(1);
    const signature = cosign(body, buyer, buyerSigner);
    const stored = await postCosignature(buyer, 2, { keyId: buyerKey.keyId, signature });
    expect(stored.statusCode, stored.body).toBe(201);
    const note = await checkpoint(buyer, 2);
    const opened = openNote(note, [await serverVerifier(), verifierOf(buyerKey.vkey)]);
    expect(opened.ok && opened.verified).toHaveLength(2);
    expect(opened.ok && parseCheckpoint(opened.text).ok).toBe(true);
    // The head's checkpoint is unchanged by it.
    expect(await checkpoint(buyer)).toBe(await checkpoint(buyer, 3));
    const bad = await call('GET', `/timelines/${delivery}/checkpoint?size=4`, buyer);
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad)).toMatchObject({ code: 'invalid_request', param: 'size' });
  });

  it('binds the root: the co-signature does not verify over the same size with another root', async () => {
    const note = await checkpoint(buyer);
    const parsed = parseCheckpoint(bodyOf(note));
    if (!parsed.ok) throw new Error(parsed.message);
    const line = `\u2014 ${buyer.accountId} ${(await t.store.cosignatures(delivery, 3))[0]?.signature}\n`;
    // A server that changed its history would show another root for the same size.
    const root = new Uint8Array(parsed.checkpoint.rootHash);
    root[0] = (root[0] ?? 0) ^ 1;
    const rewritten = formatCheckpoint({ ...parsed.checkpoint, rootHash: root });
    const forged = openNote(`${rewritten}\n${line}`, [verifierOf(buyerKey.vkey)]);
    expect(forged.ok).toBe(false);
    expect(!forged.ok && forged.reason).toBe('invalid-signature');
    // Over the true body the same line verifies.
    expect(openNote(`${bodyOf(note)}\n${line}`, [verifierOf(buyerKey.vkey)]).ok).toBe(true);
  });

  it('the export functions give the same note and the co-signers keys', async () => {
    const exported = await checkpointNote(t.store, (text) => t.engine.signNote(text), delivery, 3);
    expect(exported.note).toBe(await checkpoint(buyer));
    expect(exported.size).toBe(3);
    const parsed = parseCheckpoint(bodyOf(exported.note));
    expect(parsed.ok && encodeBase64(parsed.checkpoint.rootHash)).toBe(
      encodeBase64(exported.rootHash),
    );
    expect(await cosignerKeys(t.store, delivery, 3)).toStrictEqual([
      {
        keyId: buyerKey.keyId,
        accountId: buyer.accountId,
        publicKey: buyerKey.publicKey,
        vkey: buyerKey.vkey,
      },
    ]);
    expect(await cosignerKeys(t.store, delivery, 1)).toStrictEqual([]);
  });

  it('refuses, storing nothing: a wrong signature, a bare signature, another key, a size out of range, an unreadable timeline', async () => {
    const shopSigner = newSigner();
    const shopKey = await register(shop, shopSigner);
    const body = bodyOf(await checkpoint(shop));
    const olderBody = bodyOf(await checkpoint(shop, 1));
    const good = cosign(body, shop, shopSigner);
    const before = await t.store.cosignatures(delivery, 3);

    const refusals: [number | string, Json, number, string, string?][] = [
      // Signed over another size's body, by another key, under another key name.
      [
        3,
        { keyId: shopKey.keyId, signature: cosign(olderBody, shop, shopSigner) },
        400,
        'invalid_signature',
        '/signature',
      ],
      [
        3,
        { keyId: shopKey.keyId, signature: cosign(body, shop, newSigner()) },
        400,
        'invalid_signature',
        '/signature',
      ],
      [
        3,
        { keyId: shopKey.keyId, signature: cosign(body, buyer, shopSigner) },
        400,
        'invalid_signature',
        '/signature',
      ],
      // The bare 64-byte signature is not the form: the note signature's value is.
      [
        3,
        { keyId: shopKey.keyId, signature: encodeBase64(Buffer.from(good, 'base64').subarray(4)) },
        400,
        'invalid_request',
        '/signature',
      ],
      [
        3,
        { keyId: shopKey.keyId, signature: `${good}\n\u2014 x AAAAAAAA` },
        400,
        'invalid_request',
        '/signature',
      ],
      // Another account's key, and a key no one registered.
      [3, { keyId: buyerKey.keyId, signature: good }, 400, 'unknown_participant_key', '/keyId'],
      [3, { keyId: 'ed25519:nobody', signature: good }, 400, 'unknown_participant_key', '/keyId'],
      // Sizes beyond the head, below 1, or not a number.
      [4, { keyId: shopKey.keyId, signature: good }, 400, 'invalid_request', 'size'],
      [0, { keyId: shopKey.keyId, signature: good }, 400, 'invalid_request', 'size'],
      ['x', { keyId: shopKey.keyId, signature: good }, 400, 'invalid_request', 'size'],
      // A malformed body.
      [3, { keyId: shopKey.keyId }, 400, 'invalid_request', '/signature'],
      [3, { keyId: shopKey.keyId, signature: good, extra: 1 }, 400, 'invalid_request', '/extra'],
    ];
    for (const [size, payload, status, code, param] of refusals) {
      const refused = await postCosignature(shop, size, payload);
      expect(refused.statusCode, `${size} ${JSON.stringify(payload)}: ${refused.body}`).toBe(
        status,
      );
      expect(errorOf(refused)).toMatchObject({ code, ...(param === undefined ? {} : { param }) });
    }
    // A timeline the account may not read answers as one that does not exist.
    const strangerSigner = newSigner();
    const strangerKey = await register(stranger, strangerSigner);
    const unreadable = await postCosignature(stranger, 3, {
      keyId: strangerKey.keyId,
      signature: cosign(body, stranger, strangerSigner),
    });
    const missing = await postCosignature(
      stranger,
      3,
      { keyId: strangerKey.keyId, signature: good },
      'tl_missing',
    );
    for (const answer of [unreadable, missing]) {
      expect(answer.statusCode).toBe(404);
      expect(errorOf(answer)).toMatchObject({ code: 'not_found', param: 'id' });
    }
    expect(errorOf(unreadable).message).toBe(`no timeline ${delivery}`);
    expect((await call('GET', `/timelines/${delivery}/checkpoint`, stranger)).statusCode).toBe(404);

    expect(await t.store.cosignatures(delivery, 3)).toStrictEqual(before);
    for (const size of [0, 1, 4])
      expect(await t.store.cosignatures(delivery, size)).toStrictEqual([]);

    // The good one is taken, and then carried after the buyer's.
    const stored = await postCosignature(shop, 3, { keyId: shopKey.keyId, signature: good });
    expect(stored.statusCode, stored.body).toBe(201);
    const note = await checkpoint(courier);
    const opened = openNote(note, [
      await serverVerifier(),
      verifierOf(buyerKey.vkey),
      verifierOf(shopKey.vkey),
    ]);
    expect(opened.ok && opened.verified.map((key) => key.name)).toStrictEqual([
      'paydoc',
      buyer.accountId,
      shop.accountId,
    ]);
  });

  it('one co-signature sent twice at once is stored once; the proofs agree with the checkpoint', async () => {
    const signer = newSigner();
    const key = await register(courier, signer);
    const body = bodyOf(await checkpoint(courier, 1));
    const signature = cosign(body, courier, signer);
    const answers = await Promise.all(
      [1, 2].map(() => postCosignature(courier, 1, { keyId: key.keyId, signature })),
    );
    expect(answers.map((answer) => answer.statusCode).sort()).toStrictEqual([200, 201]);
    expect(answers[0]?.json()).toStrictEqual(answers[1]?.json());
    expect(await t.store.cosignatures(delivery, 1)).toHaveLength(1);

    // The inclusion proof of entry 2 in the tree of 3 leads to the co-signed root.
    const parsed = parseCheckpoint(bodyOf(await checkpoint(courier)));
    if (!parsed.ok) throw new Error(parsed.message);
    const proof = (
      await call('GET', `/timelines/${delivery}/proofs/inclusion?sequence=2&size=3`, courier)
    ).json() as { leafHash: string; proof: string[] };
    const bytes = (text: string) => decodeBase64(text) as Uint8Array;
    expect(
      verifyInclusion(
        bytes(proof.leafHash),
        1,
        3,
        proof.proof.map(bytes),
        parsed.checkpoint.rootHash,
      ),
    ).toStrictEqual({ ok: true });
  });

  it('documents the routes', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(spec.paths['/accounts/me/participant-keys'] ?? {}).sort()).toStrictEqual([
      'get',
      'post',
    ]);
    expect(
      Object.keys(spec.paths['/timelines/{id}/checkpoints/{size}/cosignatures'] ?? {}),
    ).toStrictEqual(['post']);
  });
});
