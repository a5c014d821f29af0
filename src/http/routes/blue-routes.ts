import type { FastifyInstance } from 'fastify';
import type { JsonObject } from '../../model/json.js';
import { checkDocument } from '../../validation/check-document.js';
import type { ServiceError } from '../../engine/outcome.js';
import type { SourceMap } from '../../model/load-yaml.js';
import { locate } from '../../model/node.js';
import { errorReply, problemsError } from '../error-envelope.js';
import type { HttpContext } from '../http-context.js';
import {
  accountOf,
  BAD_IDEMPOTENCY_KEY,
  claimOf,
  readableDocument,
  send,
  sendError,
} from '../http-context.js';
import { ERROR_SCHEMA, ID_PARAMS, JSON_OBJECT } from '../openapi-schemas.js';

/** `POST /blue`, `GET /blue/{id}`, `GET /blue/{id}/history` (DESIGN §8). */
export function blueRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post(
    '/blue',
    {
      schema: {
        summary: 'Post a document',
        description:
          'Validates a YAML or JSON document, binds its participants to timelines, initialises it and lets the payment processor open its payment (a card payment is authorised). Answers 201 with the document; 200 with the existing one when this account already posted exactly this content.',
        tags: ['documents'],
        body: JSON_OBJECT,
        response: { 201: JSON_OBJECT, 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const claim = claimOf(request, account);
      if (claim === false) return sendError(request, reply, BAD_IDEMPOTENCY_KEY);
      const text = typeof request.body === 'string' ? request.body : '';
      // The account's own types (POST /types) are known to its documents.
      const space = await context.engine.spaces.of(account.id);
      const done = await context.turns.admit(account.id);
      const started = performance.now();
      const checked = checkDocument(text, space.validator);
      done(performance.now() - started);
      if (!checked.ok) return sendError(request, reply, problemsError(checked.problems));
      const answer = await context.engine.createDocument(
        account.id,
        checked.document,
        (outcome) =>
          outcome.ok
            ? { statusCode: outcome.value.created ? 201 : 200, body: outcome.value.document.state }
            : errorReply(located(outcome.error, checked.document, checked.positions)),
        claim,
      );
      return send(request, reply, answer);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/blue/:id',
    {
      schema: {
        summary: 'The current state of a document',
        tags: ['documents'],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const document = await readableDocument(context, request, reply, account, request.params.id);
      if (document === undefined) return reply;
      reply.header('etag', `"${document.blueId}"`);
      return send(request, reply, { statusCode: 200, body: document.state });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/blue/:id/history',
    {
      schema: {
        summary: 'What happened to a document: every event, its patches, emitted events, status',
        tags: ['documents'],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const document = await readableDocument(context, request, reply, account, request.params.id);
      if (document === undefined) return reply;
      const store = context.engine.store;
      const events: JsonObject[] = (await store.results(document.id)).map((result) => ({
        version: result.version,
        origin: result.origin,
        at: result.at,
        event: result.event,
        ...(result.entryBlueId === null ? {} : { entryBlueId: result.entryBlueId }),
        status: result.status,
        patches: result.patches,
        emitted: result.emitted,
        blueId: result.blueId,
      }));
      return send(request, reply, {
        statusCode: 200,
        body: {
          documentId: document.id,
          blueId: document.blueId,
          version: document.version,
          type: document.typeName,
          events,
        },
      });
    },
  );
}

/** A refusal naming a field of the posted document leads with that field's line:col. */
function located(error: ServiceError, document: JsonObject, positions: SourceMap): ServiceError {
  if (error.param === undefined || !error.param.startsWith('/')) return error;
  const position = locate(document, error.param, positions);
  if (position === undefined) return error;
  return { ...error, message: `line ${position.line}:${position.col}: ${error.message}` };
}
