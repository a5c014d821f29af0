import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAccount } from '../../src/engine/accounts.js';
import { verifyEntrySignature } from '../../src/tlog/entry-signature.js';
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
    expect(verifies({ ...entry, blueId: `${entry.blueId.slice(0, -1)}1` }, key as Key)).toBe(false);
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
