import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CreateOutcome } from '../../engine/document-engine.js';
import type { Outcome, Reply, ServiceError } from '../../engine/outcome.js';
import { invoiceOf } from '../../engine/payment-desk.js';
import type { JsonObject } from '../../model/json.js';
import { ownValue } from '../../model/json.js';
import { invoiceJson } from '../../payments/bitcoin/invoice-json.js';
import { INVOICE_DETAIL_FIELDS } from '../../payments/bitcoin/invoice-types.js';
import { decimalField, numberSources } from '../bitpay/decimal-fields.js';
import { findInvoice, invoiceTimeNow } from '../bitpay/find-invoice.js';
import { errorReply } from '../error-envelope.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, send, sendError, writeParts } from '../http-context.js';
import { ERROR_SCHEMA, JSON_OBJECT } from '../openapi-schemas.js';

/*
 * BitPay's Bitcoin Payment Gateway API v0.3 (seed 004), as its merchants' code calls it:
 * `POST /api/invoice` and `GET /api/invoice/{id}`, HTTP Basic with the API key as user name
 * and an empty password (a Bearer key works too), JSON in and out, the invoice object of the
 * seed back, errors as `{"error": {"type", "message"}}` (paydoc's envelope, which adds `code`
 * and `param`). Each invoice is a Bitcoin Invoice document (`/blue/{documentId}`), so history,
 * export and webhooks apply to it; its notifications are the same invoice object.
 *
 * Deliberate differences from BitPay: `price` is converted exactly and more decimals than the
 * currency has are refused (BitPay rounds); unknown fields are refused (a typo of
 * `notificationURL` would otherwise silently send nothing); `notificationEmail` is kept and
 * echoed but no email is sent; the invoice object adds `address`, `bitcoinUri`, `btcPaid`,
 * `btcDue`, `rate`, `exceptionStatus` and `confirmations`, which later BitPay versions have
 * and a wallet needs.
 */

/** Text fields of the seed, besides `currency`: kept on the document as given. */
const TEXT_FIELDS = [
  'posData',
  'notificationURL',
  'transactionSpeed',
  'orderID',
  ...INVOICE_DETAIL_FIELDS.filter((name) => name !== 'physical'),
];
const BOOLEAN_FIELDS = ['fullNotifications', 'physical'] as const;
const KNOWN_FIELDS = new Set<string>(['price', 'currency', ...TEXT_FIELDS, ...BOOLEAN_FIELDS]);
const MAX_TEXT = 2048;

export function bitpayRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post(
    '/api/invoice',
    {
      schema: {
        summary: 'Create a BitPay invoice (API v0.3)',
        description:
          'HTTP Basic with the API key as user name and an empty password. Body: price (a JSON number or a decimal string in the currency, converted exactly; more decimals than the currency has is a 400), currency, and the optional fields of BitPay v0.3. Answers 200 with the invoice object. At most 100 invoices an hour per merchant (and 10 a second, 50 a minute): 429 with Retry-After.',
        tags: ['BitPay'],
        body: JSON_OBJECT,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const parts = writeParts(request, reply, account);
      if (parts === undefined) return reply;
      const text = typeof request.body === 'string' ? request.body : '';
      const id = `inv_${randomBytes(18).toString('base64url')}`;
      const document = invoiceDocument(
        parts.body,
        text,
        id,
        `${baseUrl(context, request)}/invoices/${id}`,
      );
      if (!document.ok) return sendError(request, reply, document.error);
      // Only a well-formed request that creates an invoice counts towards the limits: a typo,
      // a refusal and the replay of an Idempotency-Key (the invoice it made) use up nothing.
      const replay =
        parts.claim !== undefined &&
        (await context.engine.store.idempotency(account.id, parts.claim.key)) !== undefined;
      const limited = replay ? undefined : await context.invoiceLimit.take(account.id);
      if (limited !== undefined) {
        reply.header('retry-after', String(limited.retryAfterSeconds));
        return sendError(request, reply, {
          code: 'rate_limited',
          message: `too many invoices: a merchant may create ${context.invoiceLimit.describe(limited.window)}; retry in ${limited.retryAfterSeconds} s`,
        });
      }
      const answer = await context.engine.createDocument(
        account.id,
        document.value,
        createdReply,
        parts.claim,
      );
      if (!replay && answer.statusCode >= 300) await context.invoiceLimit.giveBack(account.id);
      return send(request, reply, answer);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/invoice/:id',
    {
      schema: {
        summary: 'Get a BitPay invoice (API v0.3)',
        description:
          'The invoice object, exactly as creation returned it, as it is now (currentTime is the server time, at the merchant’s test clock).',
        tags: ['BitPay'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string' } },
        },
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const found = await findInvoice(context.engine.store, request.params.id);
      // Another merchant's invoice reads exactly like one that does not exist.
      if (found === undefined || found.record.ownerId !== account.id)
        return sendError(request, reply, {
          code: 'not_found',
          message: `no invoice ${request.params.id}`,
          param: 'id',
        });
      return send(request, reply, {
        statusCode: 200,
        body: {
          ...invoiceJson(found.invoice),
          currentTime: invoiceTimeNow(context.engine, found),
          documentId: found.record.id,
        },
      });
    },
  );
}

/** Where the server is reached: PAYDOC_PUBLIC_URL, else the request's own origin. */
function baseUrl(context: HttpContext, request: FastifyRequest): string {
  return context.publicUrl ?? `${request.protocol}://${request.host}`;
}

/** The Bitcoin Invoice document a create request stands for, or the field at fault. */
function invoiceDocument(
  body: JsonObject,
  text: string,
  id: string,
  url: string,
): { ok: true; value: JsonObject } | { ok: false; error: ServiceError } {
  for (const key of Object.keys(body))
    if (!KNOWN_FIELDS.has(key))
      return refused(
        `unknown field ${JSON.stringify(key.slice(0, 64))}; BitPay v0.3 fields are ${[...KNOWN_FIELDS].join(', ')}`,
        key,
      );
  const currency = ownValue(body, 'currency');
  if (typeof currency !== 'string')
    return refused('currency is required: a currency code such as "USD"', 'currency');
  const price = decimalField(body, numberSources(text, ['price']), 'price', currency);
  if (!price.ok) return price;
  const document: JsonObject = {
    type: 'Bitcoin Invoice',
    id,
    url,
    price: price.value.amount,
    currency,
  };
  for (const key of TEXT_FIELDS) {
    const value = ownValue(body, key);
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_TEXT)
      return refused(
        `${key} must be text of at most ${MAX_TEXT} characters${key === 'posData' ? ' (JSON-encode an object into it)' : ''}`,
        key,
      );
    document[key] = value;
  }
  for (const key of BOOLEAN_FIELDS) {
    const value = ownValue(body, key);
    if (value === undefined) continue;
    if (typeof value !== 'boolean') return refused(`${key} must be true or false`, key);
    document[key] = value;
  }
  return { ok: true, value: document };
}

/** 200 with the invoice object; the processor's refusal (nothing stored) in the envelope. */
function createdReply(outcome: Outcome<CreateOutcome>): Reply {
  if (!outcome.ok) return errorReply(outcome.error);
  const record = outcome.value.document;
  const invoice = invoiceOf(record);
  if (invoice === undefined)
    return errorReply({ code: 'internal', message: 'the invoice was not opened' });
  return {
    statusCode: 200,
    body: { ...invoiceJson(invoice), documentId: record.id },
  };
}

function refused(message: string, param: string): { ok: false; error: ServiceError } {
  return { ok: false, error: { code: 'invalid_request', message, param } };
}
