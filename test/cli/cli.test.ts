import { execFile } from 'node:child_process';
import { Ajv } from 'ajv';
import type { JsonValue } from '../../src/model/json.js';
import { isJsonObject } from '../../src/model/json.js';
import { getAtPointer } from '../../src/model/json-pointer.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueId } from '../../src/model/blue-id.js';
import { serveCommand } from '../../src/cli/commands/serve.js';
import { runCli } from '../../src/cli/program.js';
import type { TestApp } from '../http/support/test-app.js';
import { testApp } from '../http/support/test-app.js';

const root = join(import.meta.dirname, '../..');
const examples = readdirSync(join(root, 'documents/examples'))
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => join(root, 'documents/examples', file));
const invalid = readdirSync(join(root, 'test/fixtures/invalid')).map((file) =>
  join(root, 'test/fixtures/invalid', file),
);
const vectors = [1, 2, 3, 4].map((n) => join(root, `test/fixtures/blue-id/vector-${n}.yaml`));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('paydoc validate', () => {
  it('exits 0 for every example', async () => {
    const result = await cli('validate', ...examples);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out.split('\n').filter((line) => line.endsWith(': valid'))).toHaveLength(
      examples.length,
    );
  });

  it('exits 1 for each broken document, naming file:line:col and the problem', async () => {
    for (const file of invalid) {
      const result = await cli('validate', file);
      expect(result.code, file).toBe(1);
      expect(result.err).toMatch(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: .+ \\[[a-z_]+\\]`),
      );
    }
  });

  it('exits 1 when any one of several files is invalid, and reports them all', async () => {
    const result = await cli('validate', examples[0] as string, invalid[0] as string);
    expect(result.code).toBe(1);
    expect(result.out).toContain(': valid');
    expect(result.err).toContain(invalid[0]);
  });

  it('gives machine output with --json', async () => {
    const result = await cli('validate', '--json', examples[0] as string, invalid[0] as string);
    const parsed = JSON.parse(result.out) as {
      file: string;
      valid: boolean;
      problems: { position: { line: number } }[];
    }[];
    expect(parsed.map((entry) => entry.valid)).toEqual([true, false]);
    expect(parsed[1]?.problems[0]?.position.line).toBeGreaterThan(0);
  });

  it('exits 2 for usage errors and unreadable files', async () => {
    expect((await cli('validate')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    const missing = await cli('validate', '/no/such/file.yaml');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file');
  });
});

describe('paydoc id', () => {
  it('prints the DESIGN.md vectors, one per line', async () => {
    const result = await cli('id', ...vectors);
    expect(result.out.split('\n')).toEqual([
      'GfUpUPT6zc6D7x1VaykHjbG3bLS2Ead8bu4vMqFHFvR3',
      'Gv4bRABwrK7MLyt62Kxi6EnxzFiwVHhWFA1y5oEzvy9j',
      '3wFa5KuCRzTVSAFfDEFyFyoG7RwXHPz61R8LhDXAj2ce',
      '5C4FYBCQgu7vXnepcuQWZq29v4ACKDKCoiq79ceBVLYM',
    ]);
  });

  it('hashes a reference to an unknown type as a reference', async () => {
    const result = await cli('id', join(root, 'test/fixtures/blue-id/unknown-reference.yaml'));
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      blueId({
        name: 'Uses an unknown type',
        type: { blueId: 'SomeTypeThisLibraryDoesNotKnow111111111111' },
        amount: 1,
      }),
    );
  });

  it('hashes a known alias as its BlueId, so alias and reference agree', async () => {
    const { defaultTypeRegistry } = await import('../../src/types/load-library.js');
    const { documentBlueId } = await import('../../src/types/document-id.js');
    const registry = defaultTypeRegistry();
    const id = registry.lookup('Card Payment')!.id;
    expect(documentBlueId({ type: 'Card Payment', amount: 1 }, registry)).toBe(
      documentBlueId({ type: { blueId: id }, amount: 1 }, registry),
    );
  });

  it('reports unparseable files with exit 1', async () => {
    const result = await cli(
      'id',
      invalid.find((file) => file.endsWith('duplicate-key.yaml')) as string,
    );
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/:4:1: duplicate key/);
  });
});

describe('paydoc run', () => {
  const document = join(root, 'documents/examples/delivery-guarantee.yaml');
  const events = join(root, 'documents/scenarios/late-delivery/events.yaml');

  it("runs the README's example, numbering events as the events file does", async () => {
    const result = await cli('run', document, '--events', events);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^initialize: ok · gas \d+$/m);
    // The processor's answers are indented under what they follow, and do not take numbers.
    expect(result.out).toMatch(/^ {2}↳ paymentProcessor ← Payments\/Payment Authorized: ok/m);
    expect(result.out).toMatch(/^event 1 \(timeline dhl-tracking@example.com\): ok/m);
    expect(result.out).not.toMatch(/^event 2/m);
    expect(result.out).toMatch(/emit \{"type":"Capture Payment",.*"amount":200\}/);
    expect(result.out).toMatch(/^blueId: \w{43,44}$/m);
  });

  it('gives the same run as JSON, and exits 2 for a missing file', async () => {
    const json = JSON.parse((await cli('run', document, '--events', events, '--json')).out) as {
      events: { index: number; event: string }[];
      blueId: string;
    };
    expect(json.events.filter((step) => step.event.startsWith('timeline'))).toEqual([
      expect.objectContaining({ index: 1 }),
    ]);
    expect((await cli('run', join(root, 'no-such.yaml'))).code).toBe(2);
  });
});

describe('paydoc schema and types', () => {
  it('prints a JSON Schema with the type and its references under $defs', async () => {
    const result = await cli('schema', 'Smart Card Payment');
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.out) as {
      $ref: string;
      $defs: Record<string, { required?: string[] }>;
    };
    // A JSON pointer in a URI fragment: "/" in the name is ~1, then percent-encoding.
    expect(schema.$ref).toBe('#/$defs/Payments~1Smart%20Card%20Payment');
    expect(schema.$defs['Payments/Smart Card Payment']?.required).toEqual(
      expect.arrayContaining(['amount', 'currency', 'token']),
    );
    expect(Object.keys(schema.$defs)).toContain('Payments/Card Processing Error');
  });

  it('gives a schema whose references resolve, as an editor resolves them', async () => {
    const schema = JSON.parse((await cli('schema', 'Card Payment')).out) as JsonValue;
    // As yaml-language-server resolves a reference: percent-decode the fragment, then read it
    // as an RFC 6901 pointer (ajv is more lenient, so it cannot tell).
    const refs: string[] = [];
    const collect = (node: JsonValue): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (isJsonObject(node))
        for (const [key, value] of Object.entries(node))
          if (key === '$ref' && typeof value === 'string') refs.push(value);
          else collect(value);
    };
    collect(schema);
    expect(refs.length).toBeGreaterThan(3);
    for (const ref of refs)
      expect(getAtPointer(schema, decodeURIComponent(ref.slice(1))), ref).toBeDefined();
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema as object);
    expect(validate({ amount: 4999, currency: 'USD', token: 'tok_visa' })).toBe(true);
    expect(validate({ amount: 'ten', token: 'tok_visa' })).toBe(false);
    const problems = (validate.errors ?? []).map(
      (error) => `${error.instancePath} ${error.message}`,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/amount /),
        expect.stringContaining("must have required property 'currency'"),
      ]),
    );
  });

  it('exits 2 for an unknown type', async () => {
    expect((await cli('schema', 'Nope')).code).toBe(2);
  });

  it('lists the library', async () => {
    const plain = await cli('types');
    expect(plain.out).toMatch(
      /^Conversation\/Timeline Channel +EvuCWsG1E6WJQg8QXmk6rwMANYTZjoLWVZ1vYQWUwdTH( {2}.*)?$/m,
    );
    const json = JSON.parse((await cli('types', '--json')).out) as { name: string }[];
    expect(json.length).toBeGreaterThan(60);
    const names = json.map((type) => type.name);
    expect(names).toEqual([...names].sort());
  });

  it('lists one package, each type with the first sentence of its description', async () => {
    const core = await cli('types', '--package', 'core');
    expect(core.code).toBe(0);
    const lines = core.out.trim().split('\n');
    expect(lines.every((line) => line.startsWith('Core/'))).toBe(true);
    expect(core.out).toMatch(/^Core\/Timer Channel +\w{43,44} {2}\S.*$/m);
    expect((await cli('types', '--package', 'nope')).code).toBe(2);
  });
});

describe('the paydoc binary', () => {
  const run = promisify(execFile);
  it('ends quietly when its reader closes the pipe early (paydoc types | head -1)', async () => {
    const bin = join(root, 'bin/paydoc.js');
    const piped = await run('bash', ['-o', 'pipefail', '-c', `'${bin}' types | head -1`]);
    expect(piped.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(piped.stderr).toBe('');
  });
  it('runs from a checkout: validate exits 1 on a broken file and 0 on an example', async () => {
    const bin = join(root, 'bin/paydoc.js');
    const broken = invalid.find((file) => file.endsWith('float-amount.yaml')) as string;
    const failure = await run(bin, ['validate', broken]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(
      /float-amount.yaml:2:1: amount must be an integer/,
    );
    const ok = await run(bin, ['id', vectors[0] as string]);
    expect(ok.stdout.trim()).toBe('GfUpUPT6zc6D7x1VaykHjbG3bLS2Ead8bu4vMqFHFvR3');
  });
});

describe('paydoc serve', () => {
  it('prints the operator key and the first merchant key once, on the first start only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paydoc-serve-'));
    try {
      const serve = async (env: NodeJS.ProcessEnv) => {
        const out: string[] = [];
        const code = await serveCommand(
          { port: '0', db: join(dir, 'paydoc.db') },
          env,
          { out: (text) => out.push(text), err: (text) => out.push(text) },
          Promise.resolve(),
        );
        return { code, out: out.join('\n') };
      };
      const first = await serve({});
      expect(first.code).toBe(0);
      expect(first.out).toMatch(
        /^created the operator account; its key \(shown once; it creates and lists accounts\): pd_test_\S+$/m,
      );
      expect(first.out).toMatch(
        /^created account merchant@paydoc\.test; its API key \(shown once\): pd_test_\S+$/m,
      );
      const second = await serve({});
      expect(second.out).not.toContain('pd_test_');
      const withEnv = await serve({ PAYDOC_ADMIN_KEY: 'pd_test_cli-operator' });
      expect(withEnv.out).toContain('the operator uses the key in PAYDOC_ADMIN_KEY');
      expect(withEnv.out).not.toContain('pd_test_cli-operator');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('paydoc accounts: a client of the server', () => {
  let t: TestApp;
  let url: string;
  let merchantKey: string;

  beforeAll(async () => {
    t = await testApp();
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    merchantKey = (await t.account('cli-merchant@example.com')).apiKey;
  });

  afterAll(async () => {
    await t?.close();
  });

  /** The CLI with only the environment given (no PAYDOC_DB: nothing opens a database). */
  async function paydoc(env: NodeJS.ProcessEnv, ...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      argv,
      { out: (text) => out.push(text), err: (text) => err.push(text) },
      { PAYDOC_URL: url, ...env },
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const operator = (...argv: string[]) => paydoc({ PAYDOC_ADMIN_KEY: t.operatorKey }, ...argv);
  const merchant = (...argv: string[]) => paydoc({ PAYDOC_API_KEY: merchantKey }, ...argv);

  it('accounts create prints the account and its key on a line of its own', async () => {
    const result = await operator('accounts', 'create', 'cli-courier@example.com');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      /^account acct_[0-9a-f]+ \(cli-courier@example\.com\), timeline tl_\S+$/m,
    );
    const apiKey = /^API key: (pd_test_\S+)$/m.exec(result.out)?.[1];
    expect(apiKey).toBeDefined();
    const me = await paydoc({ PAYDOC_API_KEY: apiKey }, 'accounts', 'me');
    expect(me.code).toBe(0);
    expect(me.out).toMatch(/^account acct_\S+ \(cli-courier@example\.com\), timeline tl_\S+$/);
  });

  it('accounts create --json: a new account, then one more key for the same one', async () => {
    const first = await operator('accounts', 'create', 'cli-json@example.com', '--json');
    expect(first.code).toBe(0);
    const made = JSON.parse(first.out) as Record<string, unknown>;
    expect(made).toStrictEqual({
      accountId: expect.stringMatching(/^acct_/),
      email: 'cli-json@example.com',
      timelineId: expect.stringMatching(/^tl_/),
      apiKey: expect.stringMatching(/^pd_test_/),
      keyId: expect.stringMatching(/^key_/),
      created: true,
    });
    const again = JSON.parse(
      (await operator('accounts', 'create', 'cli-json@example.com', '--json')).out,
    ) as Record<string, unknown>;
    expect(again).toMatchObject({ accountId: made.accountId, created: false });
    expect(again.apiKey).not.toBe(made.apiKey);
    expect((await t.store.apiKeys(String(made.accountId))).length).toBe(2);
  });

  it("accounts list pages through accounts; --json is the server's answer", async () => {
    const text = await operator('accounts', 'list');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^acct_\S+ {2}cli-merchant@example\.com {2}tl_\S+ {2}\d{4}-/m);
    const json = JSON.parse((await operator('accounts', 'list', '--json')).out) as {
      accounts: { id: string }[];
      next: string | null;
    };
    expect(json.next).toBeNull();
    const page = await operator('accounts', 'list', '--limit', '1');
    expect(page.out.split('\n')).toHaveLength(2);
    expect(page.out).toContain(`more: paydoc accounts list --after ${json.accounts[0]?.id}`);
    const rest = JSON.parse(
      (await operator('accounts', 'list', '--after', json.accounts[0]!.id, '--json')).out,
    ) as { accounts: { id: string }[] };
    expect(rest.accounts.map((account) => account.id)).toStrictEqual(
      json.accounts.slice(1).map((account) => account.id),
    );
  });

  it('accounts me and accounts timelines, as text and as JSON', async () => {
    const me = JSON.parse((await merchant('accounts', 'me', '--json')).out) as {
      id: string;
      timelineId: string;
    };
    expect(me.id).toMatch(/^acct_/);
    const timelines = await merchant('accounts', 'timelines');
    expect(timelines.code).toBe(0);
    expect(timelines.out).toContain(`${me.timelineId}  head 0  documents: none`);
    const json = JSON.parse((await merchant('accounts', 'timelines', '--json')).out) as {
      timelines: { id: string }[];
    };
    expect(json.timelines.map((timeline) => timeline.id)).toContain(me.timelineId);
  });

  it('accounts keys: create, list (the default), revoke; a revoked key then fails', async () => {
    const account = await t.account('cli-keys@example.com');
    const env = { PAYDOC_API_KEY: account.apiKey };
    const created = await paydoc(env, 'accounts', 'keys', 'create');
    expect(created.code).toBe(0);
    const newKey = /^API key: (pd_test_\S+)$/m.exec(created.out)?.[1] as string;
    const newId = /^key (key_\S+)/m.exec(created.out)?.[1] as string;
    expect(newKey).toBeDefined();
    const listed = await paydoc(env, 'accounts', 'keys');
    expect(listed.code).toBe(0);
    expect(listed.out.split('\n')).toHaveLength(2);
    expect(listed.out).toMatch(
      new RegExp(`^${newId} {2}…${newKey.slice(-4)} {2}created \\S+ {2}active$`, 'm'),
    );
    expect(listed.out).not.toContain(newKey);
    const json = JSON.parse((await paydoc(env, 'accounts', 'keys', 'list', '--json')).out) as {
      keys: { id: string }[];
    };
    expect(json.keys.map((key) => key.id)).toStrictEqual([account.key.id, newId]);
    const revoked = await paydoc(env, 'accounts', 'keys', 'revoke', account.key.id);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toContain(`revoked key ${account.key.id}`);
    const refused = await paydoc(env, 'accounts', 'me');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('HTTP 401');
    const still = await paydoc({ PAYDOC_API_KEY: newKey }, 'accounts', 'keys', '--json');
    expect(still.code).toBe(0);
    expect(JSON.parse(still.out).keys[0].revokedAt).toEqual(expect.any(Number));
    const other = await paydoc(
      { PAYDOC_API_KEY: newKey },
      'accounts',
      'keys',
      'revoke',
      'key_nope',
    );
    expect(other.code).toBe(1);
    expect(other.err).toContain('HTTP 404');
  });

  it("exit 1 with the server's error, 2 without a key, an unreachable server or a --db", async () => {
    const denied = await paydoc(
      { PAYDOC_ADMIN_KEY: merchantKey },
      'accounts',
      'create',
      'x@example.com',
    );
    expect(denied.code).toBe(1);
    expect(denied.err).toContain('HTTP 403');
    expect(denied.err).toContain('operator_only');
    const bad = await operator('accounts', 'create', 'not-an-email');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('HTTP 400');
    // The operator commands take PAYDOC_ADMIN_KEY, not PAYDOC_API_KEY.
    const noAdmin = await merchant('accounts', 'list');
    expect(noAdmin.code).toBe(2);
    expect(noAdmin.err).toContain('PAYDOC_ADMIN_KEY');
    const noKey = await paydoc({}, 'accounts', 'me');
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('PAYDOC_API_KEY');
    const explicit = await paydoc({}, 'accounts', 'me', '--key', merchantKey, '--json');
    expect(explicit.code).toBe(0);
    const unreachable = await paydoc(
      { PAYDOC_API_KEY: merchantKey },
      'accounts',
      'me',
      '--url',
      'http://127.0.0.1:1',
    );
    expect(unreachable.code).toBe(2);
    expect(unreachable.err).toContain('cannot reach');
    const withDb = await operator('accounts', 'create', 'db@example.com', '--db', 'paydoc.db');
    expect(withDb.code).toBe(2);
    expect(await t.store.accountByEmail('db@example.com')).toBeUndefined();
  });
});
