import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { AccountRecord, ApiKeyInfo } from '../store/store-records.js';
import type { IdempotencyClaim, Job } from './commit-queue.js';
import type { Outcome, Reply } from './outcome.js';
import { failure } from './outcome.js';
import type { WorkingSet } from './working-set.js';

/**
 * The operator's account: its key creates and lists accounts (`POST /accounts`). It is made
 * on the first start (`paydoc serve`), with a random key printed once or `PAYDOC_ADMIN_KEY`.
 */
export const OPERATOR_ACCOUNT: AccountRecord = {
  id: 'acct_operator',
  email: 'operator@paydoc.internal',
  timelineId: 'tl_operator',
  createdAt: 0,
};

/** The domain of the server's own accounts (processor, operator): no one else may take it. */
const INTERNAL_DOMAIN = '@paydoc.internal';
const MAX_EMAIL_LENGTH = 254;

/** Whatever queues jobs into commit groups (a DocumentEngine). */
export interface JobWriter {
  write<T>(job: Job<T>): Promise<Reply>;
}

/** How an operation's outcome becomes a reply (the HTTP layer's mapping). */
export type Respond<T> = (outcome: Outcome<T>) => Reply;

/** A created key as the reply is built from it: never the key itself. */
export interface KeyCreated {
  key: ApiKeyInfo;
}

/** A created (or found) account and the key made for it. */
export interface AccountCreated extends KeyCreated {
  account: AccountRecord;
  /** false when the email had an account already (it got one more key). */
  created: boolean;
}

/**
 * The answer to an operation that makes a key: the reply (the one an Idempotency-Key stores
 * and replays, so it holds no key) and the key itself, present only when this very call made
 * it. A key is shown once: neither the key table (hashes) nor a stored reply ever holds it.
 */
export interface KeyReply {
  reply: Reply;
  apiKey?: string;
}

/** An account and one of its keys, in full (tests, the first start). */
export interface NewAccount {
  account: AccountRecord;
  apiKey: string;
  key: ApiKeyInfo;
  created: boolean;
}

/** A new API key: 192 random bits, prefixed so that a leaked key is easy to recognise. */
export function newApiKey(): string {
  return `pd_test_${randomBytes(24).toString('base64url')}`;
}

/** Keys are stored as their SHA-256: a leaked database does not leak usable keys. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What is shown of a stored key to tell it apart: its last four characters. */
export function keyHint(key: string): string {
  return key.slice(-4);
}

export function isOperator(accountId: string): boolean {
  return accountId === OPERATOR_ACCOUNT.id;
}

/** Why `email` cannot name a new account, or undefined when it can. */
export function emailProblem(email: unknown): string | undefined {
  if (email === undefined) return 'email is required';
  if (typeof email !== 'string') return 'email must be text';
  if (email.length > MAX_EMAIL_LENGTH || !/^[^\s@]+@[^\s@]+$/.test(email))
    return `${JSON.stringify(email.slice(0, 80))} is not an email address`;
  if (email.toLowerCase().endsWith(INTERNAL_DOMAIN))
    return `${INTERNAL_DOMAIN} is reserved for the server's own accounts`;
  return undefined;
}

/** Creates an account with its own timeline (inside a job). */
export function addAccount(set: WorkingSet, email: string, at: number): AccountRecord {
  const account: AccountRecord = {
    id: `acct_${randomBytes(10).toString('hex')}`,
    email,
    timelineId: `tl_${randomBytes(10).toString('hex')}`,
    createdAt: at,
  };
  set.addAccount(account);
  set.createTimeline(account.timelineId, account.id, at);
  return account;
}

/** Gives an account a key (a new random one unless `apiKey` is given), stored hashed. */
export function addApiKey(
  set: WorkingSet,
  accountId: string,
  at: number,
  apiKey: string = newApiKey(),
): { key: ApiKeyInfo; apiKey: string } {
  const key: ApiKeyInfo = {
    id: `key_${randomBytes(10).toString('hex')}`,
    accountId,
    hint: keyHint(apiKey),
    createdAt: at,
    revokedAt: null,
  };
  set.addApiKey({
    id: key.id,
    keyHash: hashApiKey(apiKey),
    accountId,
    hint: key.hint,
    createdAt: at,
  });
  return { key, apiKey };
}

/**
 * The operator creates an account for `email` (with its timeline) and a key for it; an email
 * that has an account gets one more key for it (`created: false`).
 */
