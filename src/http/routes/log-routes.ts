import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Cosigned, Meter } from '../../engine/timeline-log.js';
import {
  checkCosignature,
  checkpointNote,
  storeCosignature,
  timelineLeaves,
} from '../../engine/timeline-log.js';
import type { JsonObject } from '../../model/json.js';
import type {
  AccountRecord,
  CosignatureRecord,
  TimelineRecord,
} from '../../store/store-records.js';
import { encodeBase64 } from '../../tlog/base64.js';
import { consistencyProof, inclusionProof } from '../../tlog/merkle.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, responder, send, sendError } from '../http-context.js';
import { ERROR_SCHEMA, ID_PARAMS, JSON_OBJECT } from '../openapi-schemas.js';
import { integerParam } from '../request-body.js';
import { writeWithFields } from './account-routes.js';
import { mayReadTimeline } from './timeline-routes.js';

// Where they were first defined: importers of this module keep finding them here.
export { entryLeafHash, originOf } from '../../engine/timeline-log.js';

const COSIGNATURE = {
  type: 'object',
  required: ['timelineId', 'size', 'keyId', 'accountId', 'rootHash', 'signature', 'createdAt'],
  properties: {
    timelineId: { type: 'string' },
    size: { type: 'integer' },
    keyId: { type: 'string', description: 'The participant key (ed25519:…)' },
    accountId: { type: 'string', description: 'The key name the signature is under' },
    rootHash: { type: 'string', description: 'The root at that size (base64), as signed' },
    signature: { type: 'string', description: 'The signature line value (base64)' },
    createdAt: { type: 'integer', description: 'ms since the Unix epoch' },
  },
} as const;

const COSIGN_DESCRIPTION =
  'Body `{keyId, signature}`: sign the checkpoint body of size `size` (the text of `GET /timelines/{id}/checkpoint?size=` before the blank line) as a C2SP signed note under the key name = your account id, with a key you registered (POST /accounts/me/participant-keys), and send the value of your signature line (base64 of the 4-byte key ID and the 64-byte signature). The server recomputes the root at that size and verifies; from then on the checkpoint of that size carries your line after its own. 201 stored; 200 when that key had co-signed that size already. Anyone who may read the timeline may co-sign it.';

/**
 * Each timeline as a Merkle log (issue 13; RFC 9162 hashing): leaf n is the UTF-8 text of the
 * BlueId of the entry of sequence n + 1, in sequence order. A checkpoint is a C2SP signed note
 * (origin `paydoc/timelines/<id>`, size, root) signed with the server's current key (name
 * `paydoc`; its vkey is published at /.well-known/paydoc/keys) and then by every participant
 * who co-signed it (engine/timeline-log.ts); proofs let anyone check that an entry is in a
 * checkpoint's tree, and that a later checkpoint extends an earlier one. Those who may read
 * the timeline may read these, and co-sign.
 *
 * The tree is computed from the entries on each request (linear in the timeline's length),
 * on the reader's turn; stored subtree hashes are for when timelines grow long.
 */
