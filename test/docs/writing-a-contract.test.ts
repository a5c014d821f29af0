import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import type { ServerProcess } from '../http/support/server-process.js';
import { PROJECT_ROOT, ServerProcess as Server } from '../http/support/server-process.js';

// docs/writing-a-contract.md is run, not only read: the files it shows are the files, the
// commands it gives pass, and its HTTP session runs in bash against a real server.
const guidePath = join(PROJECT_ROOT, 'docs/writing-a-contract.md');
const guide = readFileSync(guidePath, 'utf8');
const TYPES = 'docs/marketplace-escrow/types';

/** Fenced blocks after a `<!-- marker: value -->` comment, by value. */
function blocks(marker: string): Map<string, string> {
  const found = new Map<string, string>();
  const pattern = new RegExp(`<!-- ${marker}: (\\S+) -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``, 'g');
  for (const match of guide.matchAll(pattern)) found.set(match[1] as string, match[2] as string);
  return found;
}

async function paydoc(env: NodeJS.ProcessEnv, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('docs/writing-a-contract.md', () => {
  it('shows the files as they are', () => {
    const files = blocks('file');
    expect([...files.keys()]).toEqual([
      'marketplace-escrow/types/item-shipped.yaml',
      'marketplace-escrow/escrow.yaml',
      'marketplace-escrow/scenarios/shipped-then-confirmed/events.yaml',
      'marketplace-escrow/scenarios/shipped-then-confirmed/scenario.yaml',
    ]);
    for (const [file, shown] of files)
      expect(shown, file).toBe(readFileSync(join(PROJECT_ROOT, 'docs', file), 'utf8'));
  });

  it('validates the escrow with its types, and not without them', async () => {
    const cwd = process.cwd();
    process.chdir(PROJECT_ROOT);
    try {
      const valid = await paydoc(
        {},
        'validate',
        '--types',
        TYPES,
        'docs/marketplace-escrow/escrow.yaml',
      );
      expect(valid.err).toBe('');
      expect(valid.code).toBe(0);
      const without = await paydoc({}, 'validate', 'docs/marketplace-escrow/escrow.yaml');
      expect(without.code).toBe(1);
      expect(without.err).toContain('Item Shipped');
    } finally {
      process.chdir(cwd);
    }
  });

  it('passes its scenarios with paydoc test', async () => {
    // The scenarios name their types folder (`types:`), so no --types is needed.
    const result = await paydoc(
      {},
      'test',
      join(PROJECT_ROOT, 'docs/marketplace-escrow/scenarios'),
    );
    expect(result.out).toContain('scenarios: 3 passed, 0 failed');
    expect(result.code).toBe(0);
  });

  describe('its HTTP session, in bash, against a real server', () => {
    let dir: string;
    let server: ServerProcess | undefined;
    let url: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'paydoc-guide-'));
      const started = await Server.start({
        db: join(dir, 'guide.db'),
        apiKey: 'pd_test_guide_merchant_key_0000000000000000',
        adminKey: 'pd_test_guide_operator_key_0000000000000000',
      });
      server = started.server;
      url = started.url;
      // `paydoc` on PATH, as an author has it after `npm link` (bin/paydoc.js).
      writeFileSync(
        join(dir, 'paydoc'),
        `#!/bin/sh\nexec "${process.execPath}" --no-node-snapshot "${join(PROJECT_ROOT, 'bin/paydoc.js')}" "$@"\n`,
      );
      chmodSync(join(dir, 'paydoc'), 0o755);
    }, 60_000);

    afterAll(async () => {
      await server?.crash();
      rmSync(dir, { recursive: true, force: true });
    });

    it('posts the type and the order, ships, confirms, and the payment is captured', async () => {
      const operator = {
        PAYDOC_URL: url,
        PAYDOC_ADMIN_KEY: 'pd_test_guide_operator_key_0000000000000000',
      };
      const keyOf = async (email: string): Promise<string> => {
        const made = await paydoc(operator, 'accounts', 'create', email, '--json');
        expect(made.code, made.err).toBe(0);
        return String((JSON.parse(made.out) as { apiKey: string }).apiKey);
      };
      const session = blocks('run').get('http');
      expect(session).toBeDefined();
      const env = {
        PATH: `${dir}:${process.env.PATH ?? ''}`,
        PAYDOC_URL: url,
        SELLER_KEY: await keyOf('seller@example.com'),
        BUYER_KEY: await keyOf('buyer@example.com'),
      };
      const { stdout } = await promisify(execFile)(
        'bash',
        ['-euo', 'pipefail', '-c', session as string],
        { cwd: PROJECT_ROOT, env, timeout: 120_000 },
      );
      const lines = stdout.trim().split('\n');
      // `get --pointer /status`, then the history, whose lines name each event.
      expect(lines).toContain('captured');
      expect(stdout).toMatch(/Item Shipped|Own\//);
      expect(stdout).toMatch(/Payment Captured/);
    }, 180_000);
  });
});
