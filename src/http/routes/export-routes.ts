import type { FastifyInstance } from 'fastify';
import { exportBundle } from '../../engine/export-bundle.js';
import type { ServiceError } from '../../engine/outcome.js';
import type { JsonObject, JsonValue } from '../../model/json.js';
import { textParam } from '../request-body.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, readableDocument, send, sendError } from '../http-context.js';
import { ERROR_SCHEMA, ID_PARAMS, JSON_OBJECT } from '../openapi-schemas.js';
import { metered } from './log-routes.js';

/** Timelines `?previous=` may name: more than a document has, and a bound on the work. */
const MAX_PREVIOUS = 1000;

/**
 * `GET /blue/{id}/export`: the document's export bundle (bundle-format.ts), for its owner and
 * participants, as `paydoc verify` reads it. `?previous=<timelineId>:<size>,…` (the checkpoint
 * sizes of an earlier bundle; `paydoc export --previous` writes it) adds to each of those
 * timelines the consistency proof from that size. Building it (reading, hashing, signing) is
 * the reader's work, in its account's turn.
 */
export function exportRoutes(app: FastifyInstance, context: HttpContext): void {
  app.get<{ Params: { id: string }; Querystring: { previous?: string } }>(
    '/blue/:id/export',
    {
      schema: {
        summary: "A document's export bundle: everything `paydoc verify` needs, offline",
        tags: ['documents'],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { previous: { type: 'string', maxLength: 65_536 } },
        },
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const document = await readableDocument(context, request, reply, account, request.params.id);
      if (document === undefined) return reply;
      const given = textParam(
        (request.query as Record<string, JsonValue | undefined>).previous,
        'previous',
        65_536,
      );
      if (!given.ok) return sendError(request, reply, given.error);
      const previous = parsePrevious(given.value);
      if (!previous.ok) return sendError(request, reply, previous.error);
      const bundle = await metered(context, account, (meter) =>
        exportBundle(context.engine, document.id, {
          at: Date.now(),
          previous: previous.sizes,
          meter,
        }),
      );
      if (bundle === undefined)
        return sendError(request, reply, {
          code: 'not_found',
          message: `no document ${request.params.id}`,
          param: 'id',
        });
      reply.header('content-disposition', `attachment; filename="${document.id}.paydoc.json"`);
      return send(request, reply, { statusCode: 200, body: bundle as unknown as JsonObject });
    },
  );
}

/** `tl_a:3,tl_b:5` → {tl_a → 3, tl_b → 5}. */
export function parsePrevious(
  text: string | undefined,
): { ok: true; sizes: Map<string, number> } | { ok: false; error: ServiceError } {
  const sizes = new Map<string, number>();
  if (text === undefined || text === '') return { ok: true, sizes };
  const items = text.split(',');
  const refuse = (message: string) => ({
    ok: false as const,
    error: { code: 'invalid_request' as const, message, param: 'previous' },
  });
  if (items.length > MAX_PREVIOUS)
    return refuse(`previous names at most ${MAX_PREVIOUS} timelines`);
  for (const item of items) {
    const colon = item.lastIndexOf(':');
    const timelineId = item.slice(0, colon);
    const size = Number(item.slice(colon + 1));
    if (
      colon <= 0 ||
      !/^[1-9][0-9]{0,15}$/.test(item.slice(colon + 1)) ||
      !Number.isSafeInteger(size)
    )
      return refuse(
        `previous is a list of <timelineId>:<size> (size ≥ 1), not ${JSON.stringify(item)}`,
      );
    sizes.set(timelineId, size);
  }
  return { ok: true, sizes };
}
