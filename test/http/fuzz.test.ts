import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from './support/seeded-random.js';
import { ServerProcess } from './support/server-process.js';

/**
 * A seeded, bounded fuzz of every route in /openapi.json against a real `paydoc serve`: path
 * parameters from ids that exist (the account's own and another's) and from hostile text, bodies
 * from valid documents mutated, odd field names, hostile YAML, wrong types, invalid UTF-8, and
 * headers with good, bad and foreign keys. The server must answer every request with a status
 * below 500, stay alive, and keep its memory bounded. The seed is printed: repeat a run with
 * PAYDOC_FUZZ_SEED=<seed>.
 */

const REQUESTS = Number(process.env.PAYDOC_FUZZ_REQUESTS ?? 3000);
const CONCURRENCY = 8;
const SEED = Number(process.env.PAYDOC_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const API_KEY = 'pd_test_fuzz-merchant-key';
const ADMIN_KEY = 'pd_test_fuzz-operator-key';

type Json = Record<string, unknown>;

const ODD_NAMES = [
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
  '__lookupSetter__',
  'prototype',
  'then',
  '',
  ' ',
  '$ref',
  '~1',
  '../..',
  '%00',
  'ü',
  '😀',
];

const example = (name: string): string =>
  readFileSync(new URL(`../../documents/examples/${name}`, import.meta.url), 'utf8');

/** Over the 1 MiB body limit: the server may answer 413 and close before reading it all. */
const OVERSIZED = 'x'.repeat(2 * 1024 * 1024);

const dir = mkdtempSync(join(tmpdir(), 'paydoc-fuzz-'));
let server: ServerProcess | undefined;

afterAll(async () => {
  if (server !== undefined && server.exitStatus === undefined) await server.crash();
  rmSync(dir, { recursive: true, force: true });
});

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

describe('fuzzing every route', () => {
  it(`answers ${REQUESTS} hostile requests below 500, stays up, keeps memory bounded`, async () => {
    console.log(`fuzz seed ${SEED} (repeat with PAYDOC_FUZZ_SEED=${SEED})`);
    const random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const started = await ServerProcess.start({
      db: join(dir, 'fuzz.db'),
      apiKey: API_KEY,
      adminKey: ADMIN_KEY,
    });
    server = started.server;
    const url = started.url;
    const call = async (
      method: string,
      path: string,
      body?: string | Uint8Array,
      headers: Record<string, string> = {},
    ) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: response.status, text: await response.text() };
    };
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });

    // What exists: two merchants with documents, timelines, charges and keys of their own.
    const other = JSON.parse(
      (
        await call('POST', '/accounts', JSON.stringify({ email: 'other@example.com' }), {
          ...auth(ADMIN_KEY),
          'content-type': 'application/json',
        })
      ).text,
    ) as Json;
    const otherKey = String(other.apiKey);
    const ids = {
      document: ['NoSuchDocument'],
      timeline: ['tl_nope'],
      charge: ['ch_nope'],
      key: ['key_nope'],
    };
    const seedDocuments = [
      example('delivery-guarantee.yaml'),
      example('classic-card-payment-request.yaml'),
      example('smart-card-payment-request.yaml'),
      example('btc-key-escrow.yaml'),
    ];
    for (const key of [API_KEY, otherKey])
      for (const text of seedDocuments) {
        const posted = await call(
          'POST',
          '/blue',
          text.replace('amount:', `note: ${key}\namount:`),
          {
            ...auth(key),
            'content-type': 'application/yaml',
          },
        );
        expect(posted.status, posted.text).toBeLessThan(300);
        const document = JSON.parse(posted.text) as Json;
        const contracts = document.contracts as Record<string, Json>;
        ids.document.push(String(contracts.initialized?.documentId));
        for (const contract of Object.values(contracts))
          if (typeof contract.timelineId === 'string') ids.timeline.push(contract.timelineId);
        if (typeof document.paymentProcessorId === 'string')
          ids.charge.push(document.paymentProcessorId);
      }
    // Keys that may be revoked by the fuzz (the two main keys stay, so requests keep reaching
    // the routes behind authentication).
    for (const key of [API_KEY, otherKey])
      for (let i = 0; i < 3; i++) {
        const made = await call('POST', '/accounts/me/keys', '{}', {
          ...auth(key),
          'content-type': 'application/json',
        });
        ids.key.push(String(((JSON.parse(made.text) as Json).key as Json).id));
      }

    // Every route the server documents, with its method.
    const spec = JSON.parse((await call('GET', '/openapi.json')).text) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => ({ path, method: method.toUpperCase() })),
    );
    expect(routes.length).toBeGreaterThan(8);

    const param = (name: string): string => {
      const hostile = pick([...ODD_NAMES, 'x'.repeat(5000), '..%2F..', '%FF', "' OR 1=1"]);
      if (random() < 0.2) return encodeURIComponent(hostile);
      if (/charge/i.test(name)) return pick(ids.charge);
      if (/key|^id$/i.test(name) && random() < 0.3) return pick(ids.key);
      if (/timeline/i.test(name) || random() < 0.4) return pick(ids.timeline);
      return pick(ids.document);
    };
    const value = (depth: number): unknown => {
      const roll = random();
      if (depth > 3 || roll < 0.3)
        return pick([0, -1, 1.5, 2 ** 53, 1e308, '', 'x', true, null, '${document("/")}', '😀']);
      if (roll < 0.6)
        return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      const object: Json = {};
      for (let i = 0; i < 1 + Math.floor(random() * 4); i++)
        object[pick([...ODD_NAMES, 'type', 'amount', 'message', 'op', 'path', 'val', 'email'])] =
          value(depth + 1);
      return object;
    };
    const body = (): { payload: string | Uint8Array; type: string } => {
      const roll = random();
      if (roll < 0.25) {
        // A valid document, mutated: an odd field, a wrong type, or a contract named oddly.
        const text = pick(seedDocuments);
        const odd = pick(ODD_NAMES.filter((name) => /^\w+$/.test(name)));
        const mutated = pick([
          text.replace('amount:', `${odd}: 1\namount:`),
          text.replace('amount: ', 'amount: "x'),
          text.replace(
            'contracts:\n',
            `contracts:\n  ${odd}:\n    type: Timeline Channel\n    timelineId: ${pick(ids.timeline)}\n`,
          ),
          text.replace('currency: USD', 'currency: [1, 2]'),
          `${text}\n${odd}: {op: replace, path: /toString, val: 1}\n`,
        ]);
        return { payload: mutated, type: 'application/yaml' };
      }
      if (roll < 0.45)
        return {
          payload: JSON.stringify(random() < 0.5 ? { message: value(0) } : (value(0) as Json)),
          type: 'application/json',
        };
      if (roll < 0.55) {
        const anchors = ['a: &a [x, x, x, x]'];
        for (let i = 1; i < 12; i++)
          anchors.push(
            `${'b'.repeat(i)}: &${'b'.repeat(i)} [*${i === 1 ? 'a' : 'b'.repeat(i - 1)}, *${i === 1 ? 'a' : 'b'.repeat(i - 1)}]`,
          );
        return { payload: `${anchors.join('\n')}\n`, type: 'application/yaml' };
      }
      if (roll < 0.6)
        return {
          payload: Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
          type: 'application/json',
        };
      if (roll < 0.65)
        return { payload: `${'['.repeat(300)}${']'.repeat(300)}`, type: 'application/json' };
      if (roll < 0.7) return { payload: '{"a":1,"a":2}', type: 'application/json' };
      if (roll < 0.75) return { payload: '!!js/function "x"', type: 'application/yaml' };
      if (roll < 0.8) return { payload: OVERSIZED, type: 'application/json' };
      if (roll < 0.85) return { payload: '<xml/>', type: 'text/xml' };
      return {
        payload: JSON.stringify({ message: { type: 'Chat Message', message: 'hi' } }),
        type: 'application/json',
      };
    };
    const headers = (): Record<string, string> => {
      const roll = random();
      const key = roll < 0.45 ? API_KEY : roll < 0.7 ? otherKey : roll < 0.8 ? ADMIN_KEY : '';
      // Mostly a well-formed key, so that most requests reach the routes behind authentication.
      const authorization =
        random() < 0.75
          ? `Bearer ${key}`
          : pick([
              `Bearer ${key} junk`,
              `Basic ${Buffer.from(`${key}:secret`).toString('base64')}`,
              `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
              'Basic !!!',
              'Digest x',
            ]);
      return {
        authorization,
        ...(random() < 0.2 ? { 'idempotency-key': pick(['k1', 'k2', 'x'.repeat(300), '']) } : {}),
      };
    };

    const before = rssOf(server.pid);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < REQUESTS) {
        next += 1;
        const route = pick(routes);
        const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => param(name));
        const query =
          random() < 0.2
            ? `?${pick(['after=-1', 'limit=1e9', 'after=x', 'limit=0', 'type=constructor', 'after=1&after=2'])}`
            : '';
        const withBody = route.method !== 'GET' && route.method !== 'DELETE';
        const { payload, type } = body();
        const answer = await call(route.method, `${path}${query}`, withBody ? payload : undefined, {
          ...headers(),
          ...(withBody ? { 'content-type': type } : {}),
        }).catch((error: unknown) =>
          // A 413 sent before the whole oversized body was read resets the upload: that is the
          // refusal, not a failure. Any other broken connection is one.
          withBody && payload === OVERSIZED
            ? { status: 413, text: '' }
            : { status: 599, text: `${String(error)} (${String((error as Error).cause)})` },
        );
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status >= 500)
          failures.push(
            `${route.method} ${path}${query} → ${answer.status} ${answer.text.slice(0, 300)}`,
          );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
    const after = rssOf(server.pid);
    console.log(
      `fuzz seed ${SEED}: ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, RSS ${Math.round(before / 2 ** 20)} → ${Math.round(after / 2 ** 20)} MiB`,
    );
    expect(
      failures,
      `seed ${SEED}\n${failures.slice(0, 10).join('\n')}\nserver log:\n${server.log.slice(-4000)}`,
    ).toEqual([]);
    // Alive, and still serving its own documents.
    expect(server.exitStatus).toBeUndefined();
    const alive = await call('GET', `/blue/${ids.document[1] ?? ''}`, undefined, auth(API_KEY));
    expect(alive.status).toBe(200);
    expect(after - before, `RSS grew from ${before} to ${after}`).toBeLessThan(256 * 2 ** 20);
  }, 300_000);
});
