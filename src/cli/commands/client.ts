import { loadYaml } from '../../model/load-yaml.js';
import type { JsonValue } from '../../model/json.js';
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
  return request('/blue', text, 'application/yaml', options, env, io, whole ? undefined : summary);
}

/**
 * The lines an author needs after a post: the document id (for GET /blue/{id} and the
 * history), its status and processor id where it has them, and each participant's timeline
 * (for `paydoc submit`).
 */
export function summary(answerJson: string): string {
  const document = JSON.parse(answerJson) as JsonValue;
  if (!isJsonObject(document)) return answerJson;
  const contracts = isJsonObject(document.contracts) ? document.contracts : {};
  const initialized = Object.hasOwn(contracts, 'initialized') ? contracts.initialized : undefined;
  const lines = [
    `document ${String(scalarOf(isJsonObject(initialized) ? initialized.documentId : undefined) ?? '?')}`,
  ];
  for (const field of ['type', 'status', 'paymentProcessorId']) {
    const value = Object.hasOwn(document, field) ? simplify(document[field] ?? null) : undefined;
    if (value !== undefined && value !== null)
      lines.push(`  ${field}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
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
  const body =
    isJsonObject(loaded.value) && 'message' in loaded.value
      ? loaded.value
      : { message: loaded.value };
  return request(
    `/timelines/${encodeURIComponent(timelineId)}/entries`,
    JSON.stringify(body),
    'application/json',
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

/** The server's base URL: `--url`, else PAYDOC_URL, else the default of `paydoc serve`. */
export function serverUrl(options: { url?: string }, env: NodeJS.ProcessEnv): string {
  return options.url ?? env.PAYDOC_URL ?? 'http://127.0.0.1:3000';
}

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
  { ok: true; status: number; text: string } | { ok: false; message: string };

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
    return { ok: true, status: response.status, text: await response.text() };
  } catch (error) {
    return { ok: false, message: `cannot reach ${base}: ${(error as Error).message}` };
  }
}

async function request(
  path: string,
  body: string,
  contentType: string,
  options: ClientOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
  show?: (answerJson: string) => string,
): Promise<ExitCode> {
  const base = serverUrl(options, env);
  const key = options.key ?? env.PAYDOC_API_KEY;
  if (key === undefined || key === '') {
    io.err('an API key is needed: --key <key> or PAYDOC_API_KEY');
    return 2;
  }
  const answer = await callServer(base, {
    method: 'POST',
    path,
    key,
    accept: options.json === true || show !== undefined ? 'application/json' : 'application/yaml',
    body: { text: body, contentType },
    idempotencyKey: options.idempotencyKey,
  });
  if (!answer.ok) {
    io.err(answer.message);
    return 2;
  }
  const ok = answer.status >= 200 && answer.status < 300;
  if (ok) io.out(show === undefined ? answer.text : show(answer.text));
  else io.err(`HTTP ${answer.status}\n${answer.text}`);
  return ok ? 0 : 1;
}
