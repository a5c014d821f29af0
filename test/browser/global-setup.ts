import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: the browser tests drive Debian's chromium, which a clean machine does
 * not have; this installs it (scripts/ensure-chromium.sh) before any test runs, once per run.
 * It is quiet and quick when chromium is there already.
 */
export function setup(): void {
  const script = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: 'inherit' });
}
