import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Problem } from '../errors/problem.js';
import { formatProblem } from '../errors/problem.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject, ownValue } from '../model/json.js';
import { escapeSegment } from '../model/json-pointer.js';
import type { SourceMap } from '../model/load-yaml.js';
import { loadYaml } from '../model/load-yaml.js';
import { scalarOf, simplify } from '../model/node.js';
import { readAuthorView } from '../model/read-author-view.js';
import type { ProcessContext, ProcessStatus } from '../processor/processor-types.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { checkDocument } from '../validation/check-document.js';
import { DocumentValidator } from '../validation/document-validator.js';
import { PaydocError } from '../errors/paydoc-error.js';
import { loadOwnTypes } from '../types/load-library.js';
import type { OfflineInput, OfflineRun, OfflineStep } from './offline-run.js';
import { parseEvents, runOffline } from './offline-run.js';

/** The file in a folder that makes it a scenario. */
export const SCENARIO_FILE = 'scenario.yaml';

/** What `scenario.yaml` may say besides `expect`. */
const SCENARIO_KEYS = ['description', 'document', 'events', 'types', 'expect'] as const;

/** Every expectation `expect:` may hold, in the order they are checked. */
export const EXPECTATION_KEYS = [
  'refused',
  'statuses',
  'answers',
  'emitted',
  'emittedTypes',
  'patches',
  'skipped',
  'document',
  'values',
  'unchanged',
  'blueId',
] as const;

/** Where a scenario's run and its expectations part, with both sides where there are two. */
export interface ScenarioFailure {
  /** `event 2`, `document /amountCaptured`, `answers /1/type`, `scenario.yaml`, … */
  at: string;
  message?: string;
  expected?: JsonValue;
  actual?: JsonValue;
}

export interface ScenarioReport {
  name: string;
  folder: string;
  failures: ScenarioFailure[];
  /** The offline run, when the document loaded and ran. */
  run?: OfflineRun;
}

/** What checking needs: the library, the validator and a sandbox, as `runOffline` takes them. */
export interface ScenarioContext extends ProcessContext {
  registry: TypeRegistry;
  validator: DocumentValidator;
}

export type ScenarioFolders = { ok: true; folders: string[] } | { ok: false; message: string };

/**
 * The scenarios a directory names: itself when it holds scenario.yaml, else each of its folders
 * that does, by name. A directory that names none is a usage error, not an empty pass.
 */
export function scenarioFolders(dir: string): ScenarioFolders {
  if (!isDirectory(dir)) return { ok: false, message: `${dir}: no such directory` };
  if (isFile(join(dir, SCENARIO_FILE))) return { ok: true, folders: [dir] };
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && isFile(join(dir, entry.name, SCENARIO_FILE)))
    .map((entry) => entry.name)
    .sort()
    .map((name) => join(dir, name));
  return folders.length > 0
    ? { ok: true, folders }
    : { ok: false, message: `${dir}: no ${SCENARIO_FILE} in it or in its folders` };
}

/**
 * Loads a scenario folder (scenario.yaml naming the document, default document.yaml, and the
 * events, default events.yaml), runs it offline as `paydoc run` does and compares the run with
 * its expectations. Every mismatch is one failure; an empty list is a pass.
 */
