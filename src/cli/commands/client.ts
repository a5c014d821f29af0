import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../../errors/problem.js';
import type { CodeLocator } from '../../model/code-position.js';
import { codeLocator } from '../../model/code-position.js';
import { getAtPointer } from '../../model/json-pointer.js';
import { loadDocument } from '../../validation/check-document.js';
import { loadYaml } from '../../model/load-yaml.js';
import type { JsonObject, JsonValue } from '../../model/json.js';
import { isJsonObject } from '../../model/json.js';
import { scalarOf, simplify } from '../../model/node.js';
import type { CliIo, ExitCode } from '../io.js';
import { readTextFile } from '../io.js';

export interface ClientOptions {
  url?: string;
  key?: string;
  json?: boolean;
  yaml?: boolean;
  idempotencyKey?: string;
  /** `post --quiet`: print only the new document's id (for scripts: `DOC=$(paydoc post … -q)`). */
  quiet?: boolean;
  /** `get --pointer /x`: print only the value at a JSON pointer of the state. */
  pointer?: string;
  /** `history --source file.yaml`: place script errors at their line:col in the posted file. */
  source?: string;
}

/**
 * `paydoc post <document>`: POST /blue. Prints a summary of the document the server made (its
 * id, the next command's argument, first), or the whole document with `--yaml`/`--json`.
 */
export async function postCommand(
  file: string,
  options: ClientOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const text = readOrSay(file, io);
  if (text === undefined) return 2;
  const whole = options.json === true || options.yaml === true;
  return request(
    { method: 'POST', path: '/blue', body: { text, contentType: 'application/yaml' } },
    options,
    env,
    io,
    options.quiet === true
      ? (answerJson) => valueAt(answerJson, '/contracts/initialized/documentId')
      : whole
        ? undefined
        : (answerJson) => summary(answerJson),
  );
}

/**
 * The lines an author needs after a post: the document id (for GET /blue/{id} and the
 * history), its status and processor id where it has them, and each participant's timeline
 * (for `paydoc submit`). `paydoc get` adds the state's BlueId (its ETag) and every field whose
 * value is a scalar, so the state reads at a glance.
 */
export function summary(
  answerJson: string,
  more: { blueId?: string | undefined; allFields?: boolean } = {},
): string {
  const document = JSON.parse(answerJson) as JsonValue;
  if (!isJsonObject(document)) return answerJson;
  const contracts = isJsonObject(document.contracts) ? document.contracts : {};
  const initialized = Object.hasOwn(contracts, 'initialized') ? contracts.initialized : undefined;
  const lines = [
    `document ${String(scalarOf(isJsonObject(initialized) ? initialized.documentId : undefined) ?? '?')}`,
  ];
  if (more.blueId !== undefined) lines.push(`  blueId: ${more.blueId}`);
  const fields =
    more.allFields === true
      ? Object.keys(document).filter((key) => key !== 'contracts')
      : ['type', 'status', 'paymentProcessorId'];
  for (const field of fields) {
    const value = Object.hasOwn(document, field) ? simplify(document[field] ?? null) : undefined;
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') lines.push(`  ${field}: ${value}`);
    else if (Array.isArray(value)) lines.push(`  ${field}: ${value.length} items`);
    else if (!isJsonObject(value) || field === 'type')
      lines.push(`  ${field}: ${JSON.stringify(value)}`);
  }
  const timelines = Object.keys(contracts).flatMap((key) => {
    const contract = contracts[key];
    const timelineId = isJsonObject(contract) ? scalarOf(contract.timelineId) : undefined;
    return typeof timelineId === 'string' ? [`    ${key}: ${timelineId}`] : [];
  });
  if (timelines.length > 0) lines.push('  timelines:', ...timelines);
  return lines.join('\n');
}

/**
 * `paydoc get <documentId>`: GET /blue/{id}, the document's current state: a summary, or the
 * whole document with `--json`/`--yaml`.
 */
