import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { blueId } from '../../src/model/blue-id.js';
import { runCli } from '../../src/cli/program.js';

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

describe('paydoc schema and types', () => {
  it('prints a JSON Schema with the type and its references under $defs', async () => {
    const result = await cli('schema', 'Smart Card Payment');
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.out) as {
      $ref: string;
      $defs: Record<string, { required?: string[] }>;
    };
    expect(schema.$ref).toBe('#/$defs/Payments%2FSmart%20Card%20Payment');
    expect(schema.$defs['Payments/Smart Card Payment']?.required).toEqual(
      expect.arrayContaining(['amount', 'currency', 'token']),
    );
    expect(Object.keys(schema.$defs)).toContain('Payments/Card Processing Error');
  });

  it('exits 2 for an unknown type', async () => {
    expect((await cli('schema', 'Nope')).code).toBe(2);
  });

  it('lists the library', async () => {
    const plain = await cli('types');
    expect(plain.out).toMatch(
      /^Conversation\/Timeline Channel +EvuCWsG1E6WJQg8QXmk6rwMANYTZjoLWVZ1vYQWUwdTH$/m,
    );
    const json = JSON.parse((await cli('types', '--json')).out) as { name: string }[];
    expect(json.length).toBeGreaterThan(60);
  });
});

describe('the paydoc binary', () => {
  const run = promisify(execFile);
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
