import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkScenario, formatFailures, scenarioFolders } from '../../src/engine/scenario-check.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { SupervisedSandbox } from '../../src/sandbox/supervised-sandbox.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { DocumentValidator } from '../../src/validation/document-validator.js';

// Every folder of documents/scenarios/ through the one checker `paydoc test` uses
// (src/engine/scenario-check.ts), on both sandboxes, twice.
const root = join(import.meta.dirname, '../../documents/scenarios');
const registry = defaultTypeRegistry();
const validator = new DocumentValidator(registry);
// The server's supervised worker process and the in-process isolate must give byte-identical
// results on every scenario.
const sandboxes: Record<string, Sandbox> = {
  'in-process': new IsolateHost(),
  supervised: new SupervisedSandbox({ spare: false }),
};
afterAll(() => Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.close())));

const found = scenarioFolders(root);
if (!found.ok) throw new Error(found.message);
const folders = found.folders;
const names = folders.map((folder) => folder.slice(root.length + 1));

describe('scenarios', () => {
  it('include the cases the issues ask for', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'delivery-on-time',
        'late-delivery',
        'btc-key-valid',
        'btc-key-wrong',
        'duplicate-entry',
        'operation-wrong-request-type',
        'step-throws-after-update',
        'patch-checkpoint-forbidden',
        'document-update-watcher',
        'cascade-limit',
      ]),
    );
  });

  const cases = names.flatMap((name) =>
    Object.keys(sandboxes).map((sandboxName) => [name, sandboxName] as const),
  );
  const firstRuns = new Map<string, string>();
  it.each(cases)('%s (%s)', async (name, sandboxName) => {
    const context = { registry, validator, sandbox: sandboxes[sandboxName] as Sandbox };
    const folder = join(root, name);
    const report = await checkScenario(folder, context);
    // The lines `paydoc test` prints, so a failure here reads as it does there.
    expect(formatFailures(report.failures).join('\n')).toBe('');
    if (report.run === undefined) return; // refused on load, as expected: nothing ran

    // Determinism: the same document and events give byte-identical results and BlueId.
    const again = await checkScenario(folder, context);
    expect(JSON.stringify(again.run?.steps)).toBe(JSON.stringify(report.run.steps));
    expect(again.run?.blueId).toBe(report.run.blueId);
    // ... and on the other sandbox (the cases run in order, in-process first).
    const transcript = JSON.stringify({ steps: report.run.steps, blueId: report.run.blueId });
    const other = firstRuns.get(name);
    if (other === undefined) firstRuns.set(name, transcript);
    else expect(transcript).toBe(other);
  });
});
