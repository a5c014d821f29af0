import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountCreated, KeyCreated, KeyReply } from '../../engine/accounts.js';
import {
  createAccount,
  createApiKey,
  isOperator,
  listAccounts,
  revokeApiKey,
} from '../../engine/accounts.js';
import type { IdempotencyClaim } from '../../engine/commit-queue.js';
import type { KeyRegistered, ParticipantKey } from '../../engine/timeline-log.js';
import {
  MAX_PARTICIPANT_KEYS,
  participantKeyView,
  readPublicKey,
  registerParticipantKey,
} from '../../engine/timeline-log.js';
import type { Reply, ServiceError } from '../../engine/outcome.js';
import type { JsonObject } from '../../model/json.js';
import { isJsonObject } from '../../model/json.js';
import type { AccountRecord, ApiKeyInfo } from '../../store/store-records.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, responder, send, sendError, writeParts } from '../http-context.js';
import { ERROR_SCHEMA, ID_PARAMS } from '../openapi-schemas.js';
import { integerParam } from '../request-body.js';

const MILLIS = { type: 'integer', description: 'ms since the Unix epoch' } as const;

const ACCOUNT = {
  type: 'object',
  required: ['id', 'email', 'timelineId', 'createdAt'],
  properties: {
    id: { type: 'string', description: 'acct_…' },
    email: { type: 'string' },
    timelineId: { type: 'string', description: "The account's own timeline (tl_…)" },
    createdAt: MILLIS,
  },
} as const;

const KEY = {
  type: 'object',
  required: ['id', 'hint', 'createdAt', 'revokedAt'],
  properties: {
    id: { type: 'string', description: 'key_…: names the key to revoke it' },
    hint: {
      type: 'string',
      nullable: true,
      description: "The key's last four characters (null for keys made before hints)",
    },
    createdAt: MILLIS,
    revokedAt: { ...MILLIS, nullable: true, description: 'When it was revoked, else null' },
  },
} as const;

const SECRET = {
  type: 'string',
  nullable: true,
  description:
    'The API key, shown this once (only its hash is stored); null when an Idempotency-Key replays the answer',
} as const;

const ACCOUNT_WITH_KEY = {
  type: 'object',
  required: ['account', 'apiKey', 'key'],
  properties: { account: ACCOUNT, apiKey: SECRET, key: KEY },
} as const;

const NEW_KEY = {
  type: 'object',
  required: ['apiKey', 'key'],
  properties: { apiKey: SECRET, key: KEY },
} as const;

const PARTICIPANT_KEY = {
  type: 'object',
  required: ['keyId', 'publicKey', 'vkey', 'createdAt'],
  properties: {
    keyId: { type: 'string', description: 'ed25519:…, derived from the key' },
    publicKey: { type: 'string', description: 'The raw 32-byte Ed25519 public key, base64' },
    vkey: {
      type: 'string',
      description:
        'The C2SP verifier key under the key name = the account id: it opens the checkpoints this key co-signed',
    },
    createdAt: MILLIS,
  },
} as const;

const OPERATOR_ONLY: ServiceError = {
  code: 'operator_only',
  message: 'only the operator key may do this (create and list accounts)',
};

/**
 * Accounts and keys (DESIGN §8): the operator's key creates and lists accounts; every account
 * reads itself and its timelines, creates, lists and revokes its own API keys, and registers
 * the Ed25519 keys it co-signs timeline checkpoints with (participant keys, issue 13).
 */
