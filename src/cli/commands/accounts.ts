import type { CliIo, ExitCode } from '../io.js';
import type { ServerCall } from './client.js';
import { callServer, serverUrl } from './client.js';

/** Options of every `paydoc accounts` command: they are HTTP clients of the server. */
export interface AccountsOptions {
  url?: string;
  key?: string;
  json?: boolean;
  idempotencyKey?: string;
}

type Json = Record<string, unknown>;

/** Whose key a command needs: the operator's (accounts) or an account's own (me, keys). */
type KeyKind = 'operator' | 'account';

const KEY_SOURCES: Record<KeyKind, { env: 'PAYDOC_ADMIN_KEY' | 'PAYDOC_API_KEY'; what: string }> = {
  operator: { env: 'PAYDOC_ADMIN_KEY', what: 'the operator key' },
  account: { env: 'PAYDOC_API_KEY', what: 'an API key' },
};

/**
 * `paydoc accounts create <email>` (POST /accounts, operator key): an account with its
 * timeline and a key, or one more key for an account that has the email. `--json` prints
 * `{accountId, email, timelineId, apiKey, keyId, created}`.
 */
export async function createAccountCommand(
  email: string,
  options: AccountsOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const answer = await call('operator', options, env, io, {
    method: 'POST',
    path: '/accounts',
    body: JSON.stringify({ email }),
    idempotencyKey: options.idempotencyKey,
  });
  if (typeof answer === 'number') return answer;
  const account = answer.json.account as Json;
  const key = answer.json.key as Json;
  const apiKey = answer.json.apiKey as string | null;
  const created = answer.status === 201;
  if (options.json)
    io.out(
      JSON.stringify({
        accountId: account.id,
        email: account.email,
        timelineId: account.timelineId,
        apiKey,
        keyId: key.id,
        created,
      }),
    );
  else
    io.out(
      [
        `account ${String(account.id)} (${String(account.email)}), timeline ${String(account.timelineId)}${created ? '' : ' (existing account: one more key)'}`,
        `API key: ${apiKey ?? notShownAgain(key)}`,
        `key ${String(key.id)} (shown once: only its hash is stored)`,
      ].join('\n'),
    );
  return 0;
}

/** `paydoc accounts list` (GET /accounts, operator key): one page, `--after` for the next. */
export async function listAccountsCommand(
  options: AccountsOptions & { after?: string; limit?: string },
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const query = new URLSearchParams();
  if (options.after !== undefined) query.set('after', options.after);
  if (options.limit !== undefined) query.set('limit', options.limit);
  const suffix = query.size > 0 ? `?${query.toString()}` : '';
  const answer = await call('operator', options, env, io, {
    method: 'GET',
    path: `/accounts${suffix}`,
  });
  if (typeof answer === 'number') return answer;
  if (options.json) {
    io.out(answer.text);
    return 0;
  }
  const lines = (answer.json.accounts as Json[]).map(
    (account) =>
      `${String(account.id)}  ${String(account.email)}  ${String(account.timelineId)}  ${when(account.createdAt)}`,
  );
  if (typeof answer.json.next === 'string')
    lines.push(`more: paydoc accounts list --after ${answer.json.next}`);
  io.out(lines.length === 0 ? 'no accounts' : lines.join('\n'));
  return 0;
}

/** `paydoc accounts me` (GET /accounts/me): the key's own account. */
export async function meCommand(
  options: AccountsOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const answer = await call('account', options, env, io, { method: 'GET', path: '/accounts/me' });
  if (typeof answer === 'number') return answer;
  const account = answer.json;
  io.out(
    options.json
      ? answer.text
      : `account ${String(account.id)} (${String(account.email)}), timeline ${String(account.timelineId)}`,
  );
  return 0;
}

/** `paydoc accounts timelines` (GET /accounts/me/timelines): each with its documents. */
export async function timelinesCommand(
  options: AccountsOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const answer = await call('account', options, env, io, {
    method: 'GET',
    path: '/accounts/me/timelines',
  });
  if (typeof answer === 'number') return answer;
  return printRows(answer, 'timelines', options, io, (timeline) => {
    const documents = timeline.documentIds as string[];
    return `${String(timeline.id)}  head ${String(timeline.headSequence)}  documents: ${documents.length === 0 ? 'none' : documents.join(', ')}`;
  });
}

