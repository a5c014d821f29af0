import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAccount } from '../../src/engine/document-engine.js';
import type { TestApp } from './support/test-app.js';
import { bearer, JSON_BODY, testApp, YAML } from './support/test-app.js';

type Json = Record<string, unknown>;

let t: TestApp;
let merchant: NewAccount;

beforeAll(async () => {
  t = await testApp({ bodyLimit: 64 * 1024 });
  merchant = await t.account('bodies@example.com');
});

afterAll(async () => {
  await t.close();
});

const entries = () => `/timelines/${merchant.account.timelineId}/entries`;

async function post(
  url: string,
  payload: string | Buffer,
  headers: Record<string, string> = JSON_BODY,
) {
  return t.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { ...bearer(merchant.apiKey), ...headers },
  });
}

function errorOf(response: { json(): unknown }): Json {
  return (response.json() as { error: Json }).error;
}

describe('request bodies are UTF-8', () => {
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(
      parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))),
    );

  it('refuses a 0xFF byte with 400 invalid_encoding naming its offset', async () => {
    const response = await post(entries(), bytes('{"message": {"note": "caf', [0xff], '"}}'));
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_encoding' });
    expect(error.message).toContain('byte 0xFF at byte offset 25 (line 1)');
  });

  it('names the offset of an overlong form, a surrogate, a code point beyond U+10FFFF and a cut sequence', async () => {
    const cases: [number[], number][] = [
      [[0xc0, 0xaf], 10], // overlong '/'
      [[0xed, 0xa0, 0x80], 10], // U+D800
      [[0xf4, 0x90, 0x80, 0x80], 10], // U+110000
      [[0xe2, 0x82], 10], // '€' cut short, then the closing quote
    ];
    for (const [sequence, offset] of cases) {
      const response = await post(entries(), bytes('note: "é\n', sequence, '"\n'), YAML);
      expect(response.statusCode).toBe(400);
      expect(errorOf(response).code).toBe('invalid_encoding');
      expect(errorOf(response).message).toContain(`at byte offset ${offset} (line 2)`);
    }
  });

  it('takes U+FFFD itself, and multi-byte text, as what they are', async () => {
    const response = await post(
      entries(),
      bytes('{"message": {"note": "', [0xef, 0xbf, 0xbd], ' € 😀"}}'),
    );
    expect(response.statusCode).toBe(201);
    expect((response.json() as { entry: { message: Json } }).entry.message.note).toBe(
      '\uFFFD € 😀',
    );
  });

  it('hashes the same valid body the same for Idempotency-Key, sent as text or as bytes', async () => {
    const body = JSON.stringify({ message: { note: 'naïve ✓' } });
    const headers = { ...JSON_BODY, 'idempotency-key': 'bytes-or-text' };
    const first = await post(entries(), body, headers);
    const again = await post(entries(), Buffer.from(body, 'utf8'), headers);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    const other = await post(entries(), Buffer.from(body.replace('ï', 'i'), 'utf8'), headers);
    expect(errorOf(other).code).toBe('idempotency_key_reused');
  });

  it('keeps the rest of the body path: 413, duplicate keys and __proto__ with line:col', async () => {
    const big = await post(entries(), Buffer.from(`note: "${'x'.repeat(70 * 1024)}"\n`), YAML);
    expect(big.statusCode).toBe(413);
    expect(errorOf(big).code).toBe('body_too_large');
    const duplicate = await post(
      entries(),
      Buffer.from('message: {a: 1}\nmessage: {a: 2}\n'),
      YAML,
    );
    expect(duplicate.statusCode).toBe(400);
    expect(errorOf(duplicate)).toMatchObject({ code: 'yaml_duplicate_key' });
    expect(errorOf(duplicate).message).toMatch(/^line 2:1: /);
    const proto = await post(entries(), Buffer.from('{"message": {"__proto__": {"a": 1}}}'));
    expect(errorOf(proto).code).toBe('yaml_invalid_key');
  });
});

describe('a few KB of YAML aliases', () => {
  // 6.9 KB: 3,400 numbers aliased 59 times would be 204k nodes.
  const bomb = `type: Classic Card Payment\nbase: &b [${Array(3400).fill('1').join(',')}]\nlist: [${Array(
    59,
  )
    .fill('*b')
    .join(', ')}]\n`;

  it('are refused at the alias, fast, 50 times over, with bounded memory and never a 5xx', async () => {
    // vitest does not pass --expose-gc; V8 lets a running process turn it on.
    let gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as (() => void) | undefined;
    }
    const heap = () => {
      gc?.();
      return process.memoryUsage().heapUsed;
    };
    const first = await post('/blue', bomb, YAML);
    expect(first.statusCode).toBe(400);
    expect(errorOf(first)).toMatchObject({ code: 'yaml_alias_limit' });
    expect(errorOf(first).message).toMatch(/^line 3:\d+: aliases stand for more than 10000 nodes/);
    const before = heap();
    const started = performance.now();
    let slowest = 0;
    for (let i = 0; i < 50; i += 1) {
      const began = performance.now();
      const response = await post('/blue', bomb, YAML);
      slowest = Math.max(slowest, performance.now() - began);
      expect(response.statusCode).toBe(400);
      expect(errorOf(response).code).toBe('yaml_alias_limit');
    }
    const elapsed = performance.now() - started;
    const grown = heap() - before;
    console.log(
      `50 alias bombs: ${elapsed.toFixed(0)} ms, slowest ${slowest.toFixed(0)} ms, heap ${(grown / 1024 / 1024).toFixed(1)} MB, rss ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB${gc === undefined ? ' (no gc exposed)' : ''}`,
    );
    expect(grown).toBeLessThan(50 * 1024 * 1024);
    // Generous: a loaded CI machine; before, a bomb cost 160–400 ms before it was refused.
    expect(slowest).toBeLessThan(2000);
  });
});
