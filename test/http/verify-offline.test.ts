import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import type { ExportBundle } from '../../src/engine/bundle-format.js';
import type { RunningServer } from '../../src/http/start-server.js';
import { startServer } from '../../src/http/start-server.js';

// Issue 13, end to end over a real socket: the seeds' payments run on the server, are
// exported with `paydoc export`, and verify offline with `paydoc verify`; `paydoc run` of the
// exported inputs and `paydoc id` of an exported entry give the server's ids, byte for byte.
type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'paydoc-verify-e2e-'));
const API_KEY = 'pd_test_verify-merchant-key';
const ADMIN_KEY = 'pd_test_verify-operator-key';
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    db: join(dir, 'paydoc.db'),
    port: 0,
    apiKey: API_KEY,
    adminKey: ADMIN_KEY,
    workers: 2,
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function paydoc(
  env: Record<string, string>,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(
    argv,
    { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`) },
    { PAYDOC_URL: server.url, PAYDOC_API_KEY: API_KEY, PAYDOC_ADMIN_KEY: ADMIN_KEY, ...env },
  );
  return { code, out, err };
}

async function http(method: string, path: string, key = API_KEY, body?: Json) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    etag: response.headers.get('etag'),
    json: (await response.json()) as Json,
  };
}

/** Posts a document file as the merchant and returns its id and its bound timelines. */
async function postDocument(
  file: string,
): Promise<{ id: string; timelines: Record<string, string> }> {
  const posted = await paydoc({}, 'post', file, '--json');
  expect(posted.code, posted.err).toBe(0);
  const state = JSON.parse(posted.out) as Json;
  const contracts = state.contracts as Record<string, Json>;
  const timelines: Record<string, string> = {};
  for (const [key, contract] of Object.entries(contracts))
    if (typeof contract.timelineId === 'string') timelines[key] = contract.timelineId;
  return { id: String(contracts.initialized?.documentId), timelines };
}

/** An account key for a participant the document named (the operator makes it). */
async function keyFor(email: string): Promise<string> {
  const made = await paydoc({}, 'accounts', 'create', email, '--json');
  expect(made.code, made.err).toBe(0);
  return String((JSON.parse(made.out) as Json).apiKey);
}

/** Exports, verifies offline, and checks the replay ends at the server's BlueId. */
async function exportAndVerify(documentId: string, name: string): Promise<ExportBundle> {
  const file = join(dir, `${name}.json`);
  const inputs = join(dir, `${name}.events.json`);
  const exported = await paydoc({}, 'export', documentId, '-o', file, '--inputs', inputs);
  expect(exported.code, exported.err).toBe(0);
  const head = await http('GET', `/blue/${documentId}`);
  const serverBlueId = String(head.etag).replaceAll('"', '');

  // Offline: no server in the environment at all.
  const verified = await paydoc({ PAYDOC_URL: 'http://127.0.0.1:9' }, 'verify', file);
  expect(verified.code, verified.err).toBe(0);
  expect(verified.out).toContain(`blueId    ${serverBlueId}`);
  const json = await paydoc({}, 'verify', file, '--json');
  const summary = (JSON.parse(json.out) as { summary: Json }).summary;
  expect(summary.blueId).toBe(serverBlueId);

  // paydoc run of the exported inputs, from the genesis: the server's BlueId again.
  const bundle = JSON.parse(readFileSync(file, 'utf8')) as ExportBundle;
  const genesis = join(dir, `${name}.genesis.json`);
  writeFileSync(genesis, JSON.stringify(bundle.genesis));
  const run = await paydoc({}, 'run', genesis, '--events', inputs, '--json');
  expect(run.code, run.err).toBe(0);
  expect((JSON.parse(run.out) as Json).blueId).toBe(serverBlueId);
  expect((JSON.parse(run.out) as Json).document).toEqual(bundle.final.document);

  // paydoc id of each exported entry: the server's entry id.
  for (const input of bundle.inputs.filter((candidate) => candidate.entry !== undefined)) {
    const entryFile = join(dir, `${name}.entry.json`);
    writeFileSync(entryFile, JSON.stringify(input.event.entry));
    const id = await paydoc({}, 'id', entryFile);
    expect(id.out.trim().split(/\s+/).at(-1)).toBe(input.entry?.blueId);
  }

  // The story for humans.
  const explained = await paydoc({}, 'verify', file, '--explain');
  expect(explained.code).toBe(0);
  expect(explained.out).toContain(`The story of ${documentId}`);
  expect(explained.out).toContain('the payment processor said');
  return bundle;
}

const examples = new URL('../../documents/examples/', import.meta.url).pathname;
const scenarios = new URL('../../documents/scenarios/', import.meta.url).pathname;

describe('paydoc export and paydoc verify, over HTTP', () => {
  it('the delivery guarantee: delivered, captured in full, verified offline', async () => {
    const document = await postDocument(join(examples, 'delivery-guarantee.yaml'));
    const courier = await keyFor('dhl-tracking@example.com');
    const delivered = await http(
      'POST',
      `/timelines/${document.timelines.deliveryTimeline}/entries`,
      courier,
      { message: { type: 'Package Delivered', timestamp: 1692275400000 } },
    );
    expect(delivered.status).toBe(201);
    const bundle = await exportAndVerify(document.id, 'delivery');
    expect(bundle.final.document).toMatchObject({ status: 'captured', amountCaptured: 1000 });
    const answers = bundle.inputs.filter((input) => input.origin === 'processor');
    expect(answers.map((input) => (input.event.entry as Json).message)).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Payments/Payment Captured' })]),
    );
  });

  it('the BTC key escrow: the key verified, the payment captured, verified offline', async () => {
    const document = await postDocument(join(scenarios, 'btc-key-valid', 'document.yaml'));
    const merchant = await keyFor('merchant@example.com');
    const provided = await http(
      'POST',
      `/timelines/${document.timelines.merchant}/entries`,
      merchant,
      {
        message: {
          type: 'Provide BTC Key',
          privateKey: 'KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn',
        },
      },
    );
    expect(provided.status).toBe(201);
    const bundle = await exportAndVerify(document.id, 'btc');
    expect(bundle.final.document).toMatchObject({ captured: true, btcKey: { keyProvided: true } });
  });

  it('verifies against the server’s published keys, and a later export against an earlier one', async () => {
    const file = join(dir, 'delivery.json');
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as ExportBundle;
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, JSON.stringify((await http('GET', '/.well-known/paydoc/keys')).json));
    const pinned = await paydoc({}, 'verify', file, '--keys', keys);
    expect(pinned.code, pinned.err).toBe(0);
    expect(pinned.out).not.toContain('taken from the bundle itself');
    expect((await paydoc({}, 'verify', file)).out).toContain('taken from the bundle itself');
    const others = join(dir, 'other-keys.json');
    writeFileSync(others, JSON.stringify({ keys: [{ keyId: 'ed25519:someone-else' }] }));
    const refused = await paydoc({}, 'verify', file, '--keys', others);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('does not verify (keys)');
    const later = join(dir, 'delivery-later.json');
    const exported = await paydoc({}, 'export', bundle.documentId, '-o', later, '--previous', file);
    expect(exported.code, exported.err).toBe(0);
    const extended = await paydoc({}, 'verify', later, '--previous', file);
    expect(extended.code, extended.err).toBe(0);
    expect(extended.out).toContain(`extends ${file}`);
  });

  it('a bundle changed on its way fails with the place, exit 1', async () => {
    const file = join(dir, 'delivery.json');
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as ExportBundle;
    const entry = bundle.inputs.find((input) => input.origin === 'input' && input.entry)?.event
      .entry as Json;
    entry.timestamp = Number(entry.timestamp) + 1;
    const changed = join(dir, 'changed.json');
    writeFileSync(changed, JSON.stringify(bundle));
    const verified = await paydoc({}, 'verify', changed);
    expect(verified.code).toBe(1);
    expect(verified.err).toMatch(/does not verify \(entry\)/);
    expect(verified.err).toMatch(/at \/inputs\/\d+\/event\/entry \(input \d+\)/);
    expect((await paydoc({}, 'verify', join(dir, 'missing.json'))).code).toBe(2);
  });
});