export async function checkScenario(
  folder: string,
  given: ScenarioContext,
): Promise<ScenarioReport> {
  const report: ScenarioReport = { name: basename(resolve(folder)), folder, failures: [] };
  const failures = report.failures;
  const specFile = join(folder, SCENARIO_FILE);
  const spec = readYamlFile(specFile, failures);
  if (spec === undefined) return report;
  if (!isJsonObject(spec)) {
    failures.push({
      at: SCENARIO_FILE,
      message: 'must be a map (description, document, events, expect)',
    });
    return report;
  }
  const expected = expectationsOf(spec, failures);
  if (expected === undefined) return report;
  const context = withOwnTypes(folder, spec, given, failures);
  if (context === undefined) return report;

  const documentFile = namedFile(folder, spec, 'document', failures);
  const eventsFile = namedFile(folder, spec, 'events', failures);
  if (documentFile === undefined || eventsFile === undefined) return report;
  const text = readText(documentFile, failures);
  if (text === undefined) return report;
  const checked = checkDocument(text, context.validator);
  const refused = ownValue(expected, 'refused');
  if (refused !== undefined) {
    compareRefusal(checked.ok ? undefined : checked.problems[0], refused as JsonObject, failures);
    return report;
  }
  if (!checked.ok) {
    failures.push({
      at: shown(documentFile),
      message: `refused on load:\n${checked.problems.map((problem) => formatProblem(problem, shown(documentFile))).join('\n')}`,
    });
    return report;
  }
  const events = readEvents(eventsFile, ownValue(spec, 'events') !== undefined, context, failures);
  if (events === undefined) return report;
  let run: OfflineRun;
  try {
    run = await runOffline(checked.document, events, context);
  } catch (error) {
    // A test runner reports one broken scenario and goes on with the others.
    failures.push({ at: 'run', message: `failed: ${(error as Error).message}` });
    return report;
  }
  report.run = run;
  compareRun(run, expected, context, failures);
  return report;
}

/** A report as the lines `paydoc test` prints under `✗ name` (indented by the caller). */
export function formatFailures(failures: readonly ScenarioFailure[]): string[] {
  const lines: string[] = [];
  for (const failure of failures) {
    const [first = '', ...rest] = (failure.message ?? '').split('\n');
    lines.push(first === '' ? failure.at : `${failure.at}: ${first}`);
    for (const line of rest) lines.push(`  ${line}`);
    if (Object.hasOwn(failure, 'expected'))
      lines.push(`  expected: ${shortJson(failure.expected)}`);
    if (Object.hasOwn(failure, 'actual')) lines.push(`  actual:   ${shortJson(failure.actual)}`);
  }
  return lines;
}

/** A value on one line, cut where it would drown the diff (`--json` has it whole). */
function shortJson(value: JsonValue | undefined): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function expectationsOf(spec: JsonObject, failures: ScenarioFailure[]): JsonObject | undefined {
  for (const key of Object.keys(spec))
    if (!(SCENARIO_KEYS as readonly string[]).includes(key))
      failures.push({
        at: SCENARIO_FILE,
        message: `unknown key '${key}' (known: ${SCENARIO_KEYS.join(', ')})`,
      });
  const expected = ownValue(spec, 'expect') ?? {};
  if (!isJsonObject(expected)) {
    failures.push({ at: `${SCENARIO_FILE} expect`, message: 'must be a map of expectations' });
    return undefined;
  }
  for (const key of Object.keys(expected)) {
    const problem = (EXPECTATION_KEYS as readonly string[]).includes(key)
      ? shapeProblem(key, expected[key] as JsonValue)
      : `unknown expectation (known: ${EXPECTATION_KEYS.join(', ')})`;
    if (problem !== undefined)
      failures.push({ at: `${SCENARIO_FILE} expect.${key}`, message: problem });
  }
  if (Object.hasOwn(expected, 'refused') && Object.keys(expected).length > 1)
    failures.push({
      at: `${SCENARIO_FILE} expect.refused`,
      message: 'a refused document runs nothing: no other expectation can hold',
    });
  return failures.length > 0 ? undefined : expected;
}

