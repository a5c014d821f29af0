import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './support/test-app.js';
import { bearer, documentIdOf, testApp, YAML } from './support/test-app.js';

// POST /blue lints what it accepts: an error refuses the post before anything exists, a warning
// comes with the 201 in the paydoc-warnings header and leaves the body the document's state.

type Json = Record<string, unknown>;

let t: TestApp;
let key: string;
let accountId: string;

beforeAll(async () => {
  t = await testApp();
  const merchant = await t.account('lint-merchant@example.com');
  key = merchant.apiKey;
  accountId = merchant.account.id;
});

afterAll(async () => {
  await t.close();
});

function post(body: string) {
  return t.app.inject({
    method: 'POST',
    url: '/blue',
    payload: body,
    headers: { ...bearer(key), ...YAML },
  });
}

/** A Smart Card Payment whose courier's workflow runs `code` (lines indented into the block). */
function payment(code: string, courier = 'lint-courier@example.com'): string {
  return `type: Smart Card Payment
amount: 1000
currency: USD
captured: false
token: tok_visa
contracts:
  merchant:
    type: MyOS Account
    email: lint-merchant@example.com
  courier:
    type: MyOS Account
    email: ${courier}
  delivered:
    type: Sequential Workflow
    channel: courier
    event:
      type: Package Delivered
    steps:
      - name: Capture
        type: JavaScript Code
        code: |
${code
  .split('\n')
  .map((line) => `          ${line}`)
  .join('\n')}
`;
}

describe('POST /blue lints the document', () => {
  it('refuses a script with a syntax error with its YAML line:col; nothing is created', async () => {
    const timelinesBefore = (await t.store.timelinesOf(accountId)).length;
    const eventsBefore = (await t.store.events(accountId, { limit: 1000 })).length;
    const body = payment(
      "const amount = document('/amount');\nif (amount > ) {\n  return { events: [{ type: 'Capture Payment', amount }] };\n}",
      'lint-refused-courier@example.com',
    );
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    const error = (response.json() as { error: Json }).error;
    // `if (amount > ) {` is line 23 of the posted text; the `)` is column 24.
    expect(body.split('\n')[22]).toBe('          if (amount > ) {');
    expect(error).toMatchObject({
      type: 'invalid_request_error',
      code: 'lint_failed',
      param: '/contracts/delivered/steps/0/code',
    });
    expect(error.message).toMatch(/^line 23:24: step Capture: SyntaxError: Unexpected token/);
    expect(error.problems).toEqual([
      {
        code: 'script_syntax',
        severity: 'error',
        message: expect.stringMatching(/SyntaxError: Unexpected token \(line 2:14 of its code\)$/),
        pointer: '/contracts/delivered/steps/0/code',
        line: 23,
        col: 24,
      },
    ]);
    // No participant account, no timeline, no authorisation.
    expect(await t.store.accountByEmail('lint-refused-courier@example.com')).toBeUndefined();
    expect((await t.store.timelinesOf(accountId)).length).toBe(timelinesBefore);
    expect((await t.store.events(accountId, { limit: 1000 })).length).toBe(eventsBefore);
  });

  it('lists every finding, warnings included, when it refuses', async () => {
    const response = await post(
      payment(
        "return { events: [{ type: 'Capture Paymnet', amount: document('/amountt') }] };",
      ).replace('channel: courier', 'channel: curier'),
    );
    expect(response.statusCode).toBe(400);
    const error = (response.json() as { error: { problems: Json[] } }).error;
    expect(error.problems.map((problem) => [problem.code, problem.severity])).toEqual([
      ['unknown_channel', 'error'],
      ['misspelled_type', 'error'],
      ['unknown_field', 'warning'],
    ]);
    expect(error.problems[0]?.message).toMatch(/did you mean 'courier'\?/);
  });

  it('answers 201 with the document and the warnings in the paydoc-warnings header', async () => {
    const response = await post(
      payment("return { events: [{ type: 'Capture Payment', amount: document('/amountt') }] };"),
    );
    expect(response.statusCode).toBe(201);
    const document = response.json() as Json;
    expect(document.status).toBe('authorized');
    expect(documentIdOf(document)).not.toBe('undefined');
    const warnings = JSON.parse(String(response.headers['paydoc-warnings'])) as Json[];
    expect(warnings).toEqual([
      {
        code: 'unknown_field',
        severity: 'warning',
        message: expect.stringMatching(/reads \/amountt.*did you mean '\/amount'\?/),
        pointer: '/contracts/delivered/steps/0/code',
        line: 22,
        col: 73,
      },
    ]);
    expect(response.headers['paydoc-warnings-omitted']).toBeUndefined();
  });

  it('sends no header for a clean document', async () => {
    const response = await post(
      payment(
        "return { events: [{ type: 'Capture Payment', amount: document('/amount') }] };",
        'lint-clean-courier@example.com',
      ),
    );
    expect(response.statusCode).toBe(201);
    expect(response.headers['paydoc-warnings']).toBeUndefined();
  });

  it('keeps the header ASCII and within 4 KiB, saying how many warnings it left out', async () => {
    const reads = Array.from({ length: 60 }, (_, n) => `document('/ämount${n}')`).join(' + ');
    const response = await post(
      payment(`return { n: ${reads} };`, 'lint-many-warnings@example.com'),
    );
    expect(response.statusCode).toBe(201);
    const header = String(response.headers['paydoc-warnings']);
    expect(header).toMatch(/^[\x20-\x7e]*$/);
    expect(header.length).toBeLessThanOrEqual(4096);
    const warnings = JSON.parse(header) as Json[];
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]?.message).toContain("document('/ämount0')");
    expect(Number(response.headers['paydoc-warnings-omitted'])).toBe(60 - warnings.length);
  });
});
