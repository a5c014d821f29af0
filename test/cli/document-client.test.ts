import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUrl } from '../../src/cli/commands/client.js';
import { runCli } from '../../src/cli/program.js';
import type { TestApp } from '../http/support/test-app.js';
import { testApp } from '../http/support/test-app.js';

const examples = join(import.meta.dirname, '../../documents/examples');
const delivery = join(examples, 'delivery-guarantee.yaml');
const classic = join(examples, 'classic-card-payment-request.yaml');

async function paydoc(env: NodeJS.ProcessEnv, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { out: (text) => out.push(text), err: (text) => err.push(text) },
    env,
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the server URL of the client commands', () => {
  it('is --url, else PAYDOC_URL, else 127.0.0.1 on PORT as paydoc serve listens', () => {
    expect(serverUrl({}, {})).toBe('http://127.0.0.1:3000');
    expect(serverUrl({}, { PORT: '4100' })).toBe('http://127.0.0.1:4100');
    expect(serverUrl({}, { PORT: '4100', PAYDOC_URL: 'http://pay.test' })).toBe('http://pay.test');
    expect(serverUrl({ url: 'http://other.test' }, { PAYDOC_URL: 'http://pay.test' })).toBe(
      'http://other.test',
    );
  });
});

describe('paydoc id --initialized, offline', () => {
  it("is the documentId of paydoc run's document: the same bindings, the same id", async () => {
    const run = JSON.parse((await paydoc({}, 'run', delivery, '--json')).out) as {
      document: { contracts: { initialized: { documentId: string } } };
    };
    const id = await paydoc({}, 'id', '--initialized', delivery);
    expect(id.out).toBe(run.document.contracts.initialized.documentId);
  });
});

