import type { FastifyInstance } from 'fastify';
import { EVENT_CATALOGUE, isEventType } from '../../engine/event-catalogue.js';
import { eventBody } from '../../engine/webhook-worker.js';
import {
  createEndpoint,
  deleteEndpoint,
  endpointJson,
  readNewEndpoint,
  redeliverEvent,
  rotateEndpointSecret,
} from '../../engine/webhook-endpoints.js';
import type { ServiceError } from '../../engine/outcome.js';
import type { JsonObject, JsonValue } from '../../model/json.js';
import type { Store } from '../../store/store.js';
import type { StoredEvent } from '../../store/store-records.js';
import { checkWebhookUrl, resolveSafeAddress } from '../../outbox/url-safety.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, responder, send, sendError } from '../http-context.js';
import { ERROR_SCHEMA, ID_PARAMS, JSON_OBJECT } from '../openapi-schemas.js';
import { integerParam, textParam } from '../request-body.js';
import { writeWithFields } from './account-routes.js';

const PAGE_LIMIT = 100;

/** The account's event of this id: another account's reads as none (404). */
async function ownEvent(
  store: Store,
  accountId: string,
  id: string,
): Promise<StoredEvent | undefined> {
  const event = await store.event(id);
  return event?.accountId === accountId ? event : undefined;
}

function noEvent(id: string, param = 'id'): ServiceError {
  return { code: 'not_found', message: `no event ${id}`, param };
}

/**
 * Webhooks (issue 14; docs/webhooks.md): an account's endpoints (`/webhook_endpoints`), its
 * events (`/events`, newest first) and their deliveries. Everything here is the calling
 * account's own: another account's endpoint or event reads exactly like one that does not
 * exist (404).
 */