/** Why an expectation's value cannot be checked, or undefined when it can. */
function shapeProblem(key: string, value: JsonValue): string | undefined {
  switch (key) {
    case 'refused':
      return isJsonObject(value) && typeof value.code === 'string'
        ? undefined
        : 'must be {code, message?, pointer?, line?}';
    case 'statuses':
      if (!Array.isArray(value)) return 'must be a list, one status per event';
      for (const [index, status] of value.entries())
        if (statusSpecProblem(status) !== undefined)
          return `item ${index + 1}: ${statusSpecProblem(status) ?? ''}`;
      return undefined;
    case 'answers':
    case 'emitted':
    case 'patches':
      return Array.isArray(value) ? undefined : 'must be a list';
    case 'emittedTypes':
      return Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? undefined
        : 'must be a list of type names';
    case 'skipped':
      return Number.isSafeInteger(value) && (value as number) >= 0
        ? undefined
        : 'must be a count (0 or more)';
    case 'document':
      return isJsonObject(value) ? undefined : 'must be a map (a part of the final document)';
    case 'values':
      if (!isJsonObject(value)) return 'must be a map of JSON pointers to values';
      for (const pointer of Object.keys(value))
        if (!/^(?:\/(?:[^~]|~[01])*)*$/.test(pointer))
          return `'${pointer}' is not a JSON pointer (/amount, /contracts/checkpoint)`;
      return undefined;
    case 'unchanged':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'blueId':
      return typeof value === 'string' ? undefined : 'must be a BlueId';
  }
  return undefined;
}

function statusSpecProblem(status: JsonValue): string | undefined {
  if (status === 'ok') return undefined;
  if (isJsonObject(status)) {
    if (typeof status.rejected === 'string' && typeof status.terminated !== 'string')
      return undefined;
    if (typeof status.terminated === 'string' && status.rejected === undefined) return undefined;
  }
  return 'must be ok, {rejected: <code>, reason?, step?} or {terminated: graceful | fatal, reason?}';
}

function compareRefusal(
  first: Problem | undefined,
  refused: JsonObject,
  failures: ScenarioFailure[],
): void {
  if (first === undefined) {
    failures.push({ at: 'refused', message: 'the document loaded', expected: refused });
    return;
  }
  // The message is matched as a part of the problem's message: the rest may say more.
  const checks: [string, boolean, JsonValue | undefined][] = [
    ['code', refused.code === first.code, first.code],
    [
      'message',
      typeof refused.message !== 'string' || first.message.includes(refused.message),
      first.message,
    ],
    [
      'pointer',
      typeof refused.pointer !== 'string' || refused.pointer === first.pointer,
      first.pointer,
    ],
    [
      'line',
      typeof refused.line !== 'number' || refused.line === first.position?.line,
      first.position?.line,
    ],
  ];
  for (const [key, holds, actual] of checks)
    if (!holds)
      failures.push({
        at: `refused ${key}`,
        ...(key === 'message' ? { message: 'not a part of the first problem' } : {}),
        expected: refused[key] as JsonValue,
        ...(actual === undefined ? {} : { actual }),
      });
}

