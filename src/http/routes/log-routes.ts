import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountRecord, TimelineRecord } from '../../store/store-records.js';
import { encodeBase64 } from '../../tlog/base64.js';
import { formatCheckpoint } from '../../tlog/checkpoint.js';
import { consistencyProof, inclusionProof, leafHash, rootHash } from '../../tlog/merkle.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, send, sendError } from '../http-context.js';
import { ERROR_SCHEMA, ID_PARAMS, JSON_OBJECT } from '../openapi-schemas.js';
import { integerParam } from '../request-body.js';
import { mayReadTimeline } from './timeline-routes.js';

/**
 * Each timeline as a Merkle log (issue 13; RFC 9162 hashing): leaf n is the UTF-8 text of the
 * BlueId of the entry of sequence n + 1, in sequence order. A checkpoint is a C2SP signed note
 * (origin `paydoc/timelines/<id>`, size, root) signed with the server's current key (name
 * `paydoc`; its vkey is published at /.well-known/paydoc/keys); proofs let anyone check that
 * an entry is in a checkpoint's tree, and that a later checkpoint extends an earlier one.
 * Those who may read the timeline may read these.
 *
 * The tree is computed from the entries on each request (linear in the timeline's length);
 * stored subtree hashes are for when timelines grow long.
 */
export function logRoutes(app: FastifyInstance, context: HttpContext): void {
  app.get<{ Params: { id: string } }>(
    '/timelines/:id/checkpoint',
    {
      schema: {
        summary: "A signed checkpoint of a timeline's Merkle log (C2SP signed note)",
        tags: ['timelines'],
        params: ID_PARAMS,
        response: { '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const log = await readableLog(context, request, reply);
      if (log === undefined) return reply;
      const body = formatCheckpoint({
        origin: originOf(log.timeline.id),
        size: log.leaves.length,
        rootHash: rootHash(log.leaves),
        extensions: [],
      });
      return reply.code(200).type('text/plain; charset=utf-8').send(context.engine.signNote(body));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { sequence?: string; size?: string } }>(
    '/timelines/:id/proofs/inclusion',
    {
      schema: {
        summary: 'The proof that the entry of a sequence is in the tree of a size',
        tags: ['timelines'],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { sequence: { type: 'integer' }, size: { type: 'integer' } },
        },
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const log = await readableLog(context, request, reply);
      if (log === undefined) return reply;
      const head = log.leaves.length;
      const size = integerParam(request.query.size, 'size', head, head);
      if (!size.ok) return sendError(request, reply, size.error);
      const sequence = integerParam(request.query.sequence, 'sequence', 0, size.value);
      if (!sequence.ok) return sendError(request, reply, sequence.error);
      if (sequence.value < 1 || size.value < 1)
        return sendError(request, reply, {
          code: 'invalid_request',
          message: `sequence must be between 1 and size (${size.value}), and size between 1 and ${head}`,
          param: 'sequence',
        });
      const proof = inclusionProof(log.leaves, sequence.value - 1, size.value);
      return send(request, reply, {
        statusCode: 200,
        body: {
          timelineId: log.timeline.id,
          sequence: sequence.value,
          size: size.value,
          leafHash: encodeBase64(log.leaves[sequence.value - 1] as Uint8Array),
          proof: proof.map(encodeBase64),
        },
      });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
    '/timelines/:id/proofs/consistency',
    {
      schema: {
        summary: 'The proof that the tree of size `to` extends the tree of size `from`',
        tags: ['timelines'],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { from: { type: 'integer' }, to: { type: 'integer' } },
        },
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const log = await readableLog(context, request, reply);
      if (log === undefined) return reply;
      const head = log.leaves.length;
      const to = integerParam(request.query.to, 'to', head, head);
      if (!to.ok) return sendError(request, reply, to.error);
      const from = integerParam(request.query.from, 'from', 0, to.value);
      if (!from.ok) return sendError(request, reply, from.error);
      if (from.value < 1)
        return sendError(request, reply, {
          code: 'invalid_request',
          message: `from must be between 1 and to (${to.value})`,
          param: 'from',
        });
      return send(request, reply, {
        statusCode: 200,
        body: {
          timelineId: log.timeline.id,
          from: from.value,
          to: to.value,
          proof: consistencyProof(log.leaves, from.value, to.value).map(encodeBase64),
        },
      });
    },
  );
}

/** The log's origin line: one log per timeline. */
export function originOf(timelineId: string): string {
  return `paydoc/timelines/${timelineId}`;
}

/** The leaf hash of an entry: of its BlueId's UTF-8 text. */
export function entryLeafHash(blueId: string): Uint8Array {
  return leafHash(new TextEncoder().encode(blueId));
}

const PAGE = 1000;

/** The timeline and its leaf hashes, if the account may read it; else 404 sent. */
async function readableLog(
  context: HttpContext,
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
): Promise<{ account: AccountRecord; timeline: TimelineRecord; leaves: Uint8Array[] } | undefined> {
  const account = await accountOf(context, request, reply);
  if (account === undefined) return undefined;
  const store = context.engine.store;
  const timeline = await store.timeline(request.params.id);
  if (timeline === undefined || !(await mayReadTimeline(context, timeline, account.id))) {
    sendError(request, reply, {
      code: 'not_found',
      message: `no timeline ${request.params.id}`,
      param: 'id',
    });
    return undefined;
  }
  const leaves: Uint8Array[] = [];
  for (let after = 0; after < timeline.headSequence; after += PAGE) {
    const page = await store.entries(timeline.id, after, PAGE);
    if (page.length === 0) break;
    for (const entry of page) leaves.push(entryLeafHash(entry.blueId));
  }
  return { account, timeline, leaves };
}
