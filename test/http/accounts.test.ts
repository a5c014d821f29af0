import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAccount } from '../../src/engine/accounts.js';
import { hashApiKey, OPERATOR_ACCOUNT } from '../../src/engine/accounts.js';
import { PROCESSOR_ACCOUNT } from '../../src/engine/document-engine.js';
import { FIRST_ACCOUNT_EMAIL, startServer } from '../../src/http/start-server.js';
import { emptyBatch } from '../../src/store/store-records.js';
import type { TestApp } from './support/test-app.js';
import { bearer, JSON_BODY, testApp, YAML } from './support/test-app.js';

type Json = Record<string, unknown>;

let t: TestApp;
let merchant: NewAccount;
let stranger: NewAccount;

beforeAll(async () => {
  // Every write a millisecond later than the one before: keys list in the order they were made.
  let now = Date.now();
  t = await testApp({ clock: () => (now += 1) });
  merchant = await t.account('merchant@example.com');
  stranger = await t.account('stranger@example.com');
});

afterAll(async () => {
  await t.close();
});

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  key: string | undefined,
  options: { body?: string; headers?: Record<string, string> } = {},
) {
  const response = await t.app.inject({
    method,
    url,
    headers: {
      ...(key === undefined ? {} : bearer(key)),
      ...(options.body === undefined ? {} : JSON_BODY),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { payload: options.body }),
  });
  return { status: response.statusCode, json: response.json() as Json, text: response.body };
}

const errorOf = (answer: { json: Json }): Json => answer.json.error as Json;

