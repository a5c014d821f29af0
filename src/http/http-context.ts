import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'yaml';
import type { DocumentEngine } from '../engine/document-engine.js';
import type { TestMode } from '../engine/test-mode.js';
import type { InvoiceRateLimit } from './bitpay/invoice-rate-limit.js';
import type { IdempotencyClaim } from '../engine/commit-queue.js';
import type { Outcome, Reply, ServiceError } from '../engine/outcome.js';
import type { JsonValue } from '../model/json.js';
import type { JsonObject } from '../model/json.js';
import type { AccountRecord, DocumentRecord } from '../store/store-records.js';
import { readBody } from './request-body.js';
import type { TypeRegistry } from '../types/type-registry.js';
import type { DocumentValidator } from '../validation/document-validator.js';
import type { AccountTurns } from './account-turns.js';
import type { Authenticator } from './authenticate.js';
import { errorReply } from './error-envelope.js';

/** What every route needs. */
export interface HttpContext {
  engine: DocumentEngine;
  registry: TypeRegistry;
  validator: DocumentValidator;
  auth: Authenticator;
  /** Fair shares of the event loop for reading and checking bodies, per account. */
  turns: AccountTurns;
  /** Webhook URLs may be http and private (development, tests). */
  webhookAllowPrivate: boolean;
  /** Test mode's helpers: the chain simulator and the test clocks. */
  testMode: TestMode;
  /** BitPay's invoice creation limits, per merchant. */
  invoiceLimit: InvoiceRateLimit;
  /** The server's public origin for the URLs it hands out (PAYDOC_PUBLIC_URL), if set. */
  publicUrl?: string;
}

/** Sends a reply as JSON, or as YAML when the client's Accept asks for it. */
export function send(request: FastifyRequest, reply: FastifyReply, answer: Reply): FastifyReply {
  reply.code(answer.statusCode);
  if (wantsYaml(request))
    return reply
      .type('application/yaml; charset=utf-8')
      .send(stringify(answer.body, { lineWidth: 0 }));
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body));
}

/** Sends an expected failure in the one error envelope. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: ServiceError,
): FastifyReply {
  return send(request, reply, errorReply(error));
}

/** The request's account, or a 401 already sent. */
export async function accountOf(
  context: HttpContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<AccountRecord | undefined> {
  const account = await context.auth.account(request.headers.authorization);
  if (account === undefined) {
    reply.header('www-authenticate', 'Bearer realm="paydoc", Basic realm="paydoc"');
    sendError(request, reply, {
      code: 'unauthorized',
      message:
        'a valid API key is required: Authorization: Bearer <key>, or HTTP Basic with the key as user name',
    });
  }
  return account;
}

/**
 * The request's Idempotency-Key claim: the key, and a hash of method, path and body so that
 * the same key with another request is refused. `false` when the header is malformed.
 */
export function claimOf(
  request: FastifyRequest,
  account: AccountRecord,
): IdempotencyClaim | undefined | false {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || header.length === 0 || header.length > 255) return false;
  const body = typeof request.body === 'string' ? request.body : '';
  const requestHash = createHash('sha256')
    .update(`${request.method} ${request.url}\n${body}`)
    .digest('hex');
  return { accountId: account.id, key: header, requestHash };
}

/**
 * What every write route starts with: the account (else 401 sent), its Idempotency-Key claim
 * (else 400 sent) and the body read as YAML/JSON (else 400 with line:col sent).
 */
export async function writeRequest(
  context: HttpContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<
  { account: AccountRecord; claim: IdempotencyClaim | undefined; body: JsonObject } | undefined
> {
  const account = await accountOf(context, request, reply);
  if (account === undefined) return undefined;
  const done = await context.turns.admit(account.id);
  const started = performance.now();
  const parts = writeParts(request, reply, account);
  done(performance.now() - started);
  return parts === undefined ? undefined : { account, ...parts };
}

/**
 * A write whose body is a file (a document, a type), read by the route itself to keep its
 * line:col: the account, the Idempotency-Key claim and the text; undefined with the reply sent.
 */
export async function fileWrite(
  context: HttpContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<
  { account: AccountRecord; claim: IdempotencyClaim | undefined; text: string } | undefined
> {
  const account = await accountOf(context, request, reply);
  if (account === undefined) return undefined;
  const claim = claimOf(request, account);
  if (claim === false) {
    sendError(request, reply, BAD_IDEMPOTENCY_KEY);
    return undefined;
  }
  return { account, claim, text: typeof request.body === 'string' ? request.body : '' };
}

/**
 * A write's Idempotency-Key claim (else 400 sent) and its body read as YAML/JSON (else 400
 * with line:col sent), for a request whose account is known.
 */
export function writeParts(
  request: FastifyRequest,
  reply: FastifyReply,
  account: AccountRecord,
): { claim: IdempotencyClaim | undefined; body: JsonObject } | undefined {
  const claim = claimOf(request, account);
  if (claim === false) {
    sendError(request, reply, BAD_IDEMPOTENCY_KEY);
    return undefined;
  }
  const body = readBody(request.body);
  if (!body.ok) {
    sendError(request, reply, body.error);
    return undefined;
  }
  return { claim, body: body.value };
}

/** The document if the account may read it, else undefined with a 404 sent. */
export async function readableDocument(
  context: HttpContext,
  request: FastifyRequest,
  reply: FastifyReply,
  account: AccountRecord,
  id: string,
): Promise<DocumentRecord | undefined> {
  const document = await context.engine.store.document(id);
  if (document !== undefined && (await context.engine.canRead(document, account.id)))
    return document;
  sendError(request, reply, { code: 'not_found', message: `no document ${id}`, param: 'id' });
  return undefined;
}

export const BAD_IDEMPOTENCY_KEY: ServiceError = {
  code: 'invalid_request',
  message: 'Idempotency-Key must be 1 to 255 characters',
  param: 'Idempotency-Key',
};

/** Builds a responder: success as `status` with `body(value)`, failure in the envelope. */
export function responder<T>(
  status: (value: T) => number,
  body: (value: T) => JsonValue,
): (outcome: Outcome<T>) => Reply {
  return (outcome) =>
    outcome.ok
      ? { statusCode: status(outcome.value), body: body(outcome.value) }
      : errorReply(outcome.error);
}

function wantsYaml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && /yaml/i.test(accept) && !/^application\/json/i.test(accept);
}