export async function createAccount(
  writer: JobWriter,
  actorId: string,
  email: unknown,
  respond: Respond<AccountCreated>,
  options: { idempotency?: IdempotencyClaim | undefined; apiKey?: string } = {},
): Promise<KeyReply> {
  let made: string | undefined;
  const reply = await writer.write<AccountCreated>({
    idempotency: options.idempotency,
    key: 'accounts',
    lane: actorId,
    respond,
    work: async (set, at) => {
      if (!isOperator(actorId))
        return failure('operator_only', 'only the operator key may create accounts');
      const problem = emailProblem(email);
      if (problem !== undefined) return failure('invalid_request', problem, '/email');
      const address = email as string;
      const existing = await set.accountByEmail(address);
      const account = existing ?? addAccount(set, address, at);
      const { key, apiKey } = addApiKey(set, account.id, at, options.apiKey);
      made = apiKey;
      return { ok: true, value: { account, key, created: existing === undefined } };
    },
  });
  return withKey(reply, made);
}

/** A new key for the caller's own account. */
export async function createApiKey(
  writer: JobWriter,
  accountId: string,
  respond: Respond<KeyCreated>,
  idempotency?: IdempotencyClaim,
): Promise<KeyReply> {
  let made: string | undefined;
  const reply = await writer.write<KeyCreated>({
    idempotency,
    key: `keys ${accountId}`,
    lane: accountId,
    respond,
    work: async (set, at) => {
      if ((await set.accountById(accountId)) === undefined)
        return failure('not_found', `no account ${accountId}`);
      const { key, apiKey } = addApiKey(set, accountId, at);
      made = apiKey;
      return { ok: true, value: { key } };
    },
  });
  return withKey(reply, made);
}

/**
 * Revokes one of the caller's own keys; from then on it never authenticates. Another
 * account's key reads exactly like an unknown one (404). Revoking a revoked key changes
 * nothing and answers it as it is.
 */
export function revokeApiKey(
  writer: JobWriter,
  accountId: string,
  keyId: string,
  respond: Respond<ApiKeyInfo>,
): Promise<Reply> {
  return writer.write<ApiKeyInfo>({
    key: `keys ${accountId}`,
    lane: accountId,
    respond,
    work: async (set, at) => {
      const key = (await set.apiKeys(accountId)).find((candidate) => candidate.id === keyId);
      if (key === undefined) return failure('not_found', `no key ${keyId}`, 'id');
      if (key.revokedAt !== null) return { ok: true, value: key };
      set.revokeApiKey({ id: key.id, accountId, revokedAt: at });
      return { ok: true, value: { ...key, revokedAt: at } };
    },
  });
}

/** One page of every account, for the operator: ordered by id, `next` is the cursor or null. */
export async function listAccounts(
  store: Pick<Store, 'accounts'>,
  actorId: string,
  after: string | undefined,
  limit: number,
): Promise<Outcome<{ accounts: AccountRecord[]; next: string | null }>> {
  if (!isOperator(actorId))
    return failure('operator_only', 'only the operator key may list accounts');
  const page = await store.accounts(after, limit + 1);
  const accounts = page.slice(0, limit);
  return {
    ok: true,
    value: { accounts, next: page.length > limit ? (accounts.at(-1)?.id ?? null) : null },
  };
}

/**
 * Inside a job on start: makes sure the operator account exists and, when `adminKey` is
 * given, that it is one of the operator's keys. Resolves with the key it added: a new random
 * one when it created the account without `adminKey`, `adminKey` when that was not yet a key.
 * A key that was revoked cannot come back: its commit is refused (`store_conflict`).
 */
export async function ensureOperator(
  set: WorkingSet,
  store: Pick<Store, 'accountByKeyHash'>,
  at: number,
  adminKey?: string,
): Promise<Outcome<string | undefined>> {
  let operator = await set.accountById(OPERATOR_ACCOUNT.id);
  const created = operator === undefined;
  if (operator === undefined) {
    operator = { ...OPERATOR_ACCOUNT, createdAt: at };
    set.addAccount(operator);
    set.createTimeline(operator.timelineId, operator.id, at);
  }
  if (adminKey === undefined)
    return { ok: true, value: created ? addApiKey(set, operator.id, at).apiKey : undefined };
  const holder = await store.accountByKeyHash(hashApiKey(adminKey));
  if (holder?.id === operator.id) return { ok: true, value: undefined };
  if (holder !== undefined)
    return failure('invalid_request', `the operator key given is a key of ${holder.id}`);
  return { ok: true, value: addApiKey(set, operator.id, at, adminKey).apiKey };
}

/** The key goes with the reply only when this call made it (not on a replay or a failure). */
function withKey(reply: Reply, apiKey: string | undefined): KeyReply {
  return apiKey !== undefined && reply.statusCode < 300 ? { reply, apiKey } : { reply };
}