function compareRun(
  run: OfflineRun,
  expected: JsonObject,
  context: ScenarioContext,
  failures: ScenarioFailure[],
): void {
  if (run.initialized.status.kind !== 'ok')
    failures.push({ at: 'initialize', expected: 'ok', actual: statusView(run.initialized.status) });
  const inputs = run.steps.filter((step) => step.origin === 'input');
  const statuses = ownValue(expected, 'statuses');
  if (Array.isArray(statuses)) compareStatuses(inputs, statuses, failures);
  const answers = ownValue(expected, 'answers');
  if (answers !== undefined) compareSubset(run.answers, answers, 'answers', '', failures);
  const emitted = inputs.flatMap((step) => step.result.emitted);
  const emittedSubset = ownValue(expected, 'emitted');
  if (emittedSubset !== undefined) compareSubset(emitted, emittedSubset, 'emitted', '', failures);
  const emittedTypes = ownValue(expected, 'emittedTypes');
  if (Array.isArray(emittedTypes))
    compareTypes(emitted, emittedTypes as string[], context.registry, failures);
  const patches = ownValue(expected, 'patches');
  if (patches !== undefined)
    compareSubset(
      inputs.flatMap((step) => step.result.patches) as unknown as JsonValue,
      patches,
      'patches',
      '',
      failures,
    );
  const skipped = ownValue(expected, 'skipped');
  if (typeof skipped === 'number') {
    const actual = inputs.flatMap((step) => step.result.skipped);
    if (actual.length !== skipped)
      failures.push({
        at: 'skipped',
        message: 'channels that skipped an event',
        expected: skipped,
        actual,
      });
  }
  const document = ownValue(expected, 'document');
  if (document !== undefined) compareSubset(run.document, document, 'document', '', failures);
  const values = ownValue(expected, 'values');
  if (isJsonObject(values)) compareValues(run.document, values, failures);
  const unchanged = ownValue(expected, 'unchanged');
  if (typeof unchanged === 'boolean' && unchanged !== isDeepStrictEqual(run.document, run.created))
    failures.push(
      unchanged
        ? {
            at: 'unchanged',
            message: 'the events changed the document at these pointers',
            actual: differences(run.created, run.document),
          }
        : { at: 'unchanged', message: 'false, but the events left the document as it was created' },
    );
  const blueId = ownValue(expected, 'blueId');
  if (typeof blueId === 'string' && blueId !== run.blueId)
    failures.push({
      at: 'blueId',
      message: 'of the final document',
      expected: blueId,
      actual: run.blueId,
    });
  // The processor's answers must always apply cleanly, and every state must be a valid document.
  for (const step of run.steps.filter((each) => each.origin === 'processor'))
    if (step.result.status.kind !== 'ok')
      failures.push({
        at: `${eventLabel(step)} ${step.label}`,
        expected: 'ok',
        actual: statusView(step.result.status),
      });
  const problems = context.validator.validate(run.document);
  if (problems.length > 0)
    failures.push({
      at: 'final document',
      message: `is invalid:\n${problems.map((problem) => formatProblem(problem)).join('\n')}`,
    });
}

function compareStatuses(
  inputs: readonly OfflineStep[],
  statuses: readonly JsonValue[],
  failures: ScenarioFailure[],
): void {
  if (inputs.length !== statuses.length)
    failures.push({
      at: 'statuses',
      message: `${statuses.length} expected, the events file gave ${inputs.length} (network and created lines have none)`,
      expected: statuses as JsonValue[],
      actual: inputs.map((step) => statusView(step.result.status)),
    });
  statuses.forEach((spec, index) => {
    const step = inputs[index];
    if (step === undefined) return;
    if (!statusMatches(step.result.status, spec))
      failures.push({
        at: eventLabel(step),
        expected: spec,
        actual: statusView(step.result.status),
      });
  });
}

function statusMatches(status: ProcessStatus, spec: JsonValue): boolean {
  if (spec === 'ok') return status.kind === 'ok';
  if (!isJsonObject(spec)) return false;
  const reason = typeof spec.reason === 'string' ? spec.reason : undefined;
  if (typeof spec.terminated === 'string')
    return (
      status.kind === 'terminated' &&
      status.cause === spec.terminated &&
      (reason === undefined || status.reason.includes(reason))
    );
  return (
    status.kind === 'rejected' &&
    status.code === spec.rejected &&
    (reason === undefined || status.reason.includes(reason)) &&
    (typeof spec.step !== 'string' || status.step === spec.step)
  );
}

/** A status written as an expectation is (`ok`, `{rejected, reason, step}`, `{terminated, reason}`). */
function statusView(status: ProcessStatus): JsonValue {
  switch (status.kind) {
    case 'ok':
      return 'ok';
    case 'terminated':
      return { terminated: status.cause, reason: status.reason };
    case 'rejected':
      return {
        rejected: status.code,
        reason: status.reason,
        ...(status.step === undefined ? {} : { step: status.step }),
      };
  }
}

/** The event as `paydoc run` numbers it: its place in the events file as written. */
function eventLabel(step: OfflineStep): string {
  return step.index === 0 ? 'creation' : `event ${step.index}`;
}