describe('POST /accounts (operator key)', () => {
  it('creates an account with its timeline and a key shown once: 201', async () => {
    const answer = await call('POST', '/accounts', t.operatorKey, {
      body: JSON.stringify({ email: 'courier@example.com' }),
    });
    expect(answer.status).toBe(201);
    const account = answer.json.account as Json;
    const key = answer.json.key as Json;
    const apiKey = answer.json.apiKey as string;
    expect(account).toStrictEqual({
      id: expect.stringMatching(/^acct_[0-9a-f]+$/),
      email: 'courier@example.com',
      timelineId: expect.stringMatching(/^tl_/),
      createdAt: expect.any(Number),
    });
    expect(apiKey).toMatch(/^pd_test_/);
    expect(key).toStrictEqual({
      id: expect.stringMatching(/^key_[0-9a-f]+$/),
      hint: apiKey.slice(-4),
      createdAt: expect.any(Number),
      revokedAt: null,
    });
    const timeline = await t.store.timeline(String(account.timelineId));
    expect(timeline?.ownerId).toBe(account.id);
    const me = await call('GET', '/accounts/me', apiKey);
    expect(me.status).toBe(200);
    expect(me.json).toStrictEqual(account);
    // Only the hash is stored.
    expect(await t.store.accountByKeyHash(hashApiKey(apiKey))).toMatchObject({ id: account.id });
    expect(JSON.stringify(await t.store.apiKeys(String(account.id)))).not.toContain(apiKey);
  });

  it('an email that has an account gets one more key for it: 200, both keys work', async () => {
    const first = await call('POST', '/accounts', t.operatorKey, {
      body: JSON.stringify({ email: 'twice@example.com' }),
    });
    const second = await call('POST', '/accounts', t.operatorKey, {
      body: JSON.stringify({ email: 'twice@example.com' }),
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.json.account).toStrictEqual(first.json.account);
    expect(second.json.apiKey).not.toBe(first.json.apiKey);
    for (const answer of [first, second])
      expect((await call('GET', '/accounts/me', answer.json.apiKey as string)).json.id).toBe(
        (first.json.account as Json).id,
      );
    const keys = await call('GET', '/accounts/me/keys', first.json.apiKey as string);
    expect((keys.json.keys as Json[]).map((key) => key.id)).toStrictEqual([
      (first.json.key as Json).id,
      (second.json.key as Json).id,
    ]);
  });

  it('400 invalid_request at /email for a bad, missing or reserved email; nothing created', async () => {
    const before = await t.store.countAccounts();
    for (const body of [
      { email: 'not an email' },
      { email: 'no-at-sign' },
      { email: 42 },
      {},
      { email: 'someone@paydoc.internal' },
      { email: OPERATOR_ACCOUNT.email },
      { email: PROCESSOR_ACCOUNT.email },
      { email: `${'x'.repeat(250)}@example.com` },
    ]) {
      const answer = await call('POST', '/accounts', t.operatorKey, {
        body: JSON.stringify(body),
      });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(answer)).toMatchObject({ code: 'invalid_request', param: '/email' });
    }
    const unknown = await call('POST', '/accounts', t.operatorKey, {
      body: JSON.stringify({ email: 'a@example.com', role: 'admin' }),
    });
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown)).toMatchObject({ code: 'invalid_request', param: '/role' });
    const broken = await call('POST', '/accounts', t.operatorKey, { body: '{"email": ' });
    expect(broken.status).toBe(400);
    expect(await t.store.countAccounts()).toBe(before);
  });

  it('403 operator_only for a merchant key, 401 without a key; nothing created', async () => {
    const before = await t.store.countAccounts();
    const body = JSON.stringify({ email: 'sneaky@example.com' });
    const merchantTry = await call('POST', '/accounts', merchant.apiKey, { body });
    expect(merchantTry.status).toBe(403);
    expect(errorOf(merchantTry)).toMatchObject({
      type: 'permission_error',
      code: 'operator_only',
    });
    expect((await call('POST', '/accounts', undefined, { body })).status).toBe(401);
    expect(await t.store.accountByEmail('sneaky@example.com')).toBeUndefined();
    expect(await t.store.countAccounts()).toBe(before);
  });

  it('replays an Idempotency-Key: the same account and key id, no second key, the key not again', async () => {
    const headers = { 'idempotency-key': 'create-replayed' };
    const body = JSON.stringify({ email: 'replayed@example.com' });
    const first = await call('POST', '/accounts', t.operatorKey, { body, headers });
    const again = await call('POST', '/accounts', t.operatorKey, { body, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json).toStrictEqual({ ...first.json, apiKey: null });
    const accountId = String((first.json.account as Json).id);
    expect(await t.store.apiKeys(accountId)).toHaveLength(1);
    const stored = await t.store.idempotency(OPERATOR_ACCOUNT.id, 'create-replayed');
    expect(JSON.stringify(stored)).not.toContain(first.json.apiKey as string);
  });
});

describe('GET /accounts (operator key)', () => {
  it('lists every account by id, a page at a time', async () => {
    const all = await call('GET', '/accounts?limit=1000', t.operatorKey);
    expect(all.status).toBe(200);
    const accounts = all.json.accounts as Json[];
    const ids = accounts.map((account) => String(account.id));
    expect(ids).toStrictEqual([...ids].sort());
    expect(ids).toContain(merchant.account.id);
    expect(ids).toContain(OPERATOR_ACCOUNT.id);
    expect(accounts.find((account) => account.id === merchant.account.id)).toStrictEqual({
      id: merchant.account.id,
      email: merchant.account.email,
      timelineId: merchant.account.timelineId,
      createdAt: merchant.account.createdAt,
    });
    expect(all.json.next).toBeNull();
    const walked: string[] = [];
    let after = '';
    for (let pages = 0; pages < 100; pages++) {
      const page = await call('GET', `/accounts?limit=2&after=${after}`, t.operatorKey);
      walked.push(...(page.json.accounts as Json[]).map((account) => String(account.id)));
      expect((page.json.accounts as Json[]).length).toBeLessThanOrEqual(2);
      if (page.json.next === null) break;
      after = String(page.json.next);
    }
    expect(walked).toStrictEqual(ids);
  });

  it('403 for a merchant key; 400 for a bad limit', async () => {
    const denied = await call('GET', '/accounts', merchant.apiKey);
    expect(denied.status).toBe(403);
    expect(errorOf(denied).code).toBe('operator_only');
    for (const limit of ['0', '1001', 'x', '-1']) {
      const bad = await call('GET', `/accounts?limit=${limit}`, t.operatorKey);
      expect(bad.status, limit).toBe(400);
      expect(errorOf(bad)).toMatchObject({ code: 'invalid_request', param: 'limit' });
    }
  });
});