export async function getCommand(
  documentId: string,
  options: ClientOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const whole = options.json === true || options.yaml === true;
  const pointer = options.pointer;
  return request(
    { method: 'GET', path: `/blue/${encodeURIComponent(documentId)}` },
    options,
    env,
    io,
    pointer !== undefined
      ? (answerJson) => valueAt(answerJson, pointer)
      : whole
        ? undefined
        : (answerJson, etag) =>
            summary(answerJson, {
              // The ETag is the state's BlueId, quoted as HTTP quotes entity tags.
              blueId: etag === null ? undefined : etag.replace(/^"|"$/g, ''),
              allFields: true,
            }),
  );
}

/**
 * `paydoc history <documentId>`: GET /blue/{id}/history, one line per processed event (its
 * version, time, what it was and its status, with the patches and emitted events counted), or
 * the server's answer whole with `--json`.
 */
export async function historyCommand(
  documentId: string,
  options: ClientOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  let locate: CodeLocator | undefined;
  if (options.source !== undefined) {
    const text = readOrSay(options.source, io);
    if (text === undefined) return 2;
    const loaded = loadDocument(text);
    if (!loaded.ok) {
      io.err(loaded.problems.map((problem) => formatProblem(problem, options.source)).join('\n'));
      return 1;
    }
    locate = codeLocator(text, loaded.document);
  }
  const source = options.source;
  return request(
    { method: 'GET', path: `/blue/${encodeURIComponent(documentId)}/history` },
    { ...options, json: true },
    env,
    io,
    options.json === true
      ? undefined
      : (answerJson) =>
          historySummary(
            answerJson,
            locate === undefined || source === undefined ? undefined : { file: source, locate },
          ),
  );
}

/**
 * The value at a JSON pointer of an answer, in the simple form (`{value: 3}` is 3): text as is,
 * anything else as JSON; nothing there prints an empty line.
 */