/**
 * Every key of `expected` is in `actual` with a matching value: maps recursively, lists
 * item by item and of the same length, scalars as the author writes them (`{value: x}` is x).
 */
function compareSubset(
  actual: JsonValue | undefined,
  expected: JsonValue,
  what: string,
  pointer: string,
  failures: ScenarioFailure[],
): void {
  const at = pointer === '' ? what : `${what} ${pointer}`;
  if (isJsonObject(expected)) {
    if (!isJsonObject(actual)) {
      failures.push({
        at,
        message: actual === undefined ? 'missing' : 'not a map',
        expected,
        ...(actual === undefined ? {} : { actual: simplify(actual) }),
      });
      return;
    }
    for (const key of Object.keys(expected))
      compareSubset(
        ownValue(actual, key),
        expected[key] as JsonValue,
        what,
        `${pointer}/${escapeSegment(key)}`,
        failures,
      );
    return;
  }
  if (Array.isArray(expected)) {
    // A list node ({type: List, items}) is compared by its items.
    const list = isJsonObject(actual) && Array.isArray(actual.items) ? actual.items : actual;
    if (!Array.isArray(list) || list.length !== expected.length) {
      failures.push({
        at,
        message: Array.isArray(list)
          ? `${expected.length} items expected, ${list.length} found`
          : list === undefined
            ? 'missing'
            : 'not a list',
        expected,
        ...(list === undefined ? {} : { actual: simplify(list) }),
      });
      return;
    }
    expected.forEach((item, index) =>
      compareSubset(list[index], item, what, `${pointer}/${index}`, failures),
    );
    return;
  }
  const value = simplify(actual ?? null);
  if (!isDeepStrictEqual(value, expected)) failures.push({ at, expected, actual: value });
}

/** `values`: the value at each pointer, read as `document(pointer)` reads it, equal in whole. */
function compareValues(
  document: JsonObject,
  values: JsonObject,
  failures: ScenarioFailure[],
): void {
  for (const pointer of Object.keys(values)) {
    const expected = values[pointer] as JsonValue;
    const actual = readAuthorView(document, pointer);
    if (actual === undefined)
      failures.push({ at: `values ${pointer}`, message: 'missing', expected });
    else if (!isDeepStrictEqual(actual, expected))
      failures.push({ at: `values ${pointer}`, expected, actual });
  }
}

/** `emittedTypes`: the types of the emitted events in order; short and qualified names agree. */
function compareTypes(
  emitted: readonly JsonObject[],
  names: readonly string[],
  registry: TypeRegistry,
  failures: ScenarioFailure[],
): void {
  const idOf = (type: JsonValue | undefined): string | undefined => {
    const id = registry.resolveRef(type);
    if (id !== undefined) return id;
    const written = scalarOf(type);
    return written === undefined ? undefined : String(written);
  };
  const actual = emitted.map((event) => {
    const id = idOf(event.type);
    return id === undefined ? null : registry.lookup(id) === undefined ? id : registry.nameOf(id);
  });
  const matches =
    names.length === emitted.length &&
    names.every((name, index) => idOf(name) === idOf((emitted[index] as JsonObject).type));
  if (!matches) failures.push({ at: 'emittedTypes', expected: [...names], actual });
}

/** The pointers where two documents differ (the first few), to say what an event changed. */
function differences(before: JsonValue, after: JsonValue): string[] {
  const found: string[] = [];
  const walk = (a: JsonValue | undefined, b: JsonValue | undefined, pointer: string): void => {
    if (found.length >= 5 || isDeepStrictEqual(a, b)) return;
    if (isJsonObject(a) && isJsonObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
        walk(ownValue(a, key), ownValue(b, key), `${pointer}/${escapeSegment(key)}`);
      return;
    }
    found.push(pointer === '' ? '/' : pointer);
  };
  walk(before, after, '');
  return found;
}

