import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestApp } from './support/test-app.js';
import { bearer, documentIdOf, testApp, YAML } from './support/test-app.js';

// Issue 16, item 1: REST API channels are generic. Every path a document's type or the
// document itself declares is served and mapped to its operation, path parameters bound, the
// body checked against the operation's request type; nothing lists the actions in code.
type Json = Record<string, unknown>;

let t: TestApp;
let key: string;

// A Classic Card Payment with an API of its own beside its type's: a note on the charge, at a
// path the type does not declare, whose request must be a Text.
const WITH_NOTES = `type: Classic Card Payment
amount: 2500
currency: USD
captured: false
token: tok_visa
note: none
contracts:
  notesApi:
    type: Payments/REST API Channel
    provider: paydoc
    endpointScheme:
      type: Payments/Resource Path Pattern
      basePath: /api
      paths:
        - path: /charge/{chargeId}/notes/{kind}
          method: PUT
          operation: writeNote
  writeNote:
    type: Conversation/Operation
    channel: notesApi
    request:
      text:
        type: Text
  writeNoteImpl:
    type: Conversation/Sequential Workflow Operation
    operation: writeNote
    steps:
      - name: Write
        type: Conversation/Update Document
        changeset:
          - op: replace
            path: /note
            val: "\${event.params.kind}: \${event.request.text}"
`;

async function call(method: string, url: string, body?: unknown, apiKey = key) {
  const response = await t.app.inject({
    method: method as 'POST',
    url,
    headers: { ...bearer(apiKey), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: response.statusCode, body: response.json() as Json };
}

beforeEach(async () => {
  t = await testApp();
  key = (await t.account('shop@example.com')).apiKey;
});

afterEach(async () => {
  await t.close();
});

describe('REST API channels, generic', () => {
  it("serves a document's own route: method, path parameters and request type", async () => {
    const posted = await t.app.inject({
      method: 'POST',
      url: '/blue',
      headers: { ...bearer(key), ...YAML },
      payload: WITH_NOTES,
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const charge = String(posted.json().paymentProcessorId);
    const written = await call('PUT', `/api/charge/${charge}/notes/gift`, { text: 'wrap it' });
    expect(written.status, JSON.stringify(written.body)).toBe(200);
    expect((written.body.document as Json).note).toBe('gift: wrap it');
    // The body must be of the operation's request type: a 400 with where, nothing recorded.
    const wrong = await call('PUT', `/api/charge/${charge}/notes/gift`, { text: 5 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'validation_failed' });
    expect(String((wrong.body.error as Json).message)).toMatch(/^line 1:2: text must be a text/);
    // Another method on the same path, or a path nobody declared, is no route of the document.
    expect((await call('POST', `/api/charge/${charge}/notes/gift`, { text: 'x' })).status).toBe(
      403,
    );
    expect((await call('POST', `/api/charge/${charge}/shred`, {})).status).toBe(403);
    // The type's own routes still work beside it.
    expect((await call('POST', `/api/charge/${charge}/capture`, {})).status).toBe(200);
    const history = await t.app.inject({
      method: 'GET',
      url: `/blue/${documentIdOf(posted.json())}/history`,
      headers: bearer(key),
    });
    const events = (history.json() as { events: { event: Json }[] }).events;
    expect(
      events.some(
        (entry) =>
          (entry.event.event as Json | undefined)?.operation === 'writeNote' &&
          JSON.stringify((entry.event.event as Json).params) ===
            JSON.stringify({ chargeId: charge, kind: 'gift' }),
      ),
    ).toBe(true);
  });

  it('answers another account 404 and an unknown document 404, never a 500', async () => {
    const posted = await t.app.inject({
      method: 'POST',
      url: '/blue',
      headers: { ...bearer(key), ...YAML },
      payload: WITH_NOTES,
    });
    const charge = String(posted.json().paymentProcessorId);
    const other = (await t.account('other@example.com')).apiKey;
    expect(
      (await call('PUT', `/api/charge/${charge}/notes/gift`, { text: 'x' }, other)).status,
    ).toBe(404);
    expect((await call('POST', '/api/charge/ch_nope/capture', {})).status).toBe(404);
    for (const path of [
      '/api/constructor/__proto__',
      '/api/%E0%A4%A',
      '/api//',
      '/api/a/b/c/d/e/f/g/h/i',
    ])
      expect((await call('POST', path, {})).status, path).toBeLessThan(500);
    const note = await t.app.inject({
      method: 'GET',
      url: `/blue/${documentIdOf(posted.json())}`,
      headers: bearer(key),
    });
    expect(note.json().note).toBe('none');
  });
});