export function accountRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post(
    '/accounts',
    {
      schema: {
        summary: 'Create an account (operator key only)',
        description:
          'Creates an account with its own timeline for `email` and a key for it: 201. An email that has an account already gets one more key for it: 200. The key is in `apiKey`, shown this once.',
        tags: ['accounts'],
        body: {
          type: 'object',
          required: ['email'],
          additionalProperties: false,
          properties: { email: { type: 'string', format: 'email' } },
        },
        response: { 201: ACCOUNT_WITH_KEY, 200: ACCOUNT_WITH_KEY, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      if (!isOperator(account.id)) return sendError(request, reply, OPERATOR_ONLY);
      const write = writeWithFields(request, reply, account, ['email']);
      if (write === undefined) return reply;
      const answer = await createAccount(
        context.engine,
        account.id,
        write.body.email,
        responder<AccountCreated>(
          (value) => (value.created ? 201 : 200),
          (value) => ({
            account: accountView(value.account),
            apiKey: null,
            key: keyView(value.key),
          }),
        ),
        { idempotency: write.claim },
      );
      return send(request, reply, withSecret(answer));
    },
  );

  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/accounts',
    {
      schema: {
        summary: 'List accounts (operator key only)',
        description:
          'Every account, ordered by id, a page at a time: pass the answer’s `next` as `after` for the next page (`next` is null on the last).',
        tags: ['accounts'],
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'string', description: 'An account id: list those after it' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['accounts', 'next'],
            properties: {
              accounts: { type: 'array', items: ACCOUNT },
              next: { type: 'string', nullable: true },
            },
          },
          '4xx': ERROR_SCHEMA,
        },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      if (!isOperator(account.id)) return sendError(request, reply, OPERATOR_ONLY);
      const limit = integerParam(request.query.limit, 'limit', 100, 1000);
      if (!limit.ok) return sendError(request, reply, limit.error);
      if (limit.value < 1)
        return sendError(request, reply, {
          code: 'invalid_request',
          message: 'limit must be an integer from 1 to 1000',
          param: 'limit',
        });
      const after = request.query.after;
      if (after !== undefined && (typeof after !== 'string' || after.length > 255))
        return sendError(request, reply, {
          code: 'invalid_request',
          message: 'after must be an account id',
          param: 'after',
        });
      const listed = await listAccounts(
        context.engine.store,
        account.id,
        after === '' ? undefined : after,
        limit.value,
      );
      if (!listed.ok) return sendError(request, reply, listed.error);
      return send(request, reply, {
        statusCode: 200,
        body: { accounts: listed.value.accounts.map(accountView), next: listed.value.next },
      });
    },
  );

  app.get(
    '/accounts/me',
    {
      schema: {
        summary: "The key's own account",
        tags: ['accounts'],
        response: { 200: ACCOUNT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      return send(request, reply, { statusCode: 200, body: accountView(account) });
    },
  );

  app.get(
    '/accounts/me/timelines',
    {
      schema: {
        summary: 'The timelines the account owns',
        description:
          'Every timeline the account owns (its own, and those bound to it in documents), ordered by id, each with the ids of the documents listening to it.',
        tags: ['accounts'],
        response: {
          200: {
            type: 'object',
            required: ['timelines'],
            properties: {
              timelines: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'headSequence', 'headBlueId', 'createdAt', 'documentIds'],
                  properties: {
                    id: { type: 'string' },
                    headSequence: { type: 'integer', description: '0 while empty' },
                    headBlueId: { type: 'string', nullable: true },
                    createdAt: MILLIS,
                    documentIds: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
          '4xx': ERROR_SCHEMA,
        },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const timelines = await context.engine.store.timelinesOf(account.id);
      return send(request, reply, {
        statusCode: 200,
        body: {
          timelines: timelines.map((timeline) => ({
            id: timeline.id,
            headSequence: timeline.headSequence,
            headBlueId: timeline.headBlueId,
            createdAt: timeline.createdAt,
            documentIds: timeline.documentIds,
          })),
        },
      });
    },
  );

  app.post(
    '/accounts/me/keys',
    {
      schema: {
        summary: 'Create a key for the account',
        description:
          'A new API key for the account of the key calling: 201, the key in `apiKey`, shown this once (only its hash is stored). No body (or `{}`).',
        tags: ['accounts'],
        response: { 201: NEW_KEY, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const write = writeWithFields(request, reply, account, []);
      if (write === undefined) return reply;
      const answer = await createApiKey(
        context.engine,
        account.id,
        responder<KeyCreated>(
          () => 201,
          (value) => ({ apiKey: null, key: keyView(value.key) }),
        ),
        write.claim,
      );
      return send(request, reply, withSecret(answer));
    },
  );

  app.get(
    '/accounts/me/keys',
    {
      schema: {
        summary: "The account's keys",
        description:
          'Every key of the account, revoked ones included, oldest first: id, hint, createdAt, revokedAt. Never the key.',
        tags: ['accounts'],
        response: {
          200: {
            type: 'object',
            required: ['keys'],
            properties: { keys: { type: 'array', items: KEY } },
          },
          '4xx': ERROR_SCHEMA,
        },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const keys = await context.engine.store.apiKeys(account.id);
      return send(request, reply, { statusCode: 200, body: { keys: keys.map(keyView) } });
    },
  );

  app.post(
    '/accounts/me/participant-keys',
    {
      schema: {
        summary: 'Register a key to co-sign timeline checkpoints with',
        description: `Body \`{publicKey}\`: the base64 of a raw 32-byte Ed25519 public key whose private half you hold. 201 with its keyId and its vkey (the C2SP verifier key under the key name = your account id); the same key again: 200, the same record. A key another account registered: 409 \`participant_key_taken\`; at most ${MAX_PARTICIPANT_KEYS} keys per account (409 \`too_many_participant_keys\`). Not API keys (those are /accounts/me/keys): these sign, and are never secret.`,
        tags: ['accounts'],
        body: {
          type: 'object',
          required: ['publicKey'],
          additionalProperties: false,
          properties: { publicKey: { type: 'string' } },
        },
        response: { 201: PARTICIPANT_KEY, 200: PARTICIPANT_KEY, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const write = writeWithFields(request, reply, account, ['publicKey']);
      if (write === undefined) return reply;
      const publicKey = readPublicKey(write.body.publicKey);
      if (!publicKey.ok) return sendError(request, reply, publicKey.error);
      const answer = await registerParticipantKey(
        context.engine,
        account.id,
        publicKey.value,
        responder<KeyRegistered>(
          (value) => (value.created ? 201 : 200),
          (value) => participantKeyJson(value.key),
        ),
        write.claim,
      );
      return send(request, reply, answer);
    },
  );

  app.get(
    '/accounts/me/participant-keys',
    {
      schema: {
        summary: "The account's participant keys",
        description: 'Every key the account registered to co-sign checkpoints with, oldest first.',
        tags: ['accounts'],
        response: {
          200: {
            type: 'object',
            required: ['keys'],
            properties: { keys: { type: 'array', items: PARTICIPANT_KEY } },
          },
          '4xx': ERROR_SCHEMA,
        },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const keys = await context.engine.store.participantKeys(account.id);
      return send(request, reply, {
        statusCode: 200,
        body: { keys: keys.map((key) => participantKeyJson(participantKeyView(key))) },
      });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/accounts/me/keys/:id',
    {
      schema: {
        summary: 'Revoke a key of the account',
        description:
          'The key never authenticates again, from the next request on (the key calling may revoke itself). 404 for a key id that is not one of this account’s. Revoking a revoked key answers it unchanged.',
        tags: ['accounts'],
        params: ID_PARAMS,
        response: { 200: KEY, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const answer = await revokeApiKey(
        context.engine,
        account.id,
        request.params.id,
        responder<ApiKeyInfo>(() => 200, keyView),
      );
      // Durable now: no remembered key of the account may outlive the revocation.
      if (answer.statusCode === 200) context.auth.forgetAccount(account.id);
      return send(request, reply, answer);
    },
  );
}

function accountView(account: AccountRecord): JsonObject {
  return {
    id: account.id,
    email: account.email,
    timelineId: account.timelineId,
    createdAt: account.createdAt,
  };
}

function keyView(key: ApiKeyInfo): JsonObject {
  return { id: key.id, hint: key.hint, createdAt: key.createdAt, revokedAt: key.revokedAt };
}

function participantKeyJson(key: ParticipantKey): JsonObject {
  return { keyId: key.keyId, publicKey: key.publicKey, vkey: key.vkey, createdAt: key.createdAt };
}

/** The reply with the key made by this call in `apiKey` (a replay keeps its stored null). */
function withSecret(answer: KeyReply): Reply {
  const { reply, apiKey } = answer;
  if (apiKey === undefined || !isJsonObject(reply.body)) return reply;
  return { statusCode: reply.statusCode, body: { ...reply.body, apiKey } };
}

/**
 * A write's Idempotency-Key claim and its body (a map with only `fields`), or undefined once
 * the 400 was sent.
 */
export function writeWithFields(
  request: FastifyRequest,
  reply: FastifyReply,
  account: AccountRecord,
  fields: readonly string[],
): { claim: IdempotencyClaim | undefined; body: JsonObject } | undefined {
  const parts = writeParts(request, reply, account);
  if (parts === undefined) return undefined;
  const unknown = Object.keys(parts.body).find((key) => !fields.includes(key));
  if (unknown !== undefined) {
    sendError(request, reply, {
      code: 'invalid_request',
      message:
        fields.length === 0
          ? `unknown field ${unknown}: this request takes no fields`
          : `unknown field ${unknown}: this request takes ${fields.join(', ')}`,
      param: `/${unknown}`,
    });
    return undefined;
  }
  return parts;
}