/** `paydoc accounts keys create` (POST /accounts/me/keys): a new key, shown once. */
export async function createKeyCommand(
  options: AccountsOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const answer = await call('account', options, env, io, {
    method: 'POST',
    path: '/accounts/me/keys',
    body: '{}',
    idempotencyKey: options.idempotencyKey,
  });
  if (typeof answer === 'number') return answer;
  const key = answer.json.key as Json;
  const apiKey = answer.json.apiKey as string | null;
  io.out(
    options.json
      ? answer.text
      : `API key: ${apiKey ?? notShownAgain(key)}\nkey ${String(key.id)} (shown once: only its hash is stored)`,
  );
  return 0;
}

/** `paydoc accounts keys [list]` (GET /accounts/me/keys): id, hint, created, revoked. */
export async function listKeysCommand(
  options: AccountsOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const answer = await call('account', options, env, io, {
    method: 'GET',
    path: '/accounts/me/keys',
  });
  if (typeof answer === 'number') return answer;
  return printRows(
    answer,
    'keys',
    options,
    io,
    (key) =>
      `${String(key.id)}  ${hintOf(key)}  created ${when(key.createdAt)}  ${key.revokedAt === null ? 'active' : `revoked ${when(key.revokedAt)}`}`,
  );
}

/** A list answer: the server's JSON with --json, else one line per item (or `no <field>`). */
function printRows(
  answer: { text: string; json: Json },
  field: string,
  options: AccountsOptions,
  io: CliIo,
  row: (item: Json) => string,
): ExitCode {
  if (options.json) {
    io.out(answer.text);
    return 0;
  }
  const lines = (answer.json[field] as Json[]).map(row);
  io.out(lines.length === 0 ? `no ${field}` : lines.join('\n'));
  return 0;
}

/** `paydoc accounts keys revoke <id>` (DELETE /accounts/me/keys/{id}). */
export async function revokeKeyCommand(
  id: string,
  options: AccountsOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<ExitCode> {
  const answer = await call('account', options, env, io, {
    method: 'DELETE',
    path: `/accounts/me/keys/${encodeURIComponent(id)}`,
  });
  if (typeof answer === 'number') return answer;
  const key = answer.json;
  io.out(
    options.json
      ? answer.text
      : `revoked key ${String(key.id)} (${hintOf(key)}) at ${when(key.revokedAt)}`,
  );
  return 0;
}

/**
 * Calls the server with the operator's or the account's key and reads a JSON answer; on
 * failure the exit code, once the reason was said (1 for an HTTP error, 2 for usage or an
 * unreachable server).
 */
async function call(
  kind: KeyKind,
  options: AccountsOptions,
  env: NodeJS.ProcessEnv,
  io: CliIo,
  request: Omit<ServerCall, 'key' | 'accept' | 'body'> & { body?: string },
): Promise<{ status: number; text: string; json: Json } | ExitCode> {
  const source = KEY_SOURCES[kind];
  const key = options.key ?? env[source.env];
  if (key === undefined || key === '') {
    io.err(`${source.what} is needed: --key <key> or ${source.env}`);
    return 2;
  }
  const base = serverUrl(options, env);
  const { body, ...rest } = request;
  const answer = await callServer(base, {
    ...rest,
    key,
    accept: 'application/json',
    ...(body === undefined ? {} : { body: { text: body, contentType: 'application/json' } }),
  });
  if (!answer.ok) {
    io.err(answer.message);
    return 2;
  }
  if (answer.status < 200 || answer.status >= 300) {
    io.err(`HTTP ${answer.status}\n${answer.text}`);
    return 1;
  }
  let json: Json;
  try {
    json = JSON.parse(answer.text) as Json;
  } catch {
    io.err(`${base} answered HTTP ${answer.status} with something that is not JSON`);
    return 1;
  }
  return { status: answer.status, text: answer.text, json };
}

function when(millis: unknown): string {
  return typeof millis === 'number' ? new Date(millis).toISOString() : '-';
}

function hintOf(key: Json): string {
  return typeof key.hint === 'string' ? `…${key.hint}` : '(no hint)';
}

function notShownAgain(key: Json): string {
  return `(not shown again: this answer is a replay; revoke ${String(key.id)} if the key was lost)`;
}
