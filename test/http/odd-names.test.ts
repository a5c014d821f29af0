import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './support/test-app.js';
import { bearer, documentIdOf, JSON_BODY, testApp, timelineOf, YAML } from './support/test-app.js';

/**
 * Issue 10, "500s from ordinary names": a field called like a member of Object.prototype is
 * data wherever it appears — in a posted document, an entry's message, a REST body, a patch
 * path, a step's result. Every answer is a precise 2xx/4xx, and the document keeps working.
 */

const NAMES = [
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
] as const;

type Json = Record<string, unknown>;
interface Response {
  statusCode: number;
  json(): unknown;
  body: string;
}

let t: TestApp;
let key: string;

beforeAll(async () => {
  t = await testApp();
  key = (await t.account('odd-names@example.com')).apiKey;
});

afterAll(async () => {
  await t.close();
});

const example = (name: string): string =>
  readFileSync(new URL(`../../documents/examples/${name}`, import.meta.url), 'utf8');

function postDocument(body: string): Promise<Response> {
  return t.app.inject({
    method: 'POST',
    url: '/blue',
    payload: body,
    headers: { ...bearer(key), ...YAML },
  });
}

function append(timelineId: string, message: Json): Promise<Response> {
  return t.app.inject({
    method: 'POST',
    url: `/timelines/${timelineId}/entries`,
    payload: JSON.stringify({ message }),
    headers: { ...bearer(key), ...JSON_BODY },
  });
}

function getDocument(id: string): Promise<Response> {
  return t.app.inject({ method: 'GET', url: `/blue/${id}`, headers: bearer(key) });
}

/** The first result of an append: the one document listening to the timeline. */
function resultOf(response: Response): Json {
  const results = (response.json() as { results: Json[] }).results;
  expect(results).toHaveLength(1);
  return results[0] as Json;
}

function statusOf(response: Response): Json {
  return resultOf(response).status as Json;
}

/** A document counting the messages it hears, plus whatever `extra` adds (fields, workflows). */
function counter(tag: string, extra = '', workflows = ''): string {
  return `name: Odd names ${tag}
seen: 0
${extra}contracts:
  listen:
    type: Timeline Channel
  count:
    type: Sequential Workflow
    channel: listen
    order: 1
    steps:
      - type: Update Document
        changeset:
          - op: replace
            path: /seen
            val: "\${document('/seen') + 1}"
${workflows}`;
}

/** Posts a document, checks it was created, and that its listener still counts afterwards. */
async function postWorking(body: string): Promise<{ id: string; timeline: string }> {
  const posted = await postDocument(body);
  expect(posted.statusCode, posted.body).toBe(201);
  const document = posted.json() as Json;
  return { id: documentIdOf(document), timeline: timelineOf(document, 'listen') };
}

async function stillCounts(id: string, timeline: string, expected: number): Promise<void> {
  const next = await append(timeline, { type: 'Chat Message', message: 'still there?' });
  expect(next.statusCode, next.body).toBe(201);
  expect(statusOf(next)).toEqual({ kind: 'ok' });
  const read = await getDocument(id);
  expect(read.statusCode, read.body).toBe(200);
  expect((read.json() as Json).seen).toBe(expected);
}

