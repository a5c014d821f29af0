import { stringify } from 'yaml';
import type { SourcePosition } from '../../errors/problem.js';
import { formatProblem } from '../../errors/problem.js';
import type { CodeLocator } from '../../model/code-position.js';
import { codeLocator } from '../../model/code-position.js';
import { loadYaml } from '../../model/load-yaml.js';
import type { JsonObject } from '../../model/json.js';
import { parseEvents, runOffline } from '../../engine/offline-run.js';
import type { OfflineStep } from '../../engine/offline-run.js';
import type { ProcessResult } from '../../processor/processor-types.js';
import { IsolateHost } from '../../sandbox/isolate-host.js';
import { locationPrefix } from '../../sandbox/script-position.js';
import { checkDocument } from '../../validation/check-document.js';
import type { DocumentValidator } from '../../validation/document-validator.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import type { CliIo, ExitCode } from '../io.js';
import { readTextFile } from '../io.js';

/**
 * `paydoc run <document> --events <events>`: runs the document offline (in-process sandbox) and
 * prints, per event, the status, patches and emitted events, then the final document and its
 * BlueId. Exit 0 when every event was accepted, 1 when any was rejected or the input is invalid.
 * A script error that names its place in a step's code is also printed at its place in the
 * file (`file.yaml:62:9: …`): here the file's text is at hand, which the server no longer has
 * once a document is posted (there the reason keeps the code's `line 3:7` and the pointer).
 */
export async function runCommand(
  documentFile: string,
  options: { events?: string; json?: boolean },
  registry: TypeRegistry,
  validator: DocumentValidator,
  io: CliIo,
): Promise<ExitCode> {
  const documentText = readTextFile(documentFile);
  if (!documentText.ok) return fail(io, documentText.message, 2);
  const checked = checkDocument(documentText.text, validator);
  if (!checked.ok)
    return fail(
      io,
      checked.problems.map((problem) => formatProblem(problem, documentFile)).join('\n'),
      1,
    );
  let events: ReturnType<typeof parseEvents> = { ok: true, events: [] };
  if (options.events !== undefined) {
    const eventsText = readTextFile(options.events);
    if (!eventsText.ok) return fail(io, eventsText.message, 2);
    const loaded = loadYaml(eventsText.text);
    if (!loaded.ok)
      return fail(
        io,
        loaded.problems.map((problem) => formatProblem(problem, options.events)).join('\n'),
        1,
      );
    events = parseEvents(loaded.value, registry);
    if (!events.ok)
      return fail(
        io,
        events.problems.map((problem) => formatProblem(problem, options.events)).join('\n'),
        1,
      );
  }
  const sandbox = new IsolateHost();
  try {
    const run = await runOffline(checked.document, events.events, { registry, sandbox, validator });
    const all: OfflineStep[] = [
      { index: 0, origin: 'input', label: 'initialize', result: run.initialized },
      ...run.steps,
    ];
    const where = placeInFile(codeLocator(documentText.text, checked.document));
    if (options.json) {
      io.out(
        JSON.stringify(
          {
            events: all.map((step) => stepJson(step, documentFile, where)),
            document: run.document,
            blueId: run.blueId,
          },
          null,
          2,
        ),
      );
    } else {
      for (const step of all) io.out(describeStep(step, documentFile, where));
      io.out(
        `\nfinal document:\n${stringify(run.document, { lineWidth: 0 })}blueId: ${run.blueId}`,
      );
    }
    return all.some((step) => step.result.status.kind === 'rejected') ? 1 : 0;
  } finally {
    await sandbox.close();
  }
}

function fail(io: CliIo, message: string, code: ExitCode): ExitCode {
  io.err(message);
  return code;
}

/** Where a rejection's place in a step's code is in the file, and its reason without it. */
type PlaceInFile = (
  result: ProcessResult,
) => { position: SourcePosition; message: string } | undefined;

function placeInFile(locate: CodeLocator): PlaceInFile {
  return (result) => {
    const { status } = result;
    if (status.kind !== 'rejected' || status.pointer === undefined) return undefined;
    if (status.location === undefined) return undefined;
    const { line, col } = status.location;
    const position = locate(status.pointer, line, col);
    if (position === undefined) return undefined;
    // The file's position replaces the code's: `step X: line 3:7: …` reads `step X: …`.
    return { position, message: status.reason.replace(locationPrefix(status.location), '') };
  };
}

function stepJson(step: OfflineStep, file: string, where: PlaceInFile) {
  const { result } = step;
  const place = where(result);
  return {
    index: step.index,
    event: step.label,
    status: result.status,
    ...(place === undefined ? {} : { source: { file, ...place.position } }),
    patches: result.patches,
    emitted: result.emitted,
    gas: result.gas,
    skipped: result.skipped,
  };
}

function describeStep(step: OfflineStep, file: string, where: PlaceInFile): string {
  const lines = [
    step.origin === 'processor'
      ? `  ↳ ${step.label}: ${statusText(step.result)} · gas ${step.result.gas}`
      : step.label === 'initialize'
        ? `initialize: ${statusText(step.result)} · gas ${step.result.gas}`
        : `event ${step.index} (${step.label}): ${statusText(step.result)} · gas ${step.result.gas}`,
  ];
  const place = where(step.result);
  if (place !== undefined)
    lines.push(`  ${file}:${place.position.line}:${place.position.col}: ${place.message}`);
  for (const skip of step.result.skipped) lines.push(`  skipped ${skip}`);
  for (const patch of step.result.patches) {
    lines.push(
      `  patch ${patch.op} ${patch.path}${patch.val === undefined ? '' : ` = ${JSON.stringify(patch.val)}`}`,
    );
  }
  for (const event of step.result.emitted) lines.push(`  emit ${JSON.stringify(event)}`);
  return lines.join('\n');
}

function statusText(result: ProcessResult): string {
  const { status } = result;
  if (status.kind === 'ok') return 'ok';
  if (status.kind === 'terminated') return `terminated (${status.cause}): ${status.reason}`;
  const event = status.event ? ` → ${JSON.stringify(status.event as JsonObject)}` : '';
  return `rejected ${status.code}: ${status.reason}${event}`;
}