export function logRoutes(app: FastifyInstance, context: HttpContext): void {
  app.get<{ Params: { id: string }; Querystring: { size?: string } }>(
    '/timelines/:id/checkpoint',
    {
      schema: {
        summary: "A signed checkpoint of a timeline's Merkle log (C2SP signed note)",
        description:
          "The checkpoint of the tree of `size` entries (default: all of them) as a C2SP signed note: the server's signature line (key name `paydoc`) first, then the line of every participant who co-signed that size (key name: its account id; its vkey is in GET /accounts/me/participant-keys of that account).",
        tags: ['timelines'],
        params: ID_PARAMS,
        querystring: { type: 'object', properties: { size: { type: 'integer', minimum: 0 } } },
        response: { '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const readable = await readableTimeline(context, request, reply);
      if (readable === undefined) return reply;
      const { account, timeline } = readable;
      const head = timeline.headSequence;
      const size = integerParam(request.query.size, 'size', head, head);
      if (!size.ok) return sendError(request, reply, size.error);
      const checkpoint = await metered(context, account, (meter) =>
        checkpointNote(
          context.engine.store,
          (text) => context.engine.signNote(text),
          timeline.id,
          size.value,
          meter,
        ),
      );
      return reply.code(200).type('text/plain; charset=utf-8').send(checkpoint.note);
    },
  );

  app.post<{ Params: { id: string; size: string } }>(
    '/timelines/:id/checkpoints/:size/cosignatures',
    {
      schema: {
        summary: "Co-sign a checkpoint of a timeline's Merkle log",
        description: COSIGN_DESCRIPTION,
        tags: ['timelines'],
        params: {
          type: 'object',
          required: ['id', 'size'],
          properties: { id: { type: 'string' }, size: { type: 'integer', minimum: 1 } },
        },
        body: {
          type: 'object',
          required: ['keyId', 'signature'],
          additionalProperties: false,
          properties: {
            keyId: { type: 'string', description: 'One of your participant keys (ed25519:…)' },
            signature: {
              type: 'string',
              description:
                'The value of your signature line: base64 of the 4-byte note key ID and the 64-byte Ed25519 signature',
            },
          },
        },
        response: { 201: COSIGNATURE, 200: COSIGNATURE, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => cosign(context, request, reply),
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

/**
 * `POST /timelines/:id/checkpoints/:size/cosignatures`, body `{keyId, signature}`.
 *
 * The participant signs the checkpoint body of the tree of `size` entries (what
 * formatCheckpoint gives for origin `paydoc/timelines/<id>`, that size and the root: read it
 * from `GET /timelines/:id/checkpoint?size=`, the text before the blank line) as a C2SP signed
 * note under the key name = its account id, and sends the value of its signature line: the
 * base64 after `— <account id> `, i.e. the 4-byte key ID and the 64-byte Ed25519 signature, as
 * signNote writes it. That form, rather than the bare 64 bytes, is what lets the server append
 * the line to its own note unchanged and check it the way every reader will: it opens the
 * body with that line with openNote and the key's verifier (the key ID must be the one of the
 * account id and the key; the signature must verify over the root the server recomputes).
 *
 * Who may: any account that may read the timeline (else 404, as for a missing one), with one
 * of its own registered keys. 201 with the stored co-signature; the same key on the same size
 * again answers the stored one, 200. Refusals: `unknown_participant_key` (not the caller's
 * key), `invalid_request` (a size outside 1 to the timeline's size, a malformed signature),
 * `invalid_signature`, `too_many_cosignatures`. The hashing is charged to the caller's turn.
 */
async function cosign(
  context: HttpContext,
  request: FastifyRequest<{ Params: { id: string; size: string } }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const account = await accountOf(context, request, reply);
  if (account === undefined) return reply;
  const write = writeWithFields(request, reply, account, ['keyId', 'signature']);
  if (write === undefined) return reply;
  const timeline = await timelineFor(context, request, reply, account);
  if (timeline === undefined) return reply;
  const { keyId, signature } = write.body;
  if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 255)
    return sendError(request, reply, {
      code: 'invalid_request',
      message: 'keyId must be the id of one of your participant keys (ed25519:…)',
      param: '/keyId',
    });
  if (typeof signature !== 'string' || signature.length > 1024)
    return sendError(request, reply, {
      code: 'invalid_request',
      message: 'signature must be the base64 value of a signed-note signature line',
      param: '/signature',
    });
  // A size that is not a number reads as 0: refused below with the timeline's range.
  const size = integerParam(request.params.size, 'size', 0);
  const checked = await metered(context, account, (meter) =>
    checkCosignature(
      context.engine.store,
      {
        accountId: account.id,
        timeline,
        size: size.ok ? size.value : 0,
        keyId,
        signature,
      },
      meter,
    ),
  );
  if (!checked.ok) return sendError(request, reply, checked.error);
  const answer = await storeCosignature(
    context.engine,
    checked.value,
    responder<Cosigned>(
      (value) => (value.created ? 201 : 200),
      (value) => cosignatureView(value.cosignature),
    ),
    write.claim,
  );
  return send(request, reply, answer);
}

function cosignatureView(cosignature: CosignatureRecord): JsonObject {
  return {
    timelineId: cosignature.timelineId,
    size: cosignature.size,
    keyId: cosignature.keyId,
    accountId: cosignature.accountId,
    rootHash: cosignature.rootHash,
    signature: cosignature.signature,
    createdAt: cosignature.createdAt,
  };
}

interface ReadableLog {
  account: AccountRecord;
  timeline: TimelineRecord;
  leaves: Uint8Array[];
  /** Runs the route's hashing and charges it, with the leaves', to the reader's turn (once). */
  charged: <T>(work: () => T) => T;
}

/** The request's account and timeline, if it may read it; else 401 or 404 sent. */
async function readableTimeline(
  context: HttpContext,
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
): Promise<{ account: AccountRecord; timeline: TimelineRecord } | undefined> {
  const account = await accountOf(context, request, reply);
  if (account === undefined) return undefined;
  const timeline = await timelineFor(context, request, reply, account);
  return timeline === undefined ? undefined : { account, timeline };
}

/** The timeline of the path, if the account may read it; else 404 sent. */
async function timelineFor(
  context: HttpContext,
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
  account: AccountRecord,
): Promise<TimelineRecord | undefined> {
  const timeline = await context.engine.store.timeline(request.params.id);
  if (timeline !== undefined && (await mayReadTimeline(context, timeline, account.id)))
    return timeline;
  sendError(request, reply, {
    code: 'not_found',
    message: `no timeline ${request.params.id}`,
    param: 'id',
  });
  return undefined;
}

/**
 * Runs `work` in the account's turn, its hashing (what it runs through the meter) charged to
 * that turn: hashing a long timeline is main-thread work, the reader's.
 */
export async function metered<T>(
  context: HttpContext,
  account: AccountRecord,
  work: (meter: Meter) => Promise<T>,
): Promise<T> {
  const done = await context.turns.admit(account.id);
  const watch = stopwatch();
  try {
    return await work(watch.meter);
  } finally {
    // The turn is given back whatever happens: an account left holding it would wait forever.
    done(watch.spent());
  }
}

/** A meter that adds up the time of the work it runs. */
function stopwatch(): { meter: Meter; spent: () => number } {
  let spent = 0;
  const meter: Meter = (run) => {
    const started = performance.now();
    try {
      return run();
    } finally {
      spent += performance.now() - started;
    }
  };
  return { meter, spent: () => spent };
}

/** The timeline and its leaf hashes, if the account may read it; else 404 sent. */
async function readableLog(
  context: HttpContext,
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
): Promise<ReadableLog | undefined> {
  const readable = await readableTimeline(context, request, reply);
  if (readable === undefined) return undefined;
  const { account, timeline } = readable;
  const done = await context.turns.admit(account.id);
  const watch = stopwatch();
  let leaves: Uint8Array[];
  try {
    leaves = await timelineLeaves(
      context.engine.store,
      timeline.id,
      timeline.headSequence,
      watch.meter,
    );
  } catch (error) {
    // The turn is given back whatever happens: an account left holding it would wait forever.
    done(watch.spent());
    throw error;
  }
  // What the route then computes from the leaves (a proof) is charged with them, once.
  const charged = <T>(work: () => T): T => {
    try {
      return watch.meter(work);
    } finally {
      done(watch.spent());
    }
  };
  return { account, timeline, leaves, charged };
}
