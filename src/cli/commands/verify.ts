import { writeFileSync } from 'node:fs';
import type { ExportBundle } from '../../engine/bundle-format.js';
import type { VerifyReport } from '../../engine/verify-bundle.js';
import { verifyBundle, verifyExtends } from '../../engine/verify-bundle.js';
import type { JsonObject, JsonValue } from '../../model/json.js';
import { isJsonObject } from '../../model/json.js';
import { IsolateHost } from '../../sandbox/isolate-host.js';
import type { CliIo, ExitCode } from '../io.js';
import { readTextFile } from '../io.js';
import { callServer, serverUrl } from './client.js';
import { explainBundle } from './explain-bundle.js';

export interface VerifyOptions {
  previous?: string;
  explain?: boolean;
  keys?: string;
  json?: boolean;
}

/**
 * `paydoc verify <bundle>`: verifies an export bundle offline, with no server (verify-bundle.ts
 * says what is checked). Prints a summary, or the first divergence: the check, the place in the
 * bundle, the input and where the states differ. Exit 0 when it verifies, 1 when it does not,
 * 2 when a file cannot be read. `--previous <older>` also proves the bundle extends an older
 * one; `--explain` tells the story; `--keys <file>` (the server's /.well-known/paydoc/keys,
 * saved) accepts only those keys.
 */
export async function verifyCommand(
  file: string,
  options: VerifyOptions,
  io: CliIo,
): Promise<ExitCode> {
  const bundle = readJson(file, io);
  if (bundle === undefined) return 2;
  const older = options.previous === undefined ? null : readJson(options.previous, io);
  if (older === undefined) return 2;
  let trustedKeys: Set<string> | undefined;
  if (options.keys !== undefined) {
    const published = readJson(options.keys, io);
    if (published === undefined) return 2;
    trustedKeys = keyIdsOf(published);
  }
  const sandbox = new IsolateHost();
  let report: VerifyReport;
  try {
    const verify = { sandbox, ...(trustedKeys === undefined ? {} : { trustedKeys }) };
    report =
      older === null
        ? await verifyBundle(bundle, verify)
        : await verifyExtends(bundle, older, verify);
  } finally {
    await sandbox.close();
  }
  if (options.json === true) {
    io.out(
      JSON.stringify(
        report.ok
          ? { ok: true, summary: report.summary }
          : { ok: false, divergence: report.divergence },
        null,
        2,
      ),
    );
    return report.ok ? 0 : 1;
  }
  if (!report.ok) {
    const { divergence } = report;
    io.err(
      [
        `${file}: does not verify (${divergence.check})`,
        `  ${divergence.message}`,
        `  at ${divergence.at || '/'}${divergence.version === undefined ? '' : ` (input ${divergence.version})`}`,
        ...(divergence.pointer === undefined ? [] : [`  differs at ${divergence.pointer || '/'}`]),
      ].join('\n'),
    );
    return 1;
  }
  const { summary } = report;
  if (options.explain === true) io.out(explainBundle(report.bundle));
  io.out(
    [
      `${file}: verified${older === null ? '' : `, and it extends ${options.previous ?? ''}`}`,
      `  document  ${summary.documentId} (version ${summary.version})`,
      `  inputs    ${summary.inputs} (${summary.answers} answers of the payment processor), every result replayed`,
      `  timelines ${summary.timelines}, ${summary.entries} entries, each signed and proved in its checkpoint`,
      `  signatures ${summary.signatures} by the server (keys ${summary.keys.join(', ') || 'none'}), ${summary.cosignatures} co-signatures`,
      `  blueId    ${summary.blueId}`,
      ...(summary.pinned
        ? []
        : [
            "  keys      taken from the bundle itself: compare them with the server's /.well-known/paydoc/keys, or pass --keys",
          ]),
    ].join('\n'),
  );
  return 0;
}

export interface ExportOptions {
  url?: string;
  key?: string;
  output?: string;
  previous?: string;
  inputs?: string;
}

