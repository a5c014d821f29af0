import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import type { RunningServer } from '../../src/http/start-server.js';
import { startServer } from '../../src/http/start-server.js';

type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'paydoc-server-'));
const db = join(dir, 'paydoc.db');
const API_KEY = 'pd_test_walkthrough-merchant-key';
const ADMIN_KEY = 'pd_test_walkthrough-operator-key';
let server: RunningServer;

const examples = new URL('../../documents/examples/', import.meta.url);
const example = (name: string): string => readFileSync(new URL(name, examples), 'utf8');

beforeAll(async () => {
  server = await startServer({ db, port: 0, apiKey: API_KEY, adminKey: ADMIN_KEY, workers: 2 });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function http(
  method: string,
  path: string,
  options: { key?: string; body?: string; type?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.key ?? API_KEY}`,
      ...(options.body === undefined ? {} : { 'content-type': options.type ?? 'application/yaml' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

/** Runs the CLI in process and returns its exit code and output. */
async function paydoc(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(
    argv,
    { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`) },
    { PAYDOC_URL: server.url, PAYDOC_API_KEY: API_KEY, PAYDOC_ADMIN_KEY: ADMIN_KEY },
  );
  return { code, out, err };
}

function contracts(document: Json): Record<string, Json> {
  return document.contracts as Record<string, Json>;
}

describe('the README walkthrough, over a real socket', () => {
  it('delivery guarantee: the courier reports delivery, the payment is captured in full', async () => {
    // 1. The merchant posts the seed's Smart Card Payment with the delivery guarantee.
    const posted = await paydoc(
      'post',
      join(new URL(examples).pathname, 'delivery-guarantee.yaml'),
    );
    expect(posted.code).toBe(0);
    //    It prints a summary: the id and each participant's timeline, what the next steps need.
    expect(posted.out).toMatch(/^ {2}status: authorized$/m);
    expect(posted.out).toMatch(/^ {2}paymentProcessorId: ch_\w+$/m);
    const documentId = /^document (\S+)$/m.exec(posted.out)?.[1] as string;
    const courierTimeline = / {4}deliveryTimeline: (tl_\w+)$/m.exec(posted.out)?.[1] as string;
    //    The whole document with --yaml (posting the same content again gives the same one).
    const whole = await paydoc(
      'post',
      join(new URL(examples).pathname, 'delivery-guarantee.yaml'),
      '--yaml',
    );
    const document = parse(whole.out) as Json;
    expect(document.status).toBe('authorized');
    expect(contracts(document).initialized?.documentId).toBe(documentId);
    expect(contracts(document).deliveryTimeline?.timelineId).toBe(courierTimeline);

    // 2. The courier gets an account key from the operator: the account already exists (made
    //    when the document named its email), with a new timeline for this one document.
    const courier = await paydoc('accounts', 'create', 'dhl-tracking@example.com', '--json');
    expect(courier.code).toBe(0);
    const { apiKey, timelineId: home } = JSON.parse(courier.out) as {
      apiKey: string;
      timelineId: string;
    };
    expect(home).not.toBe(courierTimeline);
    //    The courier finds its timeline for the document among its own.
    const listed = await paydoc('accounts', 'timelines', '--json', '--key', apiKey);
    expect(listed.code).toBe(0);
    const timelines = (JSON.parse(listed.out) as { timelines: Json[] }).timelines;
    const forDocument = timelines.filter((timeline) =>
      (timeline.documentIds as string[]).includes(documentId),
    );
    expect(forDocument.map((timeline) => timeline.id)).toEqual([courierTimeline]);

    // 3. The courier reports delivery two days after the order, on its own timeline.
    const event = join(dir, 'delivered.yaml');
    writeFileSync(event, 'type: Package Delivered\ntimestamp: 1692275400000\n');
    const submitted = await runCli(
      ['submit', courierTimeline, event, '--json'],
      { out: () => undefined, err: () => undefined },
      { PAYDOC_URL: server.url, PAYDOC_API_KEY: apiKey },
    );
    expect(submitted).toBe(0);

    // 4. The payment is captured, for the full amount.
    const state = await http('GET', `/blue/${documentId}`);
    expect(state.status).toBe(200);
    expect(state.json).toMatchObject({
      status: 'captured',
      captured: true,
      amountCaptured: 1000,
    });
    const history = await http('GET', `/blue/${documentId}/history`);
    const emitted = (history.json.events as Json[]).flatMap((entry) => entry.emitted as Json[]);
    expect(emitted).toContainEqual({
      type: 'Capture Payment',
      reason: 'Package delivered in 2.0 days',
      amount: 1000,
    });
  });

  it('classic card payment: captured through POST /api/charge/{id}/capture', async () => {
    const posted = await http('POST', '/blue', {
      body: example('classic-card-payment-request.yaml'),
    });
    expect(posted.status).toBe(201);
    const charge = String(posted.json.paymentProcessorId);
    expect(charge).toMatch(/^ch_/);
    const captured = await http('POST', `/api/charge/${charge}/capture`);
    expect(captured.status).toBe(200);
    expect(captured.json.document).toMatchObject({ status: 'captured', amountCaptured: 100 });
  });
});