describe('GET /accounts/me and /accounts/me/timelines', () => {
  it("answers the key's own account; the operator key is the operator's", async () => {
    const me = await call('GET', '/accounts/me', merchant.apiKey);
    expect(me.status).toBe(200);
    expect(me.json).toStrictEqual({
      id: merchant.account.id,
      email: 'merchant@example.com',
      timelineId: merchant.account.timelineId,
      createdAt: merchant.account.createdAt,
    });
    expect((await call('GET', '/accounts/me', t.operatorKey)).json.id).toBe(OPERATOR_ACCOUNT.id);
    expect((await call('GET', '/accounts/me', undefined)).status).toBe(401);
  });

  it('lists the timelines the account owns with the documents bound to each', async () => {
    const example = readFileSync(
      new URL('../../documents/examples/smart-card-payment-request.yaml', import.meta.url),
      'utf8',
    );
    const posted = await t.app.inject({
      method: 'POST',
      url: '/blue',
      payload: example,
      headers: { ...bearer(merchant.apiKey), ...YAML },
    });
    expect(posted.statusCode).toBe(201);
    const state = posted.json() as { contracts: { initialized: { documentId: string } } };
    const documentId = state.contracts.initialized.documentId;

    const answer = await call('GET', '/accounts/me/timelines', merchant.apiKey);
    expect(answer.status).toBe(200);
    const timelines = answer.json.timelines as Json[];
    expect(timelines).toStrictEqual(
      (await t.store.timelinesOf(merchant.account.id)).map(({ ownerId: _owner, ...rest }) => rest),
    );
    expect(timelines.map((timeline) => timeline.id)).toContain(merchant.account.timelineId);
    expect(timelines.flatMap((timeline) => timeline.documentIds as string[])).toContain(documentId);
    for (const timeline of timelines)
      expect((await t.store.timeline(String(timeline.id)))?.ownerId).toBe(merchant.account.id);
    // Another account sees only its own.
    const theirs = await call('GET', '/accounts/me/timelines', stranger.apiKey);
    const theirIds = (theirs.json.timelines as Json[]).map((timeline) => timeline.id);
    expect(theirIds).toContain(stranger.account.timelineId);
    for (const timeline of timelines) expect(theirIds).not.toContain(timeline.id);
  });
});