export function webhookRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine } = context;

  app.post(
    '/webhook_endpoints',
    {
      schema: {
        summary: 'Register a webhook endpoint',
        description: `Body \`{url, events?, description?}\`. \`url\` is https and may not resolve to a loopback, private, link-local or metadata address (checked now and at every delivery). \`events\`: the types wanted (the catalogue: ${Object.keys(EVENT_CATALOGUE).join(', ')}); all when left out. 201 with the endpoint and its signing \`secret\` (\`whsec_…\`), shown this once.`,
        tags: ['webhooks'],
        body: JSON_OBJECT,
        response: { 201: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const write = writeWithFields(request, reply, account, ['url', 'events', 'description']);
      if (write === undefined) return reply;
      const endpoint = readNewEndpoint(write.body);
      if (!endpoint.ok) return sendError(request, reply, endpoint.error);
      const options = { allowPrivate: context.webhookAllowPrivate };
      const checked = checkWebhookUrl(endpoint.value.url, options);
      if (!checked.ok) return sendError(request, reply, { ...checked.error, param: '/url' });
      const address = await resolveSafeAddress(checked.value.hostname, options);
      if (!address.ok) return sendError(request, reply, { ...address.error, param: '/url' });
      const answer = await createEndpoint(
        engine,
        account.id,
        endpoint.value,
        responder(
          () => 201,
          (value) => ({ ...endpointJson(value.endpoint), secret: value.endpoint.secret }),
        ),
        write.claim,
      );
      return send(request, reply, answer);
    },
  );

  app.get(
    '/webhook_endpoints',
    {
      schema: {
        summary: "The account's webhook endpoints",
        tags: ['webhooks'],
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const endpoints = await engine.store.webhookEndpoints(account.id);
      return send(request, reply, { statusCode: 200, body: { data: endpoints.map(endpointJson) } });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/webhook_endpoints/:id',
    {
      schema: {
        summary: 'A webhook endpoint of the account',
        tags: ['webhooks'],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const endpoint = await engine.store.webhookEndpoint(request.params.id);
      if (
        endpoint === undefined ||
        endpoint.accountId !== account.id ||
        endpoint.status === 'deleted'
      )
        return sendError(request, reply, {
          code: 'not_found',
          message: `no webhook endpoint ${request.params.id}`,
          param: 'id',
        });
      return send(request, reply, { statusCode: 200, body: endpointJson(endpoint) });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/webhook_endpoints/:id',
    {
      schema: {
        summary: 'Delete a webhook endpoint: it is sent nothing more',
        tags: ['webhooks'],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const answer = await deleteEndpoint(
        engine,
        account.id,
        request.params.id,
        responder(
          () => 200,
          (value) => endpointJson(value.endpoint),
        ),
      );
      return send(request, reply, answer);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/webhook_endpoints/:id/rotate_secret',
    {
      schema: {
        summary: 'A new signing secret; the old one signs beside it for 24 hours',
        tags: ['webhooks'],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const write = writeWithFields(request, reply, account, []);
      if (write === undefined) return reply;
      const answer = await rotateEndpointSecret(
        engine,
        account.id,
        request.params.id,
        responder(
          () => 200,
          (value) => ({
            ...endpointJson(value.endpoint),
            secret: value.endpoint.secret,
            previousSecretExpires: value.endpoint.previousSecretUntil,
          }),
        ),
        write.claim,
      );
      return send(request, reply, answer);
    },
  );

  app.get<{ Querystring: { type?: string; document?: string; after?: string; limit?: string } }>(
    '/events',
    {
      schema: {
        summary: "The account's events, newest first",
        description:
          '`type` and `document` filter; `limit` (1–100, default 20) pages, and `after=<event id>` gives the page after that event (`hasMore` says whether there is one).',
        tags: ['webhooks'],
        querystring: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            document: { type: 'string' },
            after: { type: 'string' },
            limit: { type: 'integer' },
          },
        },
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const query = request.query as Record<string, JsonValue | undefined>;
      const texts = ['type', 'document', 'after'].map((name) => textParam(query[name], name));
      const refused = texts.find((text) => !text.ok);
      if (refused !== undefined && !refused.ok) return sendError(request, reply, refused.error);
      const [type, document, after] = texts.map((text) => (text.ok ? text.value : undefined));
      const limit = integerParam(query.limit, 'limit', 20, PAGE_LIMIT);
      if (!limit.ok) return sendError(request, reply, limit.error);
      if (limit.value < 1)
        return sendError(request, reply, {
          code: 'invalid_request',
          message: `limit is between 1 and ${PAGE_LIMIT}`,
          param: 'limit',
        });
      if (type !== undefined && !isEventType(type))
        return sendError(request, reply, {
          code: 'unknown_event_type',
          message: `${JSON.stringify(type)} is not an event type`,
          param: 'type',
        });
      let beforeSeq: number | undefined;
      if (after !== undefined) {
        const cursor = await ownEvent(engine.store, account.id, after);
        if (cursor === undefined) return sendError(request, reply, noEvent(after, 'after'));
        beforeSeq = cursor.seq;
      }
      const page = await engine.store.events(account.id, {
        limit: limit.value + 1,
        ...(type === undefined ? {} : { type }),
        ...(document === undefined ? {} : { documentId: document }),
        ...(beforeSeq === undefined ? {} : { beforeSeq }),
      });
      return send(request, reply, {
        statusCode: 200,
        body: {
          data: page.slice(0, limit.value).map(eventBody),
          hasMore: page.length > limit.value,
        },
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/events/:id',
    {
      schema: {
        summary: 'An event of the account',
        tags: ['webhooks'],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const event = await ownEvent(engine.store, account.id, request.params.id);
      if (event === undefined) return sendError(request, reply, noEvent(request.params.id));
      return send(request, reply, { statusCode: 200, body: eventBody(event) });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/events/:id/deliveries',
    {
      schema: {
        summary: "An event's deliveries, each with every attempt",
        tags: ['webhooks'],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const event = await ownEvent(engine.store, account.id, request.params.id);
      if (event === undefined) return sendError(request, reply, noEvent(request.params.id));
      const deliveries: JsonObject[] = [];
      for (const delivery of await engine.store.deliveriesOfEvent(event.id)) {
        const attempts = await engine.store.deliveryAttempts(delivery.id);
        deliveries.push({
          id: delivery.id,
          endpointId: delivery.endpointId,
          state: delivery.state,
          attempts: attempts.map((attempt) => ({
            attempt: attempt.attempt,
            at: attempt.at,
            statusCode: attempt.statusCode,
            latencyMs: attempt.latencyMs,
            error: attempt.error,
            nextAttemptAt: attempt.nextAttemptAt,
          })),
          nextAttemptAt: delivery.nextAttemptAt,
          deliveredAt: delivery.deliveredAt,
        });
      }
      return send(request, reply, { statusCode: 200, body: { eventId: event.id, deliveries } });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/events/:id/redeliver',
    {
      schema: {
        summary: 'Send an event again to every endpoint that wants it',
        tags: ['webhooks'],
        params: ID_PARAMS,
        response: { 202: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const write = writeWithFields(request, reply, account, []);
      if (write === undefined) return reply;
      const answer = await redeliverEvent(
        engine,
        account.id,
        request.params.id,
        responder(
          () => 202,
          (value) => ({ eventId: request.params.id, deliveries: value.deliveries }),
        ),
        write.claim,
      );
      return send(request, reply, answer);
    },
  );
}
