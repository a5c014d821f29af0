import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';

const root = join(import.meta.dirname, '../..');
const scenarios = join(root, 'documents/scenarios');
const temp = mkdtempSync(join(tmpdir(), 'paydoc-test-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A copy of one scenario folder in the temp directory, its scenario.yaml rewritten. */
function copyScenario(name: string, as: string, edit: (text: string) => string): string {
  const folder = join(temp, as);
  cpSync(join(scenarios, name), folder, { recursive: true });
  const file = join(folder, 'scenario.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return folder;
}

describe('paydoc test', () => {
  it('passes every scenario of documents/scenarios, one line each and a summary', async () => {
    const result = await cli('test', scenarios);
    expect(result.err).toBe('');
    expect(result.code, result.out).toBe(0);
    const count = readdirSync(scenarios, { withFileTypes: true }).filter((entry) =>
      entry.isDirectory(),
    ).length;
    const lines = result.out.split('\n');
    expect(lines.filter((line) => line.startsWith('✓ '))).toHaveLength(count);
    expect(lines).toContain('✓ late-delivery');
    expect(lines.at(-1)).toBe(`scenarios: ${count} passed, 0 failed`);
    // CI greps the test suite's own `N passed, N failed`: this summary never looks like it.
    expect(result.out).not.toMatch(/^\d+ passed, \d+ failed$/m);
  });

  it("reads a scenario's own types folder (types:), and says when it does not build", async () => {
    const escrow = join(root, 'docs/marketplace-escrow/scenarios/shipped-then-confirmed');
    expect((await cli('test', escrow)).code).toBe(0);
    const folder = join(temp, 'escrow-missing-types');
    cpSync(escrow, folder, { recursive: true });
    const file = join(folder, 'scenario.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8')
        .replace(
          'document: ../../escrow.yaml',
          `document: ${join(root, 'docs/marketplace-escrow/escrow.yaml')}`,
        )
        .replace('types: ../../types', 'types: ./no-such-folder'),
    );
    const result = await cli('test', folder);
    expect(result.code).toBe(1);
    expect(result.out).toContain('scenario.yaml types');
    expect(result.out).toContain('no-such-folder');
  });

  it('fails a broken expectation with a readable diff: where, expected, actual', async () => {
    const folder = copyScenario('card-full-capture', 'broken-capture', (text) =>
      text.replace('\n    amountCaptured: 1000\n', '\n    amountCaptured: 999\n'),
    );
    const result = await cli('test', folder);
    expect(result.code).toBe(1);
    expect(result.out.split('\n')).toEqual([
      '✗ broken-capture',
      '    document /amountCaptured',
      '      expected: 999',
      '      actual:   1000',
      'scenarios: 0 passed, 1 failed',
    ]);
    const json = JSON.parse((await cli('test', folder, '--json')).out) as unknown;
    expect(json).toMatchObject({
      passed: 0,
      failed: 1,
      scenarios: [
        {
          name: 'broken-capture',
          passed: false,
          failures: [{ at: 'document /amountCaptured', expected: 999, actual: 1000 }],
        },
      ],
    });
  });

  it('checks values at pointers, the emitted types and the final BlueId', async () => {
    // The late delivery's document and events, with expectations of these three kinds only.
    const document = join(root, 'documents/examples/delivery-guarantee.yaml');
    const probe = copyScenario('late-delivery', 'probe', () => `document: ${document}\n`);
    const { scenarios: reports } = JSON.parse((await cli('test', probe, '--json')).out) as {
      scenarios: { blueId: string }[];
    };
    const finalId = reports[0]?.blueId as string;
    const expectations = (values: string, types: string, id: string) => () =>
      `document: ${document}\nexpect:\n  values:\n${values}  emittedTypes: ${types}\n  blueId: ${id}\n`;
    const good = copyScenario(
      'late-delivery',
      'values-hold',
      expectations(
        "    /amountCaptured: 200\n    /captured: true\n    /refunds: []\n    '/contracts/initialized/type': Core/Processing Initialized Marker\n",
        '[Payments/Capture Payment]',
        finalId,
      ),
    );
    const passing = await cli('test', good);
    expect(passing.out).toContain('✓ values-hold');
    expect(passing.code).toBe(0);

    const bad = copyScenario(
      'late-delivery',
      'values-differ',
      expectations(
        '    /amountCaptured: 1000\n    /nothing: 1\n',
        '[Capture Payment, Refund Payment]',
        'NotTheBlueId',
      ),
    );
    const failing = await cli('test', bad);
    expect(failing.code).toBe(1);
    expect(failing.out).toContain(
      [
        '    values /amountCaptured',
        '      expected: 1000',
        '      actual:   200',
        '    values /nothing: missing',
        '      expected: 1',
      ].join('\n'),
    );
    expect(failing.out).toContain(
      '    emittedTypes\n      expected: ["Capture Payment","Refund Payment"]\n      actual:   ["Payments/Capture Payment"]',
    );
    expect(failing.out).toContain(
      `    blueId: of the final document\n      expected: "NotTheBlueId"\n      actual:   "${finalId}"`,
    );
  });

  it('names the event a status differs at, as paydoc run numbers it', async () => {
    const folder = copyScenario('card-dispute-won', 'status-differs', (text) =>
      text.replace('expect:\n', 'expect:\n  statuses:\n    - rejected: capture_not_allowed\n'),
    );
    const result = await cli('test', folder);
    expect(result.code).toBe(1);
    // The first line of the events file is {created}; the capture is its line 2.
    expect(result.out).toContain(
      '    event 2\n      expected: {"rejected":"capture_not_allowed"}\n      actual:   "ok"',
    );
  });

  it('refuses unknown expectations, and exits 2 for a directory without scenarios', async () => {
    const folder = copyScenario('card-full-capture', 'typo', (text) =>
      text.replace('expect:\n', 'expect:\n  emited: []\n'),
    );
    const typo = await cli('test', folder);
    expect(typo.code).toBe(1);
    expect(typo.out).toMatch(/^ {4}scenario\.yaml expect\.emited: unknown expectation \(known: /m);
    const missing = await cli('test', join(temp, 'no-such-folder'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such directory');
    const empty = await cli('test', join(root, 'documents/types'));
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('no scenario.yaml');
  });
});