describe('who may speak, over a real socket', () => {
  it("the shop cannot bind the courier to its own timeline, nor read or write the courier's", async () => {
    const shopHome = (await http('GET', '/accounts/me')).json.timelineId as string;
    const forged = example('delivery-guarantee.yaml')
      .replace('amount: 1000', 'amount: 1000\norderId: socket-forged')
      .replace(
        'email: dhl-tracking@example.com',
        `email: dhl-tracking@example.com\n    timelineId: ${shopHome}`,
      );
    const refused = await http('POST', '/blue', { body: forged });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({
      code: 'binding_forbidden',
      param: '/contracts/deliveryTimeline/timelineId',
    });
    expect(String((refused.json.error as Json).message)).toMatch(/^line \d+:\d+: /);
    const posted = await http('POST', '/blue', {
      body: example('delivery-guarantee.yaml').replace(
        'amount: 1000',
        'amount: 1000\norderId: socket-1',
      ),
    });
    expect(posted.status).toBe(201);
    const courierTimeline = String(contracts(posted.json).deliveryTimeline?.timelineId);
    const before = await http(
      'GET',
      `/blue/${String(contracts(posted.json).initialized?.documentId)}`,
    );
    const write = await http('POST', `/timelines/${courierTimeline}/entries`, {
      type: 'application/json',
      body: JSON.stringify({ message: { type: 'Package Delivered', timestamp: 1692275400000 } }),
    });
    expect(write.status).toBe(404);
    const after = await http(
      'GET',
      `/blue/${String(contracts(posted.json).initialized?.documentId)}`,
    );
    expect(after.json).toEqual(before.json);
  });
});

describe('the server', () => {
  it('answers 409 to a concurrent request with the same Idempotency-Key; one effect', async () => {
    const racer = await paydoc('accounts', 'create', 'racer@example.com', '--json');
    const { apiKey } = JSON.parse(racer.out) as { apiKey: string };
    // A step that takes a few ms in a sandbox worker keeps the first request in flight.
    const slow = await http('POST', '/blue', {
      key: apiKey,
      body: [
        'name: Slow',
        'contracts:',
        '  owner:',
        '    type: MyOS Account',
        '    email: racer@example.com',
        '  work:',
        '    type: Conversation/Sequential Workflow',
        '    channel: owner',
        '    steps:',
        '      - name: Spin',
        '        type: Conversation/JavaScript Code',
        '        code: |',
        '          let x = 0; for (let i = 0; i < 3e6; i++) x += i;',
        '          return { events: [] };',
        '',
      ].join('\n'),
    });
    expect(slow.status).toBe(201);
    const timelineId = String(contracts(slow.json).owner?.timelineId);
    const send = (key: string) =>
      http('POST', `/timelines/${timelineId}/entries`, {
        key: apiKey,
        type: 'application/json',
        body: JSON.stringify({ message: { note: 'race' } }),
        headers: { 'idempotency-key': key },
      });
    // Six at once: while the first is in the sandbox, the others find its key in flight (409);
    // one arriving after it finished gets its stored answer (201 again, the same entry). Whether
    // the six overlap is up to the machine's timing, so a round without a 409 is tried again
    // with a new key; every round must show one effect per key all the same.
    let raced = false;
    for (let round = 1; round <= 5 && !raced; round += 1) {
      const answers = await Promise.all(Array.from({ length: 6 }, () => send(`race-${round}`)));
      const statuses = answers.map((answer) => answer.status);
      raced = statuses.includes(409);
      expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
      const stored = answers.filter((answer) => answer.status === 201);
      expect(new Set(stored.map((answer) => JSON.stringify(answer.json.entry))).size).toBe(1);
      for (const answer of answers.filter((candidate) => candidate.status === 409))
        expect((answer.json.error as Json).code).toBe('idempotency_key_in_use');
      const entries = await http('GET', `/timelines/${timelineId}/entries`, { key: apiKey });
      expect((entries.json.entries as Json[]).length).toBe(round);
    }
    expect(raced).toBe(true);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const spec = await fetch(`${server.url}/openapi.json`);
    expect(spec.status).toBe(200);
    const docs = await fetch(`${server.url}/docs`);
    expect(await docs.text()).toContain('/api/charge/{chargeId}/capture');
  });

  it('paydoc submit and post report server errors with exit code 1', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'type: Classic Card Payment\namount: 10.5\ncurrency: USD\ntoken: tok_1234\n',
    );
    const posted = await paydoc('post', bad);
    expect(posted.code).toBe(1);
    expect(posted.err).toContain('HTTP 400');
    expect(posted.err).toContain('line 2:');
  });
});
