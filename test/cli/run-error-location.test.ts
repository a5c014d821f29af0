import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';

// `paydoc run` has the file's text, so a script error is printed at its line in the file: the
// line of the `code: |` header plus the line in the code, the column past the block's indent.
const folder = mkdtempSync(join(tmpdir(), 'paydoc-run-location-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A document whose second step is `code`, and the line its `code: |` header is on. */
function documentWith(code: string): { text: string; header: number } {
  const lines = [
    'name: Located errors',
    'contracts:',
    '  buyer:',
    '    type: Payments/Timeline Channel',
    '    timelineId: buyer-timeline',
    '  checkout:',
    '    type: Conversation/Sequential Workflow',
    '    channel: buyer',
    '    steps:',
    '      - name: Fine',
    '        type: Conversation/JavaScript Code',
    '        code: |',
    '          return { fine: true };',
    '      - name: Broken',
    '        type: Conversation/JavaScript Code',
    '        code: |',
  ];
  const header = lines.length;
  for (const line of code.split('\n')) lines.push(`          ${line}`);
  return { text: `${lines.join('\n')}\n`, header };
}

const EVENTS = `- type: Timeline Entry
  timeline:
    timelineId: buyer-timeline
  timestamp: 1700000000000
  message:
    type: Conversation/Event
`;

async function run(name: string, code: string) {
  const { text, header } = documentWith(code);
  const file = join(folder, `${name}.yaml`);
  const events = join(folder, `${name}-events.yaml`);
  writeFileSync(file, text);
  writeFileSync(events, EVENTS);
  const out: string[] = [];
  const err: string[] = [];
  const exit = await runCli(['run', file, '--events', events], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { exit, out: out.join('\n'), err: err.join('\n'), file, header };
}

describe('paydoc run, a script error', () => {
  it('prints a syntax error at code line 3 at its line in the file', async () => {
    const result = await run(
      'syntax',
      'const a = 1;\nconst b = 2;\nconst c = a +* b;\nreturn { c };',
    );
    expect(result.exit).toBe(1);
    // The code's own place stays in the status line.
    expect(result.out).toContain(
      "rejected script_error: step Broken: line 3:14: SyntaxError: Unexpected token '*'",
    );
    // Line 3 of the code is 3 lines below the header; column 14 is 10 columns in.
    expect(result.out).toContain(
      `  ${result.file}:${result.header + 3}:24: step Broken: SyntaxError: Unexpected token '*'`,
    );
  });

  it('prints a runtime TypeError at its line in the file', async () => {
    const result = await run('runtime', 'const order = event.order;\nreturn { n: order.amount };');
    expect(result.exit).toBe(1);
    expect(result.out).toContain(
      `  ${result.file}:${result.header + 2}:29: step Broken: TypeError: Cannot read properties of undefined (reading 'amount')`,
    );
  });

  it('names the file position in --json output', async () => {
    const { text, header } = documentWith('\n\nnull.x;');
    const file = join(folder, 'json.yaml');
    const events = join(folder, 'json-events.yaml');
    writeFileSync(file, text);
    writeFileSync(events, EVENTS);
    const out: string[] = [];
    await runCli(['run', file, '--events', events, '--json'], {
      out: (line) => out.push(line),
      err: () => undefined,
    });
    const parsed = JSON.parse(out.join('\n')) as {
      events: { status: { pointer?: string; location?: unknown }; source?: unknown }[];
    };
    const rejected = parsed.events[1];
    expect(rejected?.status).toMatchObject({
      pointer: '/contracts/checkout/steps/1/code',
      location: { line: 3, col: 6 },
    });
    expect(rejected?.source).toEqual({ file, line: header + 3, col: 16 });
  });
});
