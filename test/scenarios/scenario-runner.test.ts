import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../src/model/json.js';
import { isJsonObject } from '../../src/model/json.js';
import { loadYaml } from '../../src/model/load-yaml.js';
import { simplify } from '../../src/model/node.js';
import { parseEvents, runOffline } from '../../src/engine/offline-run.js';
import type { OfflineRun } from '../../src/engine/offline-run.js';
import type { ProcessStatus } from '../../src/processor/processor-types.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { SupervisedSandbox } from '../../src/sandbox/supervised-sandbox.js';
import { defaultTypeRegistry } from '../../src/types/load-library.js';
import { checkDocument } from '../../src/validation/check-document.js';
import { DocumentValidator } from '../../src/validation/document-validator.js';

// The one runner for documents/scenarios/<name>/: scenario.yaml names the document (default
// document.yaml) and events (default events.yaml) and says what to expect.
const root = join(import.meta.dirname, '../../documents/scenarios');
const registry = defaultTypeRegistry();
const validator = new DocumentValidator(registry);
// Every scenario runs on both sandboxes, the server's in-process isolate and the supervised
// worker process, and must give byte-identical results on each.
const sandboxes: Record<string, Sandbox> = {
  'in-process': new IsolateHost(),
  supervised: new SupervisedSandbox({ spare: false }),
};
afterAll(() => Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.close())));

function readYaml(path: string): JsonValue {
  const loaded = loadYaml(readFileSync(path, 'utf8'));
  if (!loaded.ok) throw new Error(`${path}: ${JSON.stringify(loaded.problems)}`);
  return loaded.value;
}

interface Scenario {
  name: string;
  document: JsonObject;
  /** The document's text, loaded as the CLI and HTTP load it (checkDocument). */
  text: string;
  events: JsonValue;
  expect: JsonObject;
}

function loadScenario(name: string): Scenario {
  const folder = join(root, name);
  const spec = readYaml(join(folder, 'scenario.yaml')) as JsonObject;
  const documentPath = resolve(
    folder,
    typeof spec.document === 'string' ? spec.document : 'document.yaml',
  );
  const eventsPath = resolve(folder, typeof spec.events === 'string' ? spec.events : 'events.yaml');
  return {
    name,
    document: readYaml(documentPath) as JsonObject,
    text: readFileSync(documentPath, 'utf8'),
    events: readYaml(eventsPath),
    expect: (spec.expect ?? {}) as JsonObject,
  };
}

async function run(scenario: Scenario, sandbox: Sandbox): Promise<OfflineRun> {
  const parsed = parseEvents(scenario.events, registry);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return runOffline(scenario.document, parsed.events, { registry, sandbox, validator });
}

/** Every key of `expected` is in `actual` with a matching value (maps recursively, lists exactly). */
function expectSubset(actual: JsonValue | undefined, expected: JsonValue, path = ''): void {
  if (isJsonObject(expected)) {
    expect(isJsonObject(actual), `${path} should be a map`).toBe(true);
    for (const key of Object.keys(expected))
      expectSubset((actual as JsonObject)[key], expected[key] as JsonValue, `${path}/${key}`);
  } else if (Array.isArray(expected)) {
    // A list node ({type: List, items}) is compared by its items.
    if (isJsonObject(actual) && Array.isArray(actual.items)) actual = actual.items;
    expect(Array.isArray(actual) ? actual.length : actual, `${path} length`).toBe(expected.length);
    expected.forEach((item, index) =>
      expectSubset((actual as JsonValue[])[index], item, `${path}/${index}`),
    );
  } else {
    expect(simplify(actual ?? null), path).toEqual(expected);
  }
}

function expectStatus(status: ProcessStatus, expected: JsonValue, index: number): void {
  const label = `event ${index + 1}`;
  if (expected === 'ok') {
    expect(status, label).toEqual({ kind: 'ok' });
    return;
  }
  const spec = expected as JsonObject;
  if (spec.terminated !== undefined) {
    expect(status, label).toMatchObject({ kind: 'terminated', cause: spec.terminated });
    return;
  }
  expect(status, label).toMatchObject({ kind: 'rejected', code: spec.rejected });
  if (status.kind !== 'rejected') return;
  if (typeof spec.reason === 'string') expect(status.reason, label).toContain(spec.reason);
  if (typeof spec.step === 'string') expect(status.step, label).toBe(spec.step);
}

const names = readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

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
    const sandbox = sandboxes[sandboxName] as Sandbox;
    const scenario = loadScenario(name);
    const expected = scenario.expect;
    // `refused: {code, message?, pointer?, line?}`: the document is refused on load, with its
    // first problem as given; nothing runs.
    const checked = checkDocument(scenario.text, validator);
    if (isJsonObject(expected.refused)) {
      const refused = expected.refused;
      expect(checked.ok, 'the document should be refused on load').toBe(false);
      const first = checked.ok ? undefined : checked.problems[0];
      expect(first?.code).toBe(refused.code);
      if (typeof refused.message === 'string') expect(first?.message).toContain(refused.message);
      if (typeof refused.pointer === 'string') expect(first?.pointer).toBe(refused.pointer);
      if (typeof refused.line === 'number') expect(first?.position?.line).toBe(refused.line);
      return;
    }
    expect(checked.ok ? [] : checked.problems, 'the document loads').toEqual([]);
    const result = await run(scenario, sandbox);
    expect(result.initialized.status).toEqual({ kind: 'ok' });
    const inputs = result.steps.filter((step) => step.origin === 'input');
    if (Array.isArray(expected.statuses)) {
      expect(inputs.map((step) => step.result.status.kind)).toHaveLength(expected.statuses.length);
      expected.statuses.forEach((status, index) =>
        expectStatus((inputs[index] as OfflineRun['steps'][number]).result.status, status, index),
      );
    }
    if (expected.answers !== undefined) expectSubset(result.answers, expected.answers, 'answers');
    // Answers of the processor must always apply cleanly to the document.
    for (const step of result.steps.filter((s) => s.origin === 'processor')) {
      expect(step.result.status, step.label).toEqual({ kind: 'ok' });
    }
    const emitted = inputs.flatMap((step) => step.result.emitted);
    if (expected.emitted !== undefined) expectSubset(emitted, expected.emitted, 'emitted');
    const patches = inputs.flatMap((step) => step.result.patches) as unknown as JsonValue;
    if (expected.patches !== undefined) expectSubset(patches, expected.patches, 'patches');
    if (typeof expected.skipped === 'number') {
      expect(inputs.flatMap((step) => step.result.skipped)).toHaveLength(expected.skipped);
    }
    if (expected.document !== undefined)
      expectSubset(result.document, expected.document, 'document');
    if (expected.unchanged === true) expect(result.document).toBe(result.created);
    expect(validator.validate(result.document)).toEqual([]);

    // Determinism: the same document and events give byte-identical results and BlueId.
    const again = await run(scenario, sandbox);
    expect(JSON.stringify(again.steps)).toBe(JSON.stringify(result.steps));
    expect(again.blueId).toBe(result.blueId);
    // ... and on the other sandbox (the cases run in order, in-process first).
    const transcript = JSON.stringify({ steps: result.steps, blueId: result.blueId });
    const other = firstRuns.get(name);
    if (other === undefined) firstRuns.set(name, transcript);
    else expect(transcript).toBe(other);
  });
});
