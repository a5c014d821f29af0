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
        rootHash: log.charged(() => rootHash(log.leaves)),
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
      const sequence = size.ok
        ? integerParam(request.query.sequence, 'sequence', 0, size.value)
        : size;
      const proof = log.charged(() =>
        sequence.ok && size.ok && sequence.value >= 1
          ? inclusionProof(log.leaves, sequence.value - 1, size.value)
          : undefined,
      );
      if (!size.ok) return sendError(request, reply, size.error);
      if (!sequence.ok) return sendError(request, reply, sequence.error);
      if (proof === undefined)
        return sendError(request, reply, {
          code: 'invalid_request',
          message: `sequence must be between 1 and size (${size.value}), and size between 1 and ${head}`,
          param: 'sequence',
        });
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
      const from = to.ok ? integerParam(request.query.from, 'from', 0, to.value) : to;
      const proof = log.charged(() =>
        from.ok && to.ok && from.value >= 1
          ? consistencyProof(log.leaves, from.value, to.value)
          : undefined,
      );
      if (!to.ok) return sendError(request, reply, to.error);
      if (!from.ok) return sendError(request, reply, from.error);
      if (proof === undefined)
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
          proof: proof.map(encodeBase64),
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

interface ReadableLog {
  account: AccountRecord;
  timeline: TimelineRecord;
  leaves: Uint8Array[];
  /** Runs the route's hashing and charges it, with the leaves', to the reader's turn (once). */
  charged: <T>(work: () => T) => T;
}

/** The timeline and its leaf hashes, if the account may read it; else 404 sent. */
async function readableLog(
  context: HttpContext,
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
): Promise<ReadableLog | undefined> {
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
  // Hashing a long timeline is main-thread work: the reader's, charged to its turn.
  const done = await context.turns.admit(account.id);
  let spent = 0;
  const leaves: Uint8Array[] = [];
  try {
    for (let after = 0; after < timeline.headSequence; after += PAGE) {
      const page = await store.entries(timeline.id, after, PAGE);
      if (page.length === 0) break;
      const started = performance.now();
      for (const entry of page) leaves.push(entryLeafHash(entry.blueId));
      spent += performance.now() - started;
    }
  } catch (error) {
    // The turn is given back whatever happens: an account left holding it would wait forever.
    done(spent);
    throw error;
  }
  // What the route then computes from the leaves (a root, a proof) is charged with them.
  const charged = <T>(work: () => T): T => {
    const started = performance.now();
    try {
      return work();
    } finally {
      done(spent + performance.now() - started);
    }
  };
  return { account, timeline, leaves, charged };
}