/** The document or events file scenario.yaml names, relative to its folder. */
/**
 * `types: <folder>` (relative to the scenario): the author's own types, as `--types` gives them;
 * the scenario's folder wins over the command's. Built once per folder and process.
 */
function withOwnTypes(
  folder: string,
  spec: JsonObject,
  context: ScenarioContext,
  failures: ScenarioFailure[],
): ScenarioContext | undefined {
  const named = ownValue(spec, 'types');
  if (named === undefined) return context;
  if (typeof named !== 'string') {
    failures.push({ at: `${SCENARIO_FILE} types`, message: 'must be a folder name' });
    return undefined;
  }
  const dir = resolve(folder, named);
  let types = ownTypesByFolder.get(dir);
  if (types === undefined) {
    try {
      const registry = loadOwnTypes(dir);
      types = { registry, validator: new DocumentValidator(registry) };
    } catch (error) {
      if (!(error instanceof PaydocError)) throw error;
      failures.push({ at: `${SCENARIO_FILE} types`, message: error.message });
      return undefined;
    }
    ownTypesByFolder.set(dir, types);
  }
  return { ...context, ...types };
}

const ownTypesByFolder = new Map<
  string,
  { registry: TypeRegistry; validator: DocumentValidator }
>();

function namedFile(
  folder: string,
  spec: JsonObject,
  key: 'document' | 'events',
  failures: ScenarioFailure[],
): string | undefined {
  const named = ownValue(spec, key);
  if (named === undefined) return join(folder, `${key}.yaml`);
  if (typeof named === 'string') return resolve(folder, named);
  failures.push({ at: `${SCENARIO_FILE} ${key}`, message: 'must be a file name' });
  return undefined;
}

function readEvents(
  file: string,
  named: boolean,
  context: ScenarioContext,
  failures: ScenarioFailure[],
): OfflineInput[] | undefined {
  // A scenario about loading alone needs no events file; one that names its file must have it.
  if (!named && !isFile(file)) return [];
  const loaded = readYamlFile(file, failures, true);
  if (loaded === undefined) return undefined;
  const parsed = parseEvents(loaded.value, context.registry);
  if (parsed.ok) return parsed.events;
  failures.push({
    at: shown(file),
    message: `not an events file (docs/events-file.md):\n${parsed.problems.map((problem) => formatProblem(located(problem, loaded.positions), shown(file))).join('\n')}`,
  });
  return undefined;
}

function readYamlFile(file: string, failures: ScenarioFailure[]): JsonValue | undefined;
function readYamlFile(
  file: string,
  failures: ScenarioFailure[],
  withPositions: true,
): { value: JsonValue; positions: SourceMap } | undefined;
function readYamlFile(
  file: string,
  failures: ScenarioFailure[],
  withPositions = false,
): JsonValue | { value: JsonValue; positions: SourceMap } | undefined {
  const text = readText(file, failures);
  if (text === undefined) return undefined;
  const loaded = loadYaml(text);
  if (!loaded.ok) {
    failures.push({
      at: shown(file),
      message: `unreadable:\n${loaded.problems.map((problem) => formatProblem(problem, shown(file))).join('\n')}`,
    });
    return undefined;
  }
  return withPositions ? { value: loaded.value, positions: loaded.positions } : loaded.value;
}

function readText(file: string, failures: ScenarioFailure[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (error as Error).message;
    failures.push({ at: shown(file), message: reason });
    return undefined;
  }
}

/** A problem of the events list with the line of the item it names, where the loader saw it. */
function located(problem: Problem, positions: SourceMap): Problem {
  const position = problem.pointer === undefined ? undefined : positions.get(problem.pointer);
  return position === undefined || problem.position !== undefined
    ? problem
    : { ...problem, position };
}

/** A path as the reader would type it: relative to the working directory when inside it. */
function shown(file: string): string {
  const path = relative(process.cwd(), file);
  return path.startsWith('..') || path === '' ? file : path;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