describe.each(NAMES)('a field called %s', (name) => {
  it('in a posted document is data: 201, the field kept, later appends work', async () => {
    const { id, timeline } = await postWorking(
      counter(`doc-${name}`, `${name}: 7\nnested:\n  ${name}:\n    ${name}: text\n`),
    );
    const read = await getDocument(id);
    expect(read.statusCode).toBe(200);
    const state = read.json() as Json;
    expect(Object.hasOwn(state, name)).toBe(true);
    expect(state[name]).toBe(7);
    expect((state.nested as Json)[name]).toEqual({ [name]: 'text' });
    await stillCounts(id, timeline, 1);
  });

  it('in an entry message is data: 201, delivered, matched by a pattern on that field', async () => {
    const { id, timeline } = await postWorking(
      counter(
        `message-${name}`,
        'heard: none\n',
        `  hear:
    type: Sequential Workflow
    channel: listen
    order: 2
    event:
      type: Chat Message
      ${name}: yes
    steps:
      - type: Update Document
        changeset:
          - op: replace
            path: /heard
            val: "\${event.message}"
`,
      ),
    );
    const said = await append(timeline, { type: 'Chat Message', message: 'odd', [name]: 'yes' });
    expect(said.statusCode, said.body).toBe(201);
    expect(statusOf(said)).toEqual({ kind: 'ok' });
    const nested = await append(timeline, {
      type: 'Chat Message',
      message: 'nested',
      data: { [name]: { [name]: 1 } },
    });
    expect(nested.statusCode, nested.body).toBe(201);
    expect(statusOf(nested)).toEqual({ kind: 'ok' });
    const read = (await getDocument(id)).json() as Json;
    expect(read.heard).toBe('odd');
    expect(read.seen).toBe(2);
    await stillCounts(id, timeline, 3);
  });

  it('in a REST body to /api/charge/{id}/capture and /refund gets a precise answer', async () => {
    const posted = await postDocument(
      example('classic-card-payment-request.yaml').replace(
        'amount: 100',
        `amount: 100\norderId: rest-${name}`,
      ),
    );
    expect(posted.statusCode, posted.body).toBe(201);
    const chargeId = String((posted.json() as Json).paymentProcessorId);
    const call = (action: string, body: Json) =>
      t.app.inject({
        method: 'POST',
        url: `/api/charge/${chargeId}/${action}`,
        payload: JSON.stringify(body),
        headers: { ...bearer(key), ...JSON_BODY },
      });
    const captured = await call('capture', { amount: 40, [name]: 1 });
    expect(captured.statusCode, captured.body).toBe(200);
    expect((captured.json() as { document: Json }).document).toMatchObject({
      status: 'captured',
      amountCaptured: 40,
    });
    const again = await call('capture', { [name]: { [name]: 1 } });
    expect(again.statusCode, again.body).toBe(422);
    expect((again.json() as { error: Json }).error.code).toBe('capture_not_allowed');
    const badReason = await call('refund', { amount: 10, reason: { [name]: 1 } });
    // Refused at the route, against the operation's request type, with where it is wrong.
    expect(badReason.statusCode, badReason.body).toBe(400);
    expect((badReason.json() as { error: Json }).error).toMatchObject({
      code: 'validation_failed',
      param: '/reason',
    });
    expect(String((badReason.json() as { error: Json }).error.message)).toMatch(/^line 1:\d+: /);
    const refunded = await call('refund', { amount: 10, [name]: 'x' });
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect((refunded.json() as { document: Json }).document.amountRefunded).toBe(10);
  });

  it('as a patch path of an Update Document step is data: applied, later appends work', async () => {
    const { id, timeline } = await postWorking(
      counter(
        `patch-${name}`,
        '',
        `  write:
    type: Sequential Workflow
    channel: listen
    order: 2
    steps:
      - type: Update Document
        changeset:
          - op: replace
            path: /${name}
            val: "\${document('/seen')}"
          - op: add
            path: /deep/${name}/${name}
            val: 1
`,
      ),
    );
    const first = await append(timeline, { type: 'Chat Message', message: 'one' });
    expect(first.statusCode, first.body).toBe(201);
    expect(statusOf(first)).toEqual({ kind: 'ok' });
    const second = await append(timeline, { type: 'Chat Message', message: 'two' });
    expect(second.statusCode, second.body).toBe(201);
    expect(statusOf(second)).toEqual({ kind: 'ok' });
    const state = (await getDocument(id)).json() as Json;
    expect(state[name]).toBe(2);
    expect(state.deep).toEqual({ [name]: { [name]: 1 } });
    await stillCounts(id, timeline, 3);
  });

  it('as a key of a JavaScript step result is data: usable by later steps, storable', async () => {
    const { id, timeline } = await postWorking(
      counter(
        `script-${name}`,
        'got: 0\n',
        `  script:
    type: Sequential Workflow
    channel: listen
    order: 2
    steps:
      - name: Compute
        type: JavaScript Code
        code: "return { ${name}: 41, nested: { ${name}: { ${name}: 1 } } };"
      - type: Update Document
        changeset:
          - op: replace
            path: /got
            val: "\${steps.Compute.${name} + steps.Compute.nested.${name}.${name}}"
          - op: replace
            path: /result
            val: "\${steps.Compute}"
`,
      ),
    );
    const said = await append(timeline, { type: 'Chat Message', message: 'go' });
    expect(said.statusCode, said.body).toBe(201);
    expect(statusOf(said)).toEqual({ kind: 'ok' });
    const state = (await getDocument(id)).json() as Json;
    expect(state.got).toBe(42);
    expect(state.result).toEqual({ [name]: 41, nested: { [name]: { [name]: 1 } } });
    await stillCounts(id, timeline, 2);
  });
});