function valueAt(answerJson: string, pointer: string): string {
  const found = getAtPointer(JSON.parse(answerJson) as JsonValue, pointer);
  if (found === undefined) return '';
  const value = simplify(found);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * `paydoc types push <file|dir…>`: POST /types for each type document (a folder: each of its
 * YAML/JSON files), printing each type's name and BlueId; a type the account already has is
 * the same type again.
 */
export async function pushTypesCommand(
  paths: string[],
  options: ClientOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  let worst: ExitCode = 0;
  for (const file of typeFiles(paths, io)) {
    const text = readOrSay(file, io);
    if (text === undefined) return 2;
    const code = await request(
      { method: 'POST', path: '/types', body: { text, contentType: 'application/yaml' } },
      options,
      env,
      io,
      options.json === true
        ? undefined
        : (answerJson) => {
            const type = JSON.parse(answerJson) as JsonObject;
            return `${String(type.qualifiedName)}  ${String(type.blueId)}  (${file})`;
          },
    );
    if (code === 2) return 2;
    if (code > worst) worst = code;
  }
  return worst;
}

function typeFiles(paths: readonly string[], io: CliIo): string[] {
  return paths.flatMap((path) => {
    try {
      if (!statSync(path).isDirectory()) return [path];
      return readdirSync(path)
        .filter((name) => /\.(ya?ml|json)$/.test(name) && name !== 'package.yaml')
        .sort()
        .map((name) => join(path, name));
    } catch {
      io.err(`${path}: no such file`);
      return [path];
    }
  });
}

/**
 * A rejected script step at its place in the author's file: the server keeps the document, not
 * the text it was posted as, so its status names the step's code (`pointer`) and the line:col
 * in that code (`location`); the author's file turns them into the file's line:col.
 */
function placeOf(status: JsonValue | undefined, source: { file: string; locate: CodeLocator }) {
  if (!isJsonObject(status) || status.kind !== 'rejected') return undefined;
  const { pointer, location } = status;
  if (typeof pointer !== 'string' || !isJsonObject(location)) return undefined;
  if (typeof location.line !== 'number' || typeof location.col !== 'number') return undefined;
  const position = source.locate(pointer, location.line, location.col);
  if (position === undefined) return undefined;
  return `${source.file}:${position.line}:${position.col}: ${String(status.reason)}`;
}

/** The lines of `paydoc history` (see {@link historyCommand}). */
export function historySummary(
  answerJson: string,
  source?: { file: string; locate: CodeLocator },
): string {
  const history = JSON.parse(answerJson) as JsonValue;
  if (!isJsonObject(history) || !Array.isArray(history.events)) return answerJson;
  const head = [
    `document ${String(history.documentId)}`,
    ...(typeof history.type === 'string' ? [history.type] : []),
    `version ${String(history.version)}`,
    `blueId ${String(history.blueId)}`,
  ].join(' · ');
  const lines = [head];
  for (const item of history.events) {
    if (!isJsonObject(item)) continue;
    const event = isJsonObject(item.event) ? item.event : {};
    const at = typeof item.at === 'number' ? new Date(item.at).toISOString() : '?';
    const parts = [`${statusLine(item.status)}`];
    const patches = Array.isArray(item.patches) ? item.patches.length : 0;
    if (patches > 0) parts.push(`${patches} patch${patches === 1 ? '' : 'es'}`);
    const emitted = Array.isArray(item.emitted) ? item.emitted : [];
    if (emitted.length > 0)
      parts.push(
        `emitted ${emitted.map((one) => (isJsonObject(one) ? typeText(one) : '?')).join(', ')}`,
      );
    lines.push(
      `  v${String(item.version)}  ${at}  ${eventText(event, item.origin === 'processor')}: ${parts.join(' · ')}`,
    );
    const place = source === undefined ? undefined : placeOf(item.status, source);
    if (place !== undefined) lines.push(`      ${place}`);
  }
  return lines.join('\n');
}

/** What a stored processor input was (see ProcessorEvent), as `paydoc run` labels events. */
function eventText(event: JsonObject, fromProcessor: boolean): string {
  switch (event.kind) {
    case 'initialize':
      return 'initialize';
    case 'timer':
      return 'timer';
    case 'timeline': {
      const entry = isJsonObject(event.entry) ? event.entry : {};
      const timeline = isJsonObject(entry.timeline) ? entry.timeline : {};
      const message = isJsonObject(entry.message) ? typeText(entry.message) : '?';
      const sequence = scalarOf(entry.sequence);
      return `${fromProcessor ? '↳ ' : ''}timeline ${String(scalarOf(timeline.timelineId) ?? '?')}${sequence === undefined ? '' : ` #${sequence}`} (${message})`;
    }
    case 'direct': {
      const message = isJsonObject(event.event) ? typeText(event.event) : '?';
      const channel = String(event.channel);
      return fromProcessor ? `↳ ${channel} ← ${message}` : `channel ${channel} (${message})`;
    }
  }
  return String(event.kind);
}

/** An event's type as written, with the operation an Operation Request calls. */
function typeText(event: JsonObject): string {
  const type = scalarOf(event.type);
  const name =
    type !== undefined
      ? String(type)
      : isJsonObject(event.type) && typeof event.type.blueId === 'string'
        ? event.type.blueId
        : '?';
  const operation = scalarOf(event.operation);
  return operation === undefined ? name : `${name} ${String(operation)}`;
}

function statusLine(status: JsonValue | undefined): string {
  if (!isJsonObject(status)) return '?';
  if (status.kind === 'rejected')
    return `rejected ${String(status.code)}: ${String(status.reason)}`;
  if (status.kind === 'terminated')
    return `terminated (${String(status.cause)}): ${String(status.reason)}`;
  return String(status.kind);
}

/**
 * `paydoc submit <timeline> <event>`: appends the event file to a timeline. The file is the
 * message itself, or `{message, sequence?, prevEntry?}`.
 */
export async function submitCommand(
  timelineId: string,
  file: string,
  options: ClientOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const text = readOrSay(file, io);
  if (text === undefined) return 2;
  const loaded = loadYaml(text);
  if (!loaded.ok) {
    // The server would say the same; say it without the round trip.
    const first = loaded.problems[0];
    io.err(
      `${file}:${first?.position?.line ?? 1}:${first?.position?.col ?? 1}: ${first?.message ?? 'invalid'}`,
    );
    return 1;
  }
  // The wrapper holds message, sequence and prevEntry only; a message may have a `message`
  // field of its own (a Chat Message), so a map with any other key is the message itself.
  const value = loaded.value;
  const wrapper =
    isJsonObject(value) &&
    Object.hasOwn(value, 'message') &&
    Object.keys(value).every((key) => ['message', 'sequence', 'prevEntry'].includes(key));
  const body = wrapper ? value : { message: value };
  return request(
    {
      method: 'POST',
      path: `/timelines/${encodeURIComponent(timelineId)}/entries`,
      body: { text: JSON.stringify(body), contentType: 'application/json' },
    },
    options,
    env,
    io,
  );
}

/** The file's text, or undefined once the reason it could not be read was said. */
function readOrSay(file: string, io: CliIo): string | undefined {
  const read = readTextFile(file);
  if (read.ok) return read.text;
  io.err(read.message);
  return undefined;
}

/**
 * The server's base URL: `--url`, else PAYDOC_URL, else where `paydoc serve` listens by
 * default (127.0.0.1 on PORT, else 3000), so one environment serves both ends.
 */
export function serverUrl(options: { url?: string }, env: NodeJS.ProcessEnv): string {
  return options.url ?? (env.PAYDOC_URL || `http://127.0.0.1:${env.PORT || '3000'}`);
}

/** What `--url` says it defaults to, in every client command's help. */
export const SERVER_URL_HELP = 'server (default $PAYDOC_URL, else http://127.0.0.1:${PORT:-3000})';

/** One HTTP call of a CLI command to the server. */
export interface ServerCall {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  key: string;
  accept: string;
  body?: { text: string; contentType: string };
  idempotencyKey?: string | undefined;
}

/** The server's answer, or why it could not be reached. */
export type ServerAnswer =
  { ok: true; status: number; text: string; etag: string | null } | { ok: false; message: string };

/** Calls the server with the key as a Bearer token. */
export async function callServer(base: string, call: ServerCall): Promise<ServerAnswer> {
  try {
    const response = await fetch(new URL(call.path, base), {
      method: call.method,
      headers: {
        authorization: `Bearer ${call.key}`,
        accept: call.accept,
        ...(call.body === undefined ? {} : { 'content-type': call.body.contentType }),
        ...(call.idempotencyKey === undefined ? {} : { 'idempotency-key': call.idempotencyKey }),
      },
      ...(call.body === undefined ? {} : { body: call.body.text }),
    });
    return {
      ok: true,
      status: response.status,
      text: await response.text(),
      etag: response.headers.get('etag'),
    };
  } catch (error) {
    return { ok: false, message: `cannot reach ${base}: ${(error as Error).message}` };
  }
}

async function request(
  call: Pick<ServerCall, 'method' | 'path' | 'body'>,
  options: ClientOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
  show?: (answerJson: string, etag: string | null) => string,
): Promise<ExitCode> {
  const base = serverUrl(options, env);
  const key = options.key ?? env.PAYDOC_API_KEY;
  if (key === undefined || key === '') {
    io.err('an API key is needed: --key <key> or PAYDOC_API_KEY');
    return 2;
  }
  const answer = await callServer(base, {
    ...call,
    key,
    accept: options.json === true || show !== undefined ? 'application/json' : 'application/yaml',
    idempotencyKey: options.idempotencyKey,
  });
  if (!answer.ok) {
    io.err(answer.message);
    return 2;
  }
  const ok = answer.status >= 200 && answer.status < 300;
  if (ok) io.out(show === undefined ? answer.text : show(answer.text, answer.etag));
  else io.err(`HTTP ${answer.status}\n${answer.text}`);
  return ok ? 0 : 1;
}