describe('paydoc get and paydoc history', () => {
  let t: TestApp;
  let env: NodeJS.ProcessEnv;
  let accountId: string;
  let documentId: string;

  beforeAll(async () => {
    t = await testApp();
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const merchant = await t.account('cli-get@example.com');
    accountId = merchant.account.id;
    env = { PAYDOC_URL: url, PAYDOC_API_KEY: merchant.apiKey };
    const posted = await paydoc(env, 'post', delivery);
    documentId = /^document (\S+)$/m.exec(posted.out)?.[1] as string;
    expect(documentId).toBeDefined();
  });

  afterAll(async () => {
    await t?.close();
  });

  it("get: the id, the state's BlueId (its ETag), its fields and timelines; --json whole", async () => {
    const json = await paydoc(env, 'get', documentId, '--json');
    expect(json.code).toBe(0);
    const state = JSON.parse(json.out) as Record<string, unknown>;
    expect(state).toMatchObject({ status: 'authorized', amount: 1000 });
    const record = await t.store.document(documentId);
    const text = await paydoc(env, 'get', documentId);
    expect(text.code).toBe(0);
    const lines = text.out.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `document ${documentId}`,
      `  blueId: ${record?.blueId}`,
      '  type: Smart Card Payment',
    ]);
    expect(lines).toContain('  status: authorized');
    expect(lines).toContain('  amountAuthorized: 1000');
    expect(lines).toContain('  refunds: 0 items');
    expect(text.out).toMatch(/^ {2}timelines:\n( {4}\w+: tl_\w+\n?)+$/m);
    const yaml = await paydoc(env, 'get', documentId, '--yaml');
    expect(yaml.out).toMatch(/^status: authorized$/m);
  });

  it('history: one line per event, the processor answers marked; --json whole', async () => {
    const text = await paydoc(env, 'history', documentId);
    expect(text.code).toBe(0);
    const lines = text.out.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^document ${documentId} · Payments/Smart Card Payment · version 2 · blueId \\w+$`,
      ),
    );
    expect(lines[1]).toMatch(
      /^ {2}v1 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}initialize: ok · \d+ patches · emitted Core\/Document Processing Initiated$/,
    );
    expect(lines[2]).toMatch(
      /^ {2}v2 {2}\S+ {2}↳ timeline tl_\w+ #1 \(Payments\/Payment Authorized\): ok · \d+ patches$/,
    );
    const json = JSON.parse((await paydoc(env, 'history', documentId, '--json')).out) as {
      documentId: string;
      events: { version: number }[];
    };
    expect(json.documentId).toBe(documentId);
    expect(json.events.map((event) => event.version)).toEqual([1, 2]);
  });

  it('post --quiet prints the id alone; get --pointer one value; history --source places a script error in the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paydoc-history-'));
    try {
      const file = join(dir, 'counter.yaml');
      const text = [
        'name: History probe',
        'count: 0',
        'contracts:',
        '  owner:',
        '    type: MyOS Account',
        '    email: cli-get@example.com',
        '  bump:',
        '    type: Sequential Workflow',
        '    channel: owner',
        '    steps:',
        '      - name: Bump',
        '        type: JavaScript Code',
        '        code: |',
        "          const n = document('/count');",
        '          return { note: event.missing.deeper };',
        '',
      ].join('\n');
      writeFileSync(file, text);
      const posted = await paydoc(env, 'post', file, '--quiet');
      expect(posted.err).toBe('');
      expect(posted.out).toMatch(/^\S+$/);
      const id = posted.out;
      const timeline = await paydoc(env, 'get', id, '--pointer', '/contracts/owner/timelineId');
      expect(timeline.out).toMatch(/^tl_\w+$/);
      expect((await paydoc(env, 'get', id, '--pointer', '/count')).out).toBe('0');
      const message = join(dir, 'message.yaml');
      writeFileSync(message, 'type: Chat Message\nmessage: hi\n');
      const submitted = await paydoc(env, 'submit', timeline.out, message);
      expect(submitted.code, submitted.err).toBe(0);
      const plain = await paydoc(env, 'history', id);
      expect(plain.out).not.toContain('counter.yaml:');
      const placed = await paydoc(env, 'history', id, '--source', file);
      expect(placed.code).toBe(0);
      // The TypeError is on the code's line 2, which is line 15 of the file.
      expect(placed.out).toMatch(
        new RegExp(
          `^ {6}${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:15:\\d+: step Bump: line 2:\\d+: TypeError`,
          'm',
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exit 1 with the server's 404 for an unknown document, 2 without a key", async () => {
    const missing = await paydoc(env, 'get', 'NoSuchDocument');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('HTTP 404');
    const noKey = await paydoc({ PAYDOC_URL: env.PAYDOC_URL }, 'history', documentId);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('PAYDOC_API_KEY');
  });

  it("id --initialized --account predicts the server's documentId", async () => {
    const predicted = await paydoc({}, 'id', '--initialized', '--account', accountId, delivery);
    expect(predicted.err).toBe('');
    expect(predicted.out).toBe(documentId);
    // Offline bindings (timelines named by email, as paydoc run binds) give another id, and say so.
    const offline = await paydoc({}, 'id', '--initialized', delivery, '--json');
    const [line] = JSON.parse(offline.out) as {
      blueId: string;
      documentId: string;
      asServer: boolean;
      serverBound: string[];
    }[];
    expect(line?.documentId).not.toBe(documentId);
    expect(line?.asServer).toBe(false);
    expect(line?.serverBound).toContain('/contracts/deliveryTimeline');
    const warned = await paydoc({}, 'id', '--initialized', delivery);
    expect(warned.out).toBe(line?.documentId);
    expect(warned.err).toContain('--account');
    // ... the BlueId as written is a third id.
    expect((await paydoc({}, 'id', delivery)).out).toBe(line?.blueId);
  });

  it('id --initialized of a document the server binds no timeline for is its id', async () => {
    const posted = await paydoc(env, 'post', classic);
    const serverId = /^document (\S+)$/m.exec(posted.out)?.[1];
    const predicted = await paydoc({}, 'id', '--initialized', classic);
    expect(predicted.err).toBe('');
    expect(predicted.out).toBe(serverId);
    expect((await paydoc({}, 'id', '--account', accountId, classic)).code).toBe(2);
  });
});
