import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAccount } from '../../src/engine/accounts.js';
import { entryLeafHash } from '../../src/http/routes/log-routes.js';
import { decodeBase64 } from '../../src/tlog/base64.js';
import { parseCheckpoint } from '../../src/tlog/checkpoint.js';
import { verifyEntrySignature } from '../../src/tlog/entry-signature.js';
import { rootHash, verifyConsistency, verifyInclusion } from '../../src/tlog/merkle.js';
import { parseVerifierKey } from '../../src/tlog/note-key.js';
import { openNote } from '../../src/tlog/signed-note.js';
import type { TestApp } from './support/test-app.js';
import { bearer, testApp } from './support/test-app.js';

// Issue 13: the server signs every entry it accepts, under a published key that rotates.
const dir = mkdtempSync(join(tmpdir(), 'paydoc-signing-'));
const db = join(dir, 'signing.db');
let t: TestApp;
let merchant: NewAccount;

beforeAll(async () => {
  t = await testApp({ db });
  merchant = await t.account('signer@example.com');
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Key {
  keyId: string;
  vkey: string;
  publicKey: string;
  retiredAt: number | null;
  current: boolean;
}
interface Entry {
  timeline: { timelineId: string };
  sequence: number;
  blueId: string;
  signature: { keyId: string; value: string };
}

async function keys(app = t): Promise<Key[]> {
  const answer = await app.app.inject({ method: 'GET', url: '/.well-known/paydoc/keys' });
  expect(answer.statusCode).toBe(200);
  return (answer.json() as { keys: Key[] }).keys;
}

async function append(text: string): Promise<Entry> {
  const answer = await t.app.inject({
    method: 'POST',
    url: `/timelines/${merchant.account.timelineId}/entries`,
    payload: { message: { type: 'Chat Message', message: text } },
    headers: bearer(merchant.apiKey),
  });
  expect(answer.statusCode, answer.body).toBe(201);
  return (answer.json() as { entry: Entry }).entry;
}

function verifies(entry: Entry, key: Key): boolean {
  return verifyEntrySignature(
    key.publicKey,
    { timelineId: entry.timeline.timelineId, sequence: entry.sequence, blueId: entry.blueId },
    entry.signature.value,
  );
}

describe('signed entries', () => {
  it('signs every entry with the published key; a changed id or sequence does not verify', async () => {
    const [key] = await keys();
    expect(key).toMatchObject({ current: true, retiredAt: null });
    expect(JSON.stringify(await keys())).not.toContain('privateKey');
    const entry = await append('one');
    expect(entry.signature.keyId).toBe(key?.keyId);
    expect(verifies(entry, key as Key)).toBe(true);
    expect(verifies({ ...entry, sequence: entry.sequence + 1 }, key as Key)).toBe(false);
    // Another last character (an id ending in 1 would otherwise stay the same).
    const other = entry.blueId.endsWith('1') ? '2' : '1';
    expect(verifies({ ...entry, blueId: `${entry.blueId.slice(0, -1)}${other}` }, key as Key)).toBe(
      false,
    );
    // Read back, the entry carries the same signature.
    const read = await t.app.inject({
      method: 'GET',
      url: `/timelines/${merchant.account.timelineId}/entries`,
      headers: bearer(merchant.apiKey),
    });
    expect((read.json() as { entries: Entry[] }).entries.at(-1)?.signature).toEqual(
      entry.signature,
    );
  });

  it('rotates on the operator word only; the old key is retired and still verifies', async () => {
    const before = await append('before');
    const refused = await t.app.inject({
      method: 'POST',
      url: '/admin/signing-keys/rotate',
      headers: bearer(merchant.apiKey),
    });
    expect(refused.statusCode).toBe(403);
    const rotated = await t.app.inject({
      method: 'POST',
      url: '/admin/signing-keys/rotate',
      headers: bearer(t.operatorKey),
    });
    expect(rotated.statusCode, rotated.body).toBe(201);
    const { keyId, retired } = rotated.json() as { keyId: string; retired: string };
    expect(retired).toBe(before.signature.keyId);
    const [old, current] = await keys();
    expect(old).toMatchObject({ keyId: retired, current: false });
    expect(old?.retiredAt).toEqual(expect.any(Number));
    expect(current).toMatchObject({ keyId, current: true, retiredAt: null });
    const after = await append('after');
    expect(after.signature.keyId).toBe(keyId);
    expect(verifies(after, current as Key)).toBe(true);
    expect(verifies(before, old as Key)).toBe(true);
    expect(verifies(before, current as Key)).toBe(false);
  });

  it('keeps its keys across a restart and signs with the current one', async () => {
    const published = await keys();
    await t.close();
    t = await testApp({ db });
    expect(await keys()).toEqual(published);
    merchant = await t.account('signer@example.com');
    const entry = await append('after restart');
    expect(entry.signature.keyId).toBe(published.find((key) => key.current)?.keyId);
  });
});

describe('each timeline as a Merkle log', () => {
  const get = (url: string, key = merchant.apiKey) =>
    t.app.inject({ method: 'GET', url, headers: bearer(key) });
  const bytes = (text: string) => decodeBase64(text) as Uint8Array;
  const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');

  it('gives a checkpoint signed by the published key, over every entry, with proofs that check', async () => {
    for (const text of ['a', 'b', 'c', 'd']) await append(text);
    const tl = merchant.account.timelineId;
    const entries = ((await get(`/timelines/${tl}/entries`)).json() as { entries: Entry[] })
      .entries;
    const leaves = entries.map((entry) => entryLeafHash(entry.blueId));

    const note = await get(`/timelines/${tl}/checkpoint`);
    expect(note.statusCode).toBe(200);
    expect(note.headers['content-type']).toMatch(/^text\/plain/);
    const current = (await keys()).find((key) => key.current) as Key;
    const verifier = parseVerifierKey(current.vkey);
    if (!verifier.ok) throw new Error(verifier.message);
    const opened = openNote(note.body, [verifier.verifier]);
    if (!opened.ok) throw new Error(opened.message);
    expect(opened.verified.map((signature) => signature.name)).toEqual(['paydoc']);
    const checkpoint = parseCheckpoint(opened.text);
    if (!checkpoint.ok) throw new Error(checkpoint.message);
    expect(checkpoint.checkpoint.origin).toBe(`paydoc/timelines/${tl}`);
    expect(checkpoint.checkpoint.size).toBe(entries.length);
    expect(hex(checkpoint.checkpoint.rootHash)).toBe(hex(rootHash(leaves)));

    // Entry 2 is in the tree of the checkpoint, and in the tree of size 3.
    for (const size of [entries.length, 3]) {
      const proof = (
        await get(`/timelines/${tl}/proofs/inclusion?sequence=2&size=${size}`)
      ).json() as { leafHash: string; proof: string[] };
      expect(hex(bytes(proof.leafHash))).toBe(hex(leaves[1] as Uint8Array));
      const root = rootHash(leaves.slice(0, size));
      expect(
        verifyInclusion(leaves[1] as Uint8Array, 1, size, proof.proof.map(bytes), root),
      ).toEqual({ ok: true });
      // The same proof does not place another entry there.
      expect(
        verifyInclusion(leaves[2] as Uint8Array, 1, size, proof.proof.map(bytes), root).ok,
      ).toBe(false);
    }
    // The tree now extends the tree of 2 entries.
    const consistency = (await get(`/timelines/${tl}/proofs/consistency?from=2`)).json() as {
      to: number;
      proof: string[];
    };
    expect(consistency.to).toBe(entries.length);
    expect(
      verifyConsistency(
        2,
        entries.length,
        rootHash(leaves.slice(0, 2)),
        rootHash(leaves),
        consistency.proof.map(bytes),
      ),
    ).toEqual({ ok: true });
    // A rewritten start (another second entry) is not what the proof extends.
    expect(
      verifyConsistency(
        2,
        entries.length,
        rootHash([leaves[0] as Uint8Array, leaves[2] as Uint8Array]),
        rootHash(leaves),
        consistency.proof.map(bytes),
      ).ok,
    ).toBe(false);
  });

  it('answers those who may not read the timeline as if it did not exist, and bad ranges with 400', async () => {
    const stranger = await t.account('stranger@example.com');
    const tl = merchant.account.timelineId;
    expect((await get(`/timelines/${tl}/checkpoint`, stranger.apiKey)).statusCode).toBe(404);
    expect(
      (await get(`/timelines/${tl}/proofs/inclusion?sequence=1`, stranger.apiKey)).statusCode,
    ).toBe(404);
    expect((await get(`/timelines/${tl}/proofs/inclusion?sequence=0`)).statusCode).toBe(400);
    expect((await get(`/timelines/${tl}/proofs/inclusion?sequence=1&size=100000`)).statusCode).toBe(
      400,
    );
    expect((await get(`/timelines/${tl}/proofs/consistency?from=0`)).statusCode).toBe(400);
  });
});