describe('keys: /accounts/me/keys', () => {
  it('creates a key (shown once, stored hashed) and lists keys without the keys', async () => {
    const account = await t.account('keys@example.com');
    const created = await call('POST', '/accounts/me/keys', account.apiKey);
    expect(created.status).toBe(201);
    const apiKey = created.json.apiKey as string;
    expect(apiKey).toMatch(/^pd_test_/);
    expect(created.json.key).toStrictEqual({
      id: expect.stringMatching(/^key_/),
      hint: apiKey.slice(-4),
      createdAt: expect.any(Number),
      revokedAt: null,
    });
    expect((await call('GET', '/accounts/me', apiKey)).json.id).toBe(account.account.id);
    const listed = await call('GET', '/accounts/me/keys', apiKey);
    expect(listed.status).toBe(200);
    expect(listed.json.keys).toStrictEqual([
      {
        id: account.key.id,
        hint: account.apiKey.slice(-4),
        createdAt: account.key.createdAt,
        revokedAt: null,
      },
      created.json.key,
    ]);
    expect(listed.text).not.toContain(apiKey);
    expect(listed.text).not.toContain(account.apiKey);
    expect(listed.text).not.toContain(hashApiKey(apiKey));
  });

  it('400 for fields in the body of a key creation', async () => {
    const answer = await call('POST', '/accounts/me/keys', merchant.apiKey, {
      body: JSON.stringify({ name: 'ci' }),
    });
    expect(answer.status).toBe(400);
    expect(errorOf(answer)).toMatchObject({ code: 'invalid_request', param: '/name' });
  });

  it('replays an Idempotency-Key: one key, the same answer without the key, another body 400', async () => {
    const account = await t.account('idempotent@example.com');
    const headers = { 'idempotency-key': 'new-key-1' };
    const first = await call('POST', '/accounts/me/keys', account.apiKey, { headers });
    const again = await call('POST', '/accounts/me/keys', account.apiKey, { headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json).toStrictEqual({ ...first.json, apiKey: null });
    expect(await t.store.apiKeys(account.account.id)).toHaveLength(2);
    // The key made by the first works; the stored answer does not hold it.
    expect((await call('GET', '/accounts/me', first.json.apiKey as string)).status).toBe(200);
    const stored = await t.store.idempotency(account.account.id, 'new-key-1');
    expect(stored?.statusCode).toBe(201);
    expect(JSON.stringify(stored)).not.toContain(first.json.apiKey as string);
    const reused = await call('POST', '/accounts/me/keys', account.apiKey, {
      headers,
      body: '{}',
    });
    expect(reused.status).toBe(400);
    expect(errorOf(reused).code).toBe('idempotency_key_reused');
    expect(await t.store.apiKeys(account.account.id)).toHaveLength(2);
  });

  it('a revoked key is refused on the very next request; the other key still works', async () => {
    const account = await t.account('revoker@example.com');
    const second = await call('POST', '/accounts/me/keys', account.apiKey);
    const secondKey = second.json.apiKey as string;
    // Both keys have authenticated (and are remembered) before the revocation.
    expect((await call('GET', '/accounts/me', account.apiKey)).status).toBe(200);
    expect((await call('GET', '/accounts/me', secondKey)).status).toBe(200);
    const revoked = await call('DELETE', `/accounts/me/keys/${account.key.id}`, secondKey);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toStrictEqual({
      id: account.key.id,
      hint: account.apiKey.slice(-4),
      createdAt: account.key.createdAt,
      revokedAt: expect.any(Number),
    });
    const refused = await call('GET', '/accounts/me', account.apiKey);
    expect(refused.status).toBe(401);
    expect(errorOf(refused).code).toBe('unauthorized');
    expect((await call('POST', '/accounts/me/keys', account.apiKey)).status).toBe(401);
    expect((await call('GET', '/accounts/me', secondKey)).status).toBe(200);
    const listed = await call('GET', '/accounts/me/keys', secondKey);
    expect(listed.json.keys).toStrictEqual([revoked.json, second.json.key]);
    // Revoking it again changes nothing.
    const again = await call('DELETE', `/accounts/me/keys/${account.key.id}`, secondKey);
    expect(again.status).toBe(200);
    expect(again.json).toStrictEqual(revoked.json);
    expect(await t.store.accountByKeyHash(hashApiKey(account.apiKey))).toBeUndefined();
  });

  it('a key may revoke itself', async () => {
    const account = await t.account('self-revoker@example.com');
    const answer = await call('DELETE', `/accounts/me/keys/${account.key.id}`, account.apiKey);
    expect(answer.status).toBe(200);
    expect((await call('GET', '/accounts/me', account.apiKey)).status).toBe(401);
  });

  it("404 for another account's key id, which stays as it was; 404 for an unknown id", async () => {
    expect((await call('GET', '/accounts/me', stranger.apiKey)).status).toBe(200);
    const before = await t.store.apiKeys(stranger.account.id);
    const answer = await call('DELETE', `/accounts/me/keys/${stranger.key.id}`, merchant.apiKey);
    expect(answer.status).toBe(404);
    expect(errorOf(answer)).toMatchObject({ type: 'not_found_error', code: 'not_found' });
    expect(await t.store.apiKeys(stranger.account.id)).toStrictEqual(before);
    expect((await call('GET', '/accounts/me', stranger.apiKey)).status).toBe(200);
    const unknown = await call('DELETE', '/accounts/me/keys/key_nope', merchant.apiKey);
    expect(unknown.status).toBe(404);
    expect((await call('DELETE', `/accounts/me/keys/${stranger.key.id}`, undefined)).status).toBe(
      401,
    );
  });
});

describe('authentication', () => {
  const basic = (text: string) => ({ authorization: `Basic ${text}` });
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const me = (headers: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: '/accounts/me', headers });

  it('HTTP Basic with the key as user name and an empty password works, with any password 401', async () => {
    expect((await me(basic(b64(`${merchant.apiKey}:`)))).statusCode).toBe(200);
    expect((await me(basic(b64(`${merchant.apiKey}:secret`)))).statusCode).toBe(401);
    expect((await me(basic(b64(`${merchant.apiKey}: `)))).statusCode).toBe(401);
    expect((await me(basic(b64(`${merchant.apiKey}::`)))).statusCode).toBe(401);
  });

  it('401 for a malformed Authorization header', async () => {
    for (const authorization of [
      `Bearer ${merchant.apiKey} junk`,
      `Bearer`,
      `Bearer  `,
      merchant.apiKey,
      `Token ${merchant.apiKey}`,
      `Basic ${b64(`${merchant.apiKey}:`)} junk`,
      `Basic ${b64(`${merchant.apiKey}:`).replace(/=+$/, '')}*`,
      `Basic !!${b64(`${merchant.apiKey}:`)}`,
      `Basic ${b64(':')}`,
      `Basic ${b64(merchant.apiKey)}`,
      `Basic ${b64('')}`,
    ]) {
      const answer = await me({ authorization });
      expect(answer.statusCode, authorization).toBe(401);
    }
    // The scheme is case-insensitive, and surrounding blanks do not matter.
    expect((await me({ authorization: `bearer ${merchant.apiKey}` })).statusCode).toBe(200);
    expect((await me({ authorization: `  Bearer ${merchant.apiKey}  ` })).statusCode).toBe(200);
  });

  it("the processor's account never authenticates", async () => {
    const key = 'pd_test_a-key-someone-wrote-for-the-processor';
    await t.store.commit({
      ...emptyBatch(),
      apiKeys: [
        {
          id: 'key_processor',
          keyHash: hashApiKey(key),
          accountId: PROCESSOR_ACCOUNT.id,
          hint: null,
          createdAt: 1,
        },
      ],
    });
    expect((await t.store.accountByKeyHash(hashApiKey(key)))?.id).toBe(PROCESSOR_ACCOUNT.id);
    expect((await call('GET', '/accounts/me', key)).status).toBe(401);
  });
});

