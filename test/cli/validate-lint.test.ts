import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';

const folder = mkdtempSync(join(tmpdir(), 'paydoc-validate-lint-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const document = (code: string, channel = 'timeline'): string => `name: Lint from the CLI
amount: 1000
contracts:
  timeline:
    type: Conversation/Timeline Channel
    timelineId: t-1
  run:
    type: Conversation/Sequential Workflow
    channel: ${channel}
    steps:
      - name: Script
        type: Conversation/JavaScript Code
        code: |
${code
  .split('\n')
  .map((line) => `          ${line}`)
  .join('\n')}
`;

// Line 15 of the file is the code's second line.
const syntaxError = file('syntax-error.yaml', document('const a = 1;\nif (a > ) {}\nreturn {};'));
const warning = file('warning.yaml', document("return { n: document('/amountt') };"));
const clean = file('clean.yaml', document("return { n: document('/amount') };"));
const typo = file('typo.yaml', document('return {};', 'timelne'));

describe('paydoc validate lints', () => {
  it('exits 1 for a lint error, naming file:line:col of the YAML, the severity and the code', async () => {
    const result = await cli('validate', syntaxError);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `${syntaxError}:15:19: error step Script: SyntaxError: Unexpected token (line 2:9 of its code) (at /contracts/run/steps/0/code) [script_syntax]`,
    );
  });

  it('says what was most likely meant', async () => {
    const result = await cli('validate', typo);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /:9:5: error workflow 'run' listens to channel 'timelne', but the document has no channel 'timelne'; did you mean 'timeline'\? .*\[unknown_channel\]$/,
    );
  });

  it('prints warnings and exits 0, or 1 with --strict', async () => {
    const result = await cli('validate', warning);
    expect(result.code).toBe(0);
    expect(result.out).toBe(`${warning}: valid (1 warning)`);
    expect(result.err).toMatch(
      new RegExp(
        `^${escape(warning)}:14:32: warning step Script: document\\('/amountt'\\) reads /amountt, .*did you mean '/amount'\\?.*\\[unknown_field\\]$`,
      ),
    );
    const strict = await cli('validate', '--strict', warning);
    expect(strict.code).toBe(1);
    expect(strict.out).toBe('');
    expect((await cli('validate', '--strict', clean)).code).toBe(0);
  });

  it('prints a clean document as valid, with nothing on stderr', async () => {
    const result = await cli('validate', clean);
    expect(result).toEqual({ code: 0, out: `${clean}: valid`, err: '' });
  });

  it('gives the findings with codes and severity in --json', async () => {
    const result = await cli('validate', '--json', clean, warning, syntaxError);
    expect(result.code).toBe(1);
    const parsed = JSON.parse(result.out) as {
      file: string;
      valid: boolean;
      problems: unknown[];
      findings: { code: string; severity: string; pointer: string; position: unknown }[];
    }[];
    expect(parsed.map((entry) => entry.valid)).toEqual([true, true, false]);
    expect(parsed.map((entry) => entry.findings.map((f) => [f.code, f.severity]))).toEqual([
      [],
      [['unknown_field', 'warning']],
      [['script_syntax', 'error']],
    ]);
    expect(parsed[2]?.findings[0]).toMatchObject({
      pointer: '/contracts/run/steps/0/code',
      position: { line: 15, col: 19 },
    });
    expect(parsed[2]?.problems).toEqual([]);
  });

  it('keeps schema problems as they were, with did-you-mean for a type', async () => {
    const invalid = file(
      'unknown-step-type.yaml',
      document('return {};').replace('Conversation/JavaScript Code', 'Javascript Code'),
    );
    const result = await cli('validate', invalid);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `${invalid}:12:9: unknown type 'Javascript Code'; did you mean 'JavaScript Code'? (at /contracts/run/steps/0/type) [unknown_type]`,
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