/**
 * `paydoc export <documentId>`: the document's export bundle (GET /blue/{id}/export), to a file
 * (`-o`) or standard output. `--previous <older bundle>` asks for the consistency proofs from
 * the older bundle's checkpoints; `--inputs <file>` also writes the bundle's inputs as a
 * `paydoc run` events file (the genesis is `genesis` in the bundle).
 */
export async function exportCommand(
  documentId: string,
  options: ExportOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const key = options.key ?? env.PAYDOC_API_KEY;
  if (key === undefined || key === '') {
    io.err('an API key is needed: --key <key> or PAYDOC_API_KEY');
    return 2;
  }
  let query = '';
  if (options.previous !== undefined) {
    const older = readJson(options.previous, io);
    if (older === undefined) return 2;
    const sizes = isJsonObject(older as JsonValue) ? (older as JsonObject).timelines : undefined;
    const list = (Array.isArray(sizes) ? sizes : [])
      .filter(isJsonObject)
      .map((timeline) => `${String(timeline.timelineId)}:${String(timeline.size)}`);
    if (list.length > 0) query = `?previous=${encodeURIComponent(list.join(','))}`;
  }
  const answer = await callServer(serverUrl(options, env), {
    method: 'GET',
    path: `/blue/${encodeURIComponent(documentId)}/export${query}`,
    key,
    accept: 'application/json',
  });
  if (!answer.ok) {
    io.err(answer.message);
    return 2;
  }
  if (answer.status !== 200) {
    io.err(`HTTP ${answer.status}\n${answer.text}`);
    return 1;
  }
  const bundle = JSON.parse(answer.text) as ExportBundle;
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  if (options.output === undefined) io.out(text);
  else writeFileSync(options.output, text);
  if (options.inputs !== undefined)
    writeFileSync(options.inputs, `${JSON.stringify(bundleEvents(bundle), null, 2)}\n`);
  if (options.output !== undefined)
    io.err(
      `${documentId}: ${bundle.inputs.length} inputs, version ${bundle.final.version} → ${options.output}`,
    );
  return 0;
}

/**
 * A bundle's inputs as a `paydoc run` events file (docs/events-file.md): the creation time,
 * then each input as recorded (an entry as the server stamped it, a timer tick, a REST call
 * with who made it). The processor's answers are not inputs: `paydoc run` gives them again.
 */
export function bundleEvents(bundle: ExportBundle): JsonValue[] {
  const events: JsonValue[] = [];
  for (const input of bundle.inputs) {
    if (input.origin !== 'input') continue;
    const event = input.event;
    switch (event.kind) {
      case 'initialize':
        events.push({ created: input.at });
        break;
      case 'timeline':
        if (isJsonObject(event.entry)) events.push(event.entry);
        break;
      case 'timer':
        events.push({ timer: input.at });
        break;
      case 'direct':
        events.push({
          channel: event.channel ?? null,
          event: event.event ?? null,
          timestamp: input.at,
          ...(event.by === undefined ? {} : { by: event.by }),
        });
        break;
    }
  }
  return events;
}

function readJson(file: string, io: CliIo): unknown {
  const read = readTextFile(file);
  if (!read.ok) {
    io.err(read.message);
    return undefined;
  }
  try {
    return JSON.parse(read.text) as unknown;
  } catch (error) {
    io.err(`${file}: not JSON: ${(error as Error).message}`);
    return undefined;
  }
}

/** The key ids of a saved /.well-known/paydoc/keys answer (or a bare list of keys). */
function keyIdsOf(published: unknown): Set<string> {
  const list = isJsonObject(published as JsonValue)
    ? (published as JsonObject).keys
    : (published as JsonValue);
  return new Set(
    (Array.isArray(list) ? list : [])
      .filter(isJsonObject)
      .map((key) => key.keyId)
      .filter((id): id is string => typeof id === 'string'),
  );
}