describe('OpenAPI', () => {
  it('documents the account routes', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(spec.paths['/accounts'] ?? {}).sort()).toStrictEqual(['get', 'post']);
    expect(Object.keys(spec.paths['/accounts/me'] ?? {})).toStrictEqual(['get']);
    expect(Object.keys(spec.paths['/accounts/me/timelines'] ?? {})).toStrictEqual(['get']);
    expect(Object.keys(spec.paths['/accounts/me/keys'] ?? {}).sort()).toStrictEqual([
      'get',
      'post',
    ]);
    expect(Object.keys(spec.paths['/accounts/me/keys/{id}'] ?? {})).toStrictEqual(['delete']);
  });
});

describe('the first start: the operator key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paydoc-operator-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function whoIs(url: string, key: string): Promise<number | string> {
    const response = await fetch(`${url}/accounts/me`, { headers: bearer(key) });
    return response.status === 200 ? String(((await response.json()) as Json).id) : response.status;
  }

  it('an empty database gets the operator and a first merchant, each key shown once', async () => {
    const db = join(dir, 'empty.db');
    const first = await startServer({ db, port: 0, workers: 1 });
    try {
      expect(first.operatorKey?.apiKey).toMatch(/^pd_test_/);
      expect(first.firstKey?.email).toBe(FIRST_ACCOUNT_EMAIL);
      expect(await whoIs(first.url, first.operatorKey!.apiKey)).toBe(OPERATOR_ACCOUNT.id);
      const merchantId = await whoIs(first.url, first.firstKey!.apiKey);
      expect(merchantId).toMatch(/^acct_[0-9a-f]+$/);
    } finally {
      await first.close();
    }
    const again = await startServer({ db, port: 0, workers: 1 });
    try {
      expect(again.operatorKey).toBeUndefined();
      expect(again.firstKey).toBeUndefined();
      expect(await whoIs(again.url, first.operatorKey!.apiKey)).toBe(OPERATOR_ACCOUNT.id);
    } finally {
      await again.close();
    }
  });

  it('PAYDOC_ADMIN_KEY is made to work on every start; once revoked it stops the start', async () => {
    const db = join(dir, 'admin.db');
    const adminKey = 'pd_test_operator-key-from-the-environment';
    const apiKey = 'pd_test_merchant-key-from-the-environment';
    const first = await startServer({ db, port: 0, workers: 1, adminKey, apiKey });
    let keyId: string;
    try {
      expect(first.operatorKey).toStrictEqual({ email: OPERATOR_ACCOUNT.email, apiKey: adminKey });
      expect(first.firstKey).toStrictEqual({ email: FIRST_ACCOUNT_EMAIL, apiKey });
      expect(await whoIs(first.url, adminKey)).toBe(OPERATOR_ACCOUNT.id);
      const keys = (await (
        await fetch(`${first.url}/accounts/me/keys`, { headers: bearer(adminKey) })
      ).json()) as { keys: Json[] };
      // Only the key given: no random operator key was made besides it.
      expect(keys.keys).toHaveLength(1);
      keyId = String(keys.keys[0]!.id);
    } finally {
      await first.close();
    }
    const second = await startServer({ db, port: 0, workers: 1, adminKey, apiKey });
    try {
      expect(second.operatorKey).toBeUndefined();
      expect(second.firstKey).toBeUndefined();
      expect(await whoIs(second.url, adminKey)).toBe(OPERATOR_ACCOUNT.id);
      const revoked = await fetch(`${second.url}/accounts/me/keys/${keyId}`, {
        method: 'DELETE',
        headers: bearer(adminKey),
      });
      expect(revoked.status).toBe(200);
      expect(await whoIs(second.url, adminKey)).toBe(401);
    } finally {
      await second.close();
    }
    await expect(startServer({ db, port: 0, workers: 1, adminKey, apiKey })).rejects.toThrow(
      /revoked/,
    );
    // Another key in PAYDOC_ADMIN_KEY brings the operator back.
    const third = await startServer({ db, port: 0, workers: 1, adminKey: `${adminKey}-2`, apiKey });
    try {
      expect(third.operatorKey?.apiKey).toBe(`${adminKey}-2`);
      expect(await whoIs(third.url, `${adminKey}-2`)).toBe(OPERATOR_ACCOUNT.id);
    } finally {
      await third.close();
    }
  });

  it('refuses one key for both the operator and the merchant, or a merchant key as the operator key', async () => {
    const db = join(dir, 'same.db');
    await expect(
      startServer({ db, port: 0, workers: 1, adminKey: 'pd_test_same', apiKey: 'pd_test_same' }),
    ).rejects.toThrow(/different/);
    const apiKey = 'pd_test_merchant-only';
    const first = await startServer({ db, port: 0, workers: 1, apiKey });
    await first.close();
    await expect(startServer({ db, port: 0, workers: 1, adminKey: apiKey })).rejects.toThrow(
      /PAYDOC_ADMIN_KEY/,
    );
  });
});
