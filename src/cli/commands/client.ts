import { loadYaml } from '../../model/load-yaml.js';
import { isJsonObject } from '../../model/json.js';
import type { CliIo, ExitCode } from '../io.js';
import { readTextFile } from '../io.js';

export interface ClientOptions {
  url?: string;
  key?: string;
  json?: boolean;
  idempotencyKey?: string;
}

/** `paydoc post <document>`: POST /blue, printing the document the server answers. */
export async function postCommand(
  file: string,
  options: ClientOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const text = readOrSay(file, io);
  if (text === undefined) return 2;
  return request('/blue', text, 'application/yaml', options, env, io);
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

async function request(
  path: string,
  body: string,
  contentType: string,
  options: ClientOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const base = options.url ?? env.PAYDOC_URL ?? 'http://127.0.0.1:3000';
  const key = options.key ?? env.PAYDOC_API_KEY;
  if (key === undefined || key === '') {
    io.err('an API key is needed: --key <key> or PAYDOC_API_KEY');
    return 2;
  }
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': contentType,
        accept: options.json ? 'application/json' : 'application/yaml',
        ...(options.idempotencyKey === undefined
          ? {}
          : { 'idempotency-key': options.idempotencyKey }),
      },
      body,
    });
  } catch (error) {
    io.err(`cannot reach ${base}: ${(error as Error).message}`);
    return 2;
  }
  const text = await response.text();
  if (response.ok) io.out(text);
  else io.err(`HTTP ${response.status}\n${text}`);
  return response.ok ? 0 : 1;
}