describe('patches the processor refuses', () => {
  const on = (message: string, change: string): string => `  on-${message}:
    type: Sequential Workflow
    channel: listen
    order: 2
    event:
      type: Chat Message
      message: ${message}
    steps:
      - type: Update Document
        changeset:
${change}`;

  it('refuses /contracts patched as a whole (patch_forbidden); the document is unchanged', async () => {
    const { id, timeline } = await postWorking(
      counter(
        'contracts-guard',
        '',
        [
          on(
            'forge',
            `          - op: replace
            path: /contracts
            val:
              listen:
                type: Timeline Channel
              initialized:
                type: Core/Processing Initialized Marker
                documentId: forged
`,
          ),
          on('drop', '          - op: remove\n            path: /contracts\n'),
          on('reset', '          - op: add\n            path: /contracts\n            val: {}\n'),
          on(
            'terminate',
            `          - op: add
            path: /contracts/terminated
            val:
              type: Core/Processing Terminated Marker
              cause: fatal
`,
          ),
        ].join(''),
      ),
    );
    const before = await t.store.document(id);
    for (const message of ['forge', 'drop', 'reset', 'terminate']) {
      const response = await append(timeline, { type: 'Chat Message', message });
      expect(response.statusCode, response.body).toBe(201);
      expect(statusOf(response), message).toMatchObject({
        kind: 'rejected',
        code: 'patch_forbidden',
      });
      const after = await t.store.document(id);
      expect(after?.state, message).toEqual(before?.state);
      expect(after?.blueId, message).toBe(before?.blueId);
    }
    expect(documentIdOf(before?.state as Json)).toBe(id);
    await stillCounts(id, timeline, 1);
  });

  it('refuses a path with an invalid escape (~2, a lone ~): on post when written, as patch_invalid when computed', async () => {
    const written = counter(
      'escape-guard-written',
      '',
      on('tilde2', '          - op: replace\n            path: /a~2b\n            val: 1\n'),
    );
    const refused = await postDocument(written);
    expect(refused.statusCode, refused.body).toBe(400);
    expect((refused.json() as { error: { code: string } }).error.code).toBe('lint_failed');
    // A path computed by an expression is known only when the step runs.
    const { id, timeline } = await postWorking(
      counter(
        'escape-guard',
        '',
        on(
          'tilde2',
          `          - op: replace\n            path: "\${'/a~2b'}"\n            val: 1\n`,
        ) +
          on(
            'lone',
            `          - op: replace\n            path: "\${'/a~'}"\n            val: 1\n`,
          ),
      ),
    );
    const before = await t.store.document(id);
    for (const message of ['tilde2', 'lone']) {
      const response = await append(timeline, { type: 'Chat Message', message });
      expect(response.statusCode, response.body).toBe(201);
      expect(statusOf(response), message).toMatchObject({
        kind: 'rejected',
        code: 'patch_invalid',
      });
      expect((await t.store.document(id))?.state, message).toEqual(before?.state);
    }
    await stillCounts(id, timeline, 1);
  });
});
